"""The stack outputs: per client what MSAL (and a SMART app) needs, the server's ids, and the
current secrets apart, as `components.stack.build` documents them."""

from __future__ import annotations

from typing import Any, TypeGuard

import pulumi

from components._client import ClientComponent
from components.claims_mapping import FhirUserClaims
from components.fhir_resource_app import FhirResourceApp
from fhir_apps.endpoints import authority, token_endpoint
from fhir_apps.fhir_constants import FHIR_USER_CLAIM, USER_IMPERSONATION
from fhir_apps.rules.smart import smart_gateway_endpoints, smart_scope
from fhir_apps.spec.model import ClientSpec, Spec
from fhir_apps.spec.model import ConfidentialClient as ConfidentialClientSpec
from fhir_apps.spec.model import PublicClient as PublicClientSpec
from fhir_apps.spec.model import ServiceClient as ServiceClientSpec

__all__ = ["is_smart_client", "smart_outputs", "stack_outputs"]


def is_smart_client(client: ClientSpec) -> TypeGuard[ConfidentialClientSpec | PublicClientSpec]:
    """A delegated client whose users' tokens must carry fhirUser: it requests SMART scopes
    (anything besides user_impersonation) or asks for fhirUser in its ID tokens."""
    if isinstance(client, ServiceClientSpec):
        return False
    return bool(set(client.scopes) - {USER_IMPERSONATION}) or (
        FHIR_USER_CLAIM in client.optional_claims.id_token
    )


def stack_outputs(
    server: FhirResourceApp,
    clients: dict[str, ClientSpec],
    built: dict[str, ClientComponent],
    tenant: pulumi.Output[str],
) -> dict[str, Any]:
    """The stack outputs `build` documents, without the parts that depend on what exists."""
    # One authority and token endpoint for the stack (one tenant), shared by every client.
    endpoints = (tenant.apply(authority), tenant.apply(token_endpoint))
    return {
        "tenantId": tenant,
        "server": {
            "kind": server.kind,
            "audience": server.audience,
            "authority": server.authority,
            "clientId": server.client_id,
            "servicePrincipalObjectId": server.service_principal_object_id,
            "scopeIds": server.scope_ids,
            "roleIds": server.role_ids,
        },
        "clients": {
            key: _client_outputs(clients[key], component, tenant, endpoints)
            for key, component in built.items()
        },
        "clientSecrets": pulumi.Output.secret(
            {
                key: component.client_secret
                for key, component in built.items()
                if component.client_secret is not None
            }
        ),
    }


def smart_outputs(
    spec: Spec,
    clients: dict[str, ClientSpec],
    outputs: dict[str, Any],
    claims: FhirUserClaims,
    tenant: pulumi.Output[str],
) -> None:
    """What SMART apps need, per SMART client: the scopes in Entra's form (what Entra is asked
    for) and in SMART's (what a SMART app, or the front door, speaks), the audience, and where
    to launch: the front door's endpoints when `smartGateway` is set, else Entra's own."""
    server = spec.fhir_server
    audience = spec.audience()
    gateway = smart_gateway_endpoints(server.smart_gateway) if server.smart_gateway else None
    outputs["server"]["smart"] = {
        "fhirUserClaim": FHIR_USER_CLAIM,
        "fhirUserAttribute": claims.attribute_name,
        "claimsMappingPolicyId": claims.policy_id,
        **({"gateway": gateway} if gateway else {}),
    }
    entra_endpoints = tenant.apply(
        lambda t: {
            "authorizeEndpoint": f"{authority(t)}/oauth2/v2.0/authorize",
            "tokenEndpoint": token_endpoint(t),
        }
    )
    for key, client in clients.items():
        if not is_smart_client(client):
            continue
        graph = sorted(client.graph_scopes)
        values = sorted(client.scopes)
        launch: dict[str, Any] = {
            "audience": audience,
            "scopes": {
                "entra": " ".join([*(f"{audience}/{v}" for v in values), *graph]),
                "smart": " ".join([*(smart_scope(v) for v in values), *graph]),
            },
        }
        if gateway is not None:
            launch.update(
                fhirBaseUrl=gateway["fhirBaseUrl"],
                smartConfiguration=gateway["smartConfiguration"],
                authorizeEndpoint=gateway["authorizeEndpoint"],
                tokenEndpoint=gateway["tokenEndpoint"],
            )
        else:
            launch["fhirBaseUrl"] = server.audience()
            launch["endpoints"] = entra_endpoints
        outputs["clients"][key]["smart"] = launch


def _client_outputs(
    client: ClientSpec,
    component: ClientComponent,
    tenant: pulumi.Output[str],
    endpoints: tuple[pulumi.Output[str], pulumi.Output[str]],
) -> dict[str, Any]:
    outputs: dict[str, Any] = {
        "kind": client.kind,
        "clientId": component.client_id,
        "tenantId": tenant,
        "authority": endpoints[0],
        "tokenEndpoint": endpoints[1],
        "scope": component.scope,
        "redirectUris": component.redirect_uris,
        "credentialType": client.credential.type if client.credential is not None else None,
    }
    if component.secret_expires_on is not None:
        outputs["secretExpiresOn"] = component.secret_expires_on
    return outputs
