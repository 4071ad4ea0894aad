"""The arguments that name what to work on, shared by `check` and `render`."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

__all__ = ["add_target_arguments", "iso_date", "resolve_environment"]


def add_target_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--environment",
        metavar="ENV",
        help="environment name (default: the stack's fhir-apps:environment, else the stack name)",
    )
    parser.add_argument(
        "--stack", metavar="STACK", help="stack name (adds config/stacks/STACK.yaml if present)"
    )
    parser.add_argument(
        "--config-dir", default="config", metavar="DIR", help="config directory (default: config)"
    )


def resolve_environment(parser: argparse.ArgumentParser, args: argparse.Namespace) -> str:
    """`--environment`, or the environment that `Pulumi.<stack>.yaml` names (run from the
    project directory, as `pulumi` is); exits with a usage error when neither is given."""
    if args.environment:
        return str(args.environment)
    if args.stack:
        from fhir_apps.spec.loader import stack_environment

        return stack_environment(Path.cwd(), args.stack)
    parser.error("give --environment ENV (or --stack STACK, whose Pulumi.STACK.yaml names it)")


def iso_date(text: str) -> date:
    """An argparse type for `--today YYYY-MM-DD`."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD, got {text!r}") from None
