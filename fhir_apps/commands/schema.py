"""`python -m fhir_apps schema`: print the JSON Schema of a config layer (config/schema.json)."""

from __future__ import annotations

import argparse
import sys

from fhir_apps.spec.schema import layer_schema_json

HELP = "print the JSON Schema of a config layer file (committed as config/schema.json)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    del parser  # no options


def run(args: argparse.Namespace) -> int:
    del args
    sys.stdout.write(layer_schema_json())
    return 0
