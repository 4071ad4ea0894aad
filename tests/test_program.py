"""The whole program (`__main__.py`) under mocks, for every environment and stack in config/."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import yaml

from fhir_apps.render.engine import PROJECT_DIR, RenderError, render
from fhir_apps.spec.pulumifiles import stack_environment

CONFIG_DIR = PROJECT_DIR / "config"
TODAY = dt.date(2025, 6, 1)


def _targets() -> list[tuple[str, str]]:
    """(environment, stack) for every environment file, stack file and Pulumi stack file."""
    targets = {(p.stem, p.stem) for p in (CONFIG_DIR / "environments").glob("*.yaml")}
    stacks = {p.stem for p in (CONFIG_DIR / "stacks").glob("*.yaml")}
    stacks |= {p.name.split(".")[1] for p in PROJECT_DIR.glob("Pulumi.*.yaml")}
    targets |= {(stack_environment(PROJECT_DIR, stack), stack) for stack in stacks}
    return sorted(targets)


TARGETS = _targets()


def test_there_is_something_to_deploy() -> None:
    assert {"dev", "prod"} <= {environment for environment, _ in TARGETS}


@pytest.mark.parametrize(("environment", "stack"), TARGETS)
def test_program_runs_and_is_reproducible(environment: str, stack: str) -> None:
    first = render(environment=environment, stack=stack, today=TODAY)
    second = render(environment=environment, stack=stack, today=TODAY)
    text = json.dumps(first.as_dict(), sort_keys=True)
    assert text == json.dumps(second.as_dict(), sort_keys=True)
    assert "MOCKSECRET-" not in text
    assert first.outputs["clientSecrets"] == "[secret]"
    assert set(first.outputs) == {"tenantId", "server", "clients", "clientSecrets"}
    for key, client in first.outputs["clients"].items():
        assert client["clientId"] == f"<clientId of {key}>", key
        assert client["tokenEndpoint"].endswith("/oauth2/v2.0/token"), key
        assert client["scope"] is not None, key


def test_prod_protects_every_registration_and_adopts_pinned_ids() -> None:
    rendering = render(environment="prod", stack="prod", today=TODAY)
    # Registrations and what grants data access are protected; credentials (they rotate and
    # roll over) and the components themselves are not.
    registration_types = {
        "azuread:index/application:Application",
        "azuread:index/servicePrincipal:ServicePrincipal",
        "azuread:index/appRoleAssignment:AppRoleAssignment",
        "azuread:index/servicePrincipalDelegatedPermissionGrant:"
        "ServicePrincipalDelegatedPermissionGrant",
    }
    for resource in rendering.resources:
        assert resource.protect == (resource.type in registration_types), resource.urn
    assert {"fhir-server-app", "fhir-server-sp", "dashboard-app", "exporter-role-globalReader"} <= {
        r.name for r in rendering.resources if r.protect
    }
    assert rendering.outputs["server"]["roleIds"]["globalAdmin"] == (
        "2d6c3a91-8e4b-4f1a-b7c2-5d9e0f1a2b3c"
    )


def test_stack_files_name_their_environment() -> None:
    # The environment is `<project>:environment`, or the stack name when the file sets none.
    for path in PROJECT_DIR.glob("Pulumi.*.yaml"):
        stack = path.name.split(".")[1]
        config = yaml.safe_load(path.read_text(encoding="utf-8"))["config"] or {}
        assert set(config) <= {"fhir-apps:environment"}, path
        environment = config.get("fhir-apps:environment", stack)
        assert (CONFIG_DIR / "environments" / f"{environment}.yaml").is_file(), path


def test_project_file_declares_the_config_the_program_reads() -> None:
    project = yaml.safe_load((PROJECT_DIR / "Pulumi.yaml").read_text(encoding="utf-8"))
    assert project["name"] == "fhir-apps"
    assert project["runtime"] == {
        "name": "python",
        "options": {"toolchain": "pip", "virtualenv": ".venv"},
    }
    # Un-namespaced: Pulumi files them under the project's name, whatever `pulumi new` made it.
    assert set(project["config"]) == {"environment", "configDir", "today", "serverUrl"}
    for key, declared in project["config"].items():
        assert declared["type"] == "string" and declared["description"], key
        # Without a default Pulumi would demand the key in every stack file.
        assert "default" in declared, key
    # No prompt that the shipped example config would contradict (such as the server URL).
    assert set(project["template"]["config"]) == {"azuread:tenantId"}


def _write(config_dir: Path, base: str) -> Path:
    (config_dir / "environments").mkdir(parents=True)
    (config_dir / "base.yaml").write_text(base, encoding="utf-8")
    (config_dir / "environments" / "dev.yaml").write_text("{}\n", encoding="utf-8")
    return config_dir


MINIMAL = """\
tenant: {verifiedDomains: [contoso.com]}
fhirServer: {kind: oss, url: https://fhir.contoso.com, appRoles: [globalReader]}
clients:
  job: {kind: service, roles: [globalReader], credential: {type: secret, rotationDays: 30}}
"""


def test_a_minimal_config_directory_renders(tmp_path: Path) -> None:
    config_dir = _write(tmp_path / "cfg", MINIMAL)
    rendering = render(environment="dev", config_dir=config_dir, today=TODAY)
    assert rendering.outputs["clients"]["job"]["secretExpiresOn"] == "2025-07-24"
    names = sorted(r.name for r in rendering.resources)
    assert "job-credential-secret-a" in names and "job-credential-secret-b" in names


def test_the_date_decides_the_secret_windows(tmp_path: Path) -> None:
    config_dir = _write(tmp_path / "cfg", MINIMAL)
    early = render(environment="dev", config_dir=config_dir, today=dt.date(2025, 6, 1))
    late = render(environment="dev", config_dir=config_dir, today=dt.date(2025, 8, 1))
    assert early.outputs["clients"] != late.outputs["clients"]


def test_a_config_error_is_a_clean_message(tmp_path: Path) -> None:
    config_dir = _write(tmp_path / "cfg", "fhirServer: {kind: nope}\n")
    with pytest.raises(RenderError) as raised:
        render(environment="dev", config_dir=config_dir, today=TODAY)
    message = str(raised.value)
    assert "base.yaml: fhirServer.kind:" in message
    assert "Traceback" not in message


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        (
            "fhir-apps:today",
            "1st of June",
            r"^fhir-apps:today: must be a date YYYY-MM-DD, got '1st",
        ),
        # A stack setting that contradicts the YAML (a StackError from the components' checks).
        ("fhir-apps:serverUrl", "https://other", r"^fhir-apps:serverUrl is 'https://other' but"),
    ],
)
def test_a_bad_stack_setting_is_a_clean_message(
    monkeypatch: pytest.MonkeyPatch, setting: str, value: str, message: str
) -> None:
    import fhir_apps.render.engine as engine

    real = engine.start_runtime

    def with_setting(mocks, project, stack, config):  # type: ignore[no-untyped-def]
        return real(mocks, project, stack, {**config, setting: value})

    monkeypatch.setattr(engine, "start_runtime", with_setting)
    with pytest.raises(RenderError, match=message):
        render(environment="dev", stack="dev")


def test_a_bug_in_the_program_keeps_its_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    import components.stack

    def broken(*args: object, **kwargs: object) -> None:
        raise ValueError("a bug, not a config problem")

    # The program reads `build` from components.stack each time it runs.
    monkeypatch.setattr(components.stack, "build", broken)
    with pytest.raises(ValueError, match="a bug, not a config problem") as raised:
        render(environment="dev", stack="dev")
    assert not isinstance(raised.value, RenderError)
    assert raised.traceback[-1].name == "broken"
