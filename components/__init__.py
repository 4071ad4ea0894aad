"""Pulumi components for the Entra ID registrations that secure a FHIR server, and for the
managed FHIR service they secure.

One ComponentResource per module, each `Thing(name, args, opts=None)` with its frozen args type
beside it; `components.stack.build` assembles them for one stack's spec. The azure-native
components (FhirService, FhirRbac, KeyVaultSecrets) import `pulumi_azure_native` only when
constructed, so importing this package never loads it.
"""

from components.confidential_client import ConfidentialClient, ConfidentialClientArgs
from components.credentials import ClientCredential, ClientCredentialArgs, CredentialContext
from components.fhir_resource_app import FhirResourceApp, FhirResourceAppArgs
from components.fhir_service import FhirService, FhirServiceArgs
from components.key_vault_secrets import KeyVaultSecrets, KeyVaultSecretsArgs, VaultSecret
from components.public_client import PublicClient, PublicClientArgs
from components.rbac import FhirRbac, FhirRbacArgs, RbacGrant
from components.role_assignments import RoleAssignments, RoleAssignmentsArgs
from components.service_client import ServiceClient, ServiceClientArgs
from components.stack import build

__all__ = [
    "ClientCredential",
    "ClientCredentialArgs",
    "ConfidentialClient",
    "ConfidentialClientArgs",
    "CredentialContext",
    "FhirRbac",
    "FhirRbacArgs",
    "FhirResourceApp",
    "FhirResourceAppArgs",
    "FhirService",
    "FhirServiceArgs",
    "KeyVaultSecrets",
    "KeyVaultSecretsArgs",
    "PublicClient",
    "PublicClientArgs",
    "RbacGrant",
    "RoleAssignments",
    "RoleAssignmentsArgs",
    "ServiceClient",
    "ServiceClientArgs",
    "VaultSecret",
    "build",
]
