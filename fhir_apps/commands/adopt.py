"""`adopt`: take over app registrations made by hand, from Microsoft Graph JSON to config.

Prints the environment layer's YAML (findings as comments), or writes it with `--write`,
together with the import file for `pulumi import --file`; either way it prints the adoption
plan: what the first `pulumi up` changes in the existing objects. `--check` prints the findings
and the plan against the current config, and exits 1 when the plan is not empty (unless
`--accept-changes`). Bad input: one message, exit 1.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path
from typing import Any

HELP = (
    "adopt existing app registrations: read Microsoft Graph JSON, print (or --write) the "
    "environment's config and the import file, and what the first `pulumi up` changes; or "
    "--check it"
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
    parser.add_argument(
        "--deployer",
        metavar="OBJECT_ID",
        help="object id of the identity `pulumi up` signs in as (the program makes it an owner "
        "of everything): without it, the plan counts it as an owner to add everywhere",
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--write",
        action="store_true",
        help="write DIR/environments/ENV.yaml (and a minimal DIR/base.yaml if there is none) "
        "and the import file DIR/imports/ENV.json",
    )
    mode.add_argument(
        "--check",
        action="store_true",
        help="print the findings and what the first `pulumi up` changes against the current "
        "config; exit 1 if it changes anything",
    )
    parser.add_argument(
        "--import-file",
        type=Path,
        metavar="PATH",
        help="with --write: where the import file goes (default DIR/imports/ENV.json)",
    )
    parser.add_argument(
        "--accept-changes",
        action="store_true",
        help="with --check: exit 0 although the first `pulumi up` changes existing objects "
        "(the changes are still printed)",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="with --write: replace an existing environment file and import file",
    )


def run(args: argparse.Namespace) -> int:
    from fhir_apps.adopt.emit import check_config_dir, environment_yaml, write_environment
    from fhir_apps.adopt.findings import one_line
    from fhir_apps.adopt.graphjson import AdoptInputError, read_export
    from fhir_apps.adopt.importfile import import_file_path, import_file_text
    from fhir_apps.adopt.plan import plan
    from fhir_apps.adopt.staging import render_adopted

    environment: str = args.environment
    # Before anything is read or written: the name becomes a file name under the config dir.
    problem = _environment_problem(environment) or _option_problem(args)
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
            export,
            environment=environment,
            audience=args.audience,
            config_dir=args.config_dir,
            deployer=args.deployer,
        )
        if args.check:
            return _check(args, export, adoption)
        text = environment_yaml(adoption)
        if args.write:
            import_path = args.import_file or import_file_path(args.config_dir, environment)
            _refuse_existing(args, import_path)
        rendering = render_adopted(text, environment, args.config_dir)
        if not args.write:
            sys.stdout.write(text)
            _print_plan(export, adoption, rendering, args.deployer, sys.stderr)
            return 0
        written = write_environment(
            adoption,
            args.config_dir,
            force=args.force,
            import_file=(import_path, import_file_text(rendering)),
        )
    except AdoptInputError as error:
        # Messages quote exports and paths: `one_line` keeps each to the one line it is.
        print(f"adopt: {one_line(str(error))}", file=sys.stderr)
        return 1
    for path in written:
        print(f"wrote {one_line(str(path))}", file=sys.stderr)
    _print_plan(export, adoption, rendering, args.deployer, sys.stdout)
    _next_steps(args, adoption, import_path)
    return _verify(args)


def _option_problem(args: argparse.Namespace) -> str | None:
    from fhir_apps.adopt.graphjson import is_guid
    from fhir_apps.safeio.text import shown

    if args.deployer is not None and not is_guid(args.deployer):
        return (
            f"--deployer '{shown(args.deployer)}' must be an object id (a GUID): the object id "
            "of the user or service principal `pulumi up` signs in as"
        )
    if args.import_file is not None and not args.write:
        return "--import-file goes with --write (it names where the import file is written)"
    if args.accept_changes and not args.check:
        return "--accept-changes goes with --check"
    return None


def _refuse_existing(args: argparse.Namespace, import_path: Path) -> None:
    """Refuse before the render (which takes seconds) when --write would overwrite a file;
    `write_environment` checks again, at the moment it writes."""
    from fhir_apps.adopt.emit import existing_file_problem
    from fhir_apps.adopt.graphjson import AdoptInputError

    target = args.config_dir / "environments" / f"{args.environment}.yaml"
    for path in (target, import_path):
        problem = None if args.force else existing_file_problem(path)
        if problem:
            raise AdoptInputError(problem)


def _environment_problem(environment: str) -> str | None:
    """Why `environment` is not an environment name, or None: the loader's rule, exactly."""
    from fhir_apps.safeio.text import shown
    from fhir_apps.spec.loader import is_valid_name

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


def _print_plan(
    export: Any, adoption: Any, rendering: Any, deployer: str | None, stream: Any
) -> None:
    """The adoption plan: each change to an existing object, then what the first up creates."""
    from fhir_apps.adopt.changes import creations

    changes = _changes(export, adoption, rendering, deployer)
    created = creations(rendering)
    print(
        f"the first `pulumi up` changes {len(changes)} propert(ies) of existing objects and "
        f"creates {len(created)} resource(s):",
        file=stream,
    )
    for change in changes:
        print(f"change: {change}", file=stream)
    for creation in created:
        print(f"create: {creation}", file=stream)


def _changes(export: Any, adoption: Any, rendering: Any, deployer: str | None) -> list[Any]:
    from fhir_apps.adopt.changes import adoption_changes

    return adoption_changes(
        rendering,
        export.applications,
        export.service_principals,
        assignments=export.assignments,
        grants=export.grants,
        adopted_ids=[a.app["id"] for a in adoption.adopted()],
        deployer=deployer,
    )


def _next_steps(args: argparse.Namespace, adoption: Any, import_path: Path) -> None:
    argv = ["check", "--environment", args.environment, "--config-dir", str(args.config_dir)]
    check = _command("python", "-m", "fhir_apps", *argv)
    pulumi_import = _command(
        "pulumi", "import", "--file", str(import_path), "--generate-code=false"
    )
    steps = (
        f"{len(adoption.findings)} finding(s), written as comments; review them, then run "
        f"`{check}` and `pulumi preview` after the import, in this order:",
        f"  1. `{pulumi_import}`: state holds the existing objects; nothing changes in Entra",
        "  2. `pulumi preview --diff`: shows exactly the changes listed above",
        "  3. `pulumi up`: makes them (docs/adopt.md)",
    )
    for line in steps:
        print(line, file=sys.stderr)


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


def _check(args: argparse.Namespace, export: Any, adoption: Any) -> int:
    # Imported here: only --check runs the Pulumi program on the current config.
    from fhir_apps.adopt.findings import one_line
    from fhir_apps.render.engine import RenderError, render
    from fhir_apps.spec.errors import ConfigError
    from fhir_apps.spec.loader import load_spec

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
    drifts = _changes(export, adoption, rendering, args.deployer)
    for drift in drifts:
        print(f"drift: {drift}")
    # An app the config does not take over is not a change the first `up` makes: not accepted.
    unmanaged = [d for d in drifts if d.key == "-"]
    accepted = len(drifts) - len(unmanaged) if args.accept_changes else 0
    summary = f"{len(adoption.findings)} finding(s), {len(drifts)} drift(s)"
    print(summary + (f", {accepted} accepted (--accept-changes)" if accepted else ""))
    return 1 if len(drifts) > accepted else 0
