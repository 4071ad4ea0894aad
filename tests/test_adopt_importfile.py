"""The import file `adopt --write` writes for `pulumi import --file`.

Pulumi 3.259.0 builds each entry's URN from its parent entry's URN, its type and its
`logicalName` (pkg/cmd/pulumi/operations/import.go, `parseImportFile`): the tests here do the
same, by hand, and require exactly the URNs of the program's own rendering for every resource
that has an import id, and nothing else but the components above them (declared with
`"component": true`, which the import creates in state: pkg/resource/deploy/import.go).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pulumi_azuread._utilities as azuread_sdk
import pytest

from fhir_apps.cli import main
from fhir_apps.render.engine import Rendering, render

FIXTURES = Path(__file__).parent / "fixtures" / "graph"
SMART = FIXTURES / "smart-sample"
STACK_TYPE = "pulumi:pulumi:Stack"
DEPLOYER = "6f1a3c5e-7b9d-4e2f-8a4c-6e8a0c2e4f61"


def _adopt(exports: Path, config: Path, *extra: str) -> list[str]:
    return [
        "adopt",
        "--applications",
        *sorted(str(p) for p in exports.glob("application-*.json")),
        "--service-principals",
        str(exports / "service-principals.json"),
        "--assignments",
        str(exports / "app-role-assignments.json"),
        "--permission-grants",
        str(exports / "oauth2-permission-grants.json"),
        "--environment",
        "dev",
        "--config-dir",
        str(config),
        *extra,
    ]


def _urns(entries: list[dict[str, Any]], stack: str, project: str) -> dict[str, str]:
    """Each entry's URN as `pulumi import` computes it: `urn:pulumi:<stack>::<project>::
    <parent's qualified type>$<type>::<logicalName>`, the root stack left out of the chain."""
    by_name = {e["name"]: e for e in entries}
    assert len(by_name) == len(entries), "names must be unique: parents refer to them"

    def qualified_type(entry: dict[str, Any]) -> str:
        parent = entry.get("parent")
        own = entry["type"]
        return f"{qualified_type(by_name[parent])}${own}" if parent else own

    return {
        e["name"]: f"urn:pulumi:{stack}::{project}::{qualified_type(e)}::"
        f"{e.get('logicalName', e['name'])}"
        for e in entries
    }


def _check_import_file(data: dict[str, Any], rendering: Rendering) -> None:
    entries = data["resources"]
    assert set(data) == {"resources"}  # no nameTable: every parent is declared in the file
    urns = _urns(entries, rendering.stack, rendering.project)
    rendered = {r.urn: r for r in rendering.resources}
    imported = {r.urn for r in rendering.resources if r.import_id}
    ancestors = set()
    for urn in imported:
        parent = rendered[urn].parent
        while parent and rendered[parent].type != STACK_TYPE:
            ancestors.add(parent)
            parent = rendered[parent].parent
    # Every resource with an import id, and the components above them: nothing else.
    assert set(urns.values()) == imported | ancestors
    for entry in entries:
        resource = rendered[urns[entry["name"]]]
        assert entry["type"] == resource.type
        assert entry.get("logicalName", entry["name"]) == resource.name
        parent = entry.get("parent")
        if resource.parent and rendered[resource.parent].type != STACK_TYPE:
            assert urns[parent] == resource.parent, entry
        else:
            assert parent is None, entry
        if resource.import_id:
            assert entry["id"] == resource.import_id
            assert "component" not in entry
            # The version the SDK registers with: the import uses the same default provider.
            assert entry["version"] == azuread_sdk.get_version()
        else:
            assert entry["component"] is True and "id" not in entry
    # Parents come before their children (easier to read; Pulumi resolves either order).
    seen: set[str] = set()
    for entry in entries:
        assert entry.get("parent") is None or entry["parent"] in seen, entry
        seen.add(entry["name"])


@pytest.mark.parametrize("exports", [FIXTURES, SMART], ids=["contoso", "smart-sample"])
def test_the_import_file_names_exactly_what_the_program_imports(
    exports: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "config"
    assert main(_adopt(exports, config, "--write")) == 0
    assert "wrote " + str(config / "imports" / "dev.json") in capsys.readouterr().err
    text = (config / "imports" / "dev.json").read_text(encoding="utf-8")
    # The program's own rendering of what was written, independent of the one adopt made.
    rendering = render(environment="dev", config_dir=config)
    _check_import_file(json.loads(text), rendering)
    assert len([r for r in rendering.resources if r.import_id]) >= 10


def test_two_components_with_one_name_get_distinct_names_and_the_right_urns(
    tmp_path: Path,
) -> None:
    # A client whose key is `assignments`, beside the RoleAssignments component `assignments`
    # that holds the group's assignment: one logical name, two types.
    portal = json.loads((FIXTURES / "application-clinician-portal.json").read_text())
    portal["displayName"] = "Assignments"
    exports = tmp_path / "exports"
    exports.mkdir()
    for path in FIXTURES.glob("*.json"):
        if path.name.startswith("application-") and path.name not in (
            "application-fhir-server.json",
            "application-clinician-portal.json",
        ):
            continue
        data = portal if path.name == "application-clinician-portal.json" else None
        text = json.dumps(data) if data else path.read_text(encoding="utf-8")
        (exports / path.name).write_text(text, encoding="utf-8")
    config = tmp_path / "config"
    assert main(_adopt(exports, config, "--write")) == 0
    data = json.loads((config / "imports" / "dev.json").read_text(encoding="utf-8"))
    named = [e for e in data["resources"] if e.get("logicalName", e["name"]) == "assignments"]
    assert len(named) == 2 and len({e["name"] for e in named}) == 2, named
    _check_import_file(data, render(environment="dev", config_dir=config))


def test_a_foreign_id_is_escaped_in_the_file_and_read_back_exactly(tmp_path: Path) -> None:
    assignments = json.loads((FIXTURES / "app-role-assignments.json").read_text())
    hostile = 'r4Kc\u202e0m1s\u2028x"y\\z'
    for assignment in assignments["value"]:
        if assignment["principalType"] == "Group":
            assignment["id"] = hostile
    exports = tmp_path / "exports"
    exports.mkdir()
    for path in FIXTURES.glob("*.json"):
        if path.name == "app-role-assignments.json":
            (exports / path.name).write_text(json.dumps(assignments), encoding="utf-8")
        elif not path.name.startswith("application-") or "fhir-server" in path.name:
            (exports / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    config = tmp_path / "config"
    assert main(_adopt(exports, config, "--write")) == 0
    raw = (config / "imports" / "dev.json").read_bytes()
    assert raw.isascii() and b"\\u202e" in raw and b"\\u2028" in raw
    ids = [e.get("id") for e in json.loads(raw)["resources"]]
    assert any(i and i.endswith("/appRoleAssignedTo/" + hostile) for i in ids)


def test_an_existing_import_file_is_kept_unless_forced(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "config"
    target = tmp_path / "import.json"
    target.write_text("{}\n", encoding="utf-8")
    argv = _adopt(SMART, config, "--write", "--import-file", str(target))
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err == (
        f"adopt: {target}: exists; adopt will not overwrite it (pass --force to replace it, or "
        "print the YAML without --write and merge by hand)\n"
    )
    # Refused before anything was written: neither the environment file nor base.yaml.
    assert not config.exists() and target.read_text(encoding="utf-8") == "{}\n"
    assert main([*argv, "--force"]) == 0
    assert json.loads(target.read_text(encoding="utf-8"))["resources"]
    assert not (config / "imports").exists()  # --import-file names the only one


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (("--import-file", "x.json"), "adopt: --import-file goes with --write"),
        (("--check", "--import-file", "x.json"), "adopt: --import-file goes with --write"),
        (("--accept-changes",), "adopt: --accept-changes goes with --check"),
        (("--deployer", "me"), "adopt: --deployer 'me' must be an object id (a GUID)"),
    ],
)
def test_options_that_do_not_go_together_are_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: tuple[str, ...], message: str
) -> None:
    assert main(_adopt(SMART, tmp_path / "config", *extra)) == 1
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.startswith(message)
    assert len(captured.err.splitlines()) == 1
    assert not (tmp_path / "config").exists()
