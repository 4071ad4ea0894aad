"""The checks of `fhirServer`: per kind (the open-source server, whose resource app this stack
creates, or a managed service whose first-party app belongs to Microsoft), its roles, scopes,
pinned ids, consent texts and, for AHDS, the service this stack deploys."""

from __future__ import annotations

from typing import assert_never

from fhir_apps.fhir_constants import FHIR_RBAC_ROLES, USER_IMPERSONATION
from fhir_apps.ids import derived_id
from fhir_apps.rules.azure import (
    ahds_name_problem,
    ahds_service_url,
    ahds_url_problem,
    azure_api_for_fhir_url_problem,
    deploy_kind_problem,
    location_problem,
    resource_group_name_problem,
    resource_id_problem,
    storage_account_name_problem,
    tag_problems,
)
from fhir_apps.rules.permissions import (
    allowed_member_types_problem,
    app_role_text_problem,
    roles_and_scopes_overlap,
)
from fhir_apps.rules.text import (
    case_insensitive_duplicates,
    display_name_problem,
    duplicate_indices,
    unsafe_text_problem,
)
from fhir_apps.rules.urls import (
    access_token_version_problem,
    api_identifier_uri_problem,
    cors_origin_problem,
    identifier_uri_problem,
)
from fhir_apps.safeio.text import shown
from fhir_apps.spec.model import (
    FhirServer,
    ScopeDetails,
    ServiceClient,
    Spec,
)
from fhir_apps.spec.semantics.common import (
    Found,
    allowed,
    camel,
    check_owners,
    check_values,
    first_party_note,
)
from fhir_apps.spec.semantics.import_ids import check_server_import_ids
from fhir_apps.spec.semantics.smart import check_smart, check_smart_only_keys, check_smart_scopes
from fhir_apps.spec.yamlio import Path_


def defined_values(server: FhirServer) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(the roles, the scopes) that clients and assignments may request of `server`."""
    if not server.is_managed():
        return server.app_roles, server.exposed_scopes()
    if server.smart_app():
        # The SMART resource app this stack creates exposes fhirServer.scopes and the presets;
        # a service client's roles are FHIR RBAC roles or the app's own roles (system.*).
        return (*FHIR_RBAC_ROLES, *server.app_roles), server.exposed_scopes()
    return tuple(FHIR_RBAC_ROLES), (USER_IMPERSONATION,)


def check_server(spec: Spec, server: FhirServer, found: Found) -> None:
    """Every problem of `fhirServer`."""
    base: Path_ = ("fhirServer",)
    if server.display_name is not None:
        problem = display_name_problem(server.display_name)
        if problem:
            found.append(((*base, "displayName"), problem))
    check_owners(server.owners, (*base, "owners"), found)
    check_server_import_ids(server, base, found)
    match server.kind:
        case "oss":
            _oss_server(spec, server, base, found)
        case "ahds" | "azure-api-for-fhir":
            _managed_server(spec, server, base, found)
        case _:
            assert_never(server.kind)
    check_smart_only_keys(server, base, found)
    _details(server, base, found)
    if not server.is_managed():
        for name in ("deploy", "resource_id", "access_policies"):
            if getattr(server, name) is not None:
                found.append(
                    (
                        (*base, camel(name)),
                        "applies only to a managed FHIR service (kind ahds or azure-api-for-fhir)",
                    )
                )
        if server.smart:
            found.append(
                (
                    (*base, "smart"),
                    "applies only to a managed FHIR service (kind ahds or azure-api-for-fhir); "
                    "the open-source server configures SMART on FHIR itself",
                )
            )


def _oss_server(spec: Spec, server: FhirServer, base: Path_, found: Found) -> None:
    if server.url is None:
        found.append(
            (
                (*base, "url"),
                "is required for kind oss: the FHIR server's URL, which becomes the identifier "
                "URI and the token audience",
            )
        )
    else:
        tenant_id = str(spec.tenant.id) if spec.tenant.id else None
        domains = spec.tenant.verified_domains
        problem = identifier_uri_problem(server.url, domains)
        if problem is None and server.access_token_version == 1:
            # Entra's default policy leaves apps with v2 tokens out of the api:// forms.
            problem = api_identifier_uri_problem(server.url, domains, tenant_id)
        if problem:
            found.append(((*base, "url"), problem))
        problem = access_token_version_problem(server.access_token_version, server.url)
        if problem:
            found.append(((*base, "accessTokenVersion"), problem))
    check_values(server.scopes, (*base, "scopes"), "scope", found)
    if USER_IMPERSONATION not in server.scopes:
        found.append(
            (
                (*base, "scopes"),
                f"must include '{USER_IMPERSONATION}', the scope clients ask for to call the "
                "FHIR server as the signed-in user",
            )
        )
    _role_values(server, base, found)
    _pins(server, base, found)


def _role_values(server: FhirServer, base: Path_, found: Found) -> None:
    """App role values: Entra's rules, no two differing only in case, and a value that is also
    a scope only as the pair Entra accepts (`_pairs`)."""
    check_values(server.app_roles, (*base, "appRoles"), "role", found)
    for index, earlier in case_insensitive_duplicates(server.app_roles):
        found.append(
            (
                (*base, "appRoles", index),
                f"'{server.app_roles[index]}' differs from '{earlier}' only in case; the FHIR "
                "server matches roles case-insensitively, so keep one",
            )
        )
    _pairs(server, base, found)


def _pairs(server: FhirServer, base: Path_, found: Found) -> None:
    """A value that is both an app role and a scope (Microsoft's SMART sample: user.all.read):
    Entra accepts it only with one id and matching texts. fhir-apps gives the role the scope's id
    and its admin consent texts, so only what the config sets can break the pair."""
    scopes = server.exposed_scopes()
    for value in roles_and_scopes_overlap(server.app_roles, scopes):
        scope_id = str(server.ids.scopes.get(value) or derived_id("scope", value))
        pinned = server.ids.roles.get(value)
        if pinned is not None and str(pinned) != scope_id:
            found.append(
                (
                    (*base, "ids", "roles", value),
                    f"'{value}' is both an app role and a scope, which Entra accepts only with "
                    f"one id: pin it under ids.scopes only (the role takes the scope's id "
                    f"{scope_id})",
                )
            )
        role = server.role_details.get(value)
        scope = server.scope_details.get(value)
        for role_key, role_text, scope_key, scope_text in (
            (
                "displayName",
                role.display_name if role else None,
                "adminConsentDisplayName",
                scope.admin_consent_display_name if scope else None,
            ),
            (
                "description",
                role.description if role else None,
                "adminConsentDescription",
                scope.admin_consent_description if scope else None,
            ),
        ):
            if scope_text == "":
                found.append(
                    (
                        (*base, "scopeDetails", value, scope_key),
                        f"'{value}' is also an app role, whose {role_key} Entra requires and "
                        f"takes from the scope's {scope_key}: give it a text",
                    )
                )
            elif role_text is not None and role_text != scope_text:
                found.append(
                    (
                        (*base, "roleDetails", value, role_key),
                        f"'{value}' is both an app role and a scope, which Entra accepts only "
                        f"when the role's {role_key} equals the scope's {scope_key}; leave it "
                        f"out (the role takes the scope's) or set the same text in "
                        f"fhirServer.scopeDetails.{value}",
                    )
                )


def _pins(server: FhirServer, base: Path_, found: Found) -> None:
    for group, defined, what in (
        ("roles", server.app_roles, "fhirServer.appRoles"),
        ("scopes", server.exposed_scopes(), "fhirServer.scopes"),
    ):
        for name in sorted(getattr(server.ids, group)):
            if name not in defined:
                found.append(
                    (
                        (*base, "ids", group, name),
                        f"pins the id of '{name}', which {what} does not define; defined: "
                        f"{allowed(defined)}",
                    )
                )
    owner: dict[str, tuple[str, str]] = {}
    for group in ("roles", "scopes"):
        for name, value in sorted(getattr(server.ids, group).items()):
            text = str(value)
            if text in owner and owner[text][1] != name:  # a role/scope pair shares its id
                other_group, other = owner[text]
                found.append(
                    (
                        (*base, "ids", group, name),
                        f"id {text} is already pinned for {other_group} '{other}'; every role "
                        "and scope needs its own id",
                    )
                )
            else:
                owner[text] = (group[:-1], name)


def _details(server: FhirServer, base: Path_, found: Found) -> None:
    """scopeDetails and roleDetails describe defined values, on a resource app this stack makes."""
    first_party = first_party_note(server)
    if server.scope_details and server.is_managed() and not server.smart_app():
        found.append(
            (
                (*base, "scopeDetails"),
                f"applies only to kind oss, or to the SMART resource app (kind ahds with smart "
                f"and deploy): for kind {server.kind} {first_party}; remove it",
            )
        )
    elif server.scope_details:
        exposed = server.exposed_scopes()
        for name in sorted(server.scope_details):
            _consent_names(server.scope_details[name], (*base, "scopeDetails", name), found)
            if name not in exposed:
                found.append(
                    (
                        (*base, "scopeDetails", name),
                        f"describes '{name}', which fhirServer.scopes does not define; defined: "
                        f"{allowed(server.scopes)}",
                    )
                )
    if server.is_managed():
        # The SMART app requires no app role assignment: users sign in to SMART apps without
        # one (the service checks Azure RBAC); a first-party app is not ours to change.
        what = (
            "the SMART resource app never requires an app role (users hold Azure RBAC roles)"
            if server.smart_app()
            else first_party
        )
        set_here = [("roleDetails", bool(server.role_details) and not server.smart_app())]
        set_here.append(
            ("appRoleAssignmentRequired", "app_role_assignment_required" in server.model_fields_set)
        )
        for key, is_set in set_here:
            if is_set:
                found.append(((*base, key), f"applies only to kind oss: {what}; remove it"))
        if not server.smart_app():
            return
    for name, details in sorted(server.role_details.items()):
        path: Path_ = (*base, "roleDetails", name)
        if name not in server.app_roles:
            found.append(
                (
                    path,
                    f"describes '{name}', which fhirServer.appRoles does not define; defined: "
                    f"{allowed(server.app_roles)}",
                )
            )
        for key, text in (
            ("displayName", details.display_name),
            ("description", details.description),
        ):
            problem = app_role_text_problem(text) if text is not None else None
            if problem is None and text is not None and key == "displayName":
                problem = unsafe_text_problem(text)
            if problem:
                found.append(((*path, key), problem))
        members = details.allowed_member_types
        problem = allowed_member_types_problem(members)
        if problem:
            found.append(((*path, "allowedMemberTypes"), problem))
        for index in duplicate_indices(members):
            found.append(
                (
                    (*path, "allowedMemberTypes", index),
                    f"'{members[index]}' is listed twice; list it once",
                )
            )


def _consent_names(details: ScopeDetails, path: Path_, found: Found) -> None:
    """The names a consent prompt shows for a scope: nothing that hides or reorders text.
    (Descriptions may run over several lines, so only the one-line names are checked.)"""
    for key, text in (
        ("adminConsentDisplayName", details.admin_consent_display_name),
        ("userConsentDisplayName", details.user_consent_display_name),
    ):
        problem = unsafe_text_problem(text) if text is not None else None
        if problem:
            found.append(((*path, key), problem))


def _managed_server(spec: Spec, server: FhirServer, base: Path_, found: Found) -> None:
    if server.url is not None:
        if server.kind == "ahds":
            problem = ahds_url_problem(server.url)
        else:
            problem = azure_api_for_fhir_url_problem(server.url)
        if problem:
            found.append(((*base, "url"), problem))
        elif server.kind == "ahds" and server.deploy is not None:
            expected = ahds_service_url(server.deploy.workspace, server.deploy.service)
            if server.url.rstrip("/") != expected:
                found.append(
                    (
                        (*base, "url"),
                        f"does not match fhirServer.deploy (workspace '{server.deploy.workspace}', "
                        f"service '{server.deploy.service}'): expected {expected}; or leave url "
                        "out",
                    )
                )
    elif not (server.kind == "ahds" and server.deploy is not None):
        hint = "https://<workspace>-<service>.fhir.azurehealthcareapis.com (or set deploy)"
        if server.kind != "ahds":
            hint = "https://<name>.azurehealthcareapis.com"
        found.append(((*base, "url"), f"is required for kind {server.kind}: {hint}"))
    first_party = first_party_note(server)
    if server.smart_app():
        check_smart_scopes(server, base, found)
        _role_values(server, base, found)
        _pins(server, base, found)
    else:
        if server.app_roles:
            found.append(
                (
                    (*base, "appRoles"),
                    f"must be empty for kind {server.kind}: {first_party}; give clients FHIR "
                    "RBAC roles with roles or assignments",
                )
            )
        if server.scopes != (USER_IMPERSONATION,):
            found.append(
                (
                    (*base, "scopes"),
                    f"for kind {server.kind} the only scope is {USER_IMPERSONATION} "
                    f"({first_party}); remove scopes",
                )
            )
        if server.scope_presets:
            found.append(
                (
                    (*base, "scopePresets"),
                    f"applies only to a resource app this stack creates (kind oss, or smart: "
                    f"true): {first_party}; remove it",
                )
            )
        if server.ids.roles or server.ids.scopes:
            found.append(((*base, "ids"), f"cannot pin ids for kind {server.kind}: {first_party}"))
    if server.access_token_version != 1:
        found.append(
            (
                (*base, "accessTokenVersion"),
                f"applies only to kind oss: {first_party}; remove it",
            )
        )
    if server.display_name is not None or server.import_ids.application is not None:
        name = "displayName" if server.display_name is not None else "importIds"
        found.append(((*base, name), f"applies only to kind oss: {first_party}; remove it"))
    problem = deploy_kind_problem(server.kind) if server.deploy is not None else None
    if problem:
        found.append(((*base, "deploy"), problem))
    if server.deploy is not None and server.resource_id is not None:
        found.append(
            (
                (*base, "resourceId"),
                "set either deploy (this stack deploys the FHIR service) or resourceId (an "
                "existing one), not both",
            )
        )
    if server.resource_id is not None:
        problem = resource_id_problem(server.resource_id, server.kind)
        if problem:
            found.append(((*base, "resourceId"), problem))
    if server.access_policies is not None and server.kind != "azure-api-for-fhir":
        found.append(
            (
                (*base, "accessPolicies"),
                "applies only to kind azure-api-for-fhir; for ahds use roles and assignments "
                "(Azure RBAC)",
            )
        )
    if server.access_policies is not None:
        check_owners(
            server.access_policies.object_ids, (*base, "accessPolicies", "objectIds"), found
        )
    if server.deploy is not None:
        _deploy(server, (*base, "deploy"), found)
    check_smart(spec, server, base, found)
    _rbac_scope(spec, server, base, found)


def _deploy(server: FhirServer, base: Path_, found: Found) -> None:
    deploy = server.deploy
    assert deploy is not None
    for key, value, what in (
        ("workspace", deploy.workspace, "workspace"),
        ("service", deploy.service, "FHIR service"),
    ):
        problem = ahds_name_problem(value, what)
        if problem:
            found.append(((*base, key), problem))
    problem = resource_group_name_problem(deploy.resource_group)
    if problem:
        found.append(((*base, "resourceGroup"), problem))
    problem = location_problem(deploy.location)
    if problem:
        found.append(((*base, "location"), problem))
    if deploy.export_storage_account is not None:
        problem = storage_account_name_problem(deploy.export_storage_account)
        if problem:
            found.append(((*base, "exportStorageAccount"), problem))
    for index, origin in enumerate(deploy.cors_origins):
        problem = cors_origin_problem(origin)
        if problem:
            found.append(((*base, "corsOrigins", index), problem))
    for index in duplicate_indices(deploy.cors_origins):
        found.append(
            (
                (*base, "corsOrigins", index),
                f"'{shown(deploy.cors_origins[index])}' is listed twice",
            )
        )
    for name, problem in tag_problems(dict(deploy.tags)):
        found.append(((*base, "tags", name) if name is not None else (*base, "tags"), problem))


def _rbac_scope(spec: Spec, server: FhirServer, base: Path_, found: Found) -> None:
    """RBAC needs a scope: the deployed service, or an existing one named by resourceId."""
    if server.deploy is not None or server.resource_id is not None:
        return
    granted = [
        f"clients.{key}.roles"
        for key, client in sorted(spec.clients.items())
        if isinstance(client, ServiceClient) and client.roles
    ]
    if spec.assignments:
        granted.append("assignments")
    if granted:
        example = (
            ".../Microsoft.HealthcareApis/workspaces/<workspace>/fhirservices/<service>"
            if server.kind == "ahds"
            else ".../Microsoft.HealthcareApis/services/<name>"
        )
        found.append(
            (
                (*base, "resourceId"),
                f"is required for kind {server.kind} to grant the FHIR RBAC roles of "
                f"{', '.join(granted)}: role assignments are made at the FHIR service's scope "
                f"({example})" + ("; or set deploy" if server.kind == "ahds" else ""),
            )
        )
