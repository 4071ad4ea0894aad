"""`python -m fhir_apps check`: exit codes, output, and never a traceback for bad input."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from fhir_apps.cli import main

REPO = Path(__file__).resolve().parent.parent


def run_cli(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-m", "fhir_apps", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize(
    ("args", "summary"),
    [
        (
            ["--environment", "dev"],
            "dev (stack dev): oss server https://fhir-dev.contoso.com; 6 clients (2 confidential, "
            "2 public, 2 service); 2 assignments",
        ),
        (
            ["--environment", "prod"],
            "prod (stack prod): oss server https://fhir.contoso.com; 5 clients (1 confidential, "
            "2 public, 2 service); 1 assignment; protected",
        ),
        (
            ["--environment", "dev", "--stack", "dev-eu"],
            "dev (stack dev-eu): oss server https://fhir-dev.eu.contoso.com; 7 clients "
            "(2 confidential, 2 public, 3 service); 2 assignments",
        ),
    ],
)
def test_check_example_config(args, summary):
    result = run_cli("check", *args)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"ok\n{summary}\n"
    assert result.stderr == ""


def test_check_prints_every_problem_and_exits_1(tmp_path):
    config = tmp_path / "config"
    (config / "environments").mkdir(parents=True)
    (config / "base.yaml").write_text(
        "fhirServer: {kind: oss, url: 'http://fhir.example.org', appRole: [x]}\n"
        "clients:\n  spa: {kind: public, platform: spa, redirectUris: ['https://*.x.com'],"
        " credential: {type: secret}}\n"
    )
    (config / "environments" / "dev.yaml").write_text("")
    result = run_cli("check", "--environment", "dev", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "config/base.yaml: fhirServer.appRole: unknown key 'appRole'; did you mean 'appRoles'?",
    ]
    (config / "base.yaml").write_text(
        "fhirServer: {kind: oss, url: 'http://fhir.example.org'}\n"
        "clients:\n  spa: {kind: public, platform: spa, redirectUris: ['https://*.x.com'],"
        " credential: {type: secret}}\n"
    )
    result = run_cli("check", "--environment", "dev", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "config/base.yaml: fhirServer.url: must use https; use https on a verified domain of the "
        "tenant (tenant.verifiedDomains), https://<tenant>.onmicrosoft.com/..., or api://...",
        "config/base.yaml: clients.spa.credential: public clients cannot keep a secret, so they "
        "have no credential of any kind; remove it, or use kind confidential if the app runs on "
        "a server",
        "config/base.yaml: clients.spa.redirectUris[0]: must not contain a wildcard '*'; list "
        "every redirect URI in full",
    ]


@pytest.mark.parametrize(
    ("files", "args", "line"),
    [
        ({}, ["--environment", "dev"], "config: the config directory does not exist"),
        (
            {"base.yaml": "", "environments/dev.yaml": ""},
            ["--environment", "qa"],
            "config/environments/qa.yaml: environment 'qa' has no file; available environments: "
            "dev (files in config/environments)",
        ),
        (
            {"base.yaml": "a: [\n", "environments/dev.yaml": ""},
            ["--environment", "dev"],
            "config/base.yaml: line 2, column 1: malformed YAML:",
        ),
        (
            {"base.yaml": "\x00\xff", "environments/dev.yaml": ""},
            ["--environment", "dev"],
            "config/base.yaml: ",
        ),
        (
            {"base.yaml": "a: 1\na: 2\n", "environments/dev.yaml": ""},
            ["--environment", "dev"],
            "config/base.yaml: a: duplicate key 'a' on line 2 (first set on line 1); keep one",
        ),
        (
            {"base.yaml": "", "environments/dev.yaml": ""},
            ["--environment", "../etc"],
            "--environment: '../etc' is not a valid name",
        ),
    ],
)
def test_check_bad_input_never_shows_a_traceback(tmp_path, files, args, line):
    for name, text in files.items():
        path = tmp_path / "config" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, errors="surrogateescape")
    result = run_cli("check", *args, cwd=tmp_path)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert any(got.startswith(line) for got in result.stderr.splitlines()), result.stderr


def test_check_warns_about_azure_api_for_fhir(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "cfg" / "environments").mkdir(parents=True)
    (tmp_path / "cfg" / "base.yaml").write_text(
        "fhirServer: {kind: azure-api-for-fhir, url: 'https://contoso.azurehealthcareapis.com'}\n"
    )
    (tmp_path / "cfg" / "environments" / "dev.yaml").write_text("")
    assert main(["check", "--environment", "dev", "--config-dir", "cfg"]) == 0
    out, err = capsys.readouterr()
    assert out == (
        "ok\ndev (stack dev): azure-api-for-fhir server https://contoso.azurehealthcareapis.com; "
        "0 clients (0 confidential, 0 public, 0 service); 0 assignments\n"
    )
    assert err == (
        "warning: cfg/base.yaml: fhirServer.kind: azure-api-for-fhir is retired on 2026-09-30 and "
        "takes no new deployments since 2025-04-01; plan the move to kind ahds (Azure Health "
        "Data Services)\n"
    )


def test_check_requires_an_environment(capsys):
    with pytest.raises(SystemExit) as excinfo:
        main(["check"])
    assert excinfo.value.code == 2
    assert "--environment" in capsys.readouterr().err


def test_check_and_schema_do_not_import_pulumi():
    code = (
        "import sys\n"
        "import fhir_apps.commands.check, fhir_apps.commands.schema, fhir_apps.spec.loader\n"
        "import fhir_apps.rules\n"
        "from fhir_apps.spec.loader import load_spec\n"
        "load_spec('config', environment='dev')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'pulumi'))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert result.stdout == "[]\n"
