"""The offline adapter: every enabled policy over the resources of a render.

What `check --policies` runs: the same checks the CrossGuard pack runs under `pulumi preview`,
applied to `python -m fhir_apps render` output (or `fhir_apps.render.engine.render(...).as_dict()`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from fhir_apps.policies.config import resolve_config
from fhir_apps.policies.registry import POLICIES
from fhir_apps.policies.stack import StackResource

__all__ = ["Violation", "has_mandatory", "run_policies"]


@dataclass(frozen=True, order=True)
class Violation:
    """One violation; `str()` is the line `check --policies` prints."""

    policy: str
    enforcement_level: str
    urn: str
    message: str

    def __str__(self) -> str:
        return f"{self.enforcement_level} {self.policy} {self.urn}: {self.message}"


def has_mandatory(violations: Sequence[Violation]) -> bool:
    """True when a violation blocks (what `pulumi preview` would refuse)."""
    return any(v.enforcement_level == "mandatory" for v in violations)


def run_policies(
    render_dict: Mapping[str, Any],
    config: Mapping[str, Any] | None = None,
    *,
    today: date | None = None,
) -> list[Violation]:
    """Apply every enabled policy to the resources of a render; violations sorted.

    `today` is the date secret end dates are measured from (default: today, UTC); pass the date
    the render was made for (`render --today`) to judge a past or future render.
    """
    resolved = resolve_config(config)
    resources = [
        StackResource(
            urn=r["urn"],
            type=r["type"],
            inputs=r.get("inputs") or {},
            # A render keeps each resource's dependencies; applicationId is the only input of a
            # credential that comes from an Application, so they identify its application.
            application_refs=tuple(r.get("dependsOn") or ()),
        )
        for r in render_dict.get("resources", [])
    ]
    found: set[Violation] = set()
    for policy in POLICIES:
        setting = resolved[policy.name]
        if setting.level == "disabled":
            continue
        properties = dict(setting.properties)
        if today is not None:
            properties["today"] = today
        if policy.check is not None:
            for resource in resources:
                for message in policy.check(resource.type, resource.inputs, properties):
                    found.add(Violation(policy.name, setting.level, resource.urn, message))
        elif policy.stack_check is not None:
            for urn, message in policy.stack_check(resources, properties):
                found.add(Violation(policy.name, setting.level, urn, message))
    return sorted(found)
