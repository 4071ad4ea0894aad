"""The scale benchmark (benchmarks/): a smoke run at N = 10 and 20, and its pure helpers.

Only structure and sanity are asserted here, never a timing: the machine running the tests says
nothing about the figures in docs/performance.md.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.configs import MIX, config_layers
from benchmarks.scale import graph_depth, program_imports, startup_sets

PROJECT_DIR = Path(__file__).resolve().parents[1]


def _resource(urn: str, parent: str | None = None, *depends_on: str) -> dict[str, object]:
    return {"urn": urn, "parent": parent, "dependsOn": list(depends_on)}


def test_graph_depth_follows_parents_and_dependencies() -> None:
    resources = [
        _resource("stack"),
        _resource("server", "stack"),
        _resource("server-app", "server"),
        _resource("client", "stack"),
        _resource("client-app", "client", "server-app"),
        _resource("client-sp", "client", "client-app"),
    ]
    # stack <- server <- server-app <- client-app <- client-sp
    assert graph_depth(resources) == 5
    assert graph_depth([]) == 0


def test_graph_depth_of_a_long_chain_does_not_recurse() -> None:
    resources = [_resource("r0")] + [_resource(f"r{i}", f"r{i - 1}") for i in range(1, 5000)]
    assert graph_depth(resources) == 5000


def test_generated_config_mixes_every_kind() -> None:
    base, environment = config_layers(20)
    kinds = [client["kind"] for client in base["clients"].values()]
    assert kinds.count("confidential") == 6
    assert kinds.count("public") == 6
    assert kinds.count("service") == 8
    assert len(MIX) == 10
    assert environment["fhirServer"]["url"].startswith("https://")


def test_program_imports_are_the_programs_own_non_stdlib_imports(tmp_path: Path) -> None:
    program = tmp_path / "__main__.py"
    program.write_text(
        "import datetime as dt\nfrom pathlib import Path\nimport pulumi\n"
        "from components.stack import build\nfrom fhir_apps.spec import loader\n"
        "from . import sibling\nimport pulumi\n"
        "def later():\n    import pulumi_azure_native\n",
        encoding="utf-8",
    )
    # Module-level imports only (a function's lazy import is not start-up), stdlib and relative
    # imports left out, each once, in order.
    assert program_imports(program) == ["pulumi", "components.stack", "fhir_apps.spec"]


def test_startup_measures_what_the_real_program_imports() -> None:
    sets = startup_sets()
    program = sets["registrations-only program"]
    assert program[0] == "pulumi_azuread"
    assert {"components.stack", "fhir_apps.spec.loader"} <= set(program)
    assert "fhir_apps.render.engine" not in program  # `pulumi up` never loads the renderer
    managed = sets["+ azure-native (managed FHIR service)"]
    assert managed[: len(program)] == program
    assert all(name.startswith("pulumi_azure_native.") for name in managed[len(program) :])


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict[str, object]]:
    out = tmp_path_factory.mktemp("bench") / "report.json"
    args = ["--sizes", "10,20", "--repeat", "1", "--startup-repeat", "1", "--json", str(out)]
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.scale", *args],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout, json.loads(out.read_text(encoding="utf-8"))


def test_smoke_run_prints_the_table(report: tuple[str, dict[str, object]]) -> None:
    stdout, _ = report
    assert "| clients | resources | render s | baseline s | ratio |" in stdout
    assert "| pulumi_azuread alone |" in stdout
    assert "| clients | outputs | asyncio tasks | stack frames captured |" in stdout


def test_smoke_run_figures_are_sane(report: tuple[str, dict[str, object]]) -> None:
    _, data = report
    sizes = data["sizes"]
    assert isinstance(sizes, list)
    assert [size["clients"] for size in sizes] == [10, 20]
    for size in sizes:
        # The baseline registered exactly the program's resources and outputs.
        assert size["baseline_identical"] is True
        assert size["depth"] == size["baseline_depth"]
        for key in ("time_ratio", "rss_ratio", "render_seconds", "baseline_seconds"):
            assert size[key] > 0, key
        assert len(size["runs"]["render"]) == len(size["runs"]["baseline"]) == 1
        per_client = size["per_client"]
        assert sum(kind["clients"] for kind in per_client.values()) == size["clients"]
        assert set(per_client) == {
            "confidential/certificate",
            "confidential/secret",
            "public",
            "service/certificate",
            "service/federated",
            "service/secret",
        }
        # The counts came from a render of the same resources, and each hook saw work.
        for mode in ("render", "baseline"):
            work = size["work"][mode]
            assert work["resources"] == size["resources"], mode
            assert work["outputs"] > 0 and work["tasks"] > 0 and work["stack_frames"] > 0, mode
    # Clients depend on the resource app, never on each other: the depth does not grow with N.
    assert sizes[0]["depth"] == sizes[1]["depth"]
    assert sizes[1]["resources"] > sizes[0]["resources"]
    startup = data["startup"]
    assert isinstance(startup, dict)
    assert list(startup) == list(startup_sets())
    for label, figures in startup.items():
        assert 0 < figures["seconds_min"] <= figures["seconds"], label
        assert figures["over_azuread_min"] <= figures["over_azuread"] < figures["seconds"], label
    # pulumi_azuread alone has nothing after it; the program imports more than pydantic.
    assert startup["pulumi_azuread alone"]["over_azuread"] < 0.01
    assert startup["registrations-only program"]["over_azuread"] > 0
