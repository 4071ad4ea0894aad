"""Pulumi mocks that stand in for Entra and Azure when the program runs offline.

Values that only exist after deployment (client ids, object ids, tenant data) become readable,
stable placeholders such as `<clientId of dashboard>`, so a render reads like a plan and two runs
are byte-identical. Secret values get a recognisable `MOCKSECRET-` prefix: tests scan every
render, log and error for it to prove that no secret is ever printed.
"""

from __future__ import annotations

import hashlib
from typing import Any

import pulumi

from fhir_apps.fhir_constants import AZURE_HEALTHCARE_APIS_APP_ID, MICROSOFT_GRAPH_APP_ID
from fhir_apps.resource_types import (
    APPLICATION,
    APPLICATION_PASSWORD,
    GET_CLIENT_CONFIG,
    GET_SERVICE_PRINCIPAL,
    SERVICE_PRINCIPAL,
)

__all__ = ["MOCK_SECRET_PREFIX", "MOCK_SUBSCRIPTION_ID", "PlaceholderMocks", "placeholder_key"]

MOCK_SECRET_PREFIX = "MOCKSECRET-"
# The subscription of the ARM ids the mocks hand out. A GUID (not a `<placeholder>`) because the
# policies check that RBAC scopes are well-formed FHIR service ids; all zeros reads as a dummy.
MOCK_SUBSCRIPTION_ID = "00000000-0000-0000-0000-000000000000"
_HEALTHCARE = "providers/Microsoft.HealthcareApis"

_RESOURCE_GROUP = "azure-native:resources:ResourceGroup"
_WORKSPACE = "azure-native:healthcareapis:Workspace"
_FHIR_SERVICE = "azure-native:healthcareapis:FhirService"
_ROLE_ASSIGNMENT = "azure-native:authorization:RoleAssignment"
_KEY_VAULT_SECRET = "azure-native:keyvault:Secret"

FIRST_PARTY_NAME = "Azure Healthcare APIs"
# Looked up for the admin consent of clients' Graph scopes (openid, offline_access).
GRAPH_NAME = "Microsoft Graph"


def placeholder_key(resource_name: str) -> str:
    """The name a placeholder uses: the YAML key for an `<key>-app`, else the resource name."""
    return resource_name.removesuffix("-app")


class PlaceholderMocks(pulumi.runtime.Mocks):
    """Answers every resource and invoke with inputs plus deterministic placeholder outputs."""

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        outputs: dict[str, Any] = dict(args.inputs)
        name = args.name
        key = placeholder_key(name)
        if args.typ == APPLICATION:
            object_id = f"<objectId of {key}>"
            outputs.update(clientId=f"<clientId of {key}>", objectId=object_id)
            return f"/applications/{object_id}", outputs
        if args.typ == SERVICE_PRINCIPAL:
            object_id = f"<objectId of {name}>"
            outputs.update(objectId=object_id)
            return object_id, outputs
        if args.typ == APPLICATION_PASSWORD:
            # Looks like a secret and is unique per slot, so a leak is easy to find by scanning.
            digest = hashlib.sha256(name.encode()).hexdigest()[:16]
            outputs.update(value=f"{MOCK_SECRET_PREFIX}{digest}", keyId=f"<keyId of {name}>")
            return f"<id of {name}>", outputs
        if args.typ.startswith("azure-native:"):
            return _arm_resource(args.typ, name, outputs)
        return f"<id of {name}>", outputs

    def call(
        self, args: pulumi.runtime.MockCallArgs
    ) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        if args.token == GET_CLIENT_CONFIG:
            return {
                "tenantId": "<tenantId>",
                "objectId": "<objectId of deploying principal>",
                "clientId": "<clientId of deploying principal>",
            }, []
        if args.token == GET_SERVICE_PRINCIPAL:
            return _first_party_service_principal(args.args), []
        return {}, []


def _arm_resource(typ: str, name: str, outputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """ARM ids built from the inputs, in the form Azure returns them, so that role assignment
    scopes and role definition ids derived from them look (and check) like the real thing."""
    subscription = f"/subscriptions/{MOCK_SUBSCRIPTION_ID}"
    group = f"{subscription}/resourceGroups/{outputs.get('resourceGroupName')}"
    if typ == _RESOURCE_GROUP:
        resource_id = group
        outputs.update(name=outputs.get("resourceGroupName"))
    elif typ == _WORKSPACE:
        resource_id = f"{group}/{_HEALTHCARE}/workspaces/{outputs.get('workspaceName')}"
        outputs.update(name=outputs.get("workspaceName"))
    elif typ == _FHIR_SERVICE:
        workspace = outputs.get("workspaceName")
        service = outputs.get("fhirServiceName")
        resource_id = f"{group}/{_HEALTHCARE}/workspaces/{workspace}/fhirservices/{service}"
        outputs.update(name=f"{workspace}/{service}")
    elif typ == _ROLE_ASSIGNMENT:
        resource_id = (
            f"{outputs.get('scope')}/providers/Microsoft.Authorization/roleAssignments/"
            f"{outputs.get('roleAssignmentName')}"
        )
        outputs.update(name=outputs.get("roleAssignmentName"))
    elif typ == _KEY_VAULT_SECRET:
        resource_id = (
            f"{group}/providers/Microsoft.KeyVault/vaults/{outputs.get('vaultName')}/secrets/"
            f"{outputs.get('secretName')}"
        )
        outputs.update(name=outputs.get("secretName"))
    else:
        resource_id = f"<id of {name}>"
    outputs["id"] = resource_id
    return resource_id, outputs


def _first_party_service_principal(query: dict[str, Any]) -> dict[str, Any]:
    """The tenant's copy of a service principal, by the client id asked for."""
    client_id = query.get("clientId") or AZURE_HEALTHCARE_APIS_APP_ID
    names = {AZURE_HEALTHCARE_APIS_APP_ID: FIRST_PARTY_NAME, MICROSOFT_GRAPH_APP_ID: GRAPH_NAME}
    display = names.get(client_id, client_id)
    return {
        "id": f"<objectId of {display}>",
        "objectId": f"<objectId of {display}>",
        "clientId": client_id,
        "displayName": display,
        "oauth2PermissionScopes": [
            {
                "value": "user_impersonation",
                "id": f"<id of user_impersonation on {display}>",
                "type": "User",
                "enabled": True,
                "adminConsentDescription": "",
                "adminConsentDisplayName": "",
                "userConsentDescription": "",
                "userConsentDisplayName": "",
            }
        ],
        "appRoles": [],
        "appRoleIds": {},
        "oauth2PermissionScopeIds": {
            "user_impersonation": f"<id of user_impersonation on {display}>"
        },
    }
