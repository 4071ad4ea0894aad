"""Reading what users export from Microsoft Graph, and refusing anything else with one message.

Accepted shapes, for applications, service principals, app role assignments and OAuth2
permission grants alike: a Graph page `{"value": [...]}` (`GET /applications`, `az rest`), a
plain list (`az ad app list`, `az ad sp list`) or one object (`az ad app show`). Objects are
returned as Graph gave them (camelCase keys, nulls kept); only the keys adoption relies on are
checked, so a newer Graph property never breaks the import.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

__all__ = ["AdoptInputError", "GraphExport", "read_export", "read_objects"]

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
        names = ", ".join(str(p) for p in applications)
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
        text = Path(path).read_text(encoding="utf-8-sig")  # PowerShell writes a BOM
    except OSError as exc:
        raise AdoptInputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise AdoptInputError(f"{path}: not JSON: the file is not UTF-8 text") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise AdoptInputError(
            f"{path}: not JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        ) from None
    if isinstance(data, dict) and isinstance(data.get("value"), list):
        items, where = data["value"], "value"
    elif isinstance(data, list):
        items, where = data, ""
    elif isinstance(data, dict) and "id" in data:
        items, where = [data], None
    else:
        raise AdoptInputError(
            f'{path}: not Graph {kind}: expected a Graph page {{"value": [...]}}, a list (as '
            "`az ... list` prints) or one object (as `az ... show` prints)"
        )
    for index, item in enumerate(items):
        label = f"{where}[{index}]" if where is not None else ""
        _check(item, kind, f"{path}: {label}: " if label else f"{path}: ")
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
                f"{kind}: object {obj['id']} appears twice with different content; export it once"
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
    if "objectId" in item and "id" not in item:
        # `az` before 2.37 printed Azure AD Graph objects (objectId, replyUrls, oauth2Permissions).
        raise AdoptInputError(
            f"{where}this is Azure AD Graph output (objectId), not Microsoft Graph; export with "
            "az 2.37 or later, or `az rest --uri https://graph.microsoft.com/v1.0/applications`"
        )
    required, guids = _REQUIRED[kind]
    missing = [key for key in required if not isinstance(item.get(key), str)]
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
    for key in guids:
        try:
            uuid.UUID(item[key])
        except ValueError:
            raise AdoptInputError(f"{where}{key} '{item[key]}' is not a GUID") from None
