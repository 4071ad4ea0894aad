"""Build every component of one stack from its spec and return the stack outputs.

This is the whole program apart from reading Pulumi config: `__main__.py` loads the spec and
exports what `build` returns; tests call `build` directly with hand-made specs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path
from typing import Any, assert_never

import pulumi
import pulumi_azuread as azuread

from components._client import ClientComponent
from components.claims_mapping import FhirUserClaims, FhirUserClaimsArgs
from components.confidential_client import ConfidentialClient, ConfidentialClientArgs
from components.credentials import CredentialContext
from components.errors import StackError
from components.fhir_resource_app import FhirResourceApp, FhirResourceAppArgs
from components.fhir_service import FhirService, FhirServiceArgs
from components.fhir_service_auth import FhirServiceAuthentication
from components.key_vault_secrets import KeyVaultSecrets, KeyVaultSecretsArgs, VaultSecret
from components.public_client import PublicClient, PublicClientArgs
from components.rbac import FhirRbac, FhirRbacArgs, RbacGrant
from components.role_assignments import RoleAssignments, RoleAssignmentsArgs
from components.service_client import ServiceClient, ServiceClientArgs
from components.stack_outputs import is_smart_client, smart_outputs, stack_outputs
from fhir_apps.fhir_constants import FHIR_RBAC_ROLES, MICROSOFT_GRAPH_APP_ID, RESOURCE_APP_KEY
from fhir_apps.rules.azure import deploy_kind_problem
from fhir_apps.rules.text import reserved_client_key_problem
from fhir_apps.spec.model import ClientSpec, SecretCredential, Spec
from fhir_apps.spec.model import ConfidentialClient as ConfidentialClientSpec
from fhir_apps.spec.model import PublicClient as PublicClientSpec
from fhir_apps.spec.model import ServiceClient as ServiceClientSpec

__all__ = ["build", "check_stack_settings", "is_smart_client"]


# The FHIR resource app component is named RESOURCE_APP_KEY (a client key may not take it).
# Resource names of the azure-native components (their types differ from every client's).
SERVICE_NAME = "fhir-service"


RBAC_NAME = "fhir-rbac"


KEY_VAULT_NAME = "key-vault-secrets"


CLAIMS_NAME = "fhir-user-claims"


SERVICE_AUTH_NAME = "fhir-service-authentication"


def build(spec: Spec, *, today: dt.date, config_dir: Path) -> dict[str, Any]:
    """Create the components for `spec`; return the stack outputs by name.

    today: the date secret rotation is computed from.
    config_dir: the directory the spec was loaded from (certificate files are relative to it).

    Azure resources (azure-native, imported only when needed): the FHIR service when
    `fhirServer.deploy` is set, RBAC role assignments at the service for managed kinds, and Key
    Vault secrets when a vault is configured. A registrations-only stack loads none of them.

    Outputs:
        tenantId: the tenant id (`tenant.id`, else the deploying principal's tenant).
        server: audience, authority, kind, clientId (resource app), servicePrincipalObjectId,
            scopeIds and roleIds (`{value: id}`); plus resourceId (the FHIR service scope) and
            url (the service endpoint) when the stack deploys or names the service, and
            accessPolicyObjectIds for azure-api-for-fhir with `accessPolicies`.
        clients: per enabled client key, what MSAL needs: clientId, tenantId, authority,
            tokenEndpoint, scope (space-separated), redirectUris, kind, credentialType and, for
            secret credentials, secretExpiresOn (and keyVaultSecretId when written to a vault).
            With a SMART resource app, each SMART client also gets `smart`: the audience, its
            scopes in Entra's and SMART's form, the FHIR base URL and where to authorize and get
            tokens (the front door's with `smartGateway`, else Entra's); and `server.smart`
            names the fhirUser claim, its directory attribute and the claims mapping policy.
        clientSecrets: per client key with a secret credential, the current secret. Exported
            apart from `clients` and marked secret, so `clients` stays readable.
    """
    clients = spec.enabled_clients()
    for key in clients:
        problem = reserved_client_key_problem(key)
        if problem:
            raise StackError(f"clients.{key}: {problem}")

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

    audience = spec.audience()
    if audience is None and spec.fhir_server.smart_app():
        raise StackError(
            "fhirServer.smartAudience: required with fhirServer.smart on kind ahds unless "
            "tenant.verifiedDomains lists a domain (the SMART resource app's identifier URI is "
            "https://<verified domain>/<workspace>-<service>)"
        )
    server = FhirResourceApp(
        RESOURCE_APP_KEY,
        FhirResourceAppArgs(
            server=spec.fhir_server,
            display_name=spec.server_display_name(),
            owners=_owners(deployer, spec.owners, spec.fhir_server.owners),
            tenant_id=tenant_id,
            protect=spec.protected,
            audience=audience,
        ),
    )
    service: FhirService | None = None
    if spec.fhir_server.deploy is not None:
        problem = deploy_kind_problem(spec.fhir_server.kind)
        if problem:
            raise StackError(f"fhirServer.deploy: {problem}")
        service = FhirService(
            SERVICE_NAME,
            FhirServiceArgs(
                deploy=spec.fhir_server.deploy,
                # The registrations' own audience and tenant: consistent by construction.
                audience=server.audience,
                tenant_id=tenant_id,
                protect=spec.protected,
                smart_identity_providers=spec.fhir_server.smart_identity_providers,
            ),
        )
    elif spec.fhir_server.smart_app() and spec.fhir_server.resource_id is not None:
        # An existing service: only its audience and SMART identity providers change.
        FhirServiceAuthentication(
            SERVICE_AUTH_NAME,
            resource_id=spec.fhir_server.resource_id,
            audience=server.audience,
            smart_identity_providers=spec.fhir_server.smart_identity_providers,
            opts=pulumi.ResourceOptions(protect=spec.protected),
        )

    built = _create_clients(spec, clients, server, deployer, context)
    claims = _create_fhir_user_claims(spec, clients, server, built)
    scope: pulumi.Input[str] | None = (
        service.resource_id if service is not None else spec.fhir_server.resource_id
    )
    if spec.fhir_server.is_managed():
        _create_rbac(spec, clients, built, scope)
        _warn_access_policies(spec)
    elif spec.assignments:
        RoleAssignments(
            "assignments",
            RoleAssignmentsArgs(
                resource=server, assignments=spec.assignments, protect=spec.protected
            ),
        )
    vault_ids = _create_vault_secrets(spec, clients, built)
    outputs = stack_outputs(server, clients, built, pulumi.Output.from_input(tenant_id))
    if claims is not None:
        smart_outputs(spec, clients, outputs, claims, pulumi.Output.from_input(tenant_id))
    if scope is not None:
        outputs["server"]["resourceId"] = scope
        outputs["server"]["url"] = spec.fhir_server.audience()
    if spec.fhir_server.access_policies is not None:
        outputs["server"]["accessPolicyObjectIds"] = sorted(
            set(spec.fhir_server.access_policies.object_ids)
        )
    for key, secret_id in vault_ids.items():
        outputs["clients"][key]["keyVaultSecretId"] = secret_id
    return outputs


def _create_clients(
    spec: Spec,
    clients: dict[str, ClientSpec],
    server: FhirResourceApp,
    deployer: pulumi.Output[str],
    context: CredentialContext,
) -> dict[str, ClientComponent]:
    """One component per enabled client, named by its YAML key."""
    built: dict[str, ClientComponent] = {}
    # Clients that list the same owners share one output: most list none of their own, and an
    # `apply` per client would cost the SDK an output chain per client for the same value.
    owner_sets: dict[frozenset[str], pulumi.Output[list[str]]] = {}
    smart = spec.fhir_server.smart_app()
    graph_sp = _graph_service_principal(clients)
    for key, client in clients.items():
        configured = frozenset(client.owners)
        if configured not in owner_sets:
            owner_sets[configured] = _owners(deployer, spec.owners, configured)
        common: dict[str, Any] = dict(
            display_name=spec.display_name(key),
            owners=owner_sets[configured],
            resource=server,
            import_ids=client.import_ids,
            protect=spec.is_protected(key),
            mapped_claims=smart and is_smart_client(client),
            smart_gateway=spec.fhir_server.smart_gateway if smart else None,
            graph_service_principal_id=graph_sp,
            about=client.about,
            app_role_assignment_required=client.app_role_assignment_required,
        )
        built[key] = _client_component(key, client, context, common)
    return built


def _client_component(
    key: str, client: ClientSpec, context: CredentialContext, common: dict[str, Any]
) -> ClientComponent:
    """The component of `client`'s kind; a new kind that is not handled fails the type check."""
    match client:
        case ConfidentialClientSpec():
            args = ConfidentialClientArgs(client=client, credential_context=context, **common)
            return ConfidentialClient(key, args)
        case PublicClientSpec():
            return PublicClient(key, PublicClientArgs(client=client, **common))
        case ServiceClientSpec():
            service_args = ServiceClientArgs(client=client, credential_context=context, **common)
            return ServiceClient(key, service_args)
        case _:
            assert_never(client)


def _graph_service_principal(clients: dict[str, ClientSpec]) -> pulumi.Output[str] | None:
    """Microsoft Graph's service principal in the tenant (looked up once), when a client with
    admin consent requests Graph's OpenID Connect scopes."""
    if not any(
        not isinstance(c, ServiceClientSpec) and c.admin_consent and c.graph_scopes
        for c in clients.values()
    ):
        return None
    graph = azuread.get_service_principal_output(client_id=MICROSOFT_GRAPH_APP_ID)
    return graph.object_id


def _create_fhir_user_claims(
    spec: Spec,
    clients: dict[str, ClientSpec],
    server: FhirResourceApp,
    built: dict[str, ClientComponent],
) -> FhirUserClaims | None:
    """The fhirUser extension, claims mapping policy, its assignments and users' values, for a
    SMART resource app (`components.claims_mapping`)."""
    if not spec.fhir_server.smart_app() or server.application_object_id is None:
        return None
    service_url = spec.fhir_server.audience()
    if service_url is None:
        # The config rules require url without deploy, naming the file; a hand-made spec too.
        raise StackError("fhirServer.url: required with fhirServer.smart unless deploy is set")
    return FhirUserClaims(
        CLAIMS_NAME,
        FhirUserClaimsArgs(
            application_object_id=server.application_object_id,
            application_client_id=server.client_id,
            resource_service_principal_id=server.service_principal_id,
            client_service_principal_ids={
                key: built[key].service_principal_id
                for key, client in clients.items()
                if is_smart_client(client)
            },
            fhir_users=spec.fhir_server.fhir_users,
            service_url=service_url,
            display_name=f"{spec.naming.prefix}-{spec.environment}-fhir-user-claims",
            protect=spec.protected,
        ),
    )


def _rbac_grants(
    spec: Spec, clients: dict[str, ClientSpec], built: dict[str, ClientComponent]
) -> dict[str, RbacGrant]:
    """What a managed FHIR service's RBAC must grant, keyed by client key or principal id.

    - service clients: their `roles` that are FHIR RBAC roles (the others are app roles of the
      SMART resource app, assigned by the client), to their service principal;
    - `assignments`: their roles, to the principal named.

    FHIR SMART User is never given to a client's service principal: a public client cannot get
    an app-only token, and an app-only token carries no fhirUser, so the FHIR service would
    refuse its SMART requests anyway. The users who sign in to SMART apps hold it (assignments).
    """
    grants: dict[str, RbacGrant] = {}
    for key, client in clients.items():
        if isinstance(client, ServiceClientSpec):
            roles = tuple(r for r in client.roles if r in FHIR_RBAC_ROLES)
        else:
            roles = ()
        if roles:
            grants[key] = RbacGrant(
                principal_id=built[key].service_principal_object_id,
                principal_type="ServicePrincipal",
                roles=roles,
                description=f"clients.{key} ({spec.environment}/{spec.stack})",
                protected_roles=roles if spec.is_protected(key) else (),
            )
    for assignment in spec.assignments:
        key = str(assignment.principal_id)
        if key in clients:
            raise StackError(f"clients.{key}: a client key may not equal an assignment's principal")
        earlier = grants.get(key)
        # A role stays protected while any assignment entry that grants it is not retired.
        protected = assignment.roles if spec.is_protected(retired=assignment.retire) else ()
        grants[key] = RbacGrant(
            principal_id=key,
            principal_type=assignment.principal_type,
            roles=tuple(sorted({*assignment.roles, *(earlier.roles if earlier else ())})),
            description=assignment.description
            or (earlier.description if earlier else f"assignments ({spec.environment})"),
            protected_roles=tuple(
                sorted({*protected, *(earlier.protected_roles if earlier else ())})
            ),
        )
    return grants


def _create_rbac(
    spec: Spec,
    clients: dict[str, ClientSpec],
    built: dict[str, ClientComponent],
    scope: pulumi.Input[str] | None,
) -> None:
    """Managed kinds: FHIR RBAC role assignments at the FHIR service's scope."""
    grants = _rbac_grants(spec, clients, built)
    if not grants:
        return
    if scope is None:
        # The config rules demand resourceId (or deploy) first, naming the file; this keeps a
        # hand-made spec honest instead of pretending the roles were granted.
        pulumi.log.warn(
            f"{', '.join(_granted_keys(spec, clients))}: not applied for kind "
            f"{spec.fhir_server.kind!r}: no FHIR service scope; set fhirServer.resourceId (or "
            "fhirServer.deploy) so that the RBAC role assignments can be made"
        )
        return
    FhirRbac(RBAC_NAME, FhirRbacArgs(scope=scope, grants=grants))


def _granted_keys(spec: Spec, clients: dict[str, ClientSpec]) -> list[str]:
    keys = [f"assignments[{i}]" for i in range(len(spec.assignments))]
    keys += [
        f"clients.{key}.roles"
        for key, client in clients.items()
        if isinstance(client, ServiceClientSpec) and set(client.roles) & set(FHIR_RBAC_ROLES)
    ]
    return keys


def _warn_access_policies(spec: Spec) -> None:
    """Access policies are a property of the Azure API for FHIR service, which the stack does not
    own; say on every run that they are exported, not applied."""
    policies = spec.fhir_server.access_policies
    if policies is None or not policies.object_ids:
        return
    pulumi.log.warn(
        "fhirServer.accessPolicies: not applied: access policies are a property of the Azure API "
        "for FHIR service, which this stack does not manage; the object ids are exported as "
        "server.accessPolicyObjectIds for the service's own deployment. Prefer roles and "
        "assignments (Azure RBAC), which this stack applies at fhirServer.resourceId"
    )


def _create_vault_secrets(
    spec: Spec, clients: dict[str, ClientSpec], built: dict[str, ClientComponent]
) -> dict[str, str]:
    """Each secret credential's current secret into its Key Vault; `{client key: secret id}`."""
    secrets: dict[str, VaultSecret] = {}
    for key, client in clients.items():
        credential = client.credential
        if not isinstance(credential, SecretCredential):
            continue
        vault = credential.key_vault_id or spec.secret_store.key_vault_id
        component = built[key]
        if vault is None or component.client_secret is None or not component.secret_expires_on:
            continue
        secrets[key] = VaultSecret(
            key_vault_id=vault,
            value=component.client_secret,
            expires_on=dt.date.fromisoformat(component.secret_expires_on),
        )
    if not secrets:
        return {}
    return KeyVaultSecrets(KEY_VAULT_NAME, KeyVaultSecretsArgs(secrets=secrets)).secret_ids


def check_stack_settings(
    spec: Spec,
    *,
    server_url: str | None = None,
    provider_tenant_id: str | None = None,
    server_url_key: str = "fhir-apps:serverUrl",
) -> None:
    """Stop before anything reaches Entra when the stack's settings contradict its YAML.

    server_url: the project's `serverUrl` setting (optional guard against deploying the wrong
    environment); server_url_key: its full key, `<project>:serverUrl`, for the message.
    provider_tenant_id: `azuread:tenantId`, the tenant the provider signs in to.
    Raises StackError naming both settings.
    """
    audience = spec.fhir_server.audience()
    if server_url and audience != server_url:
        raise StackError(
            f"{server_url_key} is {server_url!r} but environment {spec.environment!r} "
            f"describes the FHIR server {audience!r}; fix the stack config or the environment"
        )
    if (
        provider_tenant_id
        and spec.tenant.id is not None
        and str(spec.tenant.id) != provider_tenant_id.strip().lower()
    ):
        raise StackError(
            f"azuread:tenantId is {provider_tenant_id!r} but tenant.id in the YAML is "
            f"{str(spec.tenant.id)!r}; the registrations would land in the wrong tenant"
        )


def _owners(deployer: pulumi.Output[str], *groups: Iterable[str]) -> pulumi.Output[list[str]]:
    """Configured owners plus the deploying principal, sorted and without repeats.

    The deploying principal owns what it creates so that `Application.ReadWrite.OwnedBy` is
    enough to manage it later, and so that no run removes its own access.
    """
    configured = {owner for group in groups for owner in group}
    return deployer.apply(lambda me: sorted(configured | {me}))
