"""What the checks of `fhir_apps.spec.semantics` share: the list they fill, how they list
allowed values, and the checks of values that several parts of the spec hold."""

from __future__ import annotations

import re
from collections.abc import Sequence

from fhir_apps.rules.permissions import object_id_problem, permission_value_problems
from fhir_apps.rules.text import duplicate_indices
from fhir_apps.spec.model import FhirServer
from fhir_apps.spec.yamlio import Path_

# Client keys name Pulumi resources and display names: keep them to URL- and name-safe characters.
# Applied with fullmatch: `$` alone also matches before a trailing newline.
CLIENT_KEY_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
# Every problem found so far, as (key path, message), in the order found.
Found = list[tuple[Path_, str]]


def allowed(values: Sequence[str]) -> str:
    """The allowed values as a message lists them."""
    return ", ".join(values) if values else "(none defined)"


def allowed_briefly(values: Sequence[str], limit: int = 12) -> str:
    """The allowed values, or how many there are when the list would not fit on one line."""
    if len(values) <= limit:
        return f"allowed: {allowed(values)}"
    return f"{len(values)} are defined, e.g. {', '.join(values[:limit])}"


def check_owners(owners: Sequence[str], path: Path_, found: Found) -> None:
    """Owners (and other principals listed by object id) are object ids."""
    for index, owner in enumerate(owners):
        problem = object_id_problem(owner)
        if problem:
            found.append(((*path, index), problem))


def check_values(values: Sequence[str], path: Path_, what: str, found: Found) -> None:
    """Scope or app role values (`what` says which) Entra accepts, each listed once."""
    for index, value in enumerate(values):
        for problem in permission_value_problems(value, what):
            found.append(((*path, index), problem))
    for index in duplicate_indices(values):
        found.append(((*path, index), f"'{values[index]}' is listed twice; list it once"))


def camel(name: str) -> str:
    """A model attribute's YAML key: `resource_id` -> `resourceId`."""
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def first_party_note(server: FhirServer) -> str:
    """Why a managed kind's resource app settings are not ours to set."""
    label = "Azure Health Data Services" if server.kind == "ahds" else "Azure API for FHIR"
    return f"the {label} resource application belongs to Microsoft"
