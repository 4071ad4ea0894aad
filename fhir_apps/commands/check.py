"""`python -m fhir_apps check`: load and validate one environment (and stack), offline.

Prints `ok` and a one-line summary, exit 0; or every problem, one per line on stderr, exit 1.
Warnings go to stderr prefixed `warning: ` and do not fail the check.

With `--policies` it also renders the stack (the real program under mocks) and applies the
guardrail policies of `fhir_apps.policies` to the rendered resources, as `pulumi preview
--policy-pack policy` would: one line per violation, exit 1 on a mandatory one.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

from fhir_apps.commands._target import add_target_arguments, iso_date, resolve_environment
from fhir_apps.spec.errors import ConfigError
from fhir_apps.spec.loader import load_spec_with_warnings
from fhir_apps.spec.model import Spec

HELP = "validate the config for an environment (and stack) and print every problem"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_target_arguments(parser)
    parser.add_argument(
        "--policies",
        action="store_true",
        help="also render the stack and apply the guardrail policies to its resources",
    )
    parser.add_argument(
        "--policy-config",
        type=Path,
        metavar="FILE.json",
        help="policy config (the shape of `pulumi preview --policy-pack-config`)",
    )
    parser.add_argument(
        "--today", type=iso_date, metavar="YYYY-MM-DD", help="date secrets are judged from"
    )
    parser.set_defaults(_parser=parser)


def run(args: argparse.Namespace) -> int:
    try:
        environment = resolve_environment(args._parser, args)
        spec, warnings = load_spec_with_warnings(
            args.config_dir, environment=environment, stack=args.stack
        )
    except ConfigError as error:
        for problem in error.problems:
            print(problem, file=sys.stderr)
        return 1
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print("ok")
    print(summary(spec))
    if args.policies:
        return _check_policies(args, spec)
    return 0


def _check_policies(args: argparse.Namespace, spec: Spec) -> int:
    # Imported here: a plain `check` must not pay for the Pulumi SDK.
    from fhir_apps.policies import (
        PolicyConfigError,
        has_mandatory,
        policy_config_for_spec,
        resolve_config,
        run_policies,
    )
    from fhir_apps.render.engine import RenderError, render

    config: dict[str, Any] = dict(policy_config_for_spec(spec))
    if args.policy_config is not None:
        try:
            given = json.loads(args.policy_config.read_text(encoding="utf-8"))
            if not isinstance(given, dict):
                raise PolicyConfigError("expected a JSON object of policy names")
            config.update(given)  # the file wins, policy by policy
            resolve_config(config)
        except (OSError, ValueError) as exc:
            print(f"check: --policy-config: {args.policy_config}: {exc}", file=sys.stderr)
            return 2
    today = args.today or date.today()
    try:
        rendering = render(
            environment=spec.environment,
            stack=args.stack,
            config_dir=args.config_dir,
            today=today,
        )
    except RenderError as err:
        print(f"check: render: {err}", file=sys.stderr)
        return 1
    violations = run_policies(rendering.as_dict(), config, today=today)
    for violation in violations:
        print(violation)
    print(f"policies: {len(violations)} violation{'s' if len(violations) != 1 else ''}")
    return 1 if has_mandatory(violations) else 0


def summary(spec: Spec) -> str:
    """E.g. `dev (stack dev): oss server https://fhir-dev.contoso.com; 6 clients (2 confidential,
    2 public, 2 service); 1 assignment`."""
    clients = spec.enabled_clients()
    kinds = Counter(client.kind for client in clients.values())
    by_kind = ", ".join(f"{kinds[k]} {k}" for k in ("confidential", "public", "service"))
    server = spec.fhir_server
    where = server.audience() or "(url from the deployed service)"
    count = len(spec.assignments)
    return (
        f"{spec.environment} (stack {spec.stack}): {server.kind} server {where}; "
        f"{len(clients)} client{'s' if len(clients) != 1 else ''} ({by_kind}); "
        f"{count} assignment{'s' if count != 1 else ''}" + ("; protected" if spec.protected else "")
    )
