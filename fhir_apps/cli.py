"""`python -m fhir_apps <command>` (installed: `fhir-apps`): check, schema, render, adopt, init.

Each command lives in `fhir_apps/commands/<name>.py` with `HELP`, `add_arguments(parser)` and
`run(args) -> int`. They are imported only when chosen, so `check` never pays for the Pulumi SDK.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

# Set to 1 to let an unexpected error end in its traceback (for debugging and the tests).
DEBUG_VARIABLE = "FHIR_APPS_DEBUG"

# Name -> module. Listed here, not discovered, so `--help` is stable and a typo fails loudly.
COMMANDS: dict[str, str] = {
    "check": "fhir_apps.commands.check",
    "schema": "fhir_apps.commands.schema",
    "render": "fhir_apps.commands.render",
    "adopt": "fhir_apps.commands.adopt",
    "init": "fhir_apps.commands.init",
    "secrets": "fhir_apps.commands.secrets",
    "verify": "fhir_apps.commands.verify",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        # The installed command (`pip install .`) is `fhir-apps`; from a checkout, the module.
        prog="fhir-apps" if Path(sys.argv[0]).name == "fhir-apps" else "python -m fhir_apps",
        description="Offline tools for the Entra ID app registrations that secure a FHIR server.",
    )
    parser.add_argument(
        "--project-dir",
        "-C",
        metavar="DIR",
        help="run as if started in DIR, the Pulumi project (Pulumi.yaml, __main__.py, config/); "
        "relative paths are then relative to DIR, as with `git -C`",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, module_name in COMMANDS.items():
        module = importlib.import_module(module_name)
        command = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(command)
        command.set_defaults(_run=module.run)
    return parser


def _enter_project(project_dir: str) -> str | None:
    """Change to `--project-dir`; the line to print when it is not a directory."""
    from fhir_apps.safeio.text import shown

    try:
        os.chdir(project_dir)
    except OSError as exc:
        return f"--project-dir: {shown(project_dir, 400)}: {exc.strerror or 'not a directory'}"
    return None


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.project_dir is None:
        return _run(args)
    start = os.getcwd()
    problem = _enter_project(args.project_dir)
    if problem:
        print(f"{args.command}: {problem}", file=sys.stderr)
        return 2
    try:
        return _run(args)
    finally:
        os.chdir(start)  # main() also runs in-process (tests): leave the cwd as it was


def _run(args: argparse.Namespace) -> int:
    try:
        return int(args._run(args))
    except KeyboardInterrupt:
        print(f"{args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # `... | head`: the reader left; nothing more to say, and nowhere to say it.
        return 1
    except Exception as exc:  # the last line of defence; RecursionError and MemoryError too
        # Every bad input has its own clear message; reaching here is a bug. The input may be
        # hostile and an exception's text may quote it (or a secret), so print one line with
        # the error's type and where it was raised, never its text or a traceback.
        if os.environ.get(DEBUG_VARIABLE) == "1":
            raise
        frame = traceback.extract_tb(exc.__traceback__)[-1]
        where = f"{Path(frame.filename).name}:{frame.lineno}"
        print(
            f"{args.command}: internal error ({type(exc).__name__} at {where}); please report "
            f"it, with the traceback that {DEBUG_VARIABLE}=1 prints",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
