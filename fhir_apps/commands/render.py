"""`render`: the exact desired state of a stack, offline, and the diff between two renders.

Every way this command can fail on its input ends in one line starting `render: ` (or the
config's own problem lines), exit 1; usage errors exit 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import yaml

from fhir_apps.commands._expiry import add_expiry_arguments, print_expiry_warnings
from fhir_apps.commands._target import (
    add_target_arguments,
    config_dir_problem,
    iso_date,
    load_target,
)
from fhir_apps.safeio.text import shown

if TYPE_CHECKING:
    from fhir_apps.spec.yamlio import Limits

HELP = "Run the Pulumi program offline under mocks and print the desired state (or a diff)."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_target_arguments(parser)
    parser.add_argument("--format", choices=("yaml", "json"), default="yaml", dest="fmt")
    parser.add_argument(
        "--today", type=iso_date, metavar="YYYY-MM-DD", help="date secret rotation is computed from"
    )
    add_expiry_arguments(parser, last_up=False)
    parser.add_argument(
        "--graph", action="store_true", help="print Microsoft Graph application manifests"
    )
    parser.add_argument(
        "--diff",
        nargs="+",
        metavar="RENDER.json",
        help="OLD.json: diff against the current render; OLD.json NEW.json: diff two renders "
        "(saved by `render --format json` or `--format yaml`)",
    )
    parser.add_argument(
        "--output", type=Path, help="write to this file (replaced whole) instead of stdout"
    )
    parser.set_defaults(_parser=parser)


def _dump(data: Any, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    return yaml.safe_dump(
        data, sort_keys=True, default_flow_style=False, allow_unicode=True, width=1000
    )


# --- reading a saved render ----------------------------------------------------------------------


def _render_limits() -> Limits:
    from fhir_apps.safeio.jsonfile import MAX_DEPTH, MAX_JSON_BYTES
    from fhir_apps.spec.yamlio import Limits

    # The same size and nesting as a JSON render. The render of dev (6 clients) is 50 KB and
    # 934 values, so one of 1,000 clients is about 8 MB and 160,000 values: 2,000,000 leaves
    # twelve times that. A YAML render never holds an alias (nothing in it is shared), so what
    # aliases may add is held to what a config layer may expand to.
    return Limits(
        max_bytes=MAX_JSON_BYTES,
        max_depth=MAX_DEPTH,
        max_nodes=2_000_000,
        max_alias_nodes=100_000,
        what="a render",
    )


NEITHER: Final = "not a render: neither JSON nor YAML"


class _UnusableRenderError(Exception):
    """A saved render cannot be used; `str()` is one line starting with the file."""


def _read_render(path: str) -> dict[str, Any]:
    """A saved render: JSON, or YAML as `render --format yaml` prints it.

    Raises _UnusableRenderError. The file is read once (it may be a pipe, `<(git show ...)`),
    within the size bound of a JSON render; then parsed as JSON (the common case, which fails
    fast on YAML text) and else as YAML, each within its depth (and alias) budget.
    """
    from fhir_apps.render.diff import render_problem
    from fhir_apps.safeio.jsonfile import JsonFileError, parse_json
    from fhir_apps.spec.yamlio import YamlFileError, read_text

    where = shown(path, 400)
    limits = _render_limits()
    try:
        text = read_text(Path(path), where, limits)
    except YamlFileError as error:
        raise _UnusableRenderError(str(error.problem)) from None
    try:
        # A byte-order mark is allowed (PowerShell writes one), as read_json allows it.
        json_text = text.removeprefix("\ufeff")
        data = parse_json(json_text, where, max_depth=limits.max_depth, what="a render")
    except JsonFileError:
        data = _parse_yaml_render(text, where, limits)
    problem = render_problem(data)
    if problem:
        raise _UnusableRenderError(f"{where}: {problem}")
    return dict(data)


def _parse_yaml_render(text: str, where: str, limits: Limits) -> Any:
    from fhir_apps.spec.yamlio import YamlFileError, parse_yaml

    try:
        data, problems = parse_yaml(text, where, limits)
    except YamlFileError as error:
        message = f"{where}: {NEITHER}" if error.malformed else str(error.problem)
        raise _UnusableRenderError(message) from None
    if problems:  # duplicate keys, bad values: a render written by `render` has none
        raise _UnusableRenderError(str(problems[0]))
    return data


# --- rendering -----------------------------------------------------------------------------------


def _render_current(args: argparse.Namespace) -> dict[str, Any] | None:
    """Render the stack the arguments name; None after printing why it could not be done."""
    problem = config_dir_problem(args.config_dir)
    if problem:
        print(problem, file=sys.stderr)
        return None
    # Imported here: `--diff A B`, `--help` and a config that does not load must not pay for
    # the Pulumi SDK.
    config_dir = Path(args.config_dir)
    # Validate first, so that a bad config ends with its errors and the program never runs.
    target = load_target(args, today=args.today)
    if target is None:
        return None
    environment = target.environment
    print_expiry_warnings(target.spec, args, project_dir=None)
    from fhir_apps.render.engine import RenderError, render

    try:
        rendering = render(
            environment=environment, stack=args.stack, config_dir=config_dir, today=args.today
        )
    except RenderError as err:
        for line in str(err).splitlines():  # one per problem, each with its prefix
            print(f"render: {line}", file=sys.stderr)
        return None
    if args.graph:
        from fhir_apps.render.graph import manifests

        return manifests(rendering)
    return rendering.as_dict()


# --- output --------------------------------------------------------------------------------------


def _output_problem(path: Path) -> str | None:
    """Why `--output` cannot be written, found before the (slow) render; else None."""
    where = shown(str(path), 400)
    if path.is_dir():
        return f"{where}: --output is a directory; give the path of a file"
    if not path.parent.is_dir():
        return f"{where}: cannot write: the directory {shown(str(path.parent), 400)} does not exist"
    return None


def _write(text: str, output: Path | None) -> int:
    if output is None:
        sys.stdout.write(text)
        return 0
    from fhir_apps.safeio.atomic import WriteError, write_atomic

    try:
        # Not exclusive: the user named this file to be replaced. Atomic, so a failed run never
        # leaves half a render where a whole one was.
        write_atomic(output, text, exclusive=False)
    except WriteError as error:
        print(f"render: {shown(str(error), 1000)}", file=sys.stderr)
        return 1
    return 0


def _usage_problem(args: argparse.Namespace) -> str | None:
    if args.diff and len(args.diff) > 2:
        return "render: --diff takes OLD.json, or OLD.json NEW.json"
    if args.diff and args.graph:
        return "render: --diff compares renders; leave out --graph"
    return None


def run(args: argparse.Namespace) -> int:
    from fhir_apps.render.diff import diff_renders, format_diff

    usage = _usage_problem(args)
    if usage:
        print(usage, file=sys.stderr)
        return 2
    if args.output is not None:
        problem = _output_problem(args.output)
        if problem:
            print(f"render: {problem}", file=sys.stderr)
            return 1
    try:
        saved = [_read_render(path) for path in args.diff or ()]
    except _UnusableRenderError as error:
        print(f"render: {error}", file=sys.stderr)
        return 1
    current = saved[1] if len(saved) == 2 else _render_current(args)
    if current is None:
        return 1
    text = format_diff(diff_renders(saved[0], current)) if saved else _dump(current, args.fmt)
    return _write(text, args.output)
