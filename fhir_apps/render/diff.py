"""A reviewer's diff of two renders: resources added, removed and changed, with changed paths.

Written here rather than taken from a generic differ because the unit of a review is the
resource (by URN) and the input path as Pulumi names it (`inputs.web.redirectUris`); lists are
compared whole, as Entra and the provider replace them whole, so a reordered or edited list is
one changed path with its old and new value rather than a cascade of index moves.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Final

from fhir_apps.safeio.jsonfile import json_kind
from fhir_apps.safeio.text import shown

__all__ = ["Change", "RenderDiff", "diff_renders", "format_diff", "render_problem"]

# Resource fields compared besides `inputs` (urn, type and name are the identity).
_FIELDS = ("parent", "import", "protect", "dependsOn")

# A URN or key path is printed whole up to this length (escaped, never cut short of it): a diff
# that hid the end of a long name would hide what changed.
_SHOWN_NAME: Final = 2000
_NOT_A_RENDER: Final = "not a render: expected an object with a 'resources' list"


def render_problem(data: Any) -> str | None:
    """Why `data` (a saved render, from a file) cannot be diffed, naming the key; else None.

    A render is an object with a `resources` list of objects, each with a distinct URN of the
    form `urn:pulumi:<stack>::<project>::<type>::<name>` and `inputs` an object, and `outputs`
    an object; only those are read by `diff_renders`.
    """
    if not isinstance(data, dict) or not isinstance(data.get("resources"), list):
        return _NOT_A_RENDER
    if not isinstance(data.get("outputs", {}), dict):
        return f"outputs: must be an object, got {json_kind(data['outputs'])}"
    first: dict[str, int] = {}
    for index, resource in enumerate(data["resources"]):
        where = f"resources[{index}]"
        problem = _resource_problem(resource, where)
        if problem:
            return problem
        urn = resource["urn"]
        if urn in first:
            return (
                f"{where}.urn: the same URN as resources[{first[urn]}] ({shown(urn)}); a render "
                "names each resource once"
            )
        first[urn] = index
    return None


def _resource_problem(resource: Any, where: str) -> str | None:
    if not isinstance(resource, dict):
        return f"{where}: must be an object, got {json_kind(resource)}"
    if "urn" not in resource:
        return f"{where}: has no 'urn'; every resource of a render has one"
    urn = resource["urn"]
    if not isinstance(urn, str):
        return f"{where}.urn: must be a string, got {json_kind(urn)}"
    if not _is_urn(urn):
        return (
            f"{where}.urn: '{shown(urn)}' is not a URN of the form "
            "urn:pulumi:<stack>::<project>::<type>::<name>"
        )
    if not isinstance(resource.get("inputs", {}), dict):
        return f"{where}.inputs: must be an object, got {json_kind(resource['inputs'])}"
    return None


def _is_urn(urn: str) -> bool:
    parts = urn.split("::", 3)
    return (
        len(parts) == 4
        and parts[0].startswith("urn:pulumi:")
        and len(parts[0]) > len("urn:pulumi:")
        and all(parts[1:])
    )


@dataclass(frozen=True)
class Change:
    path: str
    old: Any
    new: Any


@dataclass(frozen=True)
class RenderDiff:
    """What changed, and what `pulumi up` will do about it (fhir_apps.render.review).

    changed: every changed resource (replaced ones too); replaced: of those, the ones a changed
    input replaces, with the input paths that force it; blocked: deletions and replacements of
    resources protected in the old render, which `pulumi up` refuses; warnings: a changed token
    audience, or renders of different stacks or environments.
    """

    added: tuple[str, ...]
    removed: tuple[str, ...]
    changed: dict[str, tuple[Change, ...]]
    outputs: tuple[Change, ...]
    replaced: dict[str, tuple[str, ...]] = field(default_factory=dict)
    blocked: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

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
    from fhir_apps.render import review

    removed = tuple(sorted(old_by_urn.keys() - new_by_urn.keys()))
    outputs = tuple(_paths(old.get("outputs", {}), new.get("outputs", {}), "outputs"))
    replaced = review.replaced(changed, new_by_urn)
    warnings = (review.target_mismatch(old, new), review.audience_change(outputs))
    return RenderDiff(
        added=tuple(sorted(new_by_urn.keys() - old_by_urn.keys())),
        removed=removed,
        changed=changed,
        outputs=outputs,
        replaced=replaced,
        blocked=review.blocked(removed, replaced, old_by_urn),
        warnings=tuple(warning for warning in warnings if warning),
    )


def _value(value: Any) -> str:
    # ensure_ascii escapes every control, bidi and other non-ASCII character (\u202e), so a
    # value cannot break the line or reorder what the reviewer reads; `default=str` covers what
    # a hand-edited YAML render may hold besides JSON (a date).
    if value is None:
        return "(none)"
    return json.dumps(value, sort_keys=True, default=str)


def _short(urn: str) -> str:
    """`<type> <name>` from a URN: what a reviewer scans for (escaped: a URN is from a file)."""
    parts = urn.split("::", 3)
    if len(parts) != 4:
        return shown(urn, _SHOWN_NAME)
    _, _, qualified_type, name = parts
    return shown(f"{qualified_type.split('$')[-1]} {name}", _SHOWN_NAME)


def _blocked_line(diff: RenderDiff, urn: str, action: str) -> list[str]:
    if urn not in diff.blocked:
        return []
    return [
        f"  - **blocked: protected.** `pulumi up` refuses to {action} it; retire it first "
        "(`retire: true` for one release unprotects it), or keep it"
    ]


def _change(change: Change) -> str:
    path = shown(change.path, _SHOWN_NAME)
    return f"`{path}`: {_value(change.old)} → {_value(change.new)}"


def format_diff(diff: RenderDiff) -> str:
    """Markdown for a pull-request comment (also readable in a terminal).

    The summary counts what the engine will do: create, update in place, replace (a new
    resource, the old one deleted) and delete, with how many deletions and replacements are of
    protected resources (blocked: `pulumi up` refuses them).
    """
    if diff.empty:
        return "No changes to the desired state.\n"
    lines: list[str] = []
    updated = [urn for urn in diff.changed if urn not in diff.replaced]
    counts = (
        f"{len(diff.added)} to create, {len(updated)} to update, {len(diff.replaced)} to "
        f"replace, {len(diff.removed)} to delete ({len(diff.blocked)} protected)"
    )
    lines.append(f"**Render diff:** {counts}.")
    if diff.warnings:
        lines += ["", "### Warnings", ""]
        lines += [f"- **warning:** {warning}" for warning in diff.warnings]
    if diff.added:
        lines += ["", "### Created", ""]
        lines += [f"- `+ {_short(urn)}`" for urn in diff.added]
    if diff.replaced:
        lines += ["", "### Replaced", ""]
        for urn, forcing in diff.replaced.items():
            paths = ", ".join(f"`{shown(path, _SHOWN_NAME)}`" for path in forcing)
            lines.append(f"- `+- {_short(urn)}` (replaced: {paths} forces a new resource)")
            lines += _blocked_line(diff, urn, "replace")
            lines += [f"  - {_change(c)}" for c in diff.changed[urn]]
    if updated:
        lines += ["", "### Changed", ""]
        for urn in updated:
            lines.append(f"- `~ {_short(urn)}`")
            lines += [f"  - {_change(c)}" for c in diff.changed[urn]]
    if diff.removed:
        lines += ["", "### Deleted", ""]
        for urn in diff.removed:
            lines.append(f"- `- {_short(urn)}`")
            lines += _blocked_line(diff, urn, "delete")
    if diff.outputs:
        lines += ["", "### Stack outputs", ""]
        lines += [f"- {_change(c)}" for c in diff.outputs]
    return "\n".join(lines) + "\n"
