"""One measurement in a fresh process: `python -m benchmarks.measure MODE ...`.

Peak RSS (`ru_maxrss`) is a high-water mark for the whole process, so every measurement runs in
a process of its own; it reports its figures as one JSON object on stdout.

Modes:
    render CONFIG_DIR TODAY [OUT]    the real program (`fhir_apps.render.engine.render`)
    baseline CONFIG_DIR TODAY [OUT]  the flat program (benchmarks/baseline) under the same engine
    cli CONFIG_DIR TODAY             `python -m fhir_apps render` (validates, renders, writes JSON)
    import MODULE[,MODULE...]        the time to import the modules, in order

`seconds` covers the render call (or the imports) only: the interpreter's start-up and the
engine's own imports (the Pulumi SDK, gRPC, protobuf) are the same for both programs. What each
program imports itself (pulumi_azuread for both; pydantic, the spec and the components for the
real one) is inside the measured call. OUT, when given, receives the render as JSON, written
after the figures were taken.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib
import io
import json
import resource
import sys
import time
from pathlib import Path

BASELINE_DIR = Path(__file__).resolve().parent / "baseline"


def _peak_rss_kib() -> int:
    # Linux reports ru_maxrss in KiB (macOS in bytes; the benchmark targets Linux CI runners).
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _render(mode: str, config_dir: str, today: str, out: str | None) -> dict[str, object]:
    from benchmarks.configs import ENVIRONMENT
    from fhir_apps.render.engine import render

    project = {"baseline": {"project_dir": BASELINE_DIR}, "render": {}}[mode]
    start = time.perf_counter()
    rendering = render(
        environment=ENVIRONMENT,
        config_dir=config_dir,
        today=dt.date.fromisoformat(today),
        **project,
    )
    seconds = time.perf_counter() - start
    figures: dict[str, object] = {
        "seconds": seconds,
        "peak_rss_kib": _peak_rss_kib(),
        "resources": len(rendering.resources),
    }
    if out:
        Path(out).write_text(json.dumps(rendering.as_dict()), encoding="utf-8")
    return figures


def _cli(config_dir: str, today: str) -> dict[str, object]:
    from benchmarks.configs import ENVIRONMENT
    from fhir_apps.cli import main

    argv = ["render", "--environment", ENVIRONMENT, "--config-dir", config_dir]
    argv += ["--today", today, "--format", "json"]
    sink = io.StringIO()
    start = time.perf_counter()
    with contextlib.redirect_stdout(sink):
        status = main(argv)
    seconds = time.perf_counter() - start
    if status != 0:
        raise SystemExit(f"render failed with status {status}")
    return {"seconds": seconds, "peak_rss_kib": _peak_rss_kib(), "bytes": len(sink.getvalue())}


def _import(modules: str) -> dict[str, object]:
    start = time.perf_counter()
    for name in modules.split(","):
        importlib.import_module(name)
    return {"seconds": time.perf_counter() - start, "peak_rss_kib": _peak_rss_kib()}


def main(argv: list[str]) -> int:
    mode, *rest = argv
    if mode in ("render", "baseline"):
        figures = _render(mode, rest[0], rest[1], rest[2] if len(rest) > 2 else None)
    elif mode == "cli":
        figures = _cli(rest[0], rest[1])
    elif mode == "import":
        figures = _import(rest[0])
    else:
        print(f"unknown mode {mode!r}", file=sys.stderr)
        return 2
    sys.stdout.write(json.dumps(figures) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
