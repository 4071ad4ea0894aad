"""The arguments that name what to work on, and loading it, shared by the stack commands."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from fhir_apps.rotation import FIRST_DAY, LAST_DAY
from fhir_apps.safeio.text import shown

if TYPE_CHECKING:
    from fhir_apps.spec.model import Spec

__all__ = [
    "Target",
    "add_target_arguments",
    "config_dir_problem",
    "iso_date",
    "load_target",
    "resolve_environment",
]


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
        from fhir_apps.spec.pulumifiles import stack_environment

        return stack_environment(Path.cwd(), args.stack)
    parser.error("give --environment ENV (or --stack STACK, whose Pulumi.STACK.yaml names it)")


class Target(NamedTuple):
    """The environment a command works on and its loaded spec."""

    environment: str
    spec: Spec


def load_target(args: argparse.Namespace, *, today: date | None = None) -> Target | None:
    """The spec that `--environment` / `--stack` / `--config-dir` name, its warnings printed.

    None when the config does not load, after printing each problem on its own line to stderr
    (the caller exits 1). Warnings go to stderr prefixed `warning: `. `today`: the day the
    config's dates are judged on (default: today).
    """
    # Imported here: `--help` and the usage errors must not pay for pydantic.
    from fhir_apps.spec.errors import ConfigError
    from fhir_apps.spec.loader import load_spec_with_warnings

    try:
        environment = resolve_environment(args._parser, args)
        spec, warnings = load_spec_with_warnings(
            args.config_dir, environment, args.stack, today=today
        )
    except ConfigError as error:
        for problem in error.problems:
            print(problem, file=sys.stderr)
        return None
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    return Target(environment, spec)


def config_dir_problem(config_dir: str | Path) -> str | None:
    """The line to print when `--config-dir` names something that is not a directory.

    A missing directory is left to the loader, which says so; a file given here would
    otherwise be reported as missing too, which sends the reader looking in the wrong place.
    """
    path = Path(config_dir)
    if path.exists() and not path.is_dir():
        return f"{shown(str(path), 400)}: --config-dir must be a directory, but this is a file"
    return None


def iso_date(text: str) -> date:
    """An argparse type for `--today YYYY-MM-DD`, within the days rotation supports.

    Beyond them the date arithmetic of secret rotation and of the policies would overflow
    (`date` stops at 9999-12-31), so a day outside is a usage error (exit 2), not a crash.
    """
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a date as YYYY-MM-DD, got '{shown(text, 40)}'"
        ) from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise argparse.ArgumentTypeError(
            f"{day.isoformat()} is outside the supported days, {FIRST_DAY.isoformat()} to "
            f"{LAST_DAY.isoformat()}"
        )
    return day
