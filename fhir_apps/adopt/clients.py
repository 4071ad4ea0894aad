"""Each client's config block: its kind, platform, redirect URIs, permissions, consent and
credential, with a finding for everything the block cannot carry."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Sequence
from typing import Any, Final

from fhir_apps import rules
from fhir_apps.adopt.about import about_block, kept_paths
from fhir_apps.adopt.classify import client_kind, fhir_permissions
from fhir_apps.adopt.context import App, Context, refuse
from fhir_apps.adopt.credentials import credential, federated_import_ids, left_alone
from fhir_apps.adopt.grants import admin_consent, assigned_roles
from fhir_apps.adopt.importids import app_role_assignment_import_id
from fhir_apps.adopt.owners import SERVER_KEY, exported_owners, import_ids, owner_findings
from fhir_apps.adopt.platforms import fallback, other_platforms, redirects, web_urls
from fhir_apps.adopt.signin import MICROSOFT_GRAPH_APP_ID, graph_consent, graph_scopes, kept_claims
from fhir_apps.adopt.unmanaged import (
    client_api,
    common,
    id_token_issuance,
    implicit_grant,
    other_resource,
    provider_written,
)
from fhir_apps.safeio.text import shown

__all__ = ["client_blocks", "client_key"]

_KEY_MAX: Final = 64


def client_key(display_name: str, taken: Iterable[str]) -> str:
    """A stable YAML key from a display name: lowercase, `a-z0-9` and hyphens, unique.

    `Contoso Patient App (SPA)` -> `contoso-patient-app-spa`; a name already taken (or the
    reserved `fhir-server`) gets `-2`, `-3`, ... Keys name Pulumi resources, so they must not
    change between runs: callers pass apps in a fixed order (display name, then object id).
    """
    used = set(taken) | {SERVER_KEY}
    slug = re.sub(r"[^a-z0-9]+", "-", display_name.lower()).strip("-")[:_KEY_MAX].strip("-")
    slug = slug or "client"
    key, number = slug, 2
    while key in used:
        suffix = f"-{number}"
        key = slug[: _KEY_MAX - len(suffix)].rstrip("-") + suffix
        number += 1
    return key


def client_blocks(
    ctx: Context,
) -> tuple[list[tuple[str, App, dict[str, Any]]], list[tuple[str, str]]]:
    """`(key, app, block)` of every client adopted, in key order, and `(display name, reason)`
    of the exported apps that are not clients of the FHIR server."""
    others = sorted(
        (a for a in ctx.export.applications if a["id"] != ctx.resource["id"]),
        key=lambda a: (str(a["displayName"]).lower(), a["id"]),
    )
    adopted: list[tuple[str, App, dict[str, Any]]] = []
    ignored: list[tuple[str, str]] = []
    for app in others:
        permissions = fhir_permissions(app, ctx.resource["appId"])
        assigned = assigned_roles(ctx, app)
        if not permissions and not assigned:
            ignored.append((str(app["displayName"]), "asks for no access to the FHIR server"))
            continue
        kind = client_kind(app, permissions, len(assigned))
        if kind.kind is None:
            ctx.add(app, "(application)", f"not adopted: it {kind.reason}")
            continue
        key = client_key(str(app["displayName"]), (k for k, _, _ in adopted))
        before = len(ctx.findings)
        block = _client(ctx, app, key, kind.kind, kind.platform, permissions, assigned)
        if block is None:
            # An app that is not adopted is left as it is: none of its findings is a change.
            ctx.findings[before:] = [
                dataclasses.replace(f, change=False) for f in ctx.findings[before:]
            ]
            continue
        # Its name goes into the config; one that is not adopted is only shown escaped.
        refuse(app, "displayName", rules.display_name_problem(str(app["displayName"])))
        adopted.append((key, app, block))
    adopted.sort(key=lambda c: c[0])
    return adopted, ignored


def _client(
    ctx: Context,
    app: App,
    key: str,
    kind: str,
    platform: str | None,
    permissions: Sequence[dict[str, Any]],
    assigned: dict[str, str],
) -> dict[str, Any] | None:
    scopes, roles = _requested(ctx, app, permissions)
    block: dict[str, Any] = {"kind": kind}
    if platform is not None:
        block["platform"] = platform
    block["displayName"] = app["displayName"]
    about = about_block(app)
    if about:
        block["about"] = about
    if kind == "confidential":
        if not _confidential(ctx, app, block, roles):
            return None
    elif kind == "public":
        if not _public(ctx, app, block, str(platform), roles):
            return None
    else:
        roles = _service(ctx, app, scopes, roles, assigned)
        scopes = []
    if kind != "service" and scopes:
        block["scopes"] = sorted(scopes)
    if kind == "service":
        block["roles"] = roles
    signin = _signin(app, kind, block)
    consent_grants: dict[str, str] = {}
    if kind != "service":
        has_consent, consent_grant = admin_consent(ctx, app, key, scopes)
        if has_consent:
            block["adminConsent"] = True
        if consent_grant is not None:
            consent_grants["consentGrant"] = consent_grant
        graph_grant = graph_consent(ctx, app, signin) if has_consent and signin else None
        if graph_grant is not None:
            consent_grants["graphConsentGrant"] = graph_grant
    if kind == "public" and platform != "spa" and app.get("isFallbackPublicClient"):
        block["fallbackPublicClient"] = True
    elif kind == "public" and platform == "spa":
        fallback(ctx, app)
    if kind == "public":
        why = "a public client cannot keep a secret, so the config gives it no credential"
        left_alone(app, why, ctx.add)
    else:
        block["credential"] = credential(app, key, ctx.config_dir, ctx.add)
    _unmanaged(ctx, app, kind, block.get("optionalClaims") or {}, kept_paths(about))
    owners = exported_owners(ctx, app)
    if owners:
        block["owners"] = owners
    owner_findings(ctx, app, owners)
    # Sign-in limited to assigned users and groups: kept, or the first `up` would open the app
    # to every user of the tenant.
    if (ctx.sps.get(app["appId"]) or {}).get("appRoleAssignmentRequired") is True:
        block["appRoleAssignmentRequired"] = True
    block["importIds"] = _client_import_ids(
        ctx, app, key, kind, assigned, consent_grants, block.get("credential") or {}
    )
    return block


def _signin(app: App, kind: str, block: dict[str, Any]) -> list[str]:
    """`graphScopes` and `optionalClaims` of a delegated client (a service signs no one in)."""
    if kind == "service":
        return []
    scopes, _ = graph_scopes(app)
    if scopes:
        block["graphScopes"] = scopes
    claims = kept_claims(app)
    if claims:
        block["optionalClaims"] = claims
    return scopes


def _confidential(ctx: Context, app: App, block: dict[str, Any], roles: list[str]) -> bool:
    uris = redirects(ctx, app, "web", "web")
    if not uris:
        ctx.add(
            app,
            "(application)",
            "not adopted: a confidential client needs a redirect URI, and none of its web "
            "redirect URIs is one Entra accepts (see the findings on web.redirectUris)",
        )
        return False
    block["redirectUris"] = uris
    block.update(web_urls(ctx, app, keep=True))
    if id_token_issuance(app):
        block["idTokenIssuance"] = True
    other_platforms(ctx, app, ("spa", "publicClient"))
    _no_roles(ctx, app, roles, "a confidential client gets delegated scopes")
    fallback(ctx, app)
    return True


def _public(ctx: Context, app: App, block: dict[str, Any], platform: str, roles: list[str]) -> bool:
    source = "spa" if platform == "spa" else "publicClient"
    uris = redirects(ctx, app, source, platform)
    if platform == "spa" and not uris:
        ctx.add(
            app,
            "(application)",
            "not adopted: a spa needs a redirect URI, and none of its spa redirect URIs is one "
            "Entra accepts",
        )
        return False
    block["redirectUris"] = uris
    web_urls(ctx, app, keep=False)
    other_platforms(ctx, app, ("web", "spa" if source == "publicClient" else "publicClient"))
    _no_roles(ctx, app, roles, "a public client gets delegated scopes")
    return True


def _service(
    ctx: Context, app: App, scopes: list[str], roles: list[str], assigned: dict[str, str]
) -> list[str]:
    """A service client's roles: those it requests and those it holds (requests added)."""
    web_urls(ctx, app, keep=False)
    other_platforms(ctx, app, ("web", "spa", "publicClient"))
    if scopes:
        ctx.add(
            app,
            "requiredResourceAccess",
            f"delegated scope(s) {', '.join(sorted(scopes))} on the FHIR server are removed: a "
            "service client gets application permissions (roles) only",
            change=True,
        )
    for role in sorted(set(assigned) - set(roles)):
        ctx.add(
            app,
            "requiredResourceAccess",
            f"role '{role}' is assigned but not requested: adoption adds the request (the API "
            "permissions list then shows what the app holds)",
            change=True,
        )
    return sorted({*roles, *assigned})


def _unmanaged(
    ctx: Context, app: App, kind: str, claims: dict[str, list[str]], kept: frozenset[str]
) -> None:
    implicit_grant(app, ctx.add, id_tokens_kept=kind == "confidential" and id_token_issuance(app))
    for entry in app.get("requiredResourceAccess") or []:
        resource = entry.get("resourceAppId")
        if resource == ctx.resource["appId"]:
            continue
        if resource == MICROSOFT_GRAPH_APP_ID and kind != "service":
            _, left = graph_scopes({"requiredResourceAccess": [entry]})
            why = (
                "the config keeps only Microsoft Graph's sign-in scopes of a client "
                "(graphScopes: email, offline_access, openid, profile, User.Read)"
            )
            if left:
                other_resource(app, {**entry, "resourceAccess": left}, why, ctx.add)
            continue
        other_resource(app, entry, "fhir-apps manages only access to the FHIR server", ctx.add)
    common(app, ctx.add, kept_claims=claims)
    client_api(app, ctx.add)
    provider_written(app, ctx.sps.get(app["appId"]), ctx.add, kept)


def _client_import_ids(
    ctx: Context,
    app: App,
    key: str,
    kind: str,
    assigned: dict[str, str],
    consent_grants: dict[str, str],
    credential_block: dict[str, Any],
) -> dict[str, Any]:
    ids = import_ids(ctx, app, key)
    if kind == "service" and assigned:
        assert ctx.resource_sp is not None  # assignments are read only when it exists
        ids["roleAssignments"] = {
            role: app_role_assignment_import_id(ctx.resource_sp["id"], assignment_id)
            for role, assignment_id in sorted(assigned.items())
        }
    for role, assignment_id in sorted(assigned.items() if kind != "service" else ()):
        ctx.add(
            app,
            "appRoleAssignments",
            f"holds role '{role}' (assignment {shown(assignment_id)}); the config gives a "
            f"{kind} client no roles, so the assignment is left as it is (delete it in the "
            "portal if the app does not need it)",
        )
    ids.update(consent_grants)
    federated = federated_import_ids(app, credential_block, ctx.add)
    if federated:
        ids["federatedCredentials"] = federated
    return ids


def _requested(
    ctx: Context, app: App, permissions: Sequence[dict[str, Any]]
) -> tuple[list[str], list[str]]:
    scope_values = {v: k for k, v in ctx.scope_ids.items()}
    role_values = {v: k for k, v in ctx.role_ids.items()}
    scopes: set[str] = set()
    roles: set[str] = set()
    for permission in permissions:
        is_scope = permission.get("type") == "Scope"
        value = (scope_values if is_scope else role_values).get(str(permission.get("id")))
        if value is None:
            what = "scope" if is_scope else "app role"
            ctx.add(
                app,
                "requiredResourceAccess",
                f"{what} {shown(permission.get('id'))} is not an enabled {what} of the FHIR "
                "server: adoption removes the request",
                change=True,
            )
            continue
        (scopes if is_scope else roles).add(value)
    return sorted(scopes), sorted(roles)


def _no_roles(ctx: Context, app: App, roles: Sequence[str], why: str) -> None:
    if roles:
        ctx.add(
            app,
            "requiredResourceAccess",
            f"application permission(s) {', '.join(roles)} on the FHIR server are removed from "
            f"the request: {why} (an existing app role assignment is left as it is)",
            change=True,
        )
