"""The `verify` command line: where the outputs come from, bad input in one line, and no Pulumi
SDK on the tested (`--outputs`) path."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from fhir_apps.cli import main

ROOT = Path(__file__).parents[1]
TENANT = "3f2b8c9d-1e4a-4b6c-8d7e-9f0a1b2c3d4e"


def _outputs(tmp_path: Path, authority_host: str = "login.evil.example") -> Path:
    """Outputs of the example dev stack whose authority verify refuses before any request."""
    authority = f"https://{authority_host}/{TENANT}"
    client = {
        "kind": "service",
        "clientId": "0c6a2b3e-4d5f-4a6b-8c7d-9e0f1a2b3c4d",
        "authority": authority,
        "scope": "https://fhir-dev.contoso.com/.default",
        "credentialType": "federated",
    }
    data = {
        "tenantId": TENANT,
        "server": {
            "kind": "oss",
            "audience": "https://fhir-dev.contoso.com",
            "authority": authority,
        },
        "clients": {"ingest": client},
        "clientSecrets": {"dashboard": "s3cr3t-dashboard-value"},
    }
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def _run(*args: str, path: str | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if path is not None:
        env["PATH"] = path
    return subprocess.run(
        [sys.executable, "-m", "fhir_apps", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_without_outputs_and_without_the_pulumi_cli_it_says_to_pass_outputs(
    tmp_path: Path,
) -> None:
    result = _run("verify", "--stack", "dev", path=str(tmp_path))  # an empty PATH: no pulumi
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == (
        "verify: the pulumi CLI is not on PATH, so the stack outputs cannot be read; save them "
        "with `pulumi stack output --stack dev --json --show-secrets > FILE` and pass "
        "--outputs FILE\n"
    )


def test_the_outputs_path_never_imports_pulumi(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from fhir_apps.cli import main\n"
        f"code = main(['verify', '--stack', 'dev', '--outputs', {str(_outputs(tmp_path))!r},"
        " '--client', 'ingest'])\n"
        "print(code, sorted(m for m in sys.modules if m.split('.')[0] == 'pulumi'))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.stdout.splitlines()[-1] == "1 []", result.stdout + result.stderr
    # The refusal that stopped it is about the authority, before any credential was used.
    assert "verify: server: server.authority https://login.evil.example/" in result.stderr
    assert "s3cr3t" not in result.stdout + result.stderr


def test_verify_needs_a_stack(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["verify", "--environment", "dev"])
    assert caught.value.code == 2
    assert "verify needs --stack STACK" in capsys.readouterr().err


def test_an_unknown_client_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["verify", "--stack", "dev", "--outputs", str(_outputs(tmp_path)), "--client", "x"])
    captured = capsys.readouterr()
    assert code == 1
    assert captured.out == ""
    (line,) = captured.err.splitlines()
    assert line.startswith(
        "verify: --client x: stack dev has no such client in its config or its outputs (clients: "
    )
    assert "ingest" in line and "dashboard" in line


def test_an_unreadable_outputs_file_is_one_line_and_nothing_else(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "outputs.json"
    broken.write_text('{"tenantId": ', encoding="utf-8")
    code = main(["verify", "--stack", "dev", "--outputs", str(broken)])
    captured = capsys.readouterr()
    assert code == 1
    assert captured.out == ""
    (line,) = captured.err.splitlines()
    assert line.startswith(f"verify: {broken}: not stack outputs JSON: ")
    assert "--show-secrets" in line


@pytest.mark.parametrize(
    ("argument", "expected"),
    [
        (["--certificate-key", "no-equals-sign"], "expected KEY=PATH, got 'no-equals-sign'"),
        (["--wait", "forever"], "expected seconds, got 'forever'"),
        (["--wait", "-1"], "expected 0 to 86400 seconds"),
    ],
)
def test_bad_arguments_are_usage_errors(
    argument: list[str], expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["verify", "--stack", "dev", *argument])
    assert caught.value.code == 2
    assert expected in capsys.readouterr().err


def test_the_docs_explain_every_option_and_every_entra_code() -> None:
    from fhir_apps.cli import build_parser
    from fhir_apps.verify.tokens import _ERRORS

    docs = (ROOT / "docs" / "verify.md").read_text(encoding="utf-8")
    verify = build_parser()._subparsers._group_actions[0].choices["verify"]  # type: ignore[union-attr]
    options = [o for action in verify._actions for o in action.option_strings if o != "-h"]
    assert "--client" in options and "--device-code" in options
    for option in options:
        if option != "--help":
            assert f"`{option}" in docs, option
    for code in _ERRORS:
        assert f"AADSTS{code}" in docs, code
