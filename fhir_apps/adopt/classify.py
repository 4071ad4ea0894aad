"""Recognising the FHIR resource app among the exported apps, and the kind of each client.

Pure functions over Graph application objects (dicts as Graph returns them).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

from fhir_apps.adopt.graphjson import AdoptInputError
from fhir_apps.safeio.text import shown

__all__ = [
    "ClientKind",
    "audience_matches",
    "client_kind",
    "fhir_permissions",
    "find_resource_app",
    "redirect_uris",
]

App = dict[str, Any]


@dataclass(frozen=True)
class ClientKind:
    """What a client is: `kind` and `platform` as in the config, or `kind=None` with `reason`."""

    kind: Literal["confidential", "public", "service"] | None
    platform: Literal["spa", "mobile", "desktop"] | None = None
    reason: str = ""


def _normal(uri: str) -> str:
    # `https://fhir.contoso.com` and `https://fhir.contoso.com/` are one server to a person, but
    # two audiences to Entra; match either, then keep the spelling the app actually has.
    return uri.rstrip("/").lower()


def audience_matches(uri: str, audience: str) -> bool:
    """Whether identifier URI `uri` is the audience `audience` (trailing slash and case aside)."""
    return _normal(uri) == _normal(audience)


def find_resource_app(apps: Sequence[App], audience: str | None) -> tuple[App, str]:
    """The FHIR resource app and its audience (the identifier URI, exactly as registered).

    With `audience`: the one app whose identifier URIs include it. Without: the one app that
    exposes scopes or app roles under an https identifier URI (the FHIR server's URL); of
    several such apps, the one that other apps in the export ask permissions of.
    """
    if audience is not None:
        claiming = [
            (app, uri)
            for app in apps
            for uri in app.get("identifierUris") or []
            if audience_matches(uri, audience)
        ]
        if not claiming:
            seen = sorted({u for app in apps for u in app.get("identifierUris") or []})
            raise AdoptInputError(
                f"no resource app found: no application has the identifier URI {shown(audience)} "
                f"(identifier URIs in the export: {_listed([shown(uri) for uri in seen])})"
            )
        if len(claiming) > 1:
            raise AdoptInputError(
                f"two apps claim the audience {shown(audience)}: "
                + _listed([_describe(app) for app, _ in claiming])
                + "; an identifier URI is unique in a tenant, so the export mixes tenants or "
                "environments: export one environment's apps"
            )
        return claiming[0]
    candidates = [
        (app, uri)
        for app in apps
        if _exposes_api(app)
        for uri in app.get("identifierUris") or []
        if uri.startswith("https://")
    ]
    if not candidates:
        raise AdoptInputError(
            "no resource app found: no application exposes scopes or app roles under an https "
            "identifier URI (the FHIR server URL); give the server URL with --audience"
        )
    apps_found = {app["id"]: app for app, _ in candidates}
    if len(apps_found) > 1:
        # A whole tenant's export also holds other APIs (a SAML gallery app exposes an app role
        # under an https identifier URI): the FHIR server is the one the other apps call.
        called = [(app, uri) for app, uri in candidates if app.get("appId") in _requested(apps)]
        if len(called) == 1:
            return called[0]
    if len(apps_found) > 1 or len(candidates) > 1:
        raise AdoptInputError(
            "two apps claim to be the FHIR resource app: "
            + _listed([f"{_describe(app)} as {shown(uri)}" for app, uri in candidates])
            + "; name the server URL with --audience"
        )
    return candidates[0]


def _requested(apps: Sequence[App]) -> set[str]:
    """The appIds that some app in the export asks permissions of (requiredResourceAccess)."""
    return {
        str(entry.get("resourceAppId"))
        for app in apps
        for entry in app.get("requiredResourceAccess") or []
        if isinstance(entry, dict)
    }


def _listed(items: Sequence[str], most: int = 10) -> str:
    # An export of a whole tenant holds hundreds of apps: name a few, so the message stays short.
    listed = ", ".join(items[:most]) or "none"
    return f"{listed} and {len(items) - most} more" if len(items) > most else listed


def _describe(app: App) -> str:
    return f"'{shown(app.get('displayName'))}' (objectId {shown(app['id'])})"


def _exposes_api(app: App) -> bool:
    api = app.get("api") or {}
    return bool(api.get("oauth2PermissionScopes") or app.get("appRoles"))


def fhir_permissions(app: App, resource_app_id: str) -> list[dict[str, Any]]:
    """The `resourceAccess` entries of `app` on the FHIR resource app (`{id, type}`)."""
    return [
        access
        for entry in app.get("requiredResourceAccess") or []
        if entry.get("resourceAppId") == resource_app_id
        for access in entry.get("resourceAccess") or []
    ]


def redirect_uris(app: App, platform: Literal["web", "spa", "publicClient"]) -> list[str]:
    """The redirect URIs of one platform (Graph's `null` platforms read as none)."""
    return list((app.get(platform) or {}).get("redirectUris") or [])


def _native_platform(uris: Sequence[str]) -> Literal["mobile", "desktop"]:
    # Mobile SDKs redirect to a private-use scheme (msauth.<bundle>://auth on iOS,
    # msauth://<package>/<hash> on Android); desktop apps to loopback or the nativeclient page.
    schemes = {_scheme(uri) for uri in uris}
    return "mobile" if schemes - {"http", "https", "urn", ""} else "desktop"


def _scheme(uri: str) -> str:
    try:
        return urlsplit(uri).scheme.lower()
    except ValueError:  # e.g. `msauth://[x`: reported by the redirect URI rules, not a kind
        return ""


def client_kind(app: App, permissions: Sequence[dict[str, Any]], assigned_roles: int) -> ClientKind:
    """The kind of client `app` is, from its platforms, credentials and permissions.

    Precedence follows what Entra lets the app do: a web redirect URI with a credential is a
    confidential client; SPA or public-client redirect URIs (or the public-client flag) make it
    public; an app with no redirect URI that asks for app roles (or has one assigned) is a
    service. Anything else cannot be expressed and is reported, not guessed.
    """
    web = redirect_uris(app, "web")
    spa = redirect_uris(app, "spa")
    native = redirect_uris(app, "publicClient")
    has_credential = bool(
        app.get("passwordCredentials")
        or app.get("keyCredentials")
        or app.get("federatedIdentityCredentials")
    )
    roles = any(p.get("type") == "Role" for p in permissions) or assigned_roles > 0
    scopes = any(p.get("type") == "Scope" for p in permissions)
    if web and (has_credential or not (spa or native)):
        return ClientKind("confidential")
    if spa:
        return ClientKind("public", "spa")
    if native or app.get("isFallbackPublicClient"):
        return ClientKind("public", _native_platform(native))
    if roles:
        return ClientKind("service")
    if scopes:
        return ClientKind(
            None,
            reason=(
                "asks for delegated scopes but has no redirect URI on any platform (web, spa, "
                "publicClient), so it signs no one in: a middle-tier API using on-behalf-of, "
                "which fhir-apps has no kind for"
            ),
        )
    return ClientKind(None, reason="has no redirect URIs and asks for no FHIR permission")
