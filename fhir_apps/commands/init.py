"""`init`: a minimal config for a new organisation, from a few flags or answers.

Writes `<config-dir>/base.yaml`, `environments/<env>.yaml` per environment and `schema.json`:
only what the flags say (server kind, one URL per environment, verified domains, tenant id), no
example data and no clients yet, so that `check` passes and `render` works at once.

Nothing is written until everything is valid: names are checked by the loader's rule, then the
files themselves are staged in a temporary directory and loaded by the real loader for every
environment, so a bad value ends in its one-line problem (naming the file and key it would have
been written to) and exit 1. Files are created exclusively (`write_atomic(exclusive=True)`), so
an existing file is never replaced, unless `--force`.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import yaml

from fhir_apps.fhir_constants import OSS_ROLE_NAMES
from fhir_apps.safeio.atomic import WriteError, write_atomic
from fhir_apps.safeio.text import first_unsafe, shown
from fhir_apps.spec.errors import ConfigError, Problem

HELP = "write a minimal config for a new organisation (server kind, URLs, domain, tenant)"

KINDS: Final = ("oss", "ahds", "azure-api-for-fhir")
DEFAULT_ENVIRONMENTS: Final = ("dev", "prod")
URL_EXAMPLE: Final = {
    "oss": "https://fhir-dev.example.org",
    "ahds": "https://<workspace>-<service>.fhir.azurehealthcareapis.com",
    "azure-api-for-fhir": "https://<name>.azurehealthcareapis.com",
}


class InitError(Exception):
    """Bad input: `str()` is the one line to print (after `init: `)."""


@dataclass(frozen=True)
class Answers:
    """Everything init writes, validated for form (the loader judges the rest)."""

    kind: str
    urls: dict[str, str]  # environment -> FHIR server URL, in the order given
    verified_domains: tuple[str, ...]
    tenant_id: str | None
    prefix: str


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--kind", choices=KINDS, help="the FHIR server kind (default: oss)")
    parser.add_argument(
        "--url",
        action="append",
        default=[],
        metavar="ENV=URL",
        help="the FHIR server URL (token audience) of an environment; once per environment",
    )
    parser.add_argument(
        "--environments",
        metavar="ENV,ENV",
        help="the environments, comma-separated (default: those given with --url)",
    )
    parser.add_argument(
        "--verified-domain",
        action="append",
        default=[],
        metavar="DOMAIN",
        help="a domain verified in the tenant (oss: the server URLs must sit under one)",
    )
    parser.add_argument("--tenant-id", metavar="GUID", help="the Entra tenant (directory) id")
    parser.add_argument("--prefix", default="fhir", help="display name prefix (default: fhir)")
    parser.add_argument(
        "--config-dir", default="config", metavar="DIR", help="where to write (default: config)"
    )
    parser.add_argument("--force", action="store_true", help="replace files that exist")


def run(args: argparse.Namespace) -> int:
    config_dir = Path(args.config_dir)
    try:
        answers = gather(args, _prompter())
        files = render_files(answers)
        _validate(files, answers, config_dir)
        existing = [name for name in files if (config_dir / name).exists()]
        if existing and not args.force:
            raise InitError(
                f"{_names(config_dir, existing)} already exist{'s' if len(existing) == 1 else ''}"
                "; nothing was written. Give --force to replace them"
            )
        written = _write(config_dir, files, force=args.force)
    except InitError as error:
        print(f"init: {error}", file=sys.stderr)
        return 1
    except ConfigError as error:
        for problem in error.problems:
            print(problem, file=sys.stderr)
        return 1
    for path in written:
        print(f"wrote {shown(str(path), 400)}")
    _note_leftovers(config_dir, files)
    first = next(iter(answers.urls))
    print(
        f"next: python -m fhir_apps check --environment {first} --policies; add clients "
        "(docs/configuration.md); a stack deploys the environment of its name"
    )
    return 0


# --- gathering the answers -----------------------------------------------------------------------

Ask = Callable[[str, str], str]


def _prompter() -> Ask | None:
    """A question asker when a person is at the terminal; None in scripts and CI."""
    if not sys.stdin.isatty():
        return None

    def ask(question: str, default: str) -> str:
        try:
            answer = input(f"{question} [{default}]: " if default else f"{question}: ")
        except EOFError:
            raise InitError("no answer; give the values as flags (see --help)") from None
        return answer.strip() or default

    return ask


def gather(args: argparse.Namespace, ask: Ask | None) -> Answers:
    """The flags, with questions for what they leave out when `ask` is given."""
    kind = args.kind or (ask(f"FHIR server kind ({', '.join(KINDS)})", "oss") if ask else "oss")
    if kind not in KINDS:
        raise InitError(f"--kind: '{shown(kind)}' is not one of {', '.join(KINDS)}")
    urls = _parse_urls(args.url)
    environments = _environments(args.environments, urls, ask)
    for environment in environments:
        if environment not in urls and ask is not None:
            urls[environment] = ask(f"FHIR server URL of {environment} ({URL_EXAMPLE[kind]})", "")
    missing = [e for e in environments if not urls.get(e)]
    if missing:
        raise InitError(
            f"--url: no URL for {', '.join(missing)}; give --url ENV=URL for each environment, "
            f"e.g. --url {missing[0]}={URL_EXAMPLE[kind]}"
        )
    unknown = [e for e in urls if e not in environments]
    if unknown:
        raise InitError(
            f"--url: {', '.join(unknown)} is not one of the environments "
            f"({', '.join(environments)}); add it to --environments or drop its --url"
        )
    domains = _split(args.verified_domain)
    if not domains and ask is not None and kind == "oss":
        domains = _split([ask("Verified domains of the tenant, comma-separated", "")])
    tenant = args.tenant_id
    if tenant is None and ask is not None:
        tenant = ask("Tenant id (blank: the tenant of whoever deploys)", "") or None
    answers = Answers(
        kind=kind,
        urls={e: urls[e] for e in environments},
        verified_domains=tuple(domains),
        tenant_id=_tenant_id(tenant),
        prefix=args.prefix,
    )
    _refuse_unsafe(answers)
    return answers


def _parse_urls(given: Sequence[str]) -> dict[str, str]:
    urls: dict[str, str] = {}
    for item in given:
        environment, sep, url = item.partition("=")
        if not sep or not environment.strip() or not url.strip():
            raise InitError(f"--url: '{shown(item)}' is not ENV=URL, e.g. dev={URL_EXAMPLE['oss']}")
        environment = environment.strip()
        if environment in urls:
            raise InitError(f"--url: {shown(environment)} is given twice; give one URL each")
        urls[environment] = url.strip()
    return urls


def _environments(given: str | None, urls: dict[str, str], ask: Ask | None) -> list[str]:
    if given is None and not urls and ask is not None:
        given = ask("Environments, comma-separated", ",".join(DEFAULT_ENVIRONMENTS))
    names = _split([given]) if given is not None else list(urls)
    if not names:
        raise InitError(
            "give --url ENV=URL for each environment, e.g. "
            f"--url dev={URL_EXAMPLE['oss']} --url prod=https://fhir.example.org"
        )
    from fhir_apps.spec.pulumifiles import is_valid_name

    seen: dict[str, str] = {}
    for name in names:
        if not is_valid_name(name):
            raise InitError(
                f"--environments: '{shown(name)}' is not a valid environment name; use letters, "
                "digits, '.', '-' and '_' (at most 64, starting with a letter or digit)"
            )
        # environments/<name>.yaml: two names one case apart are one file on macOS and Windows.
        twin = seen.get(name.lower())
        if twin is not None:
            also = "" if twin == name else f" (as '{twin}': file names ignore case on some systems)"
            raise InitError(f"--environments: '{name}' is given twice{also}")
        seen[name.lower()] = name
    return names


def _split(values: Sequence[str]) -> list[str]:
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def _tenant_id(text: str | None) -> str | None:
    if text is None:
        return None
    try:
        return str(uuid.UUID(text.strip()))
    except ValueError:
        raise InitError(
            f"--tenant-id: '{shown(text)}' is not a GUID such as "
            "00000000-0000-0000-0000-000000000000 (Entra: Overview, Tenant ID)"
        ) from None


def _refuse_unsafe(answers: Answers) -> None:
    """Values go into YAML (quoted by the dumper) and into messages: refuse what hides intent."""
    values = [
        ("--prefix", answers.prefix),
        *(("--verified-domain", d) for d in answers.verified_domains),
        *((f"--url {e}", u) for e, u in answers.urls.items()),
    ]
    for flag, value in values:
        found = first_unsafe(value)
        if found:
            raise InitError(f"{flag}: '{shown(value)}' contains {found}; remove it")


# --- the files -----------------------------------------------------------------------------------

BASE_HEADER: Final = """\
# yaml-language-server: $schema=./schema.json
#
# Written by `python -m fhir_apps init`: what every environment shares. Environments
# (environments/<env>.yaml) and stacks (stacks/<stack>.yaml) override it: maps merge by key,
# lists replace. Add your client applications under `clients` (docs/configuration.md, "clients"),
# owners of the registrations under `owners`, and check with
#   python -m fhir_apps check --environment <env>
"""

ENVIRONMENT_HEADER: Final = """\
# yaml-language-server: $schema=../schema.json
#
# Environment {name}, merged over base.yaml; written by `python -m fhir_apps init`. Redirect URIs,
# federated subjects and anything else that differs per environment go here.{protected}
"""


def render_files(answers: Answers) -> dict[str, str]:
    """Relative path -> text of every file init writes."""
    from fhir_apps.spec.schema import layer_schema_json

    files = {"base.yaml": BASE_HEADER + _dump(_base(answers))}
    for environment, url in answers.urls.items():
        protected = (
            "\n# `protected` defaults to true for prod: its resource app resists deletion."
            if environment == "prod"
            else ""
        )
        header = ENVIRONMENT_HEADER.format(name=environment, protected=protected)
        files[f"environments/{environment}.yaml"] = header + _dump({"fhirServer": {"url": url}})
    files["schema.json"] = layer_schema_json()
    return files


def _base(answers: Answers) -> dict[str, Any]:
    base: dict[str, Any] = {}
    tenant: dict[str, Any] = {}
    if answers.tenant_id:
        tenant["id"] = answers.tenant_id
    if answers.verified_domains:
        tenant["verifiedDomains"] = list(answers.verified_domains)
    if tenant:
        base["tenant"] = tenant
    base["naming"] = {"prefix": answers.prefix}
    server: dict[str, Any] = {"kind": answers.kind}
    if answers.kind == "oss":
        # The roles the open-source server's roles.json knows; the managed kinds have none.
        server["appRoles"] = list(OSS_ROLE_NAMES)
        server["scopes"] = ["user_impersonation"]
    base["fhirServer"] = server
    base["clients"] = {}
    return base


def _dump(data: dict[str, Any]) -> str:
    return yaml.safe_dump(data, sort_keys=False, default_flow_style=False, allow_unicode=False)


# --- validating and writing ----------------------------------------------------------------------


def _validate(files: dict[str, str], answers: Answers, config_dir: Path) -> None:
    """Load every environment from a staged copy; problems name the files as they would be."""
    from fhir_apps.spec.loader import load_spec_with_warnings

    if config_dir.exists() and not config_dir.is_dir():
        raise InitError(f"--config-dir: {shown(str(config_dir), 400)} is a file, not a directory")
    with tempfile.TemporaryDirectory(prefix="fhir-apps-init-") as temp:
        stage = Path(temp)
        for name, text in files.items():
            (stage / name).parent.mkdir(parents=True, exist_ok=True)
            (stage / name).write_text(text, encoding="utf-8")
        problems: list[Problem] = []
        for environment in answers.urls:
            try:
                _, warnings = load_spec_with_warnings(stage, environment=environment)
            except ConfigError as error:
                problems += [_restage(p, stage, config_dir) for p in error.problems]
                continue
            for warning in warnings:
                print(f"warning: {warning.replace(str(stage), str(config_dir))}", file=sys.stderr)
    if problems:
        raise ConfigError(dict.fromkeys(problems))


def _restage(problem: Problem, stage: Path, config_dir: Path) -> Problem:
    file = problem.file
    if file.startswith(str(stage)):
        file = str(config_dir / Path(file).relative_to(stage))
    return Problem(file, problem.path, problem.message, problem.line)


def _write(config_dir: Path, files: dict[str, str], *, force: bool) -> list[Path]:
    """Write every file; on a failure remove the ones this run created, and raise InitError."""
    created: list[Path] = []
    written: list[Path] = []
    try:
        for name, text in files.items():
            path = config_dir / name
            path.parent.mkdir(parents=True, exist_ok=True)
            existed = path.exists()
            write_atomic(path, text, exclusive=not force)
            written.append(path)
            if not existed:
                created.append(path)
    except (WriteError, OSError) as error:
        for path in created:
            path.unlink(missing_ok=True)
        kept = "" if not created else f"; removed the {len(created)} file(s) it had created"
        raise InitError(f"{shown(str(error), 400)}{kept}") from None
    return written


def _names(config_dir: Path, names: Sequence[str]) -> str:
    return ", ".join(shown(str(config_dir / name), 200) for name in names)


def _note_leftovers(config_dir: Path, files: dict[str, str]) -> None:
    """Layers init did not write still merge in (an example's stacks/, other environments)."""
    ours = {config_dir / name for name in files}
    for path in sorted(config_dir.rglob("*.yaml")):
        if path not in ours:
            print(
                f"note: {shown(str(path), 400)} was not written by init and still applies; "
                "remove it if it is not yours",
                file=sys.stderr,
            )
