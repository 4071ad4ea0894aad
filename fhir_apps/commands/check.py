"""`python -m fhir_apps check`: load and validate one environment (and stack), offline.

Prints `ok` and a one-line summary, exit 0; or every problem, one per line on stderr, exit 1.
Warnings go to stderr prefixed `warning: ` and do not fail the check.

With `--policies` it also renders the stack (the real program under mocks) and applies the
guardrail policies of `fhir_apps.policies` to the rendered resources, as `pulumi preview
--policy-pack policy` would: one line per violation, exit 1 on a mandatory one.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

from fhir_apps.commands._expiry import add_expiry_arguments, print_expiry_warnings
from fhir_apps.commands._target import (
    add_target_arguments,
    config_dir_problem,
    iso_date,
    load_target,
)
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
        help="policy config (the shape of `pulumi preview --policy-pack-config`); a file that "
        "cannot be used (unreadable, not JSON, an unknown policy or a bad value) ends the check "
        "with one line and exit 2, before anything is rendered",
    )
    parser.add_argument(
        "--today",
        type=iso_date,
        metavar="YYYY-MM-DD",
        help="date secrets and certificates are judged from",
    )
    add_expiry_arguments(parser, last_up=True)
    parser.add_argument(
        "--all",
        action="store_true",
        help="check every environment and stack of the config, and what only shows across "
        "them (names, identifier URIs, federated subjects, Key Vault secrets)",
    )
    parser.set_defaults(_parser=parser)


def run(args: argparse.Namespace) -> int:
    problem = config_dir_problem(args.config_dir)
    if problem:
        print(problem, file=sys.stderr)
        return 1
    if args.all:
        return _check_all(args)
    target = load_target(args, today=args.today)
    if target is None:
        return 1
    spec = target.spec
    print_expiry_warnings(spec, args, project_dir=Path.cwd())
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
    from fhir_apps.safeio.jsonfile import JsonFileError, read_json
    from fhir_apps.safeio.text import shown

    config: dict[str, Any] = dict(policy_config_for_spec(spec))
    if args.policy_config is not None:
        where = shown(str(args.policy_config), 400)
        try:
            # Bounded: a policy config is a few hundred bytes, nested three levels.
            given = read_json(
                args.policy_config, max_bytes=1024 * 1024, max_depth=16, what="a policy config"
            )
            if not isinstance(given, dict):
                raise PolicyConfigError("expected a JSON object of policy names")
            config = _overlay_policy_config(config, given)
            resolve_config(config)
        except JsonFileError as exc:  # its message starts with the file
            print(f"check: --policy-config: {exc}", file=sys.stderr)
            return 2
        except PolicyConfigError as exc:
            print(f"check: --policy-config: {where}: {exc}", file=sys.stderr)
            return 2
    # Imported only now: a policy config that cannot be used ends the check before the SDK loads.
    from fhir_apps.render.engine import RenderError, render

    today = args.today or date.today()
    try:
        rendering = render(
            environment=spec.environment,
            stack=args.stack,
            config_dir=args.config_dir,
            today=today,
        )
    except RenderError as err:
        for line in str(err).splitlines():  # one per problem, each with its prefix
            print(f"check: render: {line}", file=sys.stderr)
        return 1
    violations = run_policies(rendering.as_dict(), config, today=today)
    for violation in violations:
        print(violation)
    print(f"policies: {len(violations)} violation{'s' if len(violations) != 1 else ''}")
    return 1 if has_mandatory(violations) else 0


def _check_all(args: argparse.Namespace) -> int:
    """`--all`: every stack, then the rules across stacks (fhir_apps.crossstack)."""
    if args.environment or args.stack or args.policies or args.last_up:
        args._parser.error(
            "--all checks every environment and stack; leave out --environment, "
            "--stack, --policies and --last-up"
        )
    from fhir_apps.crossstack import check_all

    result = check_all(
        Path(args.config_dir), Path.cwd(), today=args.today, warn_days=args.warn_days
    )
    for line in result.warnings:
        print(f"warning: {line}", file=sys.stderr)
    for line in result.problems:
        print(line, file=sys.stderr)
    if result.problems:
        return 1
    print("ok")
    for loaded in result.stacks:
        print(summary(loaded.spec))
    return 0


def _overlay_policy_config(spec_config: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    """The --policy-config file over the spec's policy config, property by property.

    The file wins where both set a property. Replacing a policy's whole entry instead would let
    a file that only sets a level (`"entra-secret-max-lifetime": "mandatory"`) drop the spec's
    maxSecretLifetimeDays or verifiedDomains, and judge the stack by the defaults.
    """
    merged = dict(spec_config)
    for name, value in given.items():
        ours = merged.get(name)
        if isinstance(ours, dict) and value is None:
            continue  # null sets nothing (resolve_config reads it so), so the spec's entry stays
        if isinstance(ours, dict) and isinstance(value, str):
            value = {"enforcementLevel": value}  # Pulumi's shorthand for a level alone
        if isinstance(ours, dict) and isinstance(value, dict):
            value = {**ours, **value}
        merged[name] = value  # anything else is the file's, for resolve_config to judge
    return merged


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
