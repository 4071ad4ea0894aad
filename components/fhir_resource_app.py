"""The FHIR API as Entra sees it: the resource application whose audience tokens carry.

For the open-source server (`oss`) this component creates the application (identifier URI = the
server URL, delegated scopes, app roles) and its service principal. For the managed services
(`ahds`, `azure-api-for-fhir`) Entra already holds the first-party "Azure Healthcare APIs"
application: it is looked up, never created, and its scope ids are read from the tenant.

The one exception is SMART on FHIR on an AHDS service (`smart: true`): as in Microsoft's SMART
sample (Azure-Samples/azure-health-data-and-ai-samples, smartonfhir-smart-v2, "FHIR Resource App
Registration"), a custom resource application exposes the SMART scopes (written with dots) and the
FHIR service's audience points at its identifier URI: Microsoft cannot allow claims mapping on
its first-party app, and SMART needs the fhirUser claim (`components.claims_mapping`). It is
created like the oss app: it accepts mapped claims, its app roles are for backend services
(`system.*`; users hold Azure RBAC roles at the service), and it never requires an app role
assignment. A value that is both an app role and a scope (the sample's `user.all.read`) is the
pair Entra accepts: the role takes the scope's id and admin consent texts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_azuread as azuread

from components.errors import StackError
from fhir_apps import ids
from fhir_apps.endpoints import authority
from fhir_apps.fhir_constants import AZURE_HEALTHCARE_APIS_APP_ID, USER_IMPERSONATION
from fhir_apps.rules.permissions import app_role_text_problem
from fhir_apps.spec.model import FhirServer, FhirServerKind, RoleDetails, ScopeDetails

__all__ = ["FhirResourceApp", "FhirResourceAppArgs", "server_audience"]

TYPE = "fhir-apps:fhir_resource_app:FhirResourceApp"


def server_audience(server: FhirServer) -> str:
    """The token audience of `server` (`FhirServer.audience()`); StackError when it has none."""
    audience = server.audience()
    if audience is None:
        # The config rules report this first, with the file; this keeps the component honest.
        raise StackError(
            f"fhirServer.url: required for kind {server.kind!r} unless the stack deploys the "
            "service (it is the token audience)"
        )
    return audience


@dataclass(frozen=True, kw_only=True)
class FhirResourceAppArgs:
    """Inputs of FhirResourceApp.

    server: the spec's `fhirServer` (kind, URL, scopes, roles, pinned ids, import ids).
    display_name: the resource application's display name (oss only).
    owners: object ids owning the application and service principal, sorted (oss only).
    tenant_id: the tenant whose authority issues the tokens.
    protect: Pulumi `protect` on the application and its service principal (oss only); set for
        environments marked `protected`, where deleting the API would cut off every client.
    audience: the token audience when it is not the server URL: the SMART resource app's
        identifier URI (`Spec.audience()`); default `server.audience()`.
    """

    server: FhirServer
    display_name: str
    owners: pulumi.Input[Sequence[str]]
    tenant_id: pulumi.Input[str]
    protect: bool = False
    audience: str | None = None


class FhirResourceApp(pulumi.ComponentResource):
    """The resource application of the FHIR server and its service principal.

    Outputs:
        audience: the token audience (identifier URI); also the prefix of every scope string.
        authority: `https://login.microsoftonline.com/<tenant>`.
        client_id: the resource application's appId (the first-party appId for managed kinds).
        service_principal_object_id: object id of its service principal in this tenant.
        scope_ids: `{scope value: id}` for the scopes of the spec.
        role_ids: `{role value: id}` for the app roles (empty for managed kinds: they use RBAC).

    Besides the outputs, the ids as plain values where they are fixed before deployment (uuid5
    or pinned: the app this stack creates): `planned_scope_ids` (None for the first-party app of
    a managed service, whose scope ids are looked up at deployment) and `planned_role_ids`.
    Clients build their permissions from these, not from the outputs: an input computed in an
    `apply` costs the SDK a chain of outputs and tasks per nested value, for ids known already.
    """

    audience: str
    authority: pulumi.Output[str]
    client_id: pulumi.Output[str]
    application_object_id: pulumi.Output[str] | None
    service_principal_id: pulumi.Output[str]
    service_principal_object_id: pulumi.Output[str]
    scope_ids: pulumi.Output[dict[str, str]]
    role_ids: pulumi.Output[dict[str, str]]
    planned_scope_ids: dict[str, str] | None
    planned_role_ids: dict[str, str]

    def __init__(
        self, name: str, args: FhirResourceAppArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(TYPE, name, None, opts)
        self.kind: FhirServerKind = args.server.kind
        self.managed = args.server.is_managed()
        self.audience = args.audience or server_audience(args.server)
        if args.server.creates_resource_app():
            self._create_resource_app(name, args)
        else:
            self._look_up_first_party(args)
        self.authority = pulumi.Output.from_input(args.tenant_id).apply(authority)
        self.register_outputs(
            {
                "audience": self.audience,
                "authority": self.authority,
                "client_id": self.client_id,
                "service_principal_object_id": self.service_principal_object_id,
                "scope_ids": self.scope_ids,
                "role_ids": self.role_ids,
            }
        )

    def _create_resource_app(self, name: str, args: FhirResourceAppArgs) -> None:
        server = args.server
        smart = server.smart_app()
        scope_ids = ids.ids_for("scope", server.exposed_scopes(), server.ids.scopes)
        role_ids = ids.ids_for("role", server.app_roles, server.ids.roles)
        # A role/scope pair shares one id (Entra refuses the pair otherwise): the scope's.
        role_ids.update({value: scope_ids[value] for value in role_ids if value in scope_ids})
        label = args.display_name
        scopes = {
            value: _scope(
                value,
                scope_id,
                label,
                self.audience,
                server.scope_details.get(value) or ScopeDetails(),
            )
            for value, scope_id in scope_ids.items()
        }
        app = azuread.Application(
            f"{name}-app",
            azuread.ApplicationArgs(
                display_name=args.display_name,
                # Notes, description and links (fhirServer.about): an adopted app keeps its own.
                **server.about.application_args(),
                sign_in_audience="AzureADMyOrg",
                # Managed inline only: never together with ApplicationIdentifierUri (it would
                # fight this list and Entra loses one of them: pulumi-azuread #1036).
                identifier_uris=[self.audience],
                api=azuread.ApplicationApiArgs(
                    requested_access_token_version=server.access_token_version,
                    oauth2_permission_scopes=list(scopes.values()),
                    # The fhirUser claim comes from a claims mapping policy, which Entra applies
                    # only to an app that accepts mapped claims (else AADSTS50146).
                    mapped_claims_enabled=(True if smart or server.accept_mapped_claims else None),
                ),
                app_roles=[
                    _role(
                        value,
                        role_id,
                        label,
                        self.audience,
                        server.role_details.get(value) or RoleDetails(),
                        paired=scopes.get(value),
                    )
                    for value, role_id in role_ids.items()
                ],
                # An API signs no one in itself; keep the web platform's implicit grant off.
                web=azuread.ApplicationWebArgs(
                    implicit_grant=azuread.ApplicationWebImplicitGrantArgs(
                        access_token_issuance_enabled=False, id_token_issuance_enabled=False
                    )
                ),
                owners=args.owners,
                prevent_duplicate_names=True,
            ),
            opts=pulumi.ResourceOptions(
                parent=self,
                protect=args.protect,
                import_=server.import_ids.application,
                # A replacement would create a second app with the same display name
                # (prevent_duplicate_names refuses) and the same identifier URI (Entra refuses).
                delete_before_replace=True,
            ),
        )
        service_principal = azuread.ServicePrincipal(
            f"{name}-sp",
            azuread.ServicePrincipalArgs(
                client_id=app.client_id,
                # The open-source server authorizes by the `roles` claim only, so a principal
                # without an app role would be refused anyway; refusing the token at Entra is
                # earlier and shows up in the sign-in logs (the default; an adopted app keeps its
                # own setting, which the first `up` would change otherwise). The SMART app of an
                # AHDS service never requires one: users sign in to SMART apps holding Azure RBAC
                # roles only; its app roles are for backend services.
                app_role_assignment_required=(
                    not server.is_managed() and server.app_role_assignment_required
                ),
                owners=args.owners,
            ),
            opts=pulumi.ResourceOptions(
                parent=self, protect=args.protect, import_=server.import_ids.service_principal
            ),
        )
        self.client_id = app.client_id
        self.application_object_id = app.object_id
        self.service_principal_id = service_principal.id
        self.service_principal_object_id = service_principal.object_id
        self.planned_scope_ids = scope_ids
        self.planned_role_ids = role_ids
        self.scope_ids = pulumi.Output.from_input(scope_ids)
        self.role_ids = pulumi.Output.from_input(role_ids)

    def _look_up_first_party(self, args: FhirResourceAppArgs) -> None:
        # The azure-api-for-fhir retirement warning comes from the spec loader, with the file.
        first_party = azuread.get_service_principal_output(
            client_id=AZURE_HEALTHCARE_APIS_APP_ID, opts=pulumi.InvokeOutputOptions(parent=self)
        )
        wanted = tuple(sorted(set(args.server.scopes)))
        self.client_id = pulumi.Output.from_input(AZURE_HEALTHCARE_APIS_APP_ID)
        self.application_object_id = None  # Microsoft's application, in Microsoft's tenant
        self.service_principal_id = first_party.object_id
        self.service_principal_object_id = first_party.object_id
        self.scope_ids = first_party.oauth2_permission_scopes.apply(
            lambda scopes: _published_scope_ids(scopes, wanted)
        )
        self.planned_scope_ids = None
        # Managed FHIR services authorize with Azure RBAC, not app roles.
        self.planned_role_ids = {}
        self.role_ids = pulumi.Output.from_input({})


def _scope(
    value: str, scope_id: str, server: str, audience: str, details: ScopeDetails
) -> azuread.ApplicationApiOauth2PermissionScopeArgs:
    # Consent texts name the server and its audience: an admin consenting in a tenant with
    # several FHIR servers must see which one the permission opens. Texts in scopeDetails win
    # (an adopted app keeps its own, which the first `up` would rewrite otherwise); "" there
    # means no text at all.
    action = "call" if value == USER_IMPERSONATION else f"use {value} on"
    title = (
        f"Access {server} as the signed-in user"
        if value == USER_IMPERSONATION
        else f"{value} on {server}"
    )
    allows = f"Allows the app to {action} the FHIR server {server} ({audience})"
    return azuread.ApplicationApiOauth2PermissionScopeArgs(
        id=scope_id,
        value=value,
        type=details.type,
        enabled=True,
        admin_consent_display_name=_text(details.admin_consent_display_name, title),
        admin_consent_description=_text(
            details.admin_consent_description, f"{allows} on behalf of the signed-in user."
        ),
        user_consent_display_name=_text(details.user_consent_display_name, title),
        user_consent_description=_text(
            details.user_consent_description, f"{allows} on your behalf."
        ),
    )


def _role(
    value: str,
    role_id: str,
    server: str,
    audience: str,
    details: RoleDetails,
    *,
    paired: azuread.ApplicationApiOauth2PermissionScopeArgs | None = None,
) -> azuread.ApplicationAppRoleArgs:
    if paired is not None:
        # Entra accepts a value as both role and scope only with matching texts: the scope's
        # admin consent texts (the config rules refuse role texts that differ).
        display_name = paired.admin_consent_display_name
        description = paired.admin_consent_description
    else:
        display_name = _text(details.display_name, value)
        description = _text(
            details.description, f"{value} on the FHIR server {server} ({audience})"
        )
    return azuread.ApplicationAppRoleArgs(
        id=role_id,
        value=value,
        display_name=_required(display_name, value, "displayName"),
        description=_required(description, value, "description"),
        # Default: daemons (service principals) and people may both hold a role.
        allowed_member_types=sorted(set(details.allowed_member_types)),
        enabled=True,
    )


def _required(text: object, value: str, key: str) -> str:
    """An app role's text, which Entra requires. The config rules refuse "" first, naming the
    file; a paired role takes its scope's admin consent text, a plain string from `_scope` (or
    None for "", which the rules refuse too)."""
    if not isinstance(text, str):
        raise StackError(f"fhirServer.roleDetails.{value}.{key}: {app_role_text_problem('')}")
    return text


def _text(configured: str | None, generated: str) -> str | None:
    """The configured text, fhir-apps' own when none is configured, None (left out) for ""."""
    if configured is None:
        return generated
    return configured or None


def _published_scope_ids(scopes: Sequence[Any], wanted: tuple[str, ...]) -> dict[str, str]:
    """`{value: id}` of the first-party scopes the spec asks for; a missing one is an error."""
    published = {_field(scope, "value"): _field(scope, "id") for scope in scopes or ()}
    missing = [value for value in wanted if value not in published]
    if missing:
        raise StackError(
            f"fhirServer.scopes: {', '.join(missing)} not published by the Azure Healthcare APIs "
            f"service principal ({AZURE_HEALTHCARE_APIS_APP_ID}) in this tenant; it publishes "
            f"{', '.join(sorted(published)) or 'no scopes'}"
        )
    return {value: published[value] for value in wanted}


def _field(item: Any, key: str) -> str:
    # Invoke results arrive as typed objects from the SDK, as plain dicts from some mocks.
    return str(item[key] if isinstance(item, dict) else getattr(item, key))
