"""Reading what users export from Microsoft Graph, and refusing anything else with one message.

Accepted shapes, for applications, service principals, app role assignments and OAuth2
permission grants alike: a Graph page `{"value": [...]}` (`GET /applications`, `az rest`), a
plain list (`az ad app list`, `az ad sp list`) or one object (`az ad app show`). Objects are
returned as Graph gave them (camelCase keys, nulls kept); only the keys adoption relies on are
checked, so a newer Graph property never breaks the import.

An export is foreign input: the file is read within a size and depth budget, every key adoption
reads is checked for its JSON type here (so no later `.get` meets a list where it expects an
object), and every value echoed in a message goes through `shown`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

from fhir_apps.safeio.jsonfile import JsonFileError, json_kind, read_json
from fhir_apps.safeio.text import shown

__all__ = ["AdoptInputError", "GraphExport", "is_guid", "read_export", "read_objects"]

Kind = Literal["applications", "service principals", "app role assignments", "permission grants"]

# Keys each kind must carry (all strings), and those that must be GUIDs among them.
_REQUIRED: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "applications": (("id", "appId", "displayName"), ("id", "appId")),
    "service principals": (("id", "appId"), ("id", "appId")),
    "app role assignments": (
        ("id", "appRoleId", "principalId", "resourceId"),
        ("appRoleId", "principalId", "resourceId"),
    ),
    "permission grants": (
        ("id", "clientId", "consentType", "resourceId"),
        ("clientId", "resourceId"),
    ),
}
_FLAGS: dict[str, str] = {
    "applications": "--applications",
    "service principals": "--service-principals",
    "app role assignments": "--assignments",
    "permission grants": "--permission-grants",
}
# Graph writes object ids in this one form. `uuid.UUID` also takes braces, `urn:uuid:`, no
# hyphens, and (through `int`) surrounding whitespace such as a line break: an id must be exactly
# what Graph gives, since it is written into import ids and comments.
_GUID: Final = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")

# The JSON type of every key adoption reads (other keys are never read, so never checked).
# A shape is a type (`str`, `bool`, `int`), an object `{key: shape}`, a list `[shape]` of items
# of that shape, or a tuple of alternatives. A key may be absent or null (Graph's "unset"); a
# list item may not.
Shape = Any
_TEXTS: Final[Shape] = {"displayName": str, "keyId": str, "endDateTime": str}
_CLAIMS: Final[Shape] = [
    {"name": str, "source": str, "essential": bool, "additionalProperties": [str]}
]
_APPLICATION: Final[Shape] = {
    "displayName": str,
    "identifierUris": [str],
    "publisherDomain": str,
    "signInAudience": str,
    "isFallbackPublicClient": bool,
    "groupMembershipClaims": str,
    "optionalClaims": {"idToken": _CLAIMS, "accessToken": _CLAIMS, "saml2Token": _CLAIMS},
    "notes": str,
    "description": str,
    "serviceManagementReference": str,
    "isDeviceOnlyAuthSupported": bool,
    "oauth2RequirePostResponse": bool,
    "info": {
        "marketingUrl": str,
        "privacyStatementUrl": str,
        "supportUrl": str,
        "termsOfServiceUrl": str,
    },
    "api": {
        "requestedAccessTokenVersion": int,
        "acceptMappedClaims": bool,
        "knownClientApplications": [str],
        "preAuthorizedApplications": [{"appId": str, "delegatedPermissionIds": [str]}],
        "oauth2PermissionScopes": [
            {
                "id": str,
                "value": str,
                "type": str,
                "isEnabled": bool,
                "adminConsentDisplayName": str,
                "adminConsentDescription": str,
                "userConsentDisplayName": str,
                "userConsentDescription": str,
            }
        ],
    },
    "appRoles": [
        {
            "id": str,
            "value": str,
            "isEnabled": bool,
            "displayName": str,
            "description": str,
            "allowedMemberTypes": [str],
        }
    ],
    "web": {
        "redirectUris": [str],
        "homePageUrl": str,
        "logoutUrl": str,
        "implicitGrantSettings": {"enableAccessTokenIssuance": bool, "enableIdTokenIssuance": bool},
    },
    "spa": {"redirectUris": [str]},
    "publicClient": {"redirectUris": [str]},
    "requiredResourceAccess": [
        {"resourceAppId": str, "resourceAccess": [{"id": str, "type": str}]},
    ],
    "passwordCredentials": [{**_TEXTS, "hint": str}],
    "keyCredentials": [{**_TEXTS, "customKeyIdentifier": str}],
    "federatedIdentityCredentials": [
        {"id": str, "name": str, "issuer": str, "subject": str, "audiences": [str]}
    ],
    "owners": [({"id": str}, str)],
}
_SHAPES: Final[dict[str, Shape]] = {
    "applications": _APPLICATION,
    "service principals": {
        "appRoleAssignmentRequired": bool,
        "owners": [({"id": str}, str)],
        "accountEnabled": bool,
        "description": str,
        "notes": str,
        "loginUrl": str,
        "preferredSingleSignOnMode": str,
        "notificationEmailAddresses": [str],
        "alternativeNames": [str],
        "samlSingleSignOnSettings": {"relayState": str},
    },
    "app role assignments": {"principalDisplayName": str, "principalType": str},
    "permission grants": {"scope": str},
}


class AdoptInputError(Exception):
    """The input cannot be adopted; `str()` is one message naming the file and what is wrong."""


@dataclass(frozen=True)
class GraphExport:
    """Everything read from the user's exports (each a tuple of Graph objects, as given)."""

    applications: tuple[dict[str, Any], ...]
    service_principals: tuple[dict[str, Any], ...] = ()
    assignments: tuple[dict[str, Any], ...] = ()
    grants: tuple[dict[str, Any], ...] = ()
    # Whether --service-principals was given at all (an empty export is still an answer).
    has_service_principals: bool = False


def is_guid(value: str) -> bool:
    """Whether `value` is a GUID exactly as Graph writes one (`8-4-4-4-12` hex digits)."""
    return _GUID.fullmatch(value) is not None


def read_export(
    applications: Sequence[Path | str],
    service_principals: Path | str | None = None,
    assignments: Path | str | None = None,
    grants: Path | str | None = None,
) -> GraphExport:
    """Read every file given; raises AdoptInputError on the first one that is not usable."""
    apps = _unique(
        (obj for path in applications for obj in read_objects(path, "applications")),
        "applications",
    )
    if not apps:
        names = ", ".join(shown(str(p), 400) for p in applications)
        raise AdoptInputError(f"{names}: no applications in the export")
    return GraphExport(
        applications=apps,
        service_principals=_optional(service_principals, "service principals"),
        assignments=_optional(assignments, "app role assignments"),
        grants=_optional(grants, "permission grants"),
        has_service_principals=service_principals is not None,
    )


def read_objects(path: Path | str, kind: Kind) -> list[dict[str, Any]]:
    """The Graph objects of `kind` in the file at `path` (page, list or single object)."""
    try:
        data = read_json(Path(path))
    except JsonFileError as error:
        raise AdoptInputError(str(error)) from None
    where_file = shown(str(path), 400)
    if kind == "applications" and isinstance(data, dict) and "value" not in data:
        _check_format(data, f"{where_file}: ")
    if isinstance(data, dict) and isinstance(data.get("value"), list):
        items, where = data["value"], "value"
    elif isinstance(data, list):
        items, where = data, ""
    elif isinstance(data, dict) and "id" in data:
        items, where = [data], None
    else:
        raise AdoptInputError(
            f'{where_file}: not Graph {kind}: expected a Graph page {{"value": [...]}}, a list '
            "(as `az ... list` prints) or one object (as `az ... show` prints)"
        )
    for index, item in enumerate(items):
        label = f"{where}[{index}]" if where is not None else ""
        _check(item, kind, f"{where_file}: {label}: " if label else f"{where_file}: ")
    return list(items)


def _optional(path: Path | str | None, kind: Kind) -> tuple[dict[str, Any], ...]:
    return _unique(read_objects(path, kind), kind) if path is not None else ()


def _unique(objects: Iterable[dict[str, Any]], kind: str) -> tuple[dict[str, Any], ...]:
    """Objects by id, in first-seen order: one app exported twice (list and show) is one app."""
    seen: dict[str, dict[str, Any]] = {}
    for obj in objects:
        earlier = seen.setdefault(obj["id"], obj)
        if earlier is not obj and earlier != obj:
            raise AdoptInputError(
                f"{kind}: object {shown(obj['id'])} appears twice with different content; "
                "export it once"
            )
    return tuple(seen.values())


def _check(item: Any, kind: Kind, where: str) -> None:
    if not isinstance(item, dict):
        raise AdoptInputError(f"{where}not a Graph object: expected a JSON object")
    if kind == "applications" and "servicePrincipalType" in item:
        raise AdoptInputError(
            f"{where}this is a service principal, not an application; pass service principals "
            "with --service-principals"
        )
    if kind == "applications":
        _check_format(item, where)
    if "objectId" in item and "id" not in item:
        # `az` before 2.37 printed Azure AD Graph objects (objectId, replyUrls, oauth2Permissions).
        raise AdoptInputError(
            f"{where}this is Azure AD Graph output (objectId), not Microsoft Graph; export with "
            "az 2.37 or later, or `az rest --uri https://graph.microsoft.com/v1.0/applications`"
        )
    required, guids = _REQUIRED[kind]
    missing = [key for key in required if item.get(key) is None]
    if missing:
        for other, (keys, _) in _REQUIRED.items():
            if other != kind and other != "service principals" and all(k in item for k in keys):
                raise AdoptInputError(
                    f"{where}this looks like Graph {other}, not {kind}; pass it with "
                    f"{_FLAGS[other]}"
                )
        raise AdoptInputError(
            f"{where}not one of the Graph {kind} (give them with {_FLAGS[kind]}): missing "
            f"{', '.join(missing)}"
        )
    for key in required:
        if not isinstance(item[key], str):
            raise AdoptInputError(f"{where}{key}: expected a string, got {json_kind(item[key])}")
    for key in guids:
        if not is_guid(item[key]):
            raise AdoptInputError(f"{where}{key} '{shown(item[key])}' is not a GUID")
    problem = _shape_problem(item, _SHAPES[kind], "")
    if problem:
        raise AdoptInputError(f"{where}{problem}")


# Keys only the Azure AD Graph manifest has (Microsoft Graph renamed each of them).
_AAD_GRAPH_KEYS: Final = (
    "oauth2Permissions",
    "replyUrlsWithType",
    "oauth2AllowImplicitFlow",
    "accessTokenAcceptedVersion",
    "allowPublicClient",
)


def _check_format(item: dict[str, Any], where: str) -> None:
    """Refuse an application manifest in the Azure AD Graph format, saying how to export."""
    keys = _aad_graph_manifest(item)
    if keys:
        # The portal's "AAD Graph App Manifest" tab, and manifests copied from older samples.
        raise AdoptInputError(
            f"{where}this is an application manifest in the retired Azure AD Graph format "
            f"({', '.join(keys)}), not Microsoft Graph: export the app with `az ad app show "
            "--id <appId>` (az 2.37 or later), `az rest --uri "
            "https://graph.microsoft.com/v1.0/applications/<objectId>`, or the portal's "
            "Manifest tab in its Microsoft Graph format"
        )


def _aad_graph_manifest(item: dict[str, Any]) -> list[str]:
    """The Azure AD Graph keys of `item` (with `name` when it has no `displayName`), if any."""
    found: list[str] = [key for key in _AAD_GRAPH_KEYS if key in item]
    if found and "name" in item and "displayName" not in item:
        found.append("name")
    return found


def _shape_problem(value: Any, shape: Shape, path: str, *, nullable: bool = True) -> str | None:
    """Where `value` first differs from `shape` (`key.path: expected ..., got ...`), or None."""
    if value is None:
        return None if nullable else f"{path}: expected {_expected(shape)}, got null"
    alternatives = shape if isinstance(shape, tuple) else (shape,)
    matching = [alt for alt in alternatives if _is_kind(value, alt)]
    if not matching:
        nulls = " or null" if nullable else ""
        return f"{path}: expected {_expected(shape)}{nulls}, got {json_kind(value)}"
    match = matching[0]
    if isinstance(match, dict):
        for key, inner in match.items():
            problem = _shape_problem(value.get(key), inner, f"{path}.{key}" if path else key)
            if problem:
                return problem
    elif isinstance(match, list):
        for index, item in enumerate(value):
            problem = _shape_problem(item, match[0], f"{path}[{index}]", nullable=False)
            if problem:
                return problem
    return None


def _is_kind(value: Any, shape: Shape) -> bool:
    if isinstance(shape, dict):
        return isinstance(value, dict)
    if isinstance(shape, list):
        return isinstance(value, list)
    if shape is int:  # JSON true/false are Python bools, which are ints too
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, shape)


def _expected(shape: Shape) -> str:
    if isinstance(shape, tuple):
        return " or ".join(_expected(alt) for alt in shape)
    if isinstance(shape, dict):
        return "an object"
    if isinstance(shape, list):
        return "a list"
    return {str: "a string", bool: "true or false", int: "a whole number"}[shape]
