"""The publishable policy pack (`scripts/policy_pack.py build`): self-contained, and exactly the
policies `check --policies` runs.

The built pack is run the way the Pulumi CLI runs a Python pack (`runpy.run_path(<pack dir>)`,
which puts the pack first on sys.path), in a separate interpreter in isolated mode, from a
directory outside the repository, with the project's other dependencies made unimportable: so
it can only work if the pack carries every module it needs and its requirements name the rest.
"""

from __future__ import annotations

import copy
import datetime as dt
import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

from fhir_apps.policies import crossguard_policies, policy_config_for_spec, run_policies
from fhir_apps.render.engine import PROJECT_DIR, render
from fhir_apps.spec.loader import load_spec

ROOT = PROJECT_DIR
TODAY = dt.date(2025, 6, 1)
SUB = "/subscriptions/00000000-0000-0000-0000-000000000000"
FHIR_DATA_READER = (
    f"{SUB}/providers/Microsoft.Authorization/roleDefinitions/4c8d0bbc-75d3-4935-991f-5f3c56d81508"
)
# What the project installs besides the pack's own requirements: the pack must not need them.
NOT_IN_PACK = ("pydantic", "cryptography", "pulumi_azuread", "pulumi_azure_native", "components")


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "policy_pack", ROOT / "scripts" / "policy_pack.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


policy_pack = _script()


@pytest.fixture(scope="module")
def pack(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("built") / "policy-pack"
    assert policy_pack.main(["build", str(out)]) == 0
    return out


def _tampered_render() -> dict[str, Any]:
    """The dev stack's render with violations of several policies, resource and stack ones."""
    data = copy.deepcopy(render(environment="dev", stack="dev", today=TODAY).as_dict())
    for resource in data["resources"]:
        inputs = resource["inputs"]
        if resource["name"] == "dashboard-app":
            inputs["web"]["implicitGrant"]["accessTokenIssuanceEnabled"] = True
        if resource["name"] == "growth-chart-app":
            inputs["singlePageApplication"]["redirectUris"].append("https://*.contoso.com/")
        if resource["name"] == "exporter-app":
            del inputs["owners"]
    data["resources"].append(
        {
            "urn": "urn:pulumi:dev::fhir-apps::azure-native:authorization:RoleAssignment::readers",
            "type": "azure-native:authorization:RoleAssignment",
            "name": "readers",
            "dependsOn": [],
            "inputs": {
                "principalId": "5e4d3c2b-1a09-4f8e-9d7c-6b5a49382716",
                "roleDefinitionId": FHIR_DATA_READER,
                "scope": f"{SUB}/resourceGroups/rg-fhir",
            },
        }
    )
    return data


# Runs in the isolated interpreter: block the project's other dependencies, start the pack as the
# CLI does (with PolicyPack recording instead of serving), then apply the pack's own
# `run_policies` to a render.
PROBE = """
import importlib.abc, json, runpy, sys
pack, render_file, config_file, blocked = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]

class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in blocked:
            raise ModuleNotFoundError(f"{name} is not available to the pack", name=name)
        return None

sys.meta_path.insert(0, Block())
import pulumi_policy
recorded = {}
pulumi_policy.PolicyPack = lambda **kwargs: recorded.update(kwargs)
runpy.run_path(pack, run_name="__main__")
from fhir_apps.policies import run_policies
import datetime
violations = run_policies(
    json.load(open(render_file)), json.load(open(config_file)), today=datetime.date(2025, 6, 1)
)
print(json.dumps({
    "name": recorded["name"],
    "policies": [
        [p.name, p.description, str(p.enforcement_level.value),
         p.config_schema.properties if p.config_schema else None, type(p).__name__]
        for p in recorded["policies"]
    ],
    "modules": sorted(
        m.__file__ for n, m in sys.modules.items() if n.split(".")[0] == "fhir_apps"
    ),
    "path": sys.path,
    "violations": [str(v) for v in violations],
}))
"""


def _describe(policies: list[Any]) -> list[list[Any]]:
    return [
        [
            p.name,
            p.description,
            str(p.enforcement_level.value),
            p.config_schema.properties if p.config_schema else None,
            type(p).__name__,
        ]
        for p in policies
    ]


@pytest.fixture(scope="module")
def probe(pack: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    work = tmp_path_factory.mktemp("probe")
    render_file = work / "render.json"
    render_file.write_text(json.dumps(_tampered_render()), encoding="utf-8")
    config_file = work / "config.json"
    config = policy_config_for_spec(load_spec(ROOT / "config", environment="dev", stack="dev"))
    config_file.write_text(json.dumps(config), encoding="utf-8")
    script = work / "probe.py"
    script.write_text(PROBE, encoding="utf-8")
    result = subprocess.run(
        # -I: no PYTHONPATH, no user site, no script directory; cwd outside the repository.
        [
            sys.executable,
            "-I",
            str(script),
            str(pack),
            str(render_file),
            str(config_file),
            *NOT_IN_PACK,
        ],
        capture_output=True,
        text=True,
        cwd=work,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout))


def test_built_pack_runs_alone_and_defines_the_same_policies(probe: dict[str, Any]) -> None:
    assert probe["name"] == "fhir-apps-guardrails"
    assert probe["policies"] == json.loads(json.dumps(_describe(crossguard_policies())))
    assert len(probe["policies"]) >= 10


def test_built_pack_uses_only_its_own_copy_of_the_modules(
    probe: dict[str, Any], pack: Path
) -> None:
    assert probe["modules"], "the pack imported nothing of fhir_apps"
    for module in probe["modules"]:
        assert Path(module).is_relative_to(pack), module
    assert str(ROOT) not in probe["path"]


def test_built_pack_finds_what_check_policies_finds(probe: dict[str, Any]) -> None:
    render_dict = _tampered_render()
    config = policy_config_for_spec(load_spec(ROOT / "config", environment="dev", stack="dev"))
    expected = [str(v) for v in run_policies(render_dict, config, today=TODAY)]
    assert probe["violations"] == expected
    # The comparison means something only if several policies, of both kinds, fired.
    fired = {line.split()[1] for line in expected}
    assert {
        "entra-implicit-grant-off",
        "entra-redirect-uris",
        "entra-application-owners",
        "fhir-rbac-service-scope",
    } <= fired


def test_built_modules_are_byte_for_byte_the_repository_s(pack: Path) -> None:
    copied = sorted(p.relative_to(pack) for p in (pack / "fhir_apps").rglob("*.py"))
    for module in ("policies/registry.py", "policies/resources.py", "policies/stack.py"):
        assert Path("fhir_apps", module) in copied
    assert Path("fhir_apps/resource_types.py") in copied
    for relative in copied:
        assert (pack / relative).read_bytes() == (ROOT / relative).read_bytes(), relative
    assert (pack / "__main__.py").read_bytes() == (ROOT / "policy" / "__main__.py").read_bytes()
    # Only what the policies import: not the spec (pydantic) or the render engine.
    assert not (pack / "fhir_apps" / "spec").exists()
    assert not (pack / "fhir_apps" / "render").exists()


def test_built_pack_has_its_own_virtualenv_and_the_project_s_pins(pack: Path) -> None:
    built = yaml.safe_load((pack / "PulumiPolicy.yaml").read_text(encoding="utf-8"))
    source = yaml.safe_load((ROOT / "policy" / "PulumiPolicy.yaml").read_text(encoding="utf-8"))
    assert built["runtime"]["options"]["virtualenv"] == "venv"  # inside the pack, not ../.venv
    assert built["runtime"]["name"] == "python"
    assert (built["version"], built["description"]) == (source["version"], source["description"])
    pins = [
        line
        for line in (pack / "requirements.txt").read_text(encoding="utf-8").splitlines()
        if line and not line.startswith("#")
    ]
    project = (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines()
    assert sorted(pins) == sorted(
        line for line in project if line.startswith(("pulumi==", "pulumi-policy=="))
    )


def test_closure_follows_function_level_imports_and_skips_type_checking(tmp_path: Path) -> None:
    entry = tmp_path / "__main__.py"
    entry.write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from fhir_apps.spec.model import Spec\n"
        "def later():\n"
        "    from fhir_apps.safeio import atomic\n",
        encoding="utf-8",
    )
    modules, external = policy_pack.closure(entry)
    assert "fhir_apps.safeio.atomic" in modules
    assert "fhir_apps.spec.model" not in modules
    assert "typing" in external


def test_rebuild_needs_force_and_never_replaces_a_foreign_directory(tmp_path: Path) -> None:
    out = tmp_path / "pack"
    assert policy_pack.main(["build", str(out)]) == 0
    assert policy_pack.main(["build", str(out)]) == 1
    (out / "stale.txt").write_text("from an older build", encoding="utf-8")
    assert policy_pack.main(["build", str(out), "--force"]) == 0
    assert not (out / "stale.txt").exists()
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me", encoding="utf-8")
    assert policy_pack.main(["build", str(foreign), "--force"]) == 1
    assert (foreign / "notes.txt").read_text(encoding="utf-8") == "keep me"


def test_stack_policy_config_is_what_check_policies_applies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)  # Pulumi.dev-eu.yaml names the stack's environment
    out = tmp_path / "policy-config.json"
    assert policy_pack.main(["config", "--stack", "dev-eu", "--output", str(out)]) == 0
    spec = load_spec(ROOT / "config", environment="dev", stack="dev-eu")
    assert json.loads(out.read_text(encoding="utf-8")) == policy_config_for_spec(spec)


def test_stack_policy_config_of_a_bad_config_is_one_line_per_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "environments").mkdir()
    (tmp_path / "base.yaml").write_text("fhirServer: {kind: nope}\n", encoding="utf-8")
    (tmp_path / "environments" / "dev.yaml").write_text("{}\n", encoding="utf-8")
    out = tmp_path / "policy-config.json"
    argv = ["config", "--stack", "dev", "--config-dir", str(tmp_path), "--output", str(out)]
    assert policy_pack.main(argv) == 1
    err = capsys.readouterr().err
    assert "base.yaml: fhirServer.kind:" in err and "Traceback" not in err
    assert not out.exists()
