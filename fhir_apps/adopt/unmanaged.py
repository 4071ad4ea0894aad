"""Findings for properties of an app that fhir-apps does not manage (or always sets).

Each function inspects one aspect of a Graph application and reports, through `add(app,
property, message)`, what exists and what adoption changes. Nothing here decides config.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from fhir_apps.safeio.text import shown

__all__ = [
    "AZURE_AD_GRAPH_APP_ID",
    "MICROSOFT_GRAPH_APP_ID",
    "Add",
    "client_api",
    "common",
    "implicit_grant",
    "other_resource",
]

App = dict[str, Any]
# add(app or display name, Graph property, message): records one finding.
Add = Callable[[App | str, str, str], None]

MICROSOFT_GRAPH_APP_ID: Final = "00000003-0000-0000-c000-000000000000"
AZURE_AD_GRAPH_APP_ID: Final = "00000002-0000-0000-c000-000000000000"
# Names for the permission ids portal-made apps carry most often, so findings read as words.
_WELL_KNOWN: Final = {
    (MICROSOFT_GRAPH_APP_ID, "e1fd296f-fa3a-4e5d-a1e8-e64e11dc18a9"): "User.Read",
    (MICROSOFT_GRAPH_APP_ID, "37f7f235-527c-4136-accd-4a02d197296e"): "openid",
    (MICROSOFT_GRAPH_APP_ID, "14dad69e-099b-42c9-810b-d002981feec1"): "profile",
    (MICROSOFT_GRAPH_APP_ID, "7427e0e9-2fba-42fe-b0c0-848c9e6a8182"): "offline_access",
    (AZURE_AD_GRAPH_APP_ID, "311a71cc-e848-46a1-bdf8-97ff7156d8e6"): "User.Read",
}


def implicit_grant(app: App, add: Add) -> None:
    grant = (app.get("web") or {}).get("implicitGrantSettings") or {}
    on = [
        name
        for key, name in (
            ("enableAccessTokenIssuance", "access tokens"),
            ("enableIdTokenIssuance", "ID tokens"),
        )
        if grant.get(key)
    ]
    if on:
        add(
            app,
            "web.implicitGrantSettings",
            f"implicit grant is on ({' and '.join(on)}); adoption turns it off: the app must "
            "use the authorization-code flow (with PKCE in a browser)",
        )


def other_resource(app: App, entry: dict[str, Any], why: str, add: Add) -> None:
    resource_id = str(entry.get("resourceAppId"))
    names = ", ".join(
        f"{_WELL_KNOWN.get((resource_id, a.get('id'))) or shown(a.get('id'))} "
        f"({'delegated' if a.get('type') == 'Scope' else 'application'})"
        for a in entry.get("resourceAccess") or []
    )
    if resource_id == AZURE_AD_GRAPH_APP_ID:
        add(
            app,
            "requiredResourceAccess",
            f"asks the legacy Azure AD Graph for {names}; Azure AD Graph is retired, and "
            f"{why}: adoption removes this request (move the app to Microsoft Graph)",
        )
    elif resource_id == MICROSOFT_GRAPH_APP_ID:
        add(
            app,
            "requiredResourceAccess",
            f"asks Microsoft Graph for {names}; {why}, so adoption removes this request. "
            "Sign-in (openid, profile) does not need it, and consent already granted is not "
            "revoked; an app that calls Microsoft Graph must ask for it at sign-in instead",
        )
    else:
        add(
            app,
            "requiredResourceAccess",
            f"asks resource app {shown(resource_id)} for {names}; {why}: adoption removes this "
            "request",
        )


def common(app: App, add: Add) -> None:
    audience = app.get("signInAudience")
    if audience not in (None, "AzureADMyOrg"):
        add(
            app,
            "signInAudience",
            f"is {shown(audience)}; adoption sets AzureADMyOrg (this tenant only): sign-ins from "
            "other tenants or personal accounts stop",
        )
    api = app.get("api") or {}
    for known in api.get("knownClientApplications") or []:
        add(app, "api.knownClientApplications", f"'{shown(known)}' is removed (not managed)")
    if api.get("preAuthorizedApplications"):
        add(
            app,
            "api.preAuthorizedApplications",
            "not managed by fhir-apps: check in `pulumi preview` that they are kept",
        )
    claims = app.get("optionalClaims") or {}
    if any(claims.get(k) for k in ("idToken", "accessToken", "saml2Token")):
        add(app, "optionalClaims", "are removed: fhir-apps does not manage them")
    groups = app.get("groupMembershipClaims")
    if groups not in (None, "", "None"):
        add(
            app,
            "groupMembershipClaims",
            f"'{shown(groups)}' is removed (tokens stop carrying group claims): not managed",
        )


def client_api(app: App, add: Add) -> None:
    api = app.get("api") or {}
    for uri in app.get("identifierUris") or []:
        add(app, "identifierUris", f"'{shown(uri)}' is removed: a client exposes no API")
    for scope in api.get("oauth2PermissionScopes") or []:
        add(
            app,
            "api.oauth2PermissionScopes",
            f"scope '{shown(scope.get('value'))}' is removed: a client exposes no API",
        )
    for role in app.get("appRoles") or []:
        add(app, "appRoles", f"role '{shown(role.get('value'))}' is removed: a client has no roles")
    version = api.get("requestedAccessTokenVersion")
    if version not in (None, 1):
        add(
            app,
            "api.requestedAccessTokenVersion",
            f"is {version}; adoption sets 1 (it concerns only an API the app exposes)",
        )


# -- credentials -------------------------------------------------------------------------
