"""Pulumi components for the Entra ID registrations that secure a FHIR server.

One ComponentResource per module, each `Thing(name, args, opts=None)` with its frozen args type
beside it; `components.stack.build` assembles them for one stack's spec.
"""

from components.confidential_client import ConfidentialClient, ConfidentialClientArgs
from components.credentials import ClientCredential, ClientCredentialArgs, CredentialContext
from components.fhir_resource_app import FhirResourceApp, FhirResourceAppArgs
from components.public_client import PublicClient, PublicClientArgs
from components.role_assignments import RoleAssignments, RoleAssignmentsArgs
from components.service_client import ServiceClient, ServiceClientArgs
from components.stack import build

__all__ = [
    "ClientCredential",
    "ClientCredentialArgs",
    "ConfidentialClient",
    "ConfidentialClientArgs",
    "CredentialContext",
    "FhirResourceApp",
    "FhirResourceAppArgs",
    "PublicClient",
    "PublicClientArgs",
    "RoleAssignments",
    "RoleAssignmentsArgs",
    "ServiceClient",
    "ServiceClientArgs",
    "build",
]
