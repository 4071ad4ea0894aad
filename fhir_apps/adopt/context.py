"""What every part of an adoption reads and writes: the export, the resource app, the findings.

`plan()` builds one `Context` and hands it to the modules that decide a part of the config
(`server`, `clients`, `grants`, `owners`); each reports what it cannot express through
`Context.add`, so findings have one shape and one place.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from fhir_apps.adopt.findings import Finding
from fhir_apps.adopt.graphjson import AdoptInputError, GraphExport
from fhir_apps.safeio.text import shown

__all__ = ["App", "Context", "read_base", "refuse", "refuse_surrogates"]

App = dict[str, Any]


def read_base(config_dir: Path | None) -> dict[str, Any]:
    """base.yaml as plain data, or `{}` when there is none or it does not read (`check`
    reports an unreadable base.yaml with its line; that is not adopt's job)."""
    if config_dir is None:
        return {}
    try:
        data = yaml.safe_load((config_dir / "base.yaml").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return {}
    return data if isinstance(data, dict) else {}


@dataclass
class Context:
    """One adoption in progress. `sps`: service principals by appId; `resource`: the FHIR
    resource app; `scope_ids`/`role_ids`: `{value: id}` the config keeps (set by `server`)."""

    export: GraphExport
    environment: str
    config_dir: Path | None
    resource: App
    deployer: str | None = None
    findings: list[Finding] = field(default_factory=list)
    scope_ids: dict[str, str] = field(default_factory=dict)
    role_ids: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.sps: dict[str, App] = {sp["appId"]: sp for sp in self.export.service_principals}
        self.resource_sp: App | None = self.sps.get(self.resource["appId"])
        self.base: dict[str, Any] = read_base(self.config_dir)

    def add(self, app: App | str, prop: str, message: str, *, change: bool = False) -> None:
        name = app if isinstance(app, str) else str(app["displayName"])
        self.findings.append(Finding(name, prop, message, change))

    def base_list(self, *path: str) -> list[str]:
        """A list of strings in base.yaml (`tenant.verifiedDomains`, `owners`), else `[]`."""
        value: Any = self.base
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def refuse(app: App, what: str, problem: str | None) -> None:
    """Refuse to adopt `app` when its `what` has a `problem` that the config check refuses.

    Adoption writes Entra's values as they are; a value that hides what it says (a line break,
    control or bidi character in a name) cannot be written, and changing it silently is not
    adoption: it must be corrected in Entra. The app is named by its object id, its name only
    escaped.
    """
    if problem is None:
        return
    raise AdoptInputError(
        f"application {shown(app['id'])} ('{shown(app['displayName'])}'): {what} {problem}. "
        "Adopt takes over no such app: correct it in Entra (az ad app update --id "
        f"{shown(app['appId'])}) and export again"
    )


def refuse_surrogates(config: Any) -> None:
    """Refuse a config holding a lone surrogate (JSON's `"\\ud800"`): it is not Unicode, so
    no YAML file can hold it."""
    stack: list[tuple[str, Any]] = [("", config)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, dict):
            stack += [(f"{path}.{k}" if path else str(k), v) for k, v in value.items()]
            stack += [(path, k) for k in value if isinstance(k, str)]
        elif isinstance(value, list):
            stack += [(f"{path}[{i}]", v) for i, v in enumerate(value)]
        elif isinstance(value, str) and any("\ud800" <= c <= "\udfff" for c in value):
            raise AdoptInputError(
                f"the export holds text that is not Unicode (a lone surrogate) for {path}: "
                f"'{shown(value)}'; correct it in Entra and export again"
            )
