"""`adopt`: take over app registrations made by hand, from Microsoft Graph JSON to config.

Prints the environment layer's YAML (findings as comments), or writes it with `--write`;
`--check` prints only the findings and the drift between the existing objects and what the
current config would set, and exits 1 when there is drift. Bad input: one message, exit 1.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

HELP = (
    "adopt existing app registrations: read Microsoft Graph JSON, print (or --write) the "
    "environment's config with import ids, or --check the drift"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--applications",
        required=True,
        nargs="+",
        type=Path,
        metavar="APPS.json",
        help="Graph applications: GET /applications, `az ad app list` or `az ad app show` output",
    )
    parser.add_argument(
        "--service-principals",
        type=Path,
        metavar="SPS.json",
        help="Graph service principals (GET /servicePrincipals, `az ad sp list`): their import "
        "ids and owners",
    )
    parser.add_argument(
        "--assignments",
        type=Path,
        metavar="ASSIGNMENTS.json",
        help="app role assignments on the FHIR app's service principal "
        "(GET /servicePrincipals/<id>/appRoleAssignedTo)",
    )
    parser.add_argument(
        "--permission-grants",
        type=Path,
        metavar="GRANTS.json",
        help="GET /oauth2PermissionGrants: tenant-wide consent becomes adminConsent: true",
    )
    parser.add_argument("--environment", required=True, metavar="ENV", help="environment name")
    parser.add_argument(
        "--config-dir", default="config", type=Path, metavar="DIR", help="default: config"
    )
    parser.add_argument(
        "--audience",
        metavar="URL",
        help="the FHIR server URL (the resource app's identifier URI), if not found by itself",
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--write",
        action="store_true",
        help="write DIR/environments/ENV.yaml (and a minimal DIR/base.yaml if there is none)",
    )
    mode.add_argument(
        "--check",
        action="store_true",
        help="print only findings and drift against the current config; exit 1 on drift",
    )
    parser.add_argument(
        "--force", action="store_true", help="with --write: replace an existing environment file"
    )


def run(args: argparse.Namespace) -> int:
    from fhir_apps.adopt.emit import check_config_dir, environment_yaml, write_environment
    from fhir_apps.adopt.findings import one_line
    from fhir_apps.adopt.graphjson import AdoptInputError, read_export
    from fhir_apps.adopt.plan import plan

    environment: str = args.environment
    # Before anything is read or written: the name becomes a file name under the config dir.
    problem = _environment_problem(environment)
    if problem:
        print(f"adopt: {problem}", file=sys.stderr)
        return 1
    try:
        if args.write:  # a config dir that cannot take the file: say so before reading exports
            check_config_dir(args.config_dir)
        export = read_export(
            args.applications, args.service_principals, args.assignments, args.permission_grants
        )
        adoption = plan(
            export, environment=environment, audience=args.audience, config_dir=args.config_dir
        )
        if args.check:
            return _check(args, export, adoption)
        if not args.write:
            sys.stdout.write(environment_yaml(adoption))
            return 0
        written = write_environment(adoption, args.config_dir, force=args.force)
    except AdoptInputError as error:
        # Messages quote exports and paths: `one_line` keeps each to the one line it is.
        print(f"adopt: {one_line(str(error))}", file=sys.stderr)
        return 1
    for path in written:
        print(f"wrote {one_line(str(path))}", file=sys.stderr)
    argv = ["check", "--environment", environment, "--config-dir", str(args.config_dir)]
    check = _command("python", "-m", "fhir_apps", *argv)
    print(
        f"{len(adoption.findings)} finding(s), written as comments; review them, then run "
        f"`{check}` and `pulumi preview`",
        file=sys.stderr,
    )
    return _verify(args)


def _environment_problem(environment: str) -> str | None:
    """Why `environment` is not an environment name, or None: the loader's rule, exactly."""
    from fhir_apps.safeio.text import shown
    from fhir_apps.spec.pulumifiles import is_valid_name

    if is_valid_name(environment):
        return None
    return (
        f"--environment '{shown(environment)}' must be a plain name: letters, digits, '.', '-' "
        "and '_', at most 64, starting with a letter or digit (it names the file "
        "environments/<name>.yaml)"
    )


def _command(*argv: str) -> str:
    """A command line to suggest, each word quoted for a POSIX shell, on one line."""
    from fhir_apps.adopt.findings import one_line

    return one_line(" ".join(shlex.quote(word) for word in argv))


def _verify(args: argparse.Namespace) -> int:
    """Load what was written, so a config that `check` would refuse is never reported as done."""
    from fhir_apps.spec.errors import ConfigError
    from fhir_apps.spec.loader import load_spec

    try:
        load_spec(args.config_dir, environment=args.environment)
    except ConfigError as error:
        print("adopt: the written config does not pass check:", file=sys.stderr)
        for problem in error.problems:
            print(problem, file=sys.stderr)
        return 1
    return 0


def _check(args: argparse.Namespace, export: object, adoption: object) -> int:
    # Imported here: only --check runs the Pulumi program.
    from fhir_apps.adopt.drift import compare
    from fhir_apps.adopt.findings import one_line
    from fhir_apps.adopt.graphjson import GraphExport
    from fhir_apps.adopt.plan import Adoption
    from fhir_apps.render.engine import RenderError, render
    from fhir_apps.render.graph import manifests
    from fhir_apps.spec.errors import ConfigError
    from fhir_apps.spec.loader import load_spec

    assert isinstance(export, GraphExport) and isinstance(adoption, Adoption)
    for finding in adoption.findings:
        print(f"finding: {finding}")
    try:
        load_spec(args.config_dir, environment=args.environment)
        rendering = render(environment=args.environment, config_dir=args.config_dir)
    except ConfigError as error:
        for problem in error.problems:
            print(problem, file=sys.stderr)
        return 1
    except RenderError as error:
        print(f"adopt: render: {one_line(str(error))}", file=sys.stderr)
        return 1
    drifts = compare(
        manifests(rendering), export.applications, [a.app["id"] for a in adoption.adopted()]
    )
    for drift in drifts:
        print(f"drift: {drift}")
    print(f"{len(adoption.findings)} finding(s), {len(drifts)} drift(s)")
    return 1 if drifts else 0
