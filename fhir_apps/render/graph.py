"""Microsoft Graph application manifests from a rendering, for comparison with existing apps.

The provider's input names differ from Graph's (`enabled` vs `isEnabled`, `implicitGrant` vs
`implicitGrantSettings`, ...). This maps the rendered `azuread.Application` inputs onto the JSON
the Azure portal's Manifest tab shows (Graph's `application` resource), filling the values the
provider defaults when an input is left out, so a manifest can be set beside `az ad app show`.
"""

from __future__ import annotations

from typing import Any

from fhir_apps.render.engine import Rendering
from fhir_apps.render.mocks import placeholder_key
from fhir_apps.resource_types import APPLICATION

__all__ = ["application_manifest", "manifests"]


def _scope(scope: dict[str, Any]) -> dict[str, Any]:
    return {
        "adminConsentDescription": scope.get("adminConsentDescription"),
        "adminConsentDisplayName": scope.get("adminConsentDisplayName"),
        "id": scope.get("id"),
        "isEnabled": scope.get("enabled", True),
        "type": scope.get("type", "User"),
        "userConsentDescription": scope.get("userConsentDescription"),
        "userConsentDisplayName": scope.get("userConsentDisplayName"),
        "value": scope.get("value"),
    }


def _app_role(role: dict[str, Any]) -> dict[str, Any]:
    return {
        "allowedMemberTypes": sorted(role.get("allowedMemberTypes", [])),
        "description": role.get("description"),
        "displayName": role.get("displayName"),
        "id": role.get("id"),
        "isEnabled": role.get("enabled", True),
        "origin": "Application",
        "value": role.get("value"),
    }


def _required_access(entry: dict[str, Any]) -> dict[str, Any]:
    accesses = sorted(entry.get("resourceAccesses", []), key=lambda a: (a["type"], a["id"]))
    return {
        "resourceAppId": entry.get("resourceAppId"),
        "resourceAccess": [{"id": a["id"], "type": a["type"]} for a in accesses],
    }


def application_manifest(inputs: dict[str, Any], *, name: str, import_id: str | None) -> dict:
    """The Graph manifest for one Application, from its rendered inputs."""
    api = inputs.get("api") or {}
    web = inputs.get("web") or {}
    implicit = web.get("implicitGrant") or {}
    object_id = (
        import_id.removeprefix("/applications/")
        if import_id
        else f"<objectId of {placeholder_key(name)}>"
    )
    return {
        "id": object_id,
        "appId": f"<clientId of {placeholder_key(name)}>",
        "displayName": inputs.get("displayName"),
        "signInAudience": inputs.get("signInAudience", "AzureADMyOrg"),
        "identifierUris": sorted(inputs.get("identifierUris", [])),
        "isFallbackPublicClient": inputs.get("fallbackPublicClientEnabled", False),
        "api": {
            "requestedAccessTokenVersion": api.get("requestedAccessTokenVersion", 1),
            "oauth2PermissionScopes": sorted(
                (_scope(s) for s in api.get("oauth2PermissionScopes", [])),
                key=lambda s: str(s["value"]),
            ),
            "knownClientApplications": sorted(api.get("knownClientApplications", [])),
        },
        "appRoles": sorted(
            (_app_role(r) for r in inputs.get("appRoles", [])), key=lambda r: str(r["value"])
        ),
        "web": {
            "homePageUrl": web.get("homepageUrl"),
            "logoutUrl": web.get("logoutUrl"),
            "redirectUris": sorted(web.get("redirectUris", [])),
            "implicitGrantSettings": {
                "enableAccessTokenIssuance": implicit.get("accessTokenIssuanceEnabled", False),
                "enableIdTokenIssuance": implicit.get("idTokenIssuanceEnabled", False),
            },
        },
        "spa": {
            "redirectUris": sorted(
                (inputs.get("singlePageApplication") or {}).get("redirectUris", [])
            )
        },
        "publicClient": {
            "redirectUris": sorted((inputs.get("publicClient") or {}).get("redirectUris", []))
        },
        "requiredResourceAccess": sorted(
            (_required_access(e) for e in inputs.get("requiredResourceAccesses", [])),
            key=lambda e: str(e["resourceAppId"]),
        ),
    }


def manifests(rendering: Rendering) -> dict[str, dict[str, Any]]:
    """One manifest per Application in the rendering, keyed by the resource's YAML key."""
    return {
        placeholder_key(r.name): application_manifest(r.inputs, name=r.name, import_id=r.import_id)
        for r in rendering.resources
        if r.type == APPLICATION
    }
