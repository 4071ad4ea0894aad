"""A reviewer's diff of two renders: resources added, removed and changed, with changed paths.

Written here rather than taken from a generic differ because the unit of a review is the
resource (by URN) and the input path as Pulumi names it (`inputs.web.redirectUris`); lists are
compared whole, as Entra and the provider replace them whole, so a reordered or edited list is
one changed path with its old and new value rather than a cascade of index moves.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

__all__ = ["Change", "RenderDiff", "diff_renders", "format_diff"]

# Resource fields compared besides `inputs` (urn, type and name are the identity).
_FIELDS = ("parent", "import", "protect", "dependsOn")


@dataclass(frozen=True)
class Change:
    path: str
    old: Any
    new: Any


@dataclass(frozen=True)
class RenderDiff:
    added: tuple[str, ...]
    removed: tuple[str, ...]
    changed: dict[str, tuple[Change, ...]]
    outputs: tuple[Change, ...]

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed or self.outputs)


def _paths(old: Any, new: Any, prefix: str) -> list[Change]:
    if isinstance(old, dict) and isinstance(new, dict):
        changes: list[Change] = []
        for key in sorted(set(old) | set(new)):
            path = f"{prefix}.{key}" if prefix else key
            if key not in old:
                changes.append(Change(path, None, new[key]))
            elif key not in new:
                changes.append(Change(path, old[key], None))
            else:
                changes.extend(_paths(old[key], new[key], path))
        return changes
    return [] if old == new else [Change(prefix, old, new)]


def diff_renders(old: dict[str, Any], new: dict[str, Any]) -> RenderDiff:
    """Compare two renders in the JSON shape of `render --format json`."""
    old_by_urn = {r["urn"]: r for r in old.get("resources", [])}
    new_by_urn = {r["urn"]: r for r in new.get("resources", [])}
    changed: dict[str, tuple[Change, ...]] = {}
    for urn in sorted(old_by_urn.keys() & new_by_urn.keys()):
        before, after = old_by_urn[urn], new_by_urn[urn]
        changes = _paths(
            {f: before.get(f) for f in _FIELDS} | {"inputs": before.get("inputs", {})},
            {f: after.get(f) for f in _FIELDS} | {"inputs": after.get("inputs", {})},
            "",
        )
        if changes:
            changed[urn] = tuple(changes)
    return RenderDiff(
        added=tuple(sorted(new_by_urn.keys() - old_by_urn.keys())),
        removed=tuple(sorted(old_by_urn.keys() - new_by_urn.keys())),
        changed=changed,
        outputs=tuple(_paths(old.get("outputs", {}), new.get("outputs", {}), "outputs")),
    )


def _value(value: Any) -> str:
    return "(none)" if value is None else json.dumps(value, sort_keys=True)


def _short(urn: str) -> str:
    """`<type> <name>` from a URN: what a reviewer scans for."""
    _, _, qualified_type, name = urn.split("::", 3)
    return f"{qualified_type.split('$')[-1]} {name}"


def format_diff(diff: RenderDiff) -> str:
    """Markdown for a pull-request comment (also readable in a terminal)."""
    if diff.empty:
        return "No changes to the desired state.\n"
    lines: list[str] = []
    counts = (
        f"{len(diff.added)} to add, {len(diff.changed)} to change, {len(diff.removed)} to remove"
    )
    lines.append(f"**Render diff:** {counts}.")
    for title, urns, mark in (("Added", diff.added, "+"), ("Removed", diff.removed, "-")):
        if urns:
            lines += ["", f"### {title}", ""]
            lines += [f"- `{mark} {_short(urn)}`" for urn in urns]
    if diff.changed:
        lines += ["", "### Changed", ""]
        for urn, changes in diff.changed.items():
            lines.append(f"- `~ {_short(urn)}`")
            lines += [f"  - `{c.path}`: {_value(c.old)} → {_value(c.new)}" for c in changes]
    if diff.outputs:
        lines += ["", "### Stack outputs", ""]
        lines += [f"- `{c.path}`: {_value(c.old)} → {_value(c.new)}" for c in diff.outputs]
    return "\n".join(lines) + "\n"
