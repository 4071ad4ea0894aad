"""Run the real Pulumi program (`__main__.py`) under mocks and record the desired state.

The record has the shape `pulumi stack export` and policy packs use: per resource its URN, type,
name, parent, import id, protect flag, dependencies and inputs with the engine's camelCase names.
It is captured at the resource monitor, i.e. exactly what the SDK would send to the Pulumi engine,
so nothing here re-implements the program: `render` and `pulumi up` run the same code.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import gc
import runpy
import sys
import threading
import weakref
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pulumi
import yaml
from google.protobuf import json_format
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc, settings
from pulumi.runtime.stack import Stack, run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from fhir_apps.render.mocks import PlaceholderMocks
from fhir_apps.resource_types import SECRET, UNKNOWN

__all__ = [
    "PROJECT_DIR",
    "SECRET",
    "UNKNOWN",
    "RecordingMonitor",
    "RenderError",
    "RenderedResource",
    "Rendering",
    "default_project_dir",
    "plain",
    "render",
    "start_runtime",
]

PROJECT_DIR = Path(__file__).resolve().parents[2]

# Signatures the Pulumi wire format uses for special values (pulumi.runtime.rpc).
_SIG_KEY = rpc._special_sig_key
_SECRET_SIG = rpc._special_secret_sig
_RESOURCE_SIG = rpc._special_resource_sig
_OUTPUT_SIG = rpc._special_output_value_sig
_ASSET_SIGS = {rpc._special_asset_sig, rpc._special_archive_sig}


class RenderError(Exception):
    """The program could not be rendered (an error inside it, or a resource named twice)."""


@dataclass(frozen=True)
class RenderedResource:
    urn: str
    type: str
    name: str
    parent: str | None
    import_id: str | None
    protect: bool
    depends_on: tuple[str, ...]
    inputs: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {
            "urn": self.urn,
            "type": self.type,
            "name": self.name,
            "parent": self.parent,
            "import": self.import_id,
            "protect": self.protect,
            "dependsOn": list(self.depends_on),
            "inputs": self.inputs,
        }


@dataclass(frozen=True)
class Rendering:
    project: str
    stack: str
    environment: str
    resources: tuple[RenderedResource, ...]
    outputs: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {
            "project": self.project,
            "stack": self.stack,
            "environment": self.environment,
            "resources": [r.as_dict() for r in self.resources],
            "outputs": self.outputs,
        }


def plain(value: Any) -> Any:
    """Turn a wire-format value into plain JSON data; secrets become `[secret]`."""
    if isinstance(value, dict):
        sig = value.get(_SIG_KEY)
        if sig == _SECRET_SIG:
            return SECRET
        if sig == _RESOURCE_SIG:
            return value.get("urn")
        if sig == _OUTPUT_SIG:
            if value.get("secret"):
                return SECRET
            return plain(value["value"]) if "value" in value else UNKNOWN
        if sig in _ASSET_SIGS:
            return {k: plain(v) for k, v in sorted(value.items()) if k != _SIG_KEY}
        return {k: plain(v) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if value == rpc.UNKNOWN:
        return UNKNOWN
    if isinstance(value, float) and value.is_integer():
        # protobuf's Struct carries every number as a double; the program sent an int.
        return int(value)
    return value


# The SDK gives every thread that serves a mocked RPC an event loop of its own and never closes
# it; left to the garbage collector at interpreter exit, such a loop can print "Exception
# ignored ... Invalid file descriptor" after the output. They are closed at exit instead.
_LOOPS: weakref.WeakSet[asyncio.AbstractEventLoop] = weakref.WeakSet()


def _remember_loop() -> None:
    # No loop in this thread means nothing to close later.
    with contextlib.suppress(RuntimeError):
        _LOOPS.add(asyncio.get_event_loop())


@atexit.register
def _close_loops() -> None:
    for loop in list(_LOOPS):
        if not loop.is_running() and not loop.is_closed():
            loop.close()


class RecordingMonitor(pulumi_mocks.MockMonitor):
    """The SDK's mock monitor, plus a record of every registration request it receives."""

    def __init__(self, mocks: pulumi.runtime.Mocks) -> None:
        super().__init__(mocks)
        self.records: dict[str, RenderedResource] = {}
        self.duplicates: list[str] = []
        self._lock = threading.Lock()

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        # The engine qualifies a child's type with its parent's whole type chain, and leaves the
        # root stack out of it; the SDK's mock keeps only the parent's last type and includes the
        # stack. Policy packs and `pulumi stack export` see the engine's form, so render that.
        if parent:
            qualified_parent = parent.split("::")[2]
            if qualified_parent != "pulumi:pulumi:Stack":
                type_ = f"{qualified_parent}${type_}"
        return "urn:pulumi:" + "::".join([pulumi.get_stack(), pulumi.get_project(), type_, name])

    def Invoke(self, request: Any) -> Any:  # noqa: N802 - the gRPC method name
        response = super().Invoke(request)
        _remember_loop()
        return response

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 - the gRPC method name
        response = super().RegisterResource(request)
        _remember_loop()
        record = RenderedResource(
            urn=response.urn,
            type=request.type,
            name=request.name,
            parent=request.parent or None,
            import_id=request.importId or None,
            protect=bool(request.protect),
            depends_on=tuple(sorted(set(request.dependencies))),
            inputs=plain(json_format.MessageToDict(request.object)),
        )
        with self._lock:
            # Mocks accept two resources with one URN; the engine would reject the program.
            if record.urn in self.records:
                self.duplicates.append(record.urn)
            self.records[record.urn] = record
        return response


def start_runtime(
    mocks: pulumi.runtime.Mocks,
    project: str,
    stack: str,
    config: dict[str, str],
    monitor: RecordingMonitor | None = None,
) -> RecordingMonitor:
    """Start a fresh mocked Pulumi runtime whose monitor records every registration.

    Root stack, config and pending RPCs are reset first because all three are process-global in
    the SDK: without that, a second render in one process would inherit the first one's state.
    monitor: a RecordingMonitor (of `mocks`) that records more (the component tests' does).
    """
    monitor = monitor or RecordingMonitor(mocks)
    settings.set_root_resource(None)  # type: ignore[arg-type]
    pulumi.runtime.set_all_config(config)
    pulumi_mocks.set_mocks(mocks, project=project, stack=stack, preview=False, monitor=monitor)
    settings.SETTINGS.rpc_manager.clear()
    settings.SETTINGS.outputs.clear()
    return monitor


@contextlib.contextmanager
def _rare_garbage_collection() -> Iterator[None]:
    """Run the young-generation collector every 100,000 allocations instead of every 700.

    The SDK allocates many short-lived objects per resource (outputs, futures, tasks) while
    everything registered so far stays alive; with the default threshold the collector keeps
    walking that growing heap, about half of the time of a render of 1,000 clients
    (docs/performance.md). Little of it is cyclic garbage, so peak memory barely moves.
    """
    thresholds = gc.get_threshold()
    gc.set_threshold(max(thresholds[0], 100_000), *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)


def _project_name(project_dir: Path) -> str:
    with (project_dir / "Pulumi.yaml").open(encoding="utf-8") as handle:
        return str(yaml.safe_load(handle)["name"])


def default_project_dir() -> Path:
    """The current directory when it is a project (as for `pulumi`), else this repository.

    So an installed `fhir-apps` command renders the project it is run in (or `--project-dir`).
    """
    cwd = Path.cwd()
    if (cwd / "Pulumi.yaml").is_file() and (cwd / "__main__.py").is_file():
        return cwd
    return PROJECT_DIR


def _run_program(main_path: str) -> None:
    """Run the program as `pulumi up` would (`__main__`); its module globals are not needed."""
    runpy.run_path(main_path, run_name="__main__")


@contextlib.contextmanager
def _importable(project_dir: Path) -> Iterator[None]:
    """The project directory first on sys.path while its program runs, as `pulumi` runs it, so
    that its `components` package is the one imported, from wherever render was started."""
    entry = str(project_dir)
    added = entry not in sys.path
    if added:
        sys.path.insert(0, entry)
    try:
        yield
    finally:
        if added:
            with contextlib.suppress(ValueError):
                sys.path.remove(entry)


def render(
    *,
    environment: str,
    stack: str | None = None,
    config_dir: Path | str | None = None,
    today: date | None = None,
    project_dir: Path | None = None,
    mocks: pulumi.runtime.Mocks | None = None,
) -> Rendering:
    """Run `project_dir/__main__.py` for one stack under mocks and return what it registered.

    The stack name defaults to the environment; the project directory to `default_project_dir()`.
    `today` pins the date that secret rotation is computed from, so that a render is
    reproducible.
    """
    project_dir = project_dir or default_project_dir()
    stack_name = stack or environment
    project = _project_name(project_dir)
    # The program reads its settings with `pulumi.Config()`: the namespace is the project's name.
    config: dict[str, str] = {f"{project}:environment": environment}
    if config_dir is not None:
        config[f"{project}:configDir"] = str(Path(config_dir).resolve())
    if today is not None:
        config[f"{project}:today"] = today.isoformat()

    monitor = start_runtime(mocks or PlaceholderMocks(), project, stack_name, config)
    main_path = str(project_dir / "__main__.py")
    try:
        with _rare_garbage_collection(), _importable(project_dir):
            _sync_await(run_pulumi_func(lambda: _run_program(main_path)))
            _remember_loop()
            root = settings.get_root_resource()
            # The SDK registers the Stack before it runs the program, so this holds; the check
            # tells the type checker which resource the root is.
            if not isinstance(root, Stack):
                raise RenderError("the program ran without its stack resource")
            outputs_struct = _sync_await(rpc.serialize_properties(dict(root.outputs), {}))
    except pulumi.RunError as exc:
        raise RenderError(str(exc)) from None
    finally:
        pulumi.runtime.set_all_config({})

    if monitor.duplicates:
        names = ", ".join(sorted(set(monitor.duplicates)))
        raise RenderError(f"the program registers more than one resource as {names}")
    resources = tuple(monitor.records[urn] for urn in sorted(monitor.records))
    outputs = plain(json_format.MessageToDict(outputs_struct))
    return Rendering(project, stack_name, environment, resources, outputs)
