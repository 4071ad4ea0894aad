"""What the three client kinds share: the registration, its service principal, API permissions,
admin consent, app role assignments and the credential. Each kind is a thin subclass that says
which platform its redirect URIs go on and which of these parts it uses.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import pulumi
import pulumi_azuread as azuread

from components.credentials import ClientCredential, ClientCredentialArgs, CredentialContext
from components.errors import StackError
from components.fhir_resource_app import FhirResourceApp
from fhir_apps.fhir_constants import (
    FHIR_USER_CLAIM,
    GRAPH_DELEGATED_SCOPES,
    MICROSOFT_GRAPH_APP_ID,
)
from fhir_apps.rules.permissions import undefined_value_problem
from fhir_apps.spec.model import AppInfo, Credential, ImportIds, OptionalClaims

__all__ = ["ClientArgs", "ClientComponent", "Platform"]


@dataclass(frozen=True, kw_only=True)
class ClientArgs:
    """Inputs every client kind takes.

    display_name: the application's display name (unique in the tenant).
    owners: object ids owning the application and its service principal, sorted.
    resource: the FHIR resource app the client calls.
    import_ids: ids of an existing registration and its child objects to adopt (`import`):
        the application, its service principal, role assignments (by role), the consent grant
        and federated credentials (by subject); each only where set.
    protect: Pulumi `protect` on the registration (application, service principal) and on what
        grants it data access (app role assignments, admin consent), so that neither removing
        the client from the config nor `pulumi destroy` deletes them; set in a `protected`
        environment unless the client is being retired. Credentials are never protected: they
        rotate and roll over.
    mapped_claims: the application accepts mapped claims, so that the fhirUser claims mapping
        policy assigned to its service principal puts fhirUser into its ID tokens (SMART).
    smart_gateway: the SMART front door's base URL (`fhirServer.smartGateway`), if any.
    graph_service_principal_id: object id of Microsoft Graph's service principal in the tenant,
        for the admin consent of a client's `graphScopes` (None when no client needs it).
    about: the application's notes, description and links (`clients.<key>.about`).
    app_role_assignment_required: only principals assigned to the client's own service
        principal may sign in to it (`clients.<key>.appRoleAssignmentRequired`).
    """

    display_name: str
    owners: pulumi.Input[Sequence[str]]
    resource: FhirResourceApp
    import_ids: ImportIds = field(default_factory=ImportIds)
    protect: bool = False
    mapped_claims: bool = False
    smart_gateway: str | None = None
    graph_service_principal_id: pulumi.Input[str] | None = None
    about: AppInfo = field(default_factory=AppInfo)
    app_role_assignment_required: bool = False


@dataclass(frozen=True, kw_only=True)
class Platform:
    """Where a client's redirect URIs go, and the parts of a client it uses."""

    web_redirect_uris: tuple[str, ...] = ()
    spa_redirect_uris: tuple[str, ...] = ()
    public_client_redirect_uris: tuple[str, ...] = ()
    fallback_public_client: bool = False
    homepage_url: str | None = None
    logout_url: str | None = None
    # A web app's explicit opt-in to ID tokens from the authorize endpoint (the hybrid flow);
    # access tokens from it are never issued.
    id_token_issuance: bool = False


class ClientComponent(pulumi.ComponentResource):
    """Base of ConfidentialClient, PublicClient and ServiceClient (not used on its own).

    Outputs:
        client_id: the application's appId (MSAL's `clientId`).
        application_object_id: the application's object id.
        service_principal_object_id: its service principal's object id.
        service_principal_id: its service principal's resource id (what the provider's policy
            assignments take; the object id in this provider version).
        redirect_uris: all redirect URIs, sorted.
        scope: the scope string to request (`<audience>/.default`, or delegated scopes).
        client_secret: the current secret, marked secret (secret credentials only, else None).
        secret_expires_on: the current secret's end date (secret credentials only, else None).
    """

    client_id: pulumi.Output[str]
    application_object_id: pulumi.Output[str]
    service_principal_object_id: pulumi.Output[str]
    service_principal_id: pulumi.Output[str]
    redirect_uris: list[str]
    scope: str
    client_secret: pulumi.Output[str] | None
    secret_expires_on: str | None

    def __init__(
        self,
        type_token: str,
        name: str,
        args: ClientArgs,
        opts: pulumi.ResourceOptions | None,
        *,
        platform: Platform,
        scopes: Sequence[str] = (),
        roles: Sequence[str] = (),
        admin_consent: bool = False,
        credential: Credential | None = None,
        credential_context: CredentialContext | None = None,
        scope: str,
        graph_scopes: Sequence[str] = (),
        optional_claims: OptionalClaims | None = None,
    ) -> None:
        super().__init__(type_token, name, None, opts)
        resource = args.resource
        scopes = tuple(sorted(set(scopes)))
        graph_scopes = tuple(sorted(set(graph_scopes)))
        # App roles of the resource app: all of an oss server's roles (an unknown one is an
        # error), the SMART app's own (system.*); FHIR RBAC role names are granted at the
        # service by a separate component.
        if not resource.managed:
            roles = tuple(sorted(set(roles)))
        else:
            roles = tuple(sorted(r for r in set(roles) if r in resource.planned_role_ids))
        self.redirect_uris = sorted(
            {
                *platform.web_redirect_uris,
                *platform.spa_redirect_uris,
                *platform.public_client_redirect_uris,
            }
        )
        self.scope = scope

        app = self._create_application(
            name, args, platform, scopes, roles, graph_scopes, optional_claims
        )
        service_principal = azuread.ServicePrincipal(
            f"{name}-sp",
            azuread.ServicePrincipalArgs(
                client_id=app.client_id,
                owners=args.owners,
                # Left out when false (the provider's default), so a render names it only
                # where the config asks for it.
                app_role_assignment_required=args.app_role_assignment_required or None,
            ),
            opts=pulumi.ResourceOptions(
                parent=self, protect=args.protect, import_=args.import_ids.service_principal
            ),
        )
        import_ids = args.import_ids
        if admin_consent and scopes:
            self._create_admin_consent(
                name, service_principal, resource, scopes, import_ids.consent_grant, args.protect
            )
        if admin_consent and graph_scopes and args.graph_service_principal_id is not None:
            # Admin consent for the OpenID Connect scopes too, or users are asked for them.
            azuread.ServicePrincipalDelegatedPermissionGrant(
                f"{name}-consent-graph",
                azuread.ServicePrincipalDelegatedPermissionGrantArgs(
                    service_principal_object_id=service_principal.object_id,
                    resource_service_principal_object_id=args.graph_service_principal_id,
                    claim_values=list(graph_scopes),
                ),
                # An adopted grant (importIds.graphConsentGrant); Entra refuses a second one.
                opts=pulumi.ResourceOptions(
                    parent=self, protect=args.protect, import_=import_ids.graph_consent_grant
                ),
            )
        for role in roles:
            self._create_role_assignment(
                name,
                service_principal,
                resource,
                role,
                import_ids.role_assignments.get(role),
                args.protect,
            )
        self.client_secret = None
        self.secret_expires_on = None
        if credential is not None:
            if credential_context is None:
                raise ValueError(f"{name}: a credential needs a CredentialContext")
            self._create_credential(
                name, app, credential, credential_context, import_ids.federated_credentials
            )

        self.client_id = app.client_id
        self.application_object_id = app.object_id
        self.service_principal_object_id = service_principal.object_id
        self.service_principal_id = service_principal.id
        self.register_outputs(
            {
                "client_id": self.client_id,
                "application_object_id": self.application_object_id,
                "service_principal_object_id": self.service_principal_object_id,
                "redirect_uris": self.redirect_uris,
                "scope": self.scope,
                "client_secret": self.client_secret,
                "secret_expires_on": self.secret_expires_on,
            }
        )

    def _create_application(
        self,
        name: str,
        args: ClientArgs,
        platform: Platform,
        scopes: tuple[str, ...],
        roles: tuple[str, ...],
        graph_scopes: tuple[str, ...],
        optional_claims: OptionalClaims | None,
    ) -> azuread.Application:
        resource = args.resource
        return azuread.Application(
            f"{name}-app",
            azuread.ApplicationArgs(
                display_name=args.display_name,
                **args.about.application_args(),
                sign_in_audience="AzureADMyOrg",
                owners=args.owners,
                prevent_duplicate_names=True,
                fallback_public_client_enabled=platform.fallback_public_client,
                # Implicit grant is off on every client kind, also on one adopted from the
                # portal with it on: auth code (+ PKCE) replaces it everywhere. The one
                # exception is a web app's explicit `idTokenIssuance` (the hybrid flow).
                web=azuread.ApplicationWebArgs(
                    redirect_uris=sorted(set(platform.web_redirect_uris)),
                    homepage_url=platform.homepage_url,
                    logout_url=platform.logout_url,
                    implicit_grant=azuread.ApplicationWebImplicitGrantArgs(
                        access_token_issuance_enabled=False,
                        id_token_issuance_enabled=platform.id_token_issuance,
                    ),
                ),
                single_page_application=azuread.ApplicationSinglePageApplicationArgs(
                    redirect_uris=sorted(set(platform.spa_redirect_uris))
                ),
                public_client=azuread.ApplicationPublicClientArgs(
                    redirect_uris=sorted(set(platform.public_client_redirect_uris))
                ),
                # Plain dicts (snake_case keys), which the provider takes as well as its Args
                # classes; its annotation names only the classes.
                required_resource_accesses=cast(
                    Any, _api_permissions(resource, scopes, roles, graph_scopes)
                ),
                # Only sent when used, so that every other client's inputs stay as they were.
                api=(
                    azuread.ApplicationApiArgs(mapped_claims_enabled=True)
                    if args.mapped_claims
                    else None
                ),
                optional_claims=_optional_claims(optional_claims),
            ),
            opts=pulumi.ResourceOptions(
                parent=self,
                protect=args.protect,
                import_=args.import_ids.application,
                # A replacement would briefly need two apps with one display name, which
                # prevent_duplicate_names refuses: delete the old one first.
                delete_before_replace=True,
            ),
        )

    def _create_admin_consent(
        self,
        name: str,
        service_principal: azuread.ServicePrincipal,
        resource: FhirResourceApp,
        scopes: tuple[str, ...],
        import_id: str | None,
        protect: bool,
    ) -> None:
        azuread.ServicePrincipalDelegatedPermissionGrant(
            f"{name}-consent",
            azuread.ServicePrincipalDelegatedPermissionGrantArgs(
                service_principal_object_id=service_principal.object_id,
                resource_service_principal_object_id=resource.service_principal_object_id,
                claim_values=list(scopes),
                # No user_object_id: consent on behalf of all users (tenant-wide admin consent).
            ),
            # An adopted grant (importIds.consentGrant); Entra refuses a second one.
            opts=pulumi.ResourceOptions(parent=self, protect=protect, import_=import_id),
        )

    def _create_role_assignment(
        self,
        name: str,
        service_principal: azuread.ServicePrincipal,
        resource: FhirResourceApp,
        role: str,
        import_id: str | None,
        protect: bool,
    ) -> None:
        azuread.AppRoleAssignment(
            f"{name}-role-{role}",
            azuread.AppRoleAssignmentArgs(
                app_role_id=_lookup(resource.planned_role_ids, role, "role"),
                principal_object_id=service_principal.object_id,
                resource_object_id=resource.service_principal_object_id,
            ),
            # An adopted assignment (importIds.roleAssignments); Entra refuses a second one.
            opts=pulumi.ResourceOptions(parent=self, protect=protect, import_=import_id),
        )

    def _create_credential(
        self,
        name: str,
        app: azuread.Application,
        credential: Credential,
        context: CredentialContext,
        import_ids: dict[str, str],
    ) -> None:
        component = ClientCredential(
            f"{name}-credential",
            ClientCredentialArgs(
                application_id=app.id,
                credential=credential,
                context=context,
                import_ids=import_ids,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.client_secret = component.client_secret
        self.secret_expires_on = component.secret_expires_on


def _api_permissions(
    resource: FhirResourceApp,
    scopes: tuple[str, ...],
    roles: tuple[str, ...],
    graph_scopes: tuple[str, ...] = (),
) -> pulumi.Input[list[dict[str, Any]]]:
    """The client's `requiredResourceAccesses`, as plain values wherever the ids are known.

    Only the resource app's appId is an output (the dependency on it); the scope and role ids
    are fixed before deployment except for a managed service's first-party app. Microsoft
    Graph's OpenID Connect scopes (`graphScopes`) follow, with their fixed ids.
    """
    graph = _graph_access(graph_scopes)
    if resource.planned_scope_ids is not None:
        return (
            _required_resource_accesses(
                resource.client_id,
                resource.planned_scope_ids,
                resource.planned_role_ids,
                scopes,
                roles,
            )
            + graph
        )
    return resource.scope_ids.apply(
        lambda scope_ids: (
            _required_resource_accesses(
                resource.client_id, scope_ids, resource.planned_role_ids, scopes, roles
            )
            + graph
        )
    )


def _graph_access(graph_scopes: tuple[str, ...]) -> list[dict[str, Any]]:
    if not graph_scopes:
        return []
    accesses = [
        {"id": scope_id, "type": "Scope"}
        for scope_id in sorted(GRAPH_DELEGATED_SCOPES[s] for s in graph_scopes)
    ]
    return [{"resource_app_id": MICROSOFT_GRAPH_APP_ID, "resource_accesses": accesses}]


def _optional_claims(claims: OptionalClaims | None) -> azuread.ApplicationOptionalClaimsArgs | None:
    """Entra optional claims; `fhirUser` is left out: it comes from the claims mapping policy."""
    if claims is None:
        return None
    id_token = sorted(set(claims.id_token) - {FHIR_USER_CLAIM})
    access_token = sorted(set(claims.access_token) - {FHIR_USER_CLAIM})
    if not id_token and not access_token:
        return None
    return azuread.ApplicationOptionalClaimsArgs(
        id_tokens=[azuread.ApplicationOptionalClaimsIdTokenArgs(name=n) for n in id_token] or None,
        access_tokens=[
            azuread.ApplicationOptionalClaimsAccessTokenArgs(name=n) for n in access_token
        ]
        or None,
    )


def _required_resource_accesses(
    resource_app_id: pulumi.Input[str],
    scope_ids: dict[str, str],
    role_ids: dict[str, str],
    scopes: tuple[str, ...],
    roles: tuple[str, ...],
) -> list[dict[str, Any]]:
    """The API permissions block: delegated scopes as `Scope`, app roles as `Role`, sorted."""
    accesses = [{"id": _lookup(scope_ids, s, "scope"), "type": "Scope"} for s in scopes]
    accesses += [{"id": _lookup(role_ids, r, "role"), "type": "Role"} for r in roles]
    if not accesses:
        return []
    accesses.sort(key=lambda access: (access["id"], access["type"]))
    return [{"resource_app_id": resource_app_id, "resource_accesses": accesses}]


def _lookup(ids: dict[str, str], value: str, what: str) -> str:
    """The id of scope or role `value`; the config check's own words when it is not defined."""
    try:
        return ids[value]
    except KeyError:
        source = "fhirServer.appRoles" if what == "role" else "fhirServer.scopes"
        raise StackError(undefined_value_problem(what, value, source, sorted(ids))) from None
