"""One measurement in a fresh process: `python -m benchmarks.measure MODE ...`.

Peak RSS (`ru_maxrss`) is a high-water mark for the whole process, so every measurement runs in
a process of its own; it reports its figures as one JSON object on stdout.

Modes:
    render CONFIG_DIR TODAY [OUT]    the real program (`fhir_apps.render.engine.render`)
    baseline CONFIG_DIR TODAY [OUT]  the flat program (benchmarks/baseline) under the same engine
    cli CONFIG_DIR TODAY             `python -m fhir_apps render` (validates, renders, writes JSON)
    import MODULE[,MODULE...]        the time to import the modules, in order (and each one's)
    work MODE CONFIG_DIR TODAY       what the SDK does for the render (MODE render or baseline):
                                     the outputs and asyncio tasks it creates, and the stack
                                     frames it captures; counts, so the same on any machine

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
from typing import Any

BASELINE_DIR = Path(__file__).resolve().parent / "baseline"


def _peak_rss_kib() -> int:
    # Linux reports ru_maxrss in KiB (macOS in bytes; the benchmark targets Linux CI runners).
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _render(mode: str, config_dir: str, today: str, out: str | None) -> dict[str, object]:
    from benchmarks.configs import ENVIRONMENT
    from fhir_apps.render.engine import render

    project: dict[str, Any] = {"baseline": {"project_dir": BASELINE_DIR}, "render": {}}[mode]
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


def _work(mode: str, config_dir: str, today: str) -> dict[str, object]:
    """Count the SDK's per-render work: unlike times, the counts do not depend on the machine.

    Every `pulumi.Output` registers itself once (`Output._track`), every coroutine the SDK
    schedules becomes a task (`create_task` of the running loop), and every resource
    registration captures the program's stack (`_get_stack_trace`, one source position per
    frame). The hooks are private SDK names; this mode is for comparison, not for figures of time.
    """
    import asyncio

    import pulumi
    from pulumi.runtime import resource as runtime_resource

    counts = {"outputs": 0, "tasks": 0, "stack_frames": 0}
    track = pulumi.Output._track
    create_task = asyncio.BaseEventLoop.create_task
    stack_trace = runtime_resource._get_stack_trace

    def counting_track(self: pulumi.Output[object]) -> None:
        counts["outputs"] += 1
        track(self)

    def counting_create_task(self: asyncio.BaseEventLoop, *args: object, **kwargs: object):
        counts["tasks"] += 1
        return create_task(self, *args, **kwargs)  # type: ignore[arg-type]

    def counting_stack_trace():
        trace = stack_trace()
        counts["stack_frames"] += len(trace.frames)
        return trace

    pulumi.Output._track = counting_track  # type: ignore[method-assign]
    asyncio.BaseEventLoop.create_task = counting_create_task  # type: ignore[method-assign]
    runtime_resource._get_stack_trace = counting_stack_trace
    figures = _render(mode, config_dir, today, None)
    return {**counts, "resources": figures["resources"]}


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
    # Each module's own time too: the time after the first module (pulumi_azuread) is what the
    # program adds in the same process, free of the scatter of the first import between processes.
    steps: list[float] = []
    start = time.perf_counter()
    for name in modules.split(","):
        before = time.perf_counter()
        importlib.import_module(name)
        steps.append(time.perf_counter() - before)
    return {
        "seconds": time.perf_counter() - start,
        "steps": steps,
        "peak_rss_kib": _peak_rss_kib(),
    }


def main(argv: list[str]) -> int:
    mode, *rest = argv
    if mode in ("render", "baseline"):
        figures = _render(mode, rest[0], rest[1], rest[2] if len(rest) > 2 else None)
    elif mode == "cli":
        figures = _cli(rest[0], rest[1])
    elif mode == "import":
        figures = _import(rest[0])
    elif mode == "work":
        figures = _work(rest[0], rest[1], rest[2])
    else:
        print(f"unknown mode {mode!r}", file=sys.stderr)
        return 2
    sys.stdout.write(json.dumps(figures) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
