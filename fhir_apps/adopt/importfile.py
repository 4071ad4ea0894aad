"""The file `pulumi import --file` takes: every existing object the program adopts, by the exact
type, name and parent the program registers it under, so that state holds the objects as they
are and nothing is changed in Entra by the import.

Why a file, when the program already passes each import id as the `import_` option: since
Pulumi 3.174.0 (pulumi/pulumi#19339) the engine imports *and then updates* in one `pulumi up`
(v3.259.0 pkg/resource/deploy/step_generator.go, `isImport` and `continueStepsFromImport`), so
the first `up` would change an adopted object wherever the config differs from it, with no
review step. `pulumi import --file` only reads (the provider's Read) and writes state; after it,
`pulumi preview --diff` diffs the program against the imported objects and shows exactly what
adoption changes, and `up` then finds the ids in state equal to the `import_` options and
imports nothing again (step.go: a `pulumi import` leaves ImportID empty, so the state's ID is
compared).

Everything comes from a rendering of the adopted config (the same program), never from a copy
of its naming rules. The format is v3.259.0 pkg/cmd/pulumi/operations/import.go (`importFile`,
`importSpec`, `parseImportFile`): a resource's `parent` names another entry of the file (or of
`nameTable`); the URN is built from the parent's qualified type, the type and `logicalName`.
A component parent that is not in state yet must be declared as an entry with `"component":
true` (and no id), which the import creates in state (pkg/resource/deploy/import.go); a URN in
`nameTable` alone would name a parent that does not exist. Each custom resource carries the
provider `version` the program's SDK registers with, so the import uses the same default
provider (`default_<major>_<minor>_<patch>`, providers/provider.go `DefaultName`) as `up`.
"""

from __future__ import annotations

import importlib.metadata
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:  # the engine (Pulumi's SDK) is imported only where a render is made
    from fhir_apps.render.engine import RenderedResource as _Resource
    from fhir_apps.render.engine import Rendering as _Rendering

__all__ = ["IMPORT_DIRECTORY", "import_file", "import_file_path", "import_file_text"]

# Relative to the config directory: `config/imports/<environment>.json`.
IMPORT_DIRECTORY: Final = "imports"
_STACK_TYPE: Final = "pulumi:pulumi:Stack"


def import_file_path(config_dir: Path, environment: str) -> Path:
    """Where `adopt --write` puts the import file by default."""
    return config_dir / IMPORT_DIRECTORY / f"{environment}.json"


def import_file(rendering: _Rendering) -> dict[str, Any]:
    """`{"resources": [...]}`: each rendered resource with an import id, and the components
    above it (parents first), in the rendering's order."""
    by_urn = {r.urn: r for r in rendering.resources}
    wanted = [r for r in rendering.resources if r.import_id]
    needed: set[str] = set()
    for resource in wanted:
        needed |= set(_component_ancestors(resource, by_urn))
    entries = [r for r in rendering.resources if r.urn in needed or r.import_id]
    names = _names(entries)
    ordered = sorted(entries, key=lambda r: (_depth(r, by_urn), r.urn))
    return {"resources": [_entry(r, names, by_urn) for r in ordered]}


def import_file_text(rendering: _Rendering) -> str:
    """The import file as JSON text: ASCII only (every character of a foreign id escaped)."""
    return json.dumps(import_file(rendering), indent=2, ensure_ascii=True) + "\n"


def _component_ancestors(resource: _Resource, by_urn: Mapping[str, _Resource]) -> list[str]:
    found = []
    parent = resource.parent
    while parent and parent in by_urn and by_urn[parent].type != _STACK_TYPE:
        found.append(parent)
        parent = by_urn[parent].parent
    return found


def _depth(resource: _Resource, by_urn: Mapping[str, _Resource]) -> int:
    return len(_component_ancestors(resource, by_urn))


def _names(entries: Sequence[_Resource]) -> dict[str, str]:
    """A name per URN, unique in the file (a parent is referred to by it): the logical name,
    unless two entries share it (two types may use one name), then `<name>-<n>`."""
    taken: dict[str, int] = {}
    for resource in entries:
        taken[resource.name] = taken.get(resource.name, 0) + 1
    names: dict[str, str] = {}
    used = set(taken)
    for resource in sorted(entries, key=lambda r: r.urn):
        name = resource.name
        if taken[name] > 1:
            number = 2
            while f"{name}-{number}" in used:
                number += 1
            name = f"{name}-{number}"
            used.add(name)
        names[resource.urn] = name
    return names


def _entry(
    resource: _Resource, names: Mapping[str, str], by_urn: Mapping[str, _Resource]
) -> dict[str, Any]:
    entry: dict[str, Any] = {"type": resource.type, "name": names[resource.urn]}
    if names[resource.urn] != resource.name:
        entry["logicalName"] = resource.name
    parent = resource.parent
    if parent and parent in by_urn and by_urn[parent].type != _STACK_TYPE:
        entry["parent"] = names[parent]
    if resource.import_id:
        entry["id"] = resource.import_id
        version = provider_version(resource.type)
        if version:
            entry["version"] = version
    else:
        entry["component"] = True
    return entry


def provider_version(type_token: str) -> str | None:
    """The version of the installed SDK package of `type_token`'s provider (`azuread:...` ->
    pulumi_azuread), which is the version the program registers its resources with."""
    package = type_token.split(":", 1)[0]
    try:
        return importlib.metadata.version(f"pulumi_{package.replace('-', '_')}")
    except importlib.metadata.PackageNotFoundError:
        return None
