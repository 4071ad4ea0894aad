"""Pulumi's own files, as the offline tools read them: the project's name in `Pulumi.yaml` and a
stack's settings in `Pulumi.<stack>.yaml` (which environment it deploys, and other text settings).

These files are as untrusted as the config layers, so they are read with the same budget.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any

from fhir_apps.safeio.text import shown
from fhir_apps.spec.errors import ConfigError, Problem
from fhir_apps.spec.yamlio import LAYER_LIMITS, YamlFileError, load_yaml

__all__ = [
    "ENVIRONMENT_KEY",
    "SHIPPED_PROJECT",
    "is_valid_name",
    "project_name",
    "stack_environment",
    "stack_setting",
]

# The project name Pulumi.yaml ships with; a project made with `pulumi new --name` has another.
SHIPPED_PROJECT = "fhir-apps"
ENVIRONMENT_KEY = f"{SHIPPED_PROJECT}:environment"
# Applied with fullmatch: `$` alone would also match before a trailing newline.
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def is_valid_name(name: str) -> bool:
    """True for a valid environment or stack name (the rule `--environment` is checked by)."""
    return _NAME.fullmatch(name) is not None


def _read_yaml_file(path: Path, what: str) -> Any:
    """A Pulumi project or stack file, read within the same budget as a config layer (they are
    as untrusted: an alias bomb in `Pulumi.<stack>.yaml` must not hang `check --stack`)."""
    try:
        data, problems = load_yaml(path, str(path), replace(LAYER_LIMITS, what=f"a {what}"))
    except YamlFileError as error:
        raise ConfigError([error.problem]) from None
    if problems:
        raise ConfigError(problems)
    return data


def project_name(project_dir: Path | str) -> str:
    """The name in `<project_dir>/Pulumi.yaml`, which namespaces the project's settings
    (`<name>:environment`); the shipped name when there is no project file."""
    path = Path(project_dir) / "Pulumi.yaml"
    if not path.is_file():
        return SHIPPED_PROJECT
    data = _read_yaml_file(path, "project file")
    name = data.get("name") if isinstance(data, dict) else None
    if not isinstance(name, str) or not name:
        raise ConfigError([Problem(str(path), "name", "must be the project's name")])
    return name


def stack_environment(project_dir: Path | str, stack: str) -> str:
    """The environment of a Pulumi stack: `<project>:environment` in `Pulumi.<stack>.yaml`
    (`fhir-apps:environment` in this project; `<name>:environment` after `pulumi new --name`).

    Defaults to the stack name when the file or the key is absent.
    """
    path = Path(project_dir) / f"Pulumi.{stack}.yaml"
    if not path.is_file():
        return stack
    project = project_name(project_dir)
    key = f"{project}:environment"
    data = _read_yaml_file(path, "stack file")
    config = data.get("config") if isinstance(data, dict) else None
    value = config.get(key) if isinstance(config, dict) else None
    if isinstance(value, dict):
        value = value.get("value")
    if value is None and isinstance(config, dict) and config.get(ENVIRONMENT_KEY) is not None:
        # A stack file copied from the template into a renamed project: its key is ignored by
        # Pulumi's namespacing, so the stack would quietly deploy the wrong environment.
        message = (
            f"this project is named '{shown(project)}', so the key is {shown(key)}; "
            f"rename it (pulumi config rm {ENVIRONMENT_KEY}; pulumi config set environment ...)"
        )
        raise ConfigError([Problem(str(path), f"config.{ENVIRONMENT_KEY}", message)])
    if value is None:
        return stack
    if not isinstance(value, str) or not _NAME.fullmatch(value):
        raise ConfigError(
            [
                Problem(
                    str(path),
                    f"config.{shown(key)}",
                    "must be an environment name (letters, digits, '.', '-', '_')",
                )
            ]
        )
    return value


def stack_setting(project_dir: Path | str, stack: str, key: str) -> tuple[str, str] | None:
    """`(<file>: config.<project>:<key>, value)` of a text setting in `Pulumi.<stack>.yaml`,
    or None when the file, the key or a text value is absent (never raises for a bad file: the
    callers only warn, and `pulumi` itself reports a file it cannot read)."""
    path = Path(project_dir) / f"Pulumi.{stack}.yaml"
    if not path.is_file():
        return None
    try:
        project = project_name(project_dir)
        data = _read_yaml_file(path, "stack file")
    except ConfigError:
        return None
    config = data.get("config") if isinstance(data, dict) else None
    name = f"{project}:{key}"
    value = config.get(name) if isinstance(config, dict) else None
    if isinstance(value, dict):
        value = value.get("value")
    if not isinstance(value, str):
        return None
    return f"{shown(str(path), 400)}: config.{shown(name)}", value
