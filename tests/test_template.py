"""`pulumi new <this repository> --name <other>`: the project works under any name.

`pulumi new` (pkg/cmd/pulumi/project/newcmd/new.go at v3.259.0) copies the template's files,
replacing `${PROJECT}` in them with the name, then loads Pulumi.yaml, sets `name`, drops
`template` and saves it -- which validates the project: a config key namespaced by another
project (`fhir-apps:environment` in project `acme-fhir`) may not declare a `type` or `default`
(sdk/go/common/workspace/project.go, `Validate`). These tests do the same steps on a copy and
then run the copied program offline under the new name.
"""

from __future__ import annotations

import datetime as dt
import re
import shlex
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from fhir_apps.cli import main
from fhir_apps.render.engine import PROJECT_DIR, RenderError, render
from fhir_apps.spec.errors import ConfigError
from fhir_apps.spec.pulumifiles import stack_environment

NAME = "acme-fhir"
TODAY = dt.date(2025, 6, 1)
TENANT = "0f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b"


def _pulumi_validate(project: dict[str, Any]) -> list[str]:
    """The config rules of Pulumi's `Project.Validate` that a rename can break."""
    name = project["name"]
    errors = []
    for key, declared in (project.get("config") or {}).items():
        namespaced_by_project = ":" not in key or key.split(":", 1)[0] == name
        if namespaced_by_project or not isinstance(declared, dict):
            continue
        if "type" in declared:
            errors.append(f"Configuration key '{key}' is not namespaced by the project and "
                          "should not define a type")  # fmt: skip
        if "default" in declared:
            errors.append(f"Configuration key '{key}' ... should not define a default value")
        if "value" not in declared:
            errors.append(f"Configuration key '{key}' is namespaced and must provide 'value'")
    return errors


def _pulumi_new(target: Path, name: str = NAME) -> dict[str, Any]:
    """What `pulumi new <repo> --name <name>` leaves: the files with ${PROJECT} replaced, and
    Pulumi.yaml renamed without its template section. Returns the template section."""
    target.mkdir()
    for entry in ("fhir_apps", "components", "config", "policy"):
        shutil.copytree(
            PROJECT_DIR / entry, target / entry, ignore=shutil.ignore_patterns("__pycache__")
        )
    for path in [PROJECT_DIR / "__main__.py", *PROJECT_DIR.glob("Pulumi*.yaml")]:
        shutil.copy(path, target / path.name)
    for path in target.rglob("*"):
        if path.is_file() and path.suffix in (".py", ".yaml", ".json", ".txt"):
            text = path.read_text(encoding="utf-8")
            if "${PROJECT}" in text:
                path.write_text(text.replace("${PROJECT}", name), encoding="utf-8")
    project = yaml.safe_load((target / "Pulumi.yaml").read_text(encoding="utf-8"))
    project["name"] = name
    template = project.pop("template")
    (target / "Pulumi.yaml").write_text(yaml.safe_dump(project, sort_keys=False), encoding="utf-8")
    return dict(template)


@pytest.fixture
def renamed(tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    project_dir = tmp_path / NAME
    template = _pulumi_new(project_dir)
    return project_dir, template


def test_the_renamed_project_passes_pulumi_s_validation(
    renamed: tuple[Path, dict[str, Any]],
) -> None:
    project_dir, _ = renamed
    project = yaml.safe_load((project_dir / "Pulumi.yaml").read_text(encoding="utf-8"))
    assert project["name"] == NAME
    assert _pulumi_validate(project) == []
    assert set(project["config"]) == {"environment", "configDir", "today", "serverUrl"}


def test_validation_would_refuse_settings_namespaced_by_the_old_name() -> None:
    # Guards the test above: the rule it applies is the one the shipped keys used to break.
    old = {"name": NAME, "config": {"fhir-apps:environment": {"type": "string", "default": ""}}}
    assert len(_pulumi_validate(old)) == 3


def test_the_renamed_program_reads_its_settings_under_the_new_name(
    renamed: tuple[Path, dict[str, Any]],
) -> None:
    project_dir, _ = renamed
    # Stack `qa` deploys environment dev only if the program reads `acme-fhir:environment`:
    # there is no config/environments/qa.yaml.
    rendering = render(environment="dev", stack="qa", project_dir=project_dir, today=TODAY)
    assert rendering.project == NAME
    assert rendering.environment == "dev"
    urns = [r.urn for r in rendering.resources]
    assert urns and all(urn.startswith(f"urn:pulumi:qa::{NAME}::") for urn in urns)
    assert rendering.outputs["server"]["audience"] == "https://fhir-dev.contoso.com"


def test_a_setting_left_under_the_old_name_is_refused_with_the_fix(
    renamed: tuple[Path, dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    project_dir, _ = renamed
    import fhir_apps.render.engine as engine

    real = engine.start_runtime

    def with_stray(mocks, project, stack, config):  # type: ignore[no-untyped-def]
        return real(mocks, project, stack, {**config, "fhir-apps:environment": "dev"})

    monkeypatch.setattr(engine, "start_runtime", with_stray)
    with pytest.raises(RenderError) as raised:
        render(environment="dev", stack="dev-eu", project_dir=project_dir, today=TODAY)
    message = str(raised.value)
    assert message.startswith(f"fhir-apps:environment: this project is named '{NAME}'")
    assert "pulumi config rm fhir-apps:environment" in message
    assert "pulumi config set environment <value>" in message


def test_stack_files_are_read_under_the_project_s_name(
    renamed: tuple[Path, dict[str, Any]],
) -> None:
    project_dir, _ = renamed
    (project_dir / "Pulumi.qa.yaml").write_text(f"config:\n  {NAME}:environment: dev\n")
    assert stack_environment(project_dir, "qa") == "dev"
    assert stack_environment(project_dir, "dev") == "dev"  # no setting: the stack name
    # The example's stack file still says fhir-apps:environment: an error with the fix, not a
    # stack that would quietly deploy environment `dev-eu`.
    with pytest.raises(ConfigError) as raised:
        stack_environment(project_dir, "dev-eu")
    (problem,) = raised.value.problems
    assert problem.file.endswith("Pulumi.dev-eu.yaml")
    assert problem.path == "config.fhir-apps:environment"
    assert f"so the key is {NAME}:environment; rename it" in problem.message


def test_template_asks_nothing_the_example_config_contradicts(
    renamed: tuple[Path, dict[str, Any]],
) -> None:
    _, template = renamed
    # The example config sets no tenant.id, so the tenant is the one free answer; a server URL
    # prompt would have to equal config/environments/<env>.yaml's and so contradict it.
    assert set(template["config"]) == {"azuread:tenantId"}
    assert "${PROJECT}" not in str(template)
    quickstart = template["quickstart"]
    assert f"pulumi config set {NAME}:environment" in quickstart
    assert "fhir_apps init" in quickstart


def test_the_quickstart_init_command_works_in_the_new_project(
    renamed: tuple[Path, dict[str, Any]],
) -> None:
    project_dir, template = renamed
    # The init line and its continuation lines (ending in a backslash).
    command = re.search(r"-m fhir_apps (init (?:[^\n]*\\\n)*[^\n]*)", template["quickstart"])
    assert command, template["quickstart"]
    text = command.group(1).replace("\\\n", " ")
    text = text.replace("<your-domain>", "acme.org").replace("<tenant-id>", TENANT)
    argv = shlex.split(text)
    assert main(["--project-dir", str(project_dir), *argv]) == 0
    for environment, url in (
        ("dev", "https://fhir-dev.acme.org"),
        ("prod", "https://fhir.acme.org"),
    ):
        rendering = render(environment=environment, project_dir=project_dir, today=TODAY)
        assert rendering.outputs["server"]["audience"] == url
        assert rendering.outputs["tenantId"] == TENANT


def test_no_placeholder_is_left_anywhere_after_the_copy(
    renamed: tuple[Path, dict[str, Any]],
) -> None:
    project_dir, _ = renamed
    for path in project_dir.rglob("*"):
        if path.is_file() and path.suffix in (".py", ".yaml", ".json", ".txt"):
            assert "${PROJECT}" not in path.read_text(encoding="utf-8"), path
