"""Build every component of one stack from its spec and return the stack outputs.

This is the whole program apart from reading Pulumi config: `__main__.py` loads the spec and
exports what `build` returns; tests call `build` directly with hand-made specs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pulumi
import pulumi_azuread as azuread

from components._client import ClientComponent
from components.confidential_client import ConfidentialClient, ConfidentialClientArgs
from components.credentials import CredentialContext
from components.fhir_resource_app import FhirResourceApp, FhirResourceAppArgs
from components.public_client import PublicClient, PublicClientArgs
from components.role_assignments import RoleAssignments, RoleAssignmentsArgs
from components.service_client import ServiceClient, ServiceClientArgs
from fhir_apps.endpoints import authority, token_endpoint
from fhir_apps.spec.model import ConfidentialClient as ConfidentialClientSpec
from fhir_apps.spec.model import PublicClient as PublicClientSpec
from fhir_apps.spec.model import ServiceClient as ServiceClientSpec
from fhir_apps.spec.model import Spec

__all__ = ["OUTPUT_NAMES", "SERVER_NAME", "build", "check_stack_settings"]

# The resource name of the FHIR resource app component; a client key may not take it.
SERVER_NAME = "fhir-server"

# The stack outputs, in the order they are exported.
OUTPUT_NAMES = ("tenantId", "server", "clients", "clientSecrets")


def build(spec: Spec, *, today: dt.date, config_dir: Path) -> dict[str, Any]:
    """Create the components for `spec`; return the stack outputs by name.

    today: the date secret rotation is computed from.
    config_dir: the directory the spec was loaded from (certificate files are relative to it).

    Outputs:
        tenantId: the tenant id (`tenant.id`, else the deploying principal's tenant).
        server: audience, authority, kind, clientId (resource app), servicePrincipalObjectId,
            scopeIds and roleIds (`{value: id}`).
        clients: per enabled client key, what MSAL needs: clientId, tenantId, authority,
            tokenEndpoint, scope (space-separated), redirectUris, kind, credentialType and, for
            secret credentials, secretExpiresOn.
        clientSecrets: per client key with a secret credential, the current secret. Exported
            apart from `clients` and marked secret, so `clients` stays readable.
    """
    clients = spec.enabled_clients()
    if SERVER_NAME in clients:
        raise ValueError(f"clients.{SERVER_NAME}: this key is reserved for the FHIR resource app")

    client_config = azuread.get_client_config_output()
    tenant_id: pulumi.Input[str] = (
        str(spec.tenant.id) if spec.tenant.id is not None else client_config.tenant_id
    )
    deployer = client_config.object_id
    context = CredentialContext(
        today=today,
        max_secret_lifetime_days=spec.policy.max_secret_lifetime_days,
        config_dir=config_dir,
    )

    server = FhirResourceApp(
        SERVER_NAME,
        FhirResourceAppArgs(
            server=spec.fhir_server,
            display_name=spec.fhir_server.display_name
            or f"{spec.naming.prefix}-{spec.environment}-{SERVER_NAME}",
            owners=_owners(deployer, spec.owners, spec.fhir_server.owners),
            tenant_id=tenant_id,
            protect=spec.protected,
        ),
    )

    built = _create_clients(spec, clients, server, deployer, tenant_id, context)
    if server.kind == "oss":
        if spec.assignments:
            RoleAssignments(
                "assignments", RoleAssignmentsArgs(resource=server, assignments=spec.assignments)
            )
    else:
        _warn_rbac_not_applied(spec, clients, server)
    return _stack_outputs(server, clients, built, pulumi.Output.from_input(tenant_id))


def _create_clients(
    spec: Spec,
    clients: dict[str, Any],
    server: FhirResourceApp,
    deployer: pulumi.Output[str],
    tenant_id: pulumi.Input[str],
    context: CredentialContext,
) -> dict[str, ClientComponent]:
    """One component per enabled client, named by its YAML key."""
    built: dict[str, ClientComponent] = {}
    for key, client in clients.items():
        common: dict[str, Any] = dict(
            display_name=spec.display_name(key),
            owners=_owners(deployer, spec.owners, client.owners),
            resource=server,
            tenant_id=tenant_id,
            import_ids=client.import_ids,
        )
        if isinstance(client, ConfidentialClientSpec):
            built[key] = ConfidentialClient(
                key, ConfidentialClientArgs(client=client, credential_context=context, **common)
            )
        elif isinstance(client, PublicClientSpec):
            built[key] = PublicClient(key, PublicClientArgs(client=client, **common))
        else:
            built[key] = ServiceClient(
                key, ServiceClientArgs(client=client, credential_context=context, **common)
            )
    return built


def _warn_rbac_not_applied(spec: Spec, clients: dict[str, Any], server: FhirResourceApp) -> None:
    """Seam: for managed FHIR services, assignments and service clients' roles become Azure
    RBAC role assignments at the FHIR service scope (an RBAC component, not built yet). Say so
    on every run instead of pretending they were applied."""
    unapplied = [f"assignments[{i}]" for i in range(len(spec.assignments))]
    unapplied += [
        f"clients.{key}.roles"
        for key, client in clients.items()
        if isinstance(client, ServiceClientSpec) and client.roles
    ]
    if unapplied:
        pulumi.log.warn(
            f"{', '.join(unapplied)}: not applied for kind {server.kind!r}: Azure RBAC "
            "role assignments are not managed yet; grant them at the FHIR service scope"
        )


def _stack_outputs(
    server: FhirResourceApp,
    clients: dict[str, Any],
    built: dict[str, ClientComponent],
    tenant: pulumi.Output[str],
) -> dict[str, Any]:
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
            key: _client_outputs(clients[key], component, tenant)
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


def check_stack_settings(
    spec: Spec, *, server_url: str | None = None, provider_tenant_id: str | None = None
) -> None:
    """Stop before anything reaches Entra when the stack's settings contradict its YAML.

    server_url: `fhir-apps:serverUrl` (optional guard against deploying the wrong environment).
    provider_tenant_id: `azuread:tenantId`, the tenant the provider signs in to.
    Raises ValueError naming both settings.
    """
    audience = spec.fhir_server.audience()
    if server_url and audience != server_url:
        raise ValueError(
            f"fhir-apps:serverUrl is {server_url!r} but environment {spec.environment!r} "
            f"describes the FHIR server {audience!r}; fix the stack config or the environment"
        )
    if (
        provider_tenant_id
        and spec.tenant.id is not None
        and str(spec.tenant.id) != provider_tenant_id.strip().lower()
    ):
        raise ValueError(
            f"azuread:tenantId is {provider_tenant_id!r} but tenant.id in the YAML is "
            f"{str(spec.tenant.id)!r}; the registrations would land in the wrong tenant"
        )


def _client_outputs(
    client: Any, component: ClientComponent, tenant: pulumi.Output[str]
) -> dict[str, Any]:
    outputs: dict[str, Any] = {
        "kind": client.kind,
        "clientId": component.client_id,
        "tenantId": tenant,
        "authority": tenant.apply(authority),
        "tokenEndpoint": tenant.apply(token_endpoint),
        "scope": component.scope,
        "redirectUris": component.redirect_uris,
        "credentialType": client.credential.type if client.credential is not None else None,
    }
    if component.secret_expires_on is not None:
        outputs["secretExpiresOn"] = component.secret_expires_on
    return outputs


def _owners(deployer: pulumi.Output[str], *groups: Iterable[str]) -> pulumi.Output[list[str]]:
    """Configured owners plus the deploying principal, sorted and without repeats.

    The deploying principal owns what it creates so that `Application.ReadWrite.OwnedBy` is
    enough to manage it later, and so that no run removes its own access.
    """
    configured = {owner for group in groups for owner in group}
    return deployer.apply(lambda me: sorted(configured | {me}))
