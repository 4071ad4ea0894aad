"""`verify`: after `pulumi up`, prove that each client gets a token the FHIR server accepts.

Reads the stack's outputs (`--outputs FILE`, saved with `pulumi stack output --json
--show-secrets`; without it the Automation API, which needs the Pulumi CLI) and the config for
what each client should be allowed, then signs in as each service client, validates its token
and calls the FHIR server; delegated clients get the checks that need no person. The report goes
to stdout (text, or `--format json` for CI); each failure is also one line on stderr, naming the
client and the cause. Exit 1 on any failure. Secrets and tokens are never printed.
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from fhir_apps.commands._target import add_target_arguments, config_dir_problem, load_target
from fhir_apps.safeio.text import shown
from fhir_apps.verify.retry import Clock, SystemClock

if TYPE_CHECKING:  # the rest is imported when the command runs: `--help` stays light
    from fhir_apps.spec.model import Spec
    from fhir_apps.verify.context import Options
    from fhir_apps.verify.model import StackOutputs

HELP = "after `pulumi up`: prove each client gets a token the FHIR server accepts"

# The clock of the retry loop; tests replace it so that backoff does not really wait.
CLOCK: Clock = SystemClock()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_target_arguments(parser)
    parser.add_argument(
        "--outputs",
        metavar="FILE",
        type=Path,
        help="the stack outputs saved with `pulumi stack output --stack STACK --json "
        "--show-secrets > FILE` (default: read them with the Automation API)",
    )
    parser.add_argument(
        "--client",
        action="append",
        default=[],
        metavar="KEY",
        dest="clients",
        help="verify only this client (repeatable; default: every enabled client)",
    )
    parser.add_argument("--format", choices=("text", "json"), default="text", dest="fmt")
    parser.add_argument(
        "--wait",
        type=_seconds,
        default=300.0,
        metavar="SECONDS",
        help="how long, in all, to retry what Entra and Azure RBAC need time for (default 300)",
    )
    parser.add_argument(
        "--no-validate",
        action="store_false",
        dest="write_check",
        help="skip the harmless POST /Patient/$validate probe of clients with a writing role",
    )
    parser.add_argument(
        "--secret-source",
        choices=("outputs", "key-vault"),
        default="outputs",
        help="where client secrets come from: the outputs' clientSecrets, or the Key Vault "
        "secret the stack wrote (read with the Azure CLI's sign-in)",
    )
    parser.add_argument(
        "--certificate-key",
        action="append",
        default=[],
        type=_key_path,
        metavar="KEY=PATH",
        help="the PEM private key of service client KEY's certificate (never stored); or the "
        "PEM in FHIR_APPS_CERTIFICATE_KEY_<KEY>",
    )
    parser.add_argument(
        "--device-code",
        action="append",
        default=[],
        metavar="KEY",
        help="sign in as public client KEY with the device-code flow (an operator completes it)",
    )
    parser.add_argument(
        "--authority-host",
        action="append",
        default=[],
        metavar="HOST",
        help="trust this login host too (besides Microsoft's), e.g. a test identity provider",
    )
    parser.set_defaults(_parser=parser)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seconds, got '{shown(text, 40)}'") from None
    if not 0 <= value <= 86400:
        raise argparse.ArgumentTypeError("expected 0 to 86400 seconds")
    return value


def _key_path(text: str) -> tuple[str, Path]:
    key, sep, path = text.partition("=")
    if not sep or not key or not path:
        raise argparse.ArgumentTypeError(f"expected KEY=PATH, got '{shown(text, 80)}'")
    return key, Path(path)


def run(args: argparse.Namespace) -> int:
    from fhir_apps.verify.context import Options

    if not args.stack:
        args._parser.error("verify needs --stack STACK: the deployed stack to verify")
    problem = config_dir_problem(args.config_dir)
    if problem:
        print(f"verify: {problem}", file=sys.stderr)
        return 1
    target = load_target(args)
    if target is None:
        return 1
    outputs = _load_outputs(args)
    if outputs is None:
        return 1
    options = Options(
        clients=tuple(args.clients),
        wait_seconds=args.wait,
        write_check=args.write_check,
        secret_source=args.secret_source,
        certificate_keys=dict(args.certificate_key),
        device_code=tuple(args.device_code),
        authority_hosts=tuple(args.authority_host),
    )
    return _verify(target.spec, outputs, options, args.fmt)


def _load_outputs(args: argparse.Namespace) -> StackOutputs | None:
    from fhir_apps.verify.outputs import OutputsError, read_outputs_file, read_stack_outputs

    try:
        if args.outputs is not None:
            return read_outputs_file(args.outputs, args.stack)
        return read_stack_outputs(args.stack, Path.cwd())
    except OutputsError as error:
        print(f"verify: {error}", file=sys.stderr)
        return None


def _verify(spec: Spec, outputs: StackOutputs, options: Options, fmt: str) -> int:
    from fhir_apps.verify.credentials import vault_reader
    from fhir_apps.verify.http import HttpClient, make_session
    from fhir_apps.verify.keyvault import az_vault_token, public_vault_url
    from fhir_apps.verify.runner import VerifyInputError, verify_stack

    session = make_session()
    # One Azure CLI token for every client read from Key Vault, fetched only if one is.
    read_vault = vault_reader(
        HttpClient(session), functools.cache(az_vault_token), public_vault_url
    )
    try:
        report = verify_stack(
            spec,
            outputs,
            options,
            session=session,
            clock=CLOCK,
            env=os.environ,
            tell_operator=lambda line: print(line, file=sys.stderr, flush=True),
            read_vault=read_vault,
        )
    except VerifyInputError as error:
        print(f"verify: {error}", file=sys.stderr)
        return 1
    finally:
        session.close()
    sys.stdout.write(report.as_json() if fmt == "json" else report.as_text())
    sys.stdout.flush()
    for line in report.failures():
        print(f"verify: {line}", file=sys.stderr)
    return 0 if report.ok else 1
