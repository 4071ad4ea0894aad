"""`render`: the exact desired state of a stack, offline, and the diff between two renders."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import yaml

from fhir_apps.commands._target import add_target_arguments, iso_date, resolve_environment

HELP = "Run the Pulumi program offline under mocks and print the desired state (or a diff)."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_target_arguments(parser)
    parser.add_argument("--format", choices=("yaml", "json"), default="yaml", dest="fmt")
    parser.add_argument(
        "--today", type=iso_date, metavar="YYYY-MM-DD", help="date secret rotation is computed from"
    )
    parser.add_argument(
        "--graph", action="store_true", help="print Microsoft Graph application manifests"
    )
    parser.add_argument(
        "--diff",
        nargs="+",
        metavar="RENDER.json",
        help="OLD.json: diff against the current render; OLD.json NEW.json: diff two renders",
    )
    parser.add_argument("--output", type=Path, help="write to this file instead of stdout")
    parser.set_defaults(_parser=parser)


def _dump(data: Any, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    return yaml.safe_dump(
        data, sort_keys=True, default_flow_style=False, allow_unicode=True, width=1000
    )


def _read_render(path: str) -> dict[str, Any] | str:
    """A saved render, or the reason it cannot be used."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        return f"{path}: cannot read: {exc.strerror}"
    try:
        data = yaml.safe_load(text)  # JSON is YAML, so both formats of `render` are accepted
    except yaml.YAMLError:
        return f"{path}: not a render: neither JSON nor YAML"
    if not isinstance(data, dict) or not isinstance(data.get("resources"), list):
        return f"{path}: not a render: expected an object with a 'resources' list"
    return data


def _render_current(args: argparse.Namespace) -> dict[str, Any] | None:
    """Render the stack the arguments name; None after printing why it could not be done."""
    # Imported here: `--diff A B` and `--help` must not pay for the Pulumi SDK.
    from fhir_apps.render.engine import RenderError, render
    from fhir_apps.spec.errors import ConfigError
    from fhir_apps.spec.loader import load_spec_with_warnings

    config_dir = Path(args.config_dir)
    # Validate first, so that a bad config ends with its errors and the program never runs.
    try:
        environment = resolve_environment(args._parser, args)
        _, warnings = load_spec_with_warnings(config_dir, environment, args.stack)
    except ConfigError as err:
        for problem in err.problems:
            print(problem, file=sys.stderr)
        return None
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    try:
        rendering = render(
            environment=environment, stack=args.stack, config_dir=config_dir, today=args.today
        )
    except RenderError as err:
        print(f"render: {err}", file=sys.stderr)
        return None
    if args.graph:
        from fhir_apps.render.graph import manifests

        return manifests(rendering)
    return rendering.as_dict()


def run(args: argparse.Namespace) -> int:
    from fhir_apps.render.diff import diff_renders, format_diff

    if args.diff and len(args.diff) > 2:
        print("render: --diff takes OLD.json, or OLD.json NEW.json", file=sys.stderr)
        return 2
    if args.diff and args.graph:
        print("render: --diff compares renders; leave out --graph", file=sys.stderr)
        return 2
    old: dict[str, Any] | str | None = None
    if args.diff:
        old = _read_render(args.diff[0])
        if isinstance(old, str):
            print(f"render: {old}", file=sys.stderr)
            return 1
    if args.diff and len(args.diff) == 2:
        current: dict[str, Any] | str | None = _read_render(args.diff[1])
        if isinstance(current, str):
            print(f"render: {current}", file=sys.stderr)
            return 1
    else:
        current = _render_current(args)
        if current is None:
            return 1
    text = (
        format_diff(diff_renders(old, current))
        if isinstance(old, dict)
        else _dump(current, args.fmt)
    )
    if args.output:
        args.output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0
