"""The environment layer as YAML text, with every finding as a comment beside what it concerns.

PyYAML writes no comments, so each block is dumped on its own and the comments are placed
around it; the data itself always comes from `yaml.safe_dump`, so quoting is never hand-made.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Final

import yaml

from fhir_apps.adopt.findings import Finding
from fhir_apps.adopt.graphjson import AdoptInputError
from fhir_apps.adopt.plan import Adoption

__all__ = ["BASE_YAML", "SCHEMA_LINE", "environment_yaml", "write_environment"]

# Relative to config/environments/, where the file is written.
SCHEMA_LINE: Final = "# yaml-language-server: $schema=../schema.json"
WIDTH: Final = 100

# Written only when the config directory has no base.yaml, so that `check` can load the layers.
BASE_YAML: Final = """\
# yaml-language-server: $schema=schema.json
# Shared by every environment. Created by `python -m fhir_apps adopt`; the adopted environment
# file (environments/<env>.yaml) names its own tenant.verifiedDomains, display names and ids.
{}
"""


def _comment(text: str, indent: int = 0) -> list[str]:
    pad = " " * indent
    return textwrap.wrap(
        text,
        width=WIDTH,
        initial_indent=f"{pad}# ",
        subsequent_indent=f"{pad}#   ",
        break_long_words=False,
        break_on_hyphens=False,
    )


def _dump(data: Any, indent: int = 0) -> list[str]:
    # PyYAML breaks a long text at the first space past `width`, so leave room for one word
    # (scope and role descriptions are long prose).
    text = yaml.safe_dump(
        data, sort_keys=False, default_flow_style=False, allow_unicode=True, width=WIDTH - 20
    )
    pad = " " * indent
    return [pad + line if line else line for line in text.splitlines()]


def _findings(findings: Iterable[Finding], indent: int) -> list[str]:
    lines: list[str] = []
    for finding in findings:
        lines += _comment(f"FINDING {finding.property}: {finding.message}", indent)
    return lines


def environment_yaml(adoption: Adoption) -> str:
    """The YAML of `config/environments/<environment>.yaml` for `adoption`."""
    by_app: dict[str, list[Finding]] = {}
    for finding in adoption.findings:
        by_app.setdefault(finding.app, []).append(finding)
    adopted_names = {a.display_name for a in adoption.adopted()}

    lines = [SCHEMA_LINE]
    lines += _comment(
        f"Environment '{adoption.environment}', adopted from Microsoft Graph by `python -m "
        "fhir_apps adopt`. importIds make the first `pulumi up` import these objects instead of "
        "creating them (client ids stay): applications, service principals, app role "
        "assignments, admin consent grants and federated credentials; fhirServer.ids pins the "
        "existing scope and role ids, and scopeDetails and roleDetails keep their texts, types "
        "and member types. Pulumi imports an object only when the config's inputs "
        "equal it, so a FINDING that says adoption changes an imported object stops the first "
        "`pulumi up` at that import until Entra matches (docs/adopt.md)."
    )
    lines += _comment(
        "Passwords (client secrets) cannot be imported: clients with credential type secret get "
        "two new rotating secrets, and existing secrets keep working until they expire."
    )
    lines += _comment(
        "FINDING lines say what exists that this config cannot express, and what adoption "
        "changes; read them before `pulumi preview`."
    )
    others = sorted(set(by_app) - adopted_names)
    for name in others:
        lines.append(f"# {name}:")
        lines += _findings(by_app[name], 2)
    for name, reason in adoption.ignored:
        lines += _comment(f"Not adopted: '{name}' {reason}.")
    lines.append("")
    if adoption.tenant:
        lines += _comment(
            "The server URL's domain, verified in the tenant: Entra and `check` accept an https "
            "identifier URI only on a verified domain (this list replaces base.yaml's)."
        )
        lines += _dump({"tenant": adoption.tenant})
    server = adoption.server
    lines += _comment(f"{server.display_name} (appId {server.app['appId']})")
    lines += _findings(by_app.get(server.display_name, []), 0)
    lines += _dump({"fhirServer": server.block})
    if adoption.clients:
        lines.append("clients:")
        for client in adoption.clients:
            lines += _comment(f"{client.display_name} (appId {client.app['appId']})", 2)
            lines += _findings(by_app.get(client.display_name, []), 2)
            lines += _dump({client.key: client.block}, 2)
    if adoption.assignments:
        lines += _dump({"assignments": list(adoption.assignments)})
    return "\n".join(lines) + "\n"


def write_environment(adoption: Adoption, config_dir: Path | str, *, force: bool) -> list[Path]:
    """Write the environment file (and a minimal base.yaml if there is none); paths written.

    Refuses to replace an existing environment file unless `force`; never replaces base.yaml.
    """
    config_dir = Path(config_dir)
    target = config_dir / "environments" / f"{adoption.environment}.yaml"
    if target.exists() and not force:
        raise AdoptInputError(
            f"{target}: exists; adopt will not overwrite it (pass --force to replace it, or "
            "print the YAML without --write and merge by hand)"
        )
    written = []
    target.parent.mkdir(parents=True, exist_ok=True)
    base = config_dir / "base.yaml"
    if not base.exists():
        base.write_text(BASE_YAML, encoding="utf-8")
        written.append(base)
    target.write_text(environment_yaml(adoption), encoding="utf-8")
    written.append(target)
    return written
