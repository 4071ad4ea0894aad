"""Live: `verify` against a real deployment -- every client of the stack gets a token the real
FHIR server accepts.

Unlike test_live_stack (whose throwaway stack has no FHIR server behind its audience), this needs
a stack that is deployed and has its FHIR server running:

- FHIR_APPS_LIVE_VERIFY_STACK: the stack's name, as `pulumi stack ls` shows it;
- its outputs: FHIR_APPS_LIVE_VERIFY_OUTPUTS, a file saved with `pulumi stack output --stack
  <stack> --json --show-secrets` (delete it afterwards), or else the Pulumi CLI on PATH, signed in
  to the stack's backend, for the Automation API;
- FHIR_APPS_LIVE_VERIFY_CONFIG_DIR (default: the project's config/), the stack's YAML;
- for certificate or federated clients, what `verify` needs for them (docs/verify.md); clients
  it cannot sign in as here are skipped, which does not fail the test.

Without the stack or a way to its outputs the test is skipped with the reason. Run:
`pytest -m live tests/live/test_live_verify.py -rs`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.live

PROJECT_DIR = Path(__file__).resolve().parents[2]


def _missing() -> list[str]:
    missing = []
    if not os.environ.get("FHIR_APPS_LIVE_VERIFY_STACK"):
        missing.append("FHIR_APPS_LIVE_VERIFY_STACK (a deployed stack with its FHIR server)")
    if not os.environ.get("FHIR_APPS_LIVE_VERIFY_OUTPUTS") and not shutil.which("pulumi"):
        missing.append("FHIR_APPS_LIVE_VERIFY_OUTPUTS or the pulumi CLI on PATH")
    return missing


def _secrets(outputs_file: str | None) -> list[str]:
    if not outputs_file:
        return []
    data: Any = json.loads(Path(outputs_file).read_text(encoding="utf-8"))
    secrets = data.get("clientSecrets")
    return [str(value) for value in secrets.values()] if isinstance(secrets, dict) else []


def test_every_client_of_a_real_deployment_gets_in() -> None:
    missing = _missing()
    if missing:
        pytest.skip("live verify needs " + ", ".join(missing))
    stack = os.environ["FHIR_APPS_LIVE_VERIFY_STACK"]
    outputs_file = os.environ.get("FHIR_APPS_LIVE_VERIFY_OUTPUTS")
    config_dir = os.environ.get("FHIR_APPS_LIVE_VERIFY_CONFIG_DIR", str(PROJECT_DIR / "config"))
    args = ["verify", "--stack", stack, "--config-dir", config_dir, "--format", "json"]
    if outputs_file:
        args += ["--outputs", outputs_file]
    result = subprocess.run(
        [sys.executable, "-m", "fhir_apps", *args],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        check=False,
        timeout=900,  # the default --wait is 300 s per retried check
    )
    report = json.loads(result.stdout)
    assert result.returncode == 0, "\n".join(report["failures"]) or result.stderr
    assert report["ok"] is True
    assert report["clients"], "the stack has no client to verify"
    assert any(client["status"] == "ok" for client in report["clients"]), report["clients"]
    for secret in _secrets(outputs_file):
        assert secret not in result.stdout + result.stderr
