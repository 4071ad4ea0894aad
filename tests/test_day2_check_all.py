"""`check --all`: every stack of a config, and the collisions only visible across stacks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from fhir_apps.cli import main

REPO = Path(__file__).resolve().parents[1]
ISSUER = "https://token.actions.githubusercontent.com"
VAULT = (
    "/subscriptions/11111111-2222-4333-8444-555555555555/resourceGroups/rg/providers/"
    "Microsoft.KeyVault/vaults/kv-shared"
)
BASE = """\
tenant: {verifiedDomains: [contoso.com]}
fhirServer: {kind: oss, appRoles: [globalReader]}
clients:
  daemon:
    kind: service
    roles: [globalReader]
    credential: {type: secret, rotationDays: 30}
"""


def _project(tmp: Path, files: dict[str, str]) -> Path:
    """A project directory: Pulumi.yaml, the given files (Pulumi.*.yaml, config/...)."""
    (tmp / "Pulumi.yaml").write_text("name: fhir-apps\nruntime: python\n", encoding="utf-8")
    for name, text in {"config/base.yaml": BASE, **files}.items():
        path = tmp / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return tmp


def _check_all(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> tuple[int, str, str]:
    monkeypatch.chdir(project)
    code = main(["check", "--all", "--config-dir", "config", "--today", "2025-06-01"])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_the_example_config_passes_every_stack() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "fhir_apps", "check", "--all", "--today", "2025-06-01"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "ok"
    stacks = [line.split(":")[0] for line in lines[1:]]
    assert stacks == [
        "dev (stack dev)",
        "dev (stack dev-ahds)",
        "dev (stack dev-eu)",
        "prod (stack prod)",
    ]


def test_an_inherited_collision_names_both_layers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # dev-eu is a second stack of environment dev without its own prefix or URL: it inherits
    # the dev stack's display names and identifier URI.
    project = _project(
        tmp_path,
        {
            "Pulumi.dev.yaml": "config: {}\n",
            "Pulumi.dev-eu.yaml": "config:\n  fhir-apps:environment: dev\n",
            "config/environments/dev.yaml": "fhirServer: {url: 'https://fhir-dev.contoso.com'}\n",
            "config/stacks/dev-eu.yaml": "owners: []\n",
        },
    )
    code, _, err = _check_all(project, capsys, monkeypatch)
    assert code == 1
    lines = err.splitlines()
    assert (
        "config/base.yaml: clients.daemon: display name 'fhir-dev-daemon' is also the display "
        "name of clients.daemon in stack dev, in the same tenant (ignoring case); "
        "preventDuplicateNames stops the `pulumi up` that comes second: set another displayName "
        "(or naming.prefix) for this stack; stack dev-eu inherits it from config/base.yaml: "
        "override it in config/stacks/dev-eu.yaml"
    ) in lines
    assert (
        "config/environments/dev.yaml: fhirServer.url: identifier URI "
        "'https://fhir-dev.contoso.com' is also the identifier URI of the FHIR resource app in "
        "stack dev, in the same tenant; Entra allows one application per identifier URI: give "
        "this stack another server URL; stack dev-eu inherits it from "
        "config/environments/dev.yaml: override it in config/stacks/dev-eu.yaml"
    ) in lines


def test_stacks_in_different_tenants_may_share_names(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    project = _project(
        tmp_path,
        {
            "Pulumi.dev.yaml": "config: {}\n",
            "Pulumi.dev-eu.yaml": "config:\n  fhir-apps:environment: dev\n",
            "config/environments/dev.yaml": (
                "tenant: {id: 11111111-1111-4111-8111-111111111111}\n"
                "fhirServer: {url: 'https://fhir-dev.contoso.com'}\n"
            ),
            "config/stacks/dev-eu.yaml": "tenant: {id: 22222222-2222-4222-8222-222222222222}\n",
        },
    )
    code, out, err = _check_all(project, capsys, monkeypatch)
    assert code == 0, err
    assert out.splitlines()[0] == "ok"


def test_a_federated_subject_of_two_clients_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    subject = "repo:contoso/jobs:environment:dev"
    credential = f"{{type: federated, issuer: '{ISSUER}', subjects: ['{subject}']}}"
    project = _project(
        tmp_path,
        {
            "config/environments/dev.yaml": (
                "fhirServer: {url: 'https://fhir-dev.contoso.com'}\n"
                "clients:\n"
                "  daemon:\n"
                f"    credential: {credential}\n"
                "  loader:\n"
                "    kind: service\n"
                "    roles: [globalReader]\n"
                f"    credential: {credential}\n"
            ),
        },
    )
    code, _, err = _check_all(project, capsys, monkeypatch)
    assert code == 1
    assert err.splitlines() == [
        "config/environments/dev.yaml: clients.loader.credential.subjects[0]: federated subject "
        f"'{subject}' (issuer {ISSUER}) is also a subject of clients.daemon in stack dev: one "
        "workflow's token would sign in as both applications; give each client (and stack) its "
        "own subject, e.g. its own GitHub environment"
    ]


def test_one_key_vault_secret_written_by_two_stacks_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    store = f"secretStore: {{keyVaultId: '{VAULT}'}}\n"
    project = _project(
        tmp_path,
        {
            "config/environments/dev.yaml": "fhirServer: {url: 'https://fhir-dev.contoso.com'}\n"
            + store,
            "config/environments/prod.yaml": "fhirServer: {url: 'https://fhir.contoso.com'}\n"
            + store.upper().replace("SECRETSTORE: {KEYVAULTID", "secretStore: {keyVaultId"),
        },
    )
    code, _, err = _check_all(project, capsys, monkeypatch)
    assert code == 1
    (line,) = err.splitlines()
    assert line.startswith(
        "config/environments/prod.yaml: secretStore.keyVaultId: clients.daemon writes the Key "
        "Vault secret 'daemon-client-secret' in "
    )
    assert "which clients.daemon in stack dev writes too" in line


def test_a_problem_only_some_stacks_inherit_names_where_to_override_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The base's app role is right for the oss server of dev, wrong for the ahds one of dev-eu.
    project = _project(
        tmp_path,
        {
            "Pulumi.dev.yaml": "config: {}\n",
            "Pulumi.dev-eu.yaml": "config:\n  fhir-apps:environment: dev\n",
            "config/environments/dev.yaml": "fhirServer: {url: 'https://fhir-dev.contoso.com'}\n",
            "config/stacks/dev-eu.yaml": (
                "naming: {prefix: eu}\n"
                "fhirServer: {kind: ahds, url: 'https://ws-fhir.fhir.azurehealthcareapis.com'}\n"
            ),
        },
    )
    code, _, err = _check_all(project, capsys, monkeypatch)
    assert code == 1
    roles = [line for line in err.splitlines() if "clients.daemon.roles[0]" in line]
    assert len(roles) == 1, err
    assert roles[0].startswith("config/base.yaml: clients.daemon.roles[0]: ")
    assert roles[0].endswith("(stack dev-eu inherits it: override it in config/stacks/dev-eu.yaml)")


def test_all_takes_no_environment(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["check", "--all", "--environment", "dev"])
    assert exited.value.code == 2
    assert "--all checks every environment and stack" in capsys.readouterr().err


# -- AHDS gaps, in every check ------------------------------------------------------------------


def test_ahds_gaps_are_warnings_naming_the_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    project = _project(
        tmp_path,
        {
            "config/base.yaml": (
                "fhirServer:\n"
                "  kind: ahds\n"
                "  deploy: {resourceGroup: rg, location: westeurope, workspace: contoso,\n"
                "           service: fhir, corsOrigins: ['https://chart.contoso.com']}\n"
                "clients:\n"
                "  chart:\n"
                "    kind: public\n"
                "    platform: spa\n"
                "    redirectUris: ['https://chart.contoso.com/app/', 'http://localhost:3000/']\n"
                "  exporter:\n"
                "    kind: service\n"
                "    roles: [FHIR Data Reader, FHIR Data Exporter]\n"
                "    credential: {type: secret}\n"
            ),
            "config/environments/dev.yaml": "{}\n",
        },
    )
    monkeypatch.chdir(project)
    assert main(["check", "--environment", "dev", "--config-dir", "config"]) == 0
    warnings = [line for line in capsys.readouterr().err.splitlines() if "warning" in line]
    assert warnings == [
        "warning: config/base.yaml: clients.chart.redirectUris[1]: the SPA's origin "
        "http://localhost:3000 is not in fhirServer.deploy.corsOrigins, so the browser blocks its "
        "calls to the FHIR service; add it there",
        "warning: config/base.yaml: clients.exporter.roles[1]: FHIR Data Exporter: $export needs "
        "a storage account, and fhirServer.deploy.exportStorageAccount is not set; set it (and "
        "grant the service's identity Storage Blob Data Contributor on it)",
    ]


def test_nothing_to_check_is_one_clear_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["check", "--all", "--config-dir", "missing"]) == 1
    err = capsys.readouterr().err
    assert err.splitlines() == [
        "missing: no environment to check: neither environments/<environment>.yaml nor a "
        "Pulumi.<stack>.yaml was found; run from the project directory, or give --config-dir"
    ]


def test_stacks_come_from_pulumi_files_stack_layers_and_lone_environments(tmp_path: Path) -> None:
    from fhir_apps.crossstack import Target, targets

    project = _project(
        tmp_path,
        {
            "Pulumi.blue.yaml": "config:\n  fhir-apps:environment: dev\n",
            "config/stacks/green.yaml": "{}\n",
            "config/environments/dev.yaml": "{}\n",
            "config/environments/test.yaml": "{}\n",
        },
    )
    # blue deploys dev; green names no environment (its own name); test has no stack.
    assert targets(project / "config", project) == [
        Target("dev", "blue"),
        Target("green", "green"),
        Target("test", "test"),
    ]
