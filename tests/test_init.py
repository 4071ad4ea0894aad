"""`init`: a new organisation's config that passes `check` and renders at once; bad input ends in
one line and writes nothing; nothing is ever replaced without --force. And the installed
`fhir-apps` command, which runs `init`, `check` and `render` from any directory."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

import fhir_apps.commands.init as init_command
from fhir_apps.cli import main
from fhir_apps.render.engine import PROJECT_DIR, render
from fhir_apps.safeio.atomic import WriteError
from fhir_apps.spec.loader import load_spec

TENANT = "0f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b"
TODAY = dt.date(2025, 6, 1)
OSS = [
    "--url",
    "dev=https://fhir-dev.example.org",
    "--url",
    "prod=https://fhir.example.org",
    "--verified-domain",
    "example.org",
    "--tenant-id",
    TENANT,
]


@pytest.fixture(autouse=True)
def _no_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    # Tests run with whatever stdin pytest has; init must not ask unless a test says so.
    monkeypatch.setattr(sys.stdin, "isatty", lambda: False, raising=False)


def _init(tmp_path: Path, *args: str) -> int:
    return main(["--project-dir", str(tmp_path), "init", *args])


def _files(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def test_oss_config_checks_and_renders_at_once(tmp_path: Path) -> None:
    assert _init(tmp_path, "--kind", "oss", *OSS) == 0
    config = tmp_path / "config"
    assert _files(config) == [
        "base.yaml",
        "environments/dev.yaml",
        "environments/prod.yaml",
        "schema.json",
    ]
    for environment, url in (
        ("dev", "https://fhir-dev.example.org"),
        ("prod", "https://fhir.example.org"),
    ):
        spec = load_spec(config, environment=environment)
        assert spec.fhir_server.kind == "oss"
        assert spec.fhir_server.audience() == url
        assert str(spec.tenant.id) == TENANT
        assert spec.enabled_clients() == {}
        rendering = render(environment=environment, config_dir=config, today=TODAY)
        assert rendering.outputs["server"]["audience"] == url
        assert rendering.outputs["tenantId"] == TENANT
    assert load_spec(config, environment="prod").protected
    text = "\n".join(p.read_text(encoding="utf-8") for p in config.rglob("*.yaml")).lower()
    assert "contoso" not in text  # nothing of the example organisation


def test_ahds_config_checks_and_renders(tmp_path: Path) -> None:
    url = "https://ws1-fhir1.fhir.azurehealthcareapis.com"
    assert _init(tmp_path, "--kind", "ahds", "--url", f"dev={url}") == 0
    base = yaml.safe_load((tmp_path / "config" / "base.yaml").read_text(encoding="utf-8"))
    assert base["fhirServer"] == {"kind": "ahds"}  # no app roles of our own for a managed kind
    rendering = render(environment="dev", config_dir=tmp_path / "config", today=TODAY)
    assert rendering.outputs["server"]["audience"] == url


def test_check_command_passes_on_the_written_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _init(tmp_path, *OSS) == 0
    capsys.readouterr()
    assert main(["-C", str(tmp_path), "check", "--environment", "prod", "--policies"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("ok\nprod (stack prod): oss server https://fhir.example.org")
    assert "policies: 0 violations" in out


def test_answers_are_asked_at_a_terminal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    answers = iter(["", "staging", "https://fhir-staging.example.org", "example.org", ""])
    questions: list[str] = []

    def fake_input(question: str) -> str:
        questions.append(question)
        return next(answers)

    monkeypatch.setattr(sys.stdin, "isatty", lambda: True, raising=False)
    monkeypatch.setattr("builtins.input", fake_input)
    assert _init(tmp_path) == 0
    assert [q.split(" (")[0].split(" [")[0].rstrip(": ") for q in questions] == [
        "FHIR server kind",
        "Environments, comma-separated",
        "FHIR server URL of staging",
        "Verified domains of the tenant, comma-separated",
        "Tenant id",
    ]
    spec = load_spec(tmp_path / "config", environment="staging")
    assert spec.fhir_server.kind == "oss" and spec.tenant.id is None
    assert "wrote" in capsys.readouterr().out


def test_without_a_terminal_missing_urls_are_a_usage_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _init(tmp_path, "--environments", "dev,prod", "--url", "dev=https://a.example.org") == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("init: --url: no URL for prod; give --url ENV=URL")
    assert not (tmp_path / "config").exists()


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--url", "dev=https://fhir-dev.other.org", "--verified-domain", "example.org"],
         "environments/dev.yaml: fhirServer.url: host 'fhir-dev.other.org' is not under a "
         "verified domain"),
        (["--url", "dev=http://fhir-dev.example.org", "--verified-domain", "example.org"],
         "environments/dev.yaml: fhirServer.url:"),
        (["--url", "../etc=https://fhir.example.org"],
         "init: --environments: '../etc' is not a valid environment name"),
        (["--url", "dev"], "init: --url: 'dev' is not ENV=URL"),
        (["--url", "dev=https://a.example.org", "--url", "dev=https://b.example.org"],
         "init: --url: dev is given twice"),
        (["--environments", "dev,Dev", "--url", "dev=https://a.example.org"],
         "init: --environments: 'Dev' is given twice (as 'dev'"),
        (["--environments", "dev", "--url", "dev=https://a.example.org",
          "--url", "qa=https://b.example.org"],
         "init: --url: qa is not one of the environments (dev)"),
        (["--url", "dev=https://a.example.org", "--tenant-id", "my-tenant"],
         "init: --tenant-id: 'my-tenant' is not a GUID"),
        (["--url", "dev=https://a.example.org\u202e", "--verified-domain", "example.org"],
         "init: --url dev: 'https://a.example.org\\u202e' contains U+202E"),
        (["--url", "dev=https://a.example.org", "--verified-domain", "example.org",
          "--prefix", "x" * 41],
         "base.yaml: naming.prefix:"),
    ],
    ids=["unverified-domain", "http", "env-name", "not-env-url", "url-twice", "env-case-twin",
         "url-for-unknown-env", "tenant", "bidi", "prefix-too-long"],
)  # fmt: skip
def test_bad_input_is_one_clear_line_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], expected: str
) -> None:
    assert _init(tmp_path, *args) == 1
    err = capsys.readouterr().err
    assert expected in err, err
    assert err.count("\n") == 1, err
    assert "Traceback" not in err
    if expected.startswith(("environments/", "base.yaml")):
        # The file and key are named as they would have been written, not in the staging copy.
        assert err.startswith(str(Path("config") / expected.split(":")[0])), err
    assert not (tmp_path / "config").exists()


def test_existing_files_are_kept_and_nothing_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env_file = tmp_path / "config" / "environments" / "dev.yaml"
    env_file.parent.mkdir(parents=True)
    env_file.write_text("fhirServer: {url: https://mine.example.org}\n", encoding="utf-8")
    assert _init(tmp_path, *OSS) == 1
    err = capsys.readouterr().err
    assert err == (
        "init: config/environments/dev.yaml already exists; nothing was written. Give --force "
        "to replace them\n"
    )
    assert env_file.read_text(encoding="utf-8") == "fhirServer: {url: https://mine.example.org}\n"
    assert _files(tmp_path / "config") == ["environments/dev.yaml"]


def test_force_replaces_and_names_the_layers_it_left(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stack_file = tmp_path / "config" / "stacks" / "dev-eu.yaml"
    stack_file.parent.mkdir(parents=True)
    stack_file.write_text("naming: {prefix: fhir-eu}\n", encoding="utf-8")
    (tmp_path / "config" / "base.yaml").write_text("tenant: {}\n", encoding="utf-8")
    assert _init(tmp_path, *OSS, "--force") == 0
    captured = capsys.readouterr()
    assert "wrote config/base.yaml" in captured.out
    assert (
        "note: config/stacks/dev-eu.yaml was not written by init and still applies" in captured.err
    )
    assert stack_file.exists()  # init never deletes
    assert "fhirServer" in (tmp_path / "config" / "base.yaml").read_text(encoding="utf-8")


def test_a_failed_write_removes_what_this_run_created(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    real = init_command.write_atomic
    calls: list[Path] = []

    def flaky(path: Path, text: str, *, exclusive: bool) -> None:
        calls.append(path)
        if len(calls) == 3:
            raise WriteError(f"{path}: cannot write: No space left on device")
        real(path, text, exclusive=exclusive)

    monkeypatch.setattr(init_command, "write_atomic", flaky)
    assert _init(tmp_path, *OSS) == 1
    err = capsys.readouterr().err
    assert "environments/prod.yaml: cannot write: No space left on device" in err
    assert "removed the 2 file(s) it had created" in err
    assert _files(tmp_path / "config") == []


def test_a_file_that_appears_during_the_run_is_not_clobbered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Another run (or person) creates schema.json between the check and the write: the exclusive
    # write refuses it, and what this run created is removed again.
    real = init_command._write

    def racing(config_dir: Path, files: dict[str, str], *, force: bool) -> list[Path]:
        (config_dir / "schema.json").parent.mkdir(parents=True, exist_ok=True)
        (config_dir / "schema.json").write_text("theirs\n", encoding="utf-8")
        return real(config_dir, files, force=force)

    monkeypatch.setattr(init_command, "_write", racing)
    assert _init(tmp_path, *OSS) == 1
    assert "schema.json: exists" in capsys.readouterr().err
    assert _files(tmp_path / "config") == ["schema.json"]
    assert (tmp_path / "config" / "schema.json").read_text(encoding="utf-8") == "theirs\n"


def test_project_dir_that_does_not_exist_is_a_usage_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--project-dir", str(tmp_path / "nope"), "init", *OSS]) == 2
    err = capsys.readouterr().err
    assert err.startswith("init: --project-dir: ") and "No such file or directory" in err
    assert err.count("\n") == 1


@settings(max_examples=40, deadline=None)
@given(
    names=st.lists(
        st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._-]{0,20}", fullmatch=True),
        min_size=1,
        max_size=3,
        unique_by=str.lower,
    )
)
def test_any_valid_environment_names_give_a_config_that_loads(names: list[str]) -> None:
    # A fresh directory per example (the autouse fixture already keeps init from asking).
    root = Path(tempfile.mkdtemp(prefix="fhir-apps-init-"))
    try:
        urls = [f"{n}=https://fhir{i}.example.org" for i, n in enumerate(names)]
        args = [a for u in urls for a in ("--url", u)]
        assert _init(root, *args, "--verified-domain", "example.org") == 0
        for i, name in enumerate(names):
            spec = load_spec(root / "config", environment=name)
            assert spec.fhir_server.audience() == f"https://fhir{i}.example.org"
    finally:
        shutil.rmtree(root, ignore_errors=True)


# --- the installed command -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`pip install --no-deps` of a copy of the package into a fresh virtualenv; the project's
    dependencies come from the test virtualenv, added after the new one's own site-packages."""
    work = tmp_path_factory.mktemp("install")
    source = work / "src"
    source.mkdir()
    for name in ("pyproject.toml", "requirements.txt", "README.md"):
        shutil.copy(PROJECT_DIR / name, source / name)
    # A copy, so that building writes nothing (build/, *.egg-info) into the repository.
    shutil.copytree(
        PROJECT_DIR / "fhir_apps",
        source / "fhir_apps",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--no-deps", "-q", str(source)]
    result = subprocess.run(pip, capture_output=True, text=True, check=False, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    code = "import sysconfig; print(sysconfig.get_path('purelib'))"
    site = subprocess.run(
        [str(venv / "bin" / "python"), "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    Path(site, "project-deps.pth").write_text(
        sysconfig.get_path("purelib") + "\n", encoding="utf-8"
    )
    return venv


def _run_installed(venv: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return subprocess.run(
        [str(venv / "bin" / "fhir-apps"), *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        check=False,
        timeout=300,
    )


def test_installed_command_is_the_package_not_the_checkout(installed: Path, tmp_path: Path) -> None:
    code = "import fhir_apps, sys; print(fhir_apps.__file__)"
    where = subprocess.run(
        [str(installed / "bin" / "python"), "-c", code],
        capture_output=True, text=True, cwd=tmp_path, check=True,
    ).stdout.strip()  # fmt: skip
    assert Path(where).is_relative_to(installed), where
    result = _run_installed(installed, tmp_path, "--help")
    assert result.returncode == 0 and result.stdout.startswith("usage: fhir-apps"), result.stdout
    assert "init" in result.stdout and "--project-dir" in result.stdout


def test_installed_command_checks_and_renders_a_project_from_elsewhere(
    installed: Path, tmp_path: Path
) -> None:
    # The stack file in the project names the environment: read from --project-dir, not the cwd.
    result = _run_installed(
        installed, tmp_path, "-C", str(PROJECT_DIR), "check", "--stack", "dev-eu"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[1].startswith("dev (stack dev-eu): oss server")
    result = _run_installed(
        installed, tmp_path, "--project-dir", str(PROJECT_DIR), "render", "--stack", "dev",
        "--today", "2025-06-01", "--format", "json",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert '"stack": "dev"' in result.stdout and "fhir-server-app" in result.stdout


def test_installed_command_inits_a_project_anywhere(installed: Path, tmp_path: Path) -> None:
    project = tmp_path / "acme"
    project.mkdir()
    result = _run_installed(installed, tmp_path, "--project-dir", str(project), "init", *OSS)
    assert result.returncode == 0, result.stderr
    result = _run_installed(
        installed, tmp_path, "-C", str(project), "check", "--environment", "dev"
    )
    assert result.returncode == 0, result.stderr
