"""Drift: where an existing application differs from what the current config would set.

Both sides are brought to one shape: the Graph manifest properties fhir-apps manages (the
Application inputs the program sets), normalised the way Entra treats them (a null list is an
empty one, a null token version is 1, redirect URIs are a set). The existing side is the Graph
object itself; the config side is `fhir_apps.render.graph.manifests` of a rendering.

Placeholders: a rendering runs under mocks, so an application's appId is `<clientId of KEY>`.
For an imported application Entra keeps the appId it has, so the placeholder of every rendered
app that carries an import id is replaced by the real appId of the object it imports before
comparing; that is how a client's `requiredResourceAccess.resourceAppId` (`<clientId of
fhir-server>`) is compared with the FHIR app's real appId.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from fhir_apps.adopt.findings import one_line
from fhir_apps.safeio.text import shown

__all__ = ["MANAGED_PROPERTIES", "Drift", "compare", "managed_properties"]

App = dict[str, Any]

MANAGED_PROPERTIES: Final = (
    "displayName",
    "signInAudience",
    "identifierUris",
    "isFallbackPublicClient",
    "api.requestedAccessTokenVersion",
    "api.oauth2PermissionScopes",
    "api.knownClientApplications",
    "appRoles",
    "web.homePageUrl",
    "web.logoutUrl",
    "web.redirectUris",
    "web.implicitGrantSettings",
    "spa.redirectUris",
    "publicClient.redirectUris",
    "requiredResourceAccess",
)


# Longest value printed whole: a drift line names what differs, it need not hold a whole export.
_MAX_VALUE: Final = 2000

_SCOPE_TEXTS: Final = (
    "adminConsentDisplayName",
    "adminConsentDescription",
    "userConsentDisplayName",
    "userConsentDescription",
)


@dataclass(frozen=True, order=True)
class Drift:
    """One difference; `existing`/`config` are the normalised values (None: no object)."""

    app: str
    key: str
    property: str
    existing: Any
    config: Any

    def __str__(self) -> str:
        return (
            f"{shown(self.app)} ({shown(self.key)}): {self.property}: existing "
            f"{_json(self.existing)}, config {_json(self.config)}"
        )


def _json(value: Any) -> str:
    """`value` as JSON on one line, every unsafe character escaped, and bounded."""
    # JSON escapes the C0 controls; `one_line` the rest (DEL, C1, bidi, U+2028...), without
    # doubling the backslashes JSON wrote, as `shown` would.
    text = one_line(json.dumps(value, sort_keys=True, ensure_ascii=False))
    if len(text) <= _MAX_VALUE:
        return text
    cut = text[:_MAX_VALUE]
    # Never end on half an escape (`\u202e` is 6 characters).
    backslash = cut.rfind("\\", _MAX_VALUE - 6)
    cut = cut[:backslash] if backslash != -1 else cut
    return f"{cut}…(+{len(text) - len(cut)} chars)"


def _sorted(values: Sequence[str] | None) -> list[str]:
    return sorted(set(values or []))


def managed_properties(manifest: Mapping[str, Any]) -> dict[str, Any]:
    """The managed properties of a Graph application (or a rendered manifest), normalised.

    Scopes are compared by id, value, type, enabled and consent texts; roles by id, value,
    member types, enabled, display name and description (an empty text is none).
    """
    api = manifest.get("api") or {}
    web = manifest.get("web") or {}
    implicit = web.get("implicitGrantSettings") or {}
    return {
        "displayName": manifest.get("displayName"),
        "signInAudience": manifest.get("signInAudience") or "AzureADMyOrg",
        "identifierUris": _sorted(manifest.get("identifierUris")),
        "isFallbackPublicClient": bool(manifest.get("isFallbackPublicClient")),
        "api.requestedAccessTokenVersion": api.get("requestedAccessTokenVersion") or 1,
        "api.oauth2PermissionScopes": sorted(
            (
                {
                    "id": s.get("id"),
                    "value": s.get("value"),
                    "type": s.get("type") or "User",
                    "isEnabled": s.get("isEnabled") is not False,
                    **{text: s.get(text) or None for text in _SCOPE_TEXTS},
                }
                for s in api.get("oauth2PermissionScopes") or []
            ),
            key=lambda s: (str(s["value"]), str(s["id"])),
        ),
        "api.knownClientApplications": _sorted(api.get("knownClientApplications")),
        "appRoles": sorted(
            (
                {
                    "id": r.get("id"),
                    "value": r.get("value"),
                    "allowedMemberTypes": _sorted(r.get("allowedMemberTypes")),
                    "isEnabled": r.get("isEnabled") is not False,
                    "displayName": r.get("displayName") or None,
                    "description": r.get("description") or None,
                }
                for r in manifest.get("appRoles") or []
            ),
            key=lambda r: (str(r["value"]), str(r["id"])),
        ),
        "web.homePageUrl": web.get("homePageUrl") or None,
        "web.logoutUrl": web.get("logoutUrl") or None,
        "web.redirectUris": _sorted(web.get("redirectUris")),
        "web.implicitGrantSettings": {
            "enableAccessTokenIssuance": bool(implicit.get("enableAccessTokenIssuance")),
            "enableIdTokenIssuance": bool(implicit.get("enableIdTokenIssuance")),
        },
        "spa.redirectUris": _sorted((manifest.get("spa") or {}).get("redirectUris")),
        "publicClient.redirectUris": _sorted(
            (manifest.get("publicClient") or {}).get("redirectUris")
        ),
        "requiredResourceAccess": sorted(
            (
                {
                    "resourceAppId": entry.get("resourceAppId"),
                    "resourceAccess": sorted(
                        (
                            {"id": a.get("id"), "type": a.get("type")}
                            for a in entry.get("resourceAccess") or []
                        ),
                        key=lambda a: (str(a["type"]), str(a["id"])),
                    ),
                }
                for entry in manifest.get("requiredResourceAccess") or []
                if entry.get("resourceAccess")
            ),
            key=lambda e: str(e["resourceAppId"]),
        ),
    }


def _real_app_ids(
    rendered: Mapping[str, Mapping[str, Any]], existing: Mapping[str, App]
) -> dict[str, str]:
    """`{<clientId of KEY>: appId}` for every rendered app that imports an existing object."""
    return {
        str(manifest["appId"]): str(existing[manifest["id"]]["appId"])
        for manifest in rendered.values()
        if manifest.get("id") in existing
    }


def _replace(value: Any, mapping: Mapping[str, str]) -> Any:
    if isinstance(value, str):
        return mapping.get(value, value)
    if isinstance(value, list):
        return [_replace(v, mapping) for v in value]
    if isinstance(value, dict):
        return {k: _replace(v, mapping) for k, v in value.items()}
    return value


def compare(
    rendered: Mapping[str, Mapping[str, Any]],
    existing: Sequence[App],
    adopted_ids: Sequence[str] = (),
) -> list[Drift]:
    """Every difference between the rendered manifests (by YAML key) and the existing apps.

    A rendered app is matched with the existing object its import id names. One with no match
    is created by `pulumi up`; an existing app in `adopted_ids` (object ids that adoption
    would take over) that no rendered app imports is left unmanaged: both are drift.
    """
    by_id = {app["id"]: app for app in existing}
    mapping = _real_app_ids(rendered, by_id)
    drifts: list[Drift] = []
    imported: set[str] = set()
    for key, manifest in sorted(rendered.items()):
        app = by_id.get(manifest.get("id"))
        if app is None:
            drifts.append(
                Drift(
                    str(manifest.get("displayName")),
                    key,
                    "(application)",
                    None,
                    f"created by `pulumi up` (no existing object {manifest.get('id')})",
                )
            )
            continue
        imported.add(app["id"])
        have = managed_properties(app)
        want = _replace(managed_properties(manifest), mapping)
        for prop in MANAGED_PROPERTIES:
            if have[prop] != want[prop]:
                drifts.append(Drift(str(app["displayName"]), key, prop, have[prop], want[prop]))
    for object_id in adopted_ids:
        if object_id not in imported and object_id in by_id:
            app = by_id[object_id]
            drifts.append(
                Drift(
                    str(app["displayName"]),
                    "-",
                    "(application)",
                    f"exists ({object_id})",
                    "not in the config (run adopt to take it over)",
                )
            )
    return sorted(drifts)
