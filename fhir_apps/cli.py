"""`python -m fhir_apps <command>`: the offline tools (check, schema, render, adopt).

Each command lives in `fhir_apps/commands/<name>.py` with `HELP`, `add_arguments(parser)` and
`run(args) -> int`. They are imported only when chosen, so `check` never pays for the Pulumi SDK.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# Name -> module. Listed here, not discovered, so `--help` is stable and a typo fails loudly.
COMMANDS: dict[str, str] = {
    "check": "fhir_apps.commands.check",
    "schema": "fhir_apps.commands.schema",
    "render": "fhir_apps.commands.render",
    "adopt": "fhir_apps.commands.adopt",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m fhir_apps",
        description="Offline tools for the Entra ID app registrations that secure a FHIR server.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, module_name in COMMANDS.items():
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue  # a command not built yet is simply not offered
        command = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(command)
        command.set_defaults(_run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args._run(args))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
