"""What a reviewer must not miss in a render diff: replacements, blocked deletions, warnings.

`fhir_apps.render.diff` finds what changed; this says what the engine will do about it:

- a change to an input that forces a new resource is a **replacement**
  (`fhir_apps.render.replacements` lists them, with their sources);
- a resource that was `protect`ed in the old render cannot be deleted (nor replaced, which
  deletes the old one): `pulumi up` refuses, so the change is **blocked** until the resource is
  retired (`retire: true`, one release) or unprotected on purpose;
- a changed token audience (the FHIR server's URL) is a breaking change for every client;
- two renders of different stacks or environments are not a diff of anything that will happen.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fhir_apps.render.replacements import replacing_inputs
from fhir_apps.safeio.text import shown

__all__ = ["audience_change", "blocked", "replaced", "resource_type", "target_mismatch"]

# The stack output that carries the token audience (components.stack_outputs.stack_outputs).
_AUDIENCE = "outputs.server.audience"


def resource_type(urn: str, resource: Mapping[str, Any] | None = None) -> str:
    """A resource's type token: its `type`, else the last type of its URN's type chain."""
    given = resource.get("type") if resource is not None else None
    if isinstance(given, str) and given:
        return given
    parts = urn.split("::", 3)
    return parts[2].split("$")[-1] if len(parts) == 4 else ""


def replaced(
    changed: Mapping[str, tuple[Any, ...]], resources: Mapping[str, Mapping[str, Any]]
) -> dict[str, tuple[str, ...]]:
    """`{urn: changed input paths that force a new resource}` for each replaced resource.

    changed: `RenderDiff.changed` (changes with a `path`); resources: the new render's by URN.
    """
    found: dict[str, tuple[str, ...]] = {}
    for urn, changes in changed.items():
        paths = replacing_inputs(
            resource_type(urn, resources.get(urn)), [change.path for change in changes]
        )
        if paths:
            found[urn] = tuple(paths)
    return found


def blocked(
    deleted: tuple[str, ...],
    replacements: Mapping[str, tuple[str, ...]],
    old: Mapping[str, Mapping[str, Any]],
) -> tuple[str, ...]:
    """URNs whose deletion (or replacement) `pulumi up` refuses: protected in the old render,
    which is what the stack's state holds after the last `up` of that render."""
    urns = [*deleted, *replacements]
    return tuple(sorted(urn for urn in urns if old.get(urn, {}).get("protect") is True))


def target_mismatch(old: Mapping[str, Any], new: Mapping[str, Any]) -> str | None:
    """A warning when the renders are of different stacks or environments, else None."""
    differs = [
        key
        for key in ("stack", "environment")
        if isinstance(old.get(key), str) and isinstance(new.get(key), str) and old[key] != new[key]
    ]
    if not differs:
        return None
    where = ", ".join(f"{key} {shown(old[key])} → {shown(new[key])}" for key in differs)
    return (
        f"these renders are of different targets ({where}): the diff compares two stacks, not "
        "what `pulumi up` of either would do; render the same stack before and after the change"
    )


def audience_change(outputs: tuple[Any, ...]) -> str | None:
    """A warning when the token audience (the server URL) changes, else None."""
    for change in outputs:
        if change.path == _AUDIENCE and change.old != change.new:
            return (
                f"the FHIR server's audience changes from {_text(change.old)} to "
                f"{_text(change.new)}: a breaking change. Every client's scope strings change, "
                "tokens issued for the old audience are refused once the server accepts only "
                "the new one, and the server (or the FHIR service's authenticationConfiguration"
                ".audience) must switch with them; derived scope and role ids do not change with it"
            )
    return None


def _text(value: Any) -> str:
    return f"'{shown(value)}'" if isinstance(value, str) else "(none)"
