"""Scale benchmark: render N clients, against a flat program that registers the same resources.

    python -m benchmarks.scale [--sizes 10,100,500,1000] [--repeat 3] [--cli] [--json FILE]

For each N it generates a config (benchmarks.configs), then measures, each run in a fresh process
(benchmarks.measure), the wall time and peak RSS of `render` and of the baseline
(benchmarks/baseline: the same resources, types, names, parents and inputs, registered with the
same SDK under the same mocks, without spec, validation or components). Runs of the two
alternate, and the median of `--repeat` runs is reported. It checks that the baseline registered
exactly what the program did, and reports resources per client by kind and the depth of the
dependency graph (longest chain over dependsOn and parent edges), which must not grow with N.
It also counts, in one more run of each, the outputs, asyncio tasks and stack frames the SDK
creates for the render: figures that do not depend on the machine. Then the start-up: importing
pulumi_azuread alone, with pydantic, with the spec model, the program's own imports for a
registrations-only stack, and those plus the azure-native modules of a managed FHIR service.

Figures and how to read them: docs/performance.md.
"""

from __future__ import annotations

import argparse
import ast
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.configs import PROJECT_DIR, generate

__all__ = ["graph_depth", "main", "per_client", "program_imports", "run", "startup_sets"]

CLIENT_TYPES = {
    "fhir-apps:confidential_client:ConfidentialClient": "confidential",
    "fhir-apps:public_client:PublicClient": "public",
    "fhir-apps:service_client:ServiceClient": "service",
}
MANAGED_MODULES = ("pulumi_azure_native.healthcareapis", "pulumi_azure_native.authorization")


def program_imports(program: Path = PROJECT_DIR / "__main__.py") -> list[str]:
    """The modules the Pulumi program imports itself, in order: what `pulumi up` loads.

    Module-level imports only, without the standard library and relative imports. For
    `from package import name` it lists `package`: a submodule imported that way would be
    missed, which is why `__main__.py` names its modules in full.
    """
    names: list[str] = []
    for node in ast.parse(program.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.append(node.module)
    return [
        name for name in dict.fromkeys(names) if name.split(".")[0] not in sys.stdlib_module_names
    ]


def startup_sets() -> dict[str, list[str]]:
    """What each start-up figure imports, in order, in a fresh process.

    The first is the floor the target is measured from; the two between it and the program show
    where the program's own share goes (pydantic, and building the spec model's validators).
    """
    program = ["pulumi_azuread", *program_imports()]
    return {
        "pulumi_azuread alone": ["pulumi_azuread"],
        "pulumi_azuread + pydantic (BaseModel)": ["pulumi_azuread", "pydantic.main"],
        "pulumi_azuread + the spec model (pydantic, validators built)": [
            "pulumi_azuread",
            "fhir_apps.spec.model",
        ],
        "registrations-only program": program,
        "+ azure-native (managed FHIR service)": [*program, *MANAGED_MODULES],
    }


def graph_depth(resources: Sequence[dict[str, Any]]) -> int:
    """Resources on the longest chain of dependsOn and parent edges (the stack counts as one)."""
    edges = {
        r["urn"]: {*r["dependsOn"], *([r["parent"]] if r["parent"] else [])} for r in resources
    }
    depth: dict[str, int] = {}

    def visit(urn: str) -> int:
        # Iterative: a long chain must not hit the recursion limit.
        stack = [urn]
        while stack:
            top = stack[-1]
            pending = [e for e in edges.get(top, ()) if e not in depth and e in edges]
            if pending:
                stack.extend(pending)
                continue
            stack.pop()
            depth[top] = 1 + max((depth[e] for e in edges[top] if e in depth), default=0)
        return depth[urn]

    return max((visit(urn) for urn in edges), default=0)


def per_client(rendering: dict[str, Any]) -> dict[str, dict[str, float]]:
    """Resources per client (its component and everything under it), by kind and credential."""
    resources = rendering["resources"]
    parent = {r["urn"]: r["parent"] for r in resources}
    clients = {r["urn"]: r for r in resources if r["type"] in CLIENT_TYPES}
    counts: Counter[str] = Counter()
    for resource in resources:
        urn: str | None = resource["urn"]
        while urn is not None and urn not in clients:
            urn = parent.get(urn)
        if urn is not None:
            counts[urn] += 1
    outputs = rendering["outputs"].get("clients", {})
    by_kind: dict[str, list[int]] = defaultdict(list)
    for urn, client in clients.items():
        kind = CLIENT_TYPES[client["type"]]
        credential = outputs.get(client["name"], {}).get("credentialType")
        by_kind[f"{kind}/{credential}" if credential else kind].append(counts[urn])
    return {
        kind: {"clients": len(n), "min": min(n), "max": max(n), "mean": statistics.fmean(n)}
        for kind, n in sorted(by_kind.items())
    }


def _measure(work: Path, *args: str) -> dict[str, Any]:
    """Run `benchmarks.measure ARGS` in a fresh process; its figures as a dict.

    Byte-code caches are on, kept under `work` (PYTHONPYCACHEPREFIX) so the checkout stays
    clean: pulumi_azuread and pydantic come with theirs from pip, and on any run after the first
    the program has its own too. Without that (PYTHONDONTWRITEBYTECODE, as on some CI images)
    every process would compile the program's modules from source, about 35 ms, and charge it to
    the program.
    """
    env = {**os.environ, "PYTHONPATH": str(PROJECT_DIR), "PYTHONPYCACHEPREFIX": str(work / "pyc")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.measure", *args],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"benchmarks.measure {' '.join(args)} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _median(runs: list[dict[str, Any]], key: str) -> float:
    return statistics.median(float(run[key]) for run in runs)


def _same_resources(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return a["resources"] == b["resources"] and a["outputs"] == b["outputs"]


def run_size(count: int, repeat: int, today: dt.date, cli: bool, work: Path) -> dict[str, Any]:
    """Measure one N; the renders of the first runs are kept for the structural figures."""
    config_dir = generate(work / f"n{count}", count, today)
    render_json, baseline_json = work / f"render-{count}.json", work / f"baseline-{count}.json"
    runs: dict[str, list[dict[str, Any]]] = {"render": [], "baseline": [], "cli": []}
    for index in range(repeat):
        for mode, out in (("render", render_json), ("baseline", baseline_json)):
            extra = [str(out)] if index == 0 else []
            runs[mode].append(_measure(work, mode, str(config_dir), today.isoformat(), *extra))
        if cli:
            runs["cli"].append(_measure(work, "cli", str(config_dir), today.isoformat()))
    # Counts, not times: one run each is enough, and they are kept out of the timed runs.
    counted = {
        mode: _measure(work, "work", mode, str(config_dir), today.isoformat())
        for mode in ("render", "baseline")
    }
    rendering = json.loads(render_json.read_text(encoding="utf-8"))
    baseline = json.loads(baseline_json.read_text(encoding="utf-8"))
    result: dict[str, Any] = {
        "clients": count,
        "resources": len(rendering["resources"]),
        "baseline_identical": _same_resources(rendering, baseline),
        "depth": graph_depth(rendering["resources"]),
        "baseline_depth": graph_depth(baseline["resources"]),
        "per_client": per_client(rendering),
        "work": counted,
        "runs": runs,
    }
    for mode in ("render", "baseline") + (("cli",) if cli else ()):
        result[f"{mode}_seconds"] = _median(runs[mode], "seconds")
        result[f"{mode}_rss_mib"] = _median(runs[mode], "peak_rss_kib") / 1024
    result["time_ratio"] = result["render_seconds"] / result["baseline_seconds"]
    result["rss_ratio"] = result["render_rss_mib"] / result["baseline_rss_mib"]
    return result


def startup(repeat: int, work: Path) -> dict[str, dict[str, float]]:
    """Import times of each start-up set, each run in a fresh process: median and minimum.

    `seconds` is the whole set; `over_azuread` is the time after `pulumi_azuread` in the same
    process, which is what the target is about. Between processes the import of
    `pulumi_azuread` alone scatters by about ±0.1 s on a shared machine, as much as the
    difference sought, so differences of two medians would say little. The sets are measured in
    turn within each round, so a busy spell touches all of them rather than one.
    """
    sets = startup_sets()
    runs: dict[str, list[dict[str, Any]]] = {label: [] for label in sets}
    for modules in sets.values():
        _measure(work, "import", ",".join(modules))  # not counted: fills the byte-code cache
    for _ in range(repeat):
        for label, modules in sets.items():
            runs[label].append(_measure(work, "import", ",".join(modules)))
    figures: dict[str, dict[str, float]] = {}
    for label, measured in runs.items():
        totals = [float(run["seconds"]) for run in measured]
        over = [float(run["seconds"]) - float(run["steps"][0]) for run in measured]
        figures[label] = {
            "seconds": statistics.median(totals),
            "seconds_min": min(totals),
            "over_azuread": statistics.median(over),
            "over_azuread_min": min(over),
        }
    return figures


def machine() -> dict[str, str]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "python": platform.python_version(),
        "date": dt.date.today().isoformat(),
    }


def run(
    sizes: Sequence[int], repeat: int, *, cli: bool = False, startup_repeat: int = 5
) -> dict[str, Any]:
    """Every measurement, as data (what `--json` writes)."""
    today = dt.date.today()
    with tempfile.TemporaryDirectory(prefix="fhir-apps-bench-") as name:
        work = Path(name)
        # Every timed run then finds the program's byte-code (see _measure); both __main__.py
        # files are compiled on every run by runpy, alike.
        _measure(work, "import", ",".join(startup_sets()["registrations-only program"]))
        results = [run_size(n, repeat, today, cli, work) for n in sizes]
        started = startup(startup_repeat, work) if startup_repeat else {}
    return {
        "machine": machine(),
        "repeat": repeat,
        "sizes": results,
        "startup": started,
    }


def format_report(report: dict[str, Any]) -> str:
    m = report["machine"]
    lines = [
        f"{m['cpu']}, {m['cores']} cores, Python {m['python']}, {m['date']}; "
        f"median of {report['repeat']} runs, each in a fresh process",
        "",
        "| clients | resources | render s | baseline s | ratio | render RSS MiB | "
        "baseline RSS MiB | ratio | depth (baseline) | same resources |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|:---:|",
    ]
    for r in report["sizes"]:
        lines.append(
            f"| {r['clients']} | {r['resources']} | {r['render_seconds']:.2f} | "
            f"{r['baseline_seconds']:.2f} | {r['time_ratio']:.2f} | {r['render_rss_mib']:.0f} | "
            f"{r['baseline_rss_mib']:.0f} | {r['rss_ratio']:.2f} | {r['depth']} "
            f"({r['baseline_depth']}) | {'yes' if r['baseline_identical'] else 'NO'} |"
        )
    if any("cli_seconds" in r for r in report["sizes"]):
        lines += ["", "| clients | `python -m fhir_apps render` s | RSS MiB |", "|---:|---:|---:|"]
        for r in report["sizes"]:
            if "cli_seconds" in r:
                lines.append(
                    f"| {r['clients']} | {r['cli_seconds']:.2f} | {r['cli_rss_mib']:.0f} |"
                )
    lines += [
        "",
        "What the SDK does per render (counts, the same on any machine), render / baseline:",
        "",
        "| clients | outputs | asyncio tasks | stack frames captured |",
        "|---:|---:|---:|---:|",
    ]
    for r in report["sizes"]:
        program, flat = r["work"]["render"], r["work"]["baseline"]
        cells = [
            f"{program[key]:,} / {flat[key]:,} ({program[key] / max(flat[key], 1):.2f})"
            for key in ("outputs", "tasks", "stack_frames")
        ]
        lines.append(f"| {r['clients']} | " + " | ".join(cells) + " |")
    largest = report["sizes"][-1]
    lines += [
        "",
        f"Resources per client at N = {largest['clients']} (its component and all below it):",
        "",
        "| kind/credential | clients | resources each |",
        "|---|---:|---:|",
    ]
    for kind, f in largest["per_client"].items():
        each = f"{f['min']}" if f["min"] == f["max"] else f"{f['min']}-{f['max']}"
        lines.append(f"| {kind} | {f['clients']} | {each} (mean {f['mean']:.1f}) |")
    if report["startup"]:
        lines += [
            "",
            "| start-up (imports, fresh process) | s | after pulumi_azuread, same process: "
            "median s | min s |",
            "|---|---:|---:|---:|",
        ]
        for label, f in report["startup"].items():
            lines.append(
                f"| {label} | {f['seconds']:.3f} | {f['over_azuread']:+.3f} | "
                f"{f['over_azuread_min']:+.3f} |"
            )
        program = report["startup"].get("registrations-only program")
        if program is not None:
            lines += [
                "",
                "registrations-only start-up over pulumi_azuread alone: "
                f"{program['over_azuread']:+.3f} s (median), "
                f"{program['over_azuread_min']:+.3f} s (min)",
            ]
    return "\n".join(lines) + "\n"


def _sizes(text: str) -> list[int]:
    try:
        sizes = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected numbers such as 10,100; got {text!r}") from None
    if not sizes or any(n < 1 for n in sizes):
        raise argparse.ArgumentTypeError(f"expected positive numbers such as 10,100; got {text!r}")
    return sizes


def _positive(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {text!r}")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.scale", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--sizes",
        type=_sizes,
        default=[10, 100, 500, 1000],
        help="numbers of clients (default: 10,100,500,1000)",
    )
    parser.add_argument(
        "--repeat",
        type=_positive,
        default=3,
        help="runs per measurement; the median is reported (default: 3)",
    )
    parser.add_argument(
        "--startup-repeat",
        type=_positive,
        default=5,
        help="runs per start-up measurement; 0 skips it (default: 5)",
    )
    parser.add_argument(
        "--cli",
        action="store_true",
        help="also measure `python -m fhir_apps render` (validation + render + JSON)",
    )
    parser.add_argument(
        "--json", type=Path, metavar="FILE", help="also write every figure as JSON to FILE"
    )
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    report = run(args.sizes, args.repeat, cli=args.cli, startup_repeat=args.startup_repeat)
    sys.stdout.write(format_report(report))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
