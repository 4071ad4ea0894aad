"""The FHIR resource app's config block: its URL, scopes, roles, their ids and texts, exactly
as Entra has them, so that adoption changes nothing there that a finding does not announce.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from fhir_apps import rules
from fhir_apps.adopt.about import about_block, kept_paths
from fhir_apps.adopt.classify import redirect_uris
from fhir_apps.adopt.context import App, Context, refuse
from fhir_apps.adopt.credentials import left_alone
from fhir_apps.adopt.owners import SERVER_KEY, exported_owners, import_ids, owner_findings
from fhir_apps.adopt.platforms import web_urls
from fhir_apps.adopt.unmanaged import common, implicit_grant, other_resource, provider_written
from fhir_apps.safeio.text import shown

__all__ = ["USER_IMPERSONATION", "server_block"]

USER_IMPERSONATION: Final = "user_impersonation"
# Graph's consent texts of a scope, also the keys of `fhirServer.scopeDetails`.
_SCOPE_TEXTS: Final = (
    "adminConsentDisplayName",
    "adminConsentDescription",
    "userConsentDisplayName",
    "userConsentDescription",
)


def server_block(ctx: Context, app: App, audience: str) -> dict[str, Any]:
    """`fhirServer` for the resource app `app` whose identifier URI is `audience`; sets
    `ctx.scope_ids` and `ctx.role_ids` (what clients' permissions resolve against)."""
    api = app.get("api") or {}
    scope_items = api.get("oauth2PermissionScopes") or []
    scopes = _permissions(ctx, app, scope_items, "scope")
    roles = _permissions(ctx, app, app.get("appRoles") or [], "role")
    _pairs(app, scope_items, app.get("appRoles") or [], scopes, roles)
    _server_findings(ctx, app, audience, scopes)
    about = about_block(app)
    # The config's fhirServer.acceptMappedClaims and fhirServer.about.
    kept = frozenset({"api.acceptMappedClaims", *kept_paths(about)})
    provider_written(app, ctx.sps.get(app["appId"]), ctx.add, kept)
    version = api.get("requestedAccessTokenVersion") or 1
    problem = rules.access_token_version_problem(version, audience)
    if problem:
        ctx.add(
            app, "api.requestedAccessTokenVersion", f"{version} {problem}: set to 1", change=True
        )
        version = 1
    block: dict[str, Any] = {
        "kind": "oss",
        "url": audience,
        "displayName": app["displayName"],
        **({"about": about} if about else {}),
        "accessTokenVersion": version,
        "appRoles": sorted(roles),
        "scopes": sorted({*scopes, USER_IMPERSONATION}),
        "ids": {"roles": dict(sorted(roles.items())), "scopes": dict(sorted(scopes.items()))},
    }
    if api.get("acceptMappedClaims") is True:  # claims mapping policies rely on it (SMART)
        block["acceptMappedClaims"] = True
    # Every text, type and member type exactly as Entra has it: adoption changes none of them.
    scope_details = _scope_details(ctx, scope_items, scopes)
    if scope_details:
        block["scopeDetails"] = scope_details
    role_details = _role_details(ctx, app, app.get("appRoles") or [], roles)
    if role_details:
        block["roleDetails"] = role_details
    required = (ctx.resource_sp or {}).get("appRoleAssignmentRequired")
    if isinstance(required, bool):
        block["appRoleAssignmentRequired"] = required
    owners = exported_owners(ctx, app)
    if owners:
        block["owners"] = owners
    owner_findings(ctx, app, owners)
    block["importIds"] = import_ids(ctx, app)
    ctx.scope_ids, ctx.role_ids = scopes, roles
    return block


def _server_findings(ctx: Context, app: App, audience: str, scopes: dict[str, str]) -> None:
    """What the resource app has that its block does not carry, and what the first up changes."""
    if USER_IMPERSONATION not in scopes:
        ctx.add(
            app,
            "api.oauth2PermissionScopes",
            f"has no enabled '{USER_IMPERSONATION}' scope, which clients ask for to call the "
            "FHIR server as the signed-in user: adoption adds it",
            change=True,
        )
    for uri in app.get("identifierUris") or []:
        if uri != audience:
            ctx.add(
                app,
                "identifierUris",
                f"'{shown(uri)}' is removed: the config has one identifier URI, the server "
                f"URL {shown(audience)} (tokens requested for '{shown(uri)}' stop being "
                "issued)",
                change=True,
            )
    for platform in ("web", "spa", "publicClient"):
        for uri in redirect_uris(app, platform):
            ctx.add(
                app,
                f"{platform}.redirectUris",
                f"'{shown(uri)}' is removed: the FHIR API signs no one in itself",
                change=True,
            )
    web_urls(ctx, app, keep=False)
    implicit_grant(app, ctx.add)
    for entry in app.get("requiredResourceAccess") or []:
        other_resource(app, entry, "the FHIR resource app asks for no permissions", ctx.add)
    common(app, ctx.add, resource_app=True)
    left_alone(app, "the FHIR resource app has no credential in the config", ctx.add)


def _permissions(
    ctx: Context, app: App, items: Sequence[dict[str, Any]], what: str
) -> dict[str, str]:
    """`{value: id}` of the enabled scopes or roles the config can carry; others reported."""
    prop = "api.oauth2PermissionScopes" if what == "scope" else "appRoles"
    kept: dict[str, str] = {}
    for item in items:
        value, item_id = item.get("value"), item.get("id")
        if not value:
            ctx.add(
                app, prop, f"{what} {shown(item_id)} has no value: adoption removes it", change=True
            )
            continue
        if item.get("isEnabled") is False:
            ctx.add(
                app,
                prop,
                f"{what} '{shown(value)}' is disabled: adoption removes it (it grants nothing "
                "now); to keep it, enable it and run adopt again",
                change=True,
            )
            continue
        problems = rules.permission_value_problems(value, what)
        if problems:
            message = f"'{shown(value)}': {'; '.join(problems)}: adoption removes it"
            ctx.add(app, prop, message, change=True)
            continue
        kept[str(value)] = str(item_id)
    return kept


def _pairs(
    app: App,
    scope_items: Sequence[dict[str, Any]],
    role_items: Sequence[dict[str, Any]],
    scopes: dict[str, str],
    roles: dict[str, str],
) -> None:
    """A value that is both an app role and a scope (Microsoft's SMART sample: user.all.read) is
    kept as both when it is a pair Entra accepts (same id, the role's texts equal to the scope's
    admin consent texts, both enabled); anything else is refused with the rule's words."""
    for value in sorted(set(scopes) & set(roles)):
        scope = next(s for s in scope_items if s.get("value") == value)
        role = next(r for r in role_items if r.get("value") == value)
        problem = rules.role_scope_pair_problem(
            {
                "id": role.get("id"),
                "displayName": role.get("displayName"),
                "description": role.get("description"),
                "enabled": role.get("isEnabled") is not False,
            },
            {
                "id": scope.get("id"),
                "adminConsentDisplayName": scope.get("adminConsentDisplayName"),
                "adminConsentDescription": scope.get("adminConsentDescription"),
                "enabled": scope.get("isEnabled") is not False,
            },
        )
        refuse(app, f"'{shown(value)}', an app role and a scope,", problem)


def _scope_details(
    ctx: Context, items: Sequence[dict[str, Any]], kept: dict[str, str]
) -> dict[str, dict[str, Any]]:
    """`scopeDetails` of each kept scope: its type and texts (`""` for Graph's null)."""
    details: dict[str, dict[str, Any]] = {}
    for item in items:
        value = str(item.get("value"))
        if kept.get(value) != str(item.get("id")):
            continue
        details[value] = {
            "type": "Admin" if item.get("type") == "Admin" else "User",
            **{key: str(item.get(key) or "") for key in _SCOPE_TEXTS},
        }
        # The names a consent prompt shows: the config check refuses what hides text there.
        for key in ("adminConsentDisplayName", "userConsentDisplayName"):
            problem = rules.unsafe_text_problem(details[value][key])
            refuse(ctx.resource, f"scope '{shown(value)}' {key}", problem)
    return dict(sorted(details.items()))


def _role_details(
    ctx: Context, app: App, items: Sequence[dict[str, Any]], kept: dict[str, str]
) -> dict[str, dict[str, Any]]:
    """`roleDetails` of each kept role: its texts and member types (reported if unusable)."""
    details: dict[str, dict[str, Any]] = {}
    for item in items:
        value = str(item.get("value"))
        if kept.get(value) != str(item.get("id")):
            continue
        entry: dict[str, Any] = {}
        for key in ("displayName", "description"):
            text = str(item.get(key) or "")
            if key == "displayName":  # the config check refuses what hides a role's name
                refuse(app, f"role '{shown(value)}' displayName", rules.unsafe_text_problem(text))
            if rules.app_role_text_problem(text) is None:
                entry[key] = text
            else:
                ctx.add(
                    app,
                    "appRoles",
                    f"role '{value}' has no {key}, which Entra requires: adoption writes "
                    f"fhir-apps' text (`render` shows it on {SERVER_KEY}-app); set one in Entra "
                    "and run adopt again to keep yours",
                    change=True,
                )
        members = sorted(set(item.get("allowedMemberTypes") or []))
        problem = rules.allowed_member_types_problem(members)
        if problem is None:
            entry["allowedMemberTypes"] = members
        else:
            ctx.add(
                app,
                "appRoles",
                f"role '{value}' allowedMemberTypes {problem}: adoption allows Application "
                "and User",
                change=True,
            )
        details[value] = entry
    return dict(sorted(details.items()))
