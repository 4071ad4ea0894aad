"""Secret rotation that happens: expiry warnings at --today, the knobs, a pinned day, and what a
rotation run changes across a slot boundary.

Dates are worked out by hand from the rotation rule (windows of 2P days anchored on 2024-01-01,
slot b offset by P; the current slot is the one that started last), not with the code under test.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from fhir_apps.cli import main
from fhir_apps.render.diff import diff_renders
from tests.component_helpers import PASSWORD, make_spec, run_build

VAULT = (
    "/subscriptions/11111111-2222-4333-8444-555555555555/resourceGroups/rg-vault/providers/"
    "Microsoft.KeyVault/vaults/kv-fhir"
)


def _config(tmp: Path, rotation_days: int, policy: str = "") -> Path:
    config = tmp / "config"
    (config / "environments").mkdir(parents=True)
    (config / "base.yaml").write_text(
        "tenant: {verifiedDomains: [contoso.com]}\n"
        "fhirServer: {kind: oss, url: 'https://fhir.contoso.com', appRoles: [globalReader]}\n"
        f"{policy}",
        encoding="utf-8",
    )
    (config / "environments" / "dev.yaml").write_text(
        "clients:\n"
        "  daemon:\n"
        "    kind: service\n"
        "    roles: [globalReader]\n"
        f"    credential: {{type: secret, rotationDays: {rotation_days}}}\n",
        encoding="utf-8",
    )
    return config


def _check(config: Path, capsys: pytest.CaptureFixture[str], *args: str) -> str:
    argv = ["check", "--environment", "dev", "--config-dir", str(config), *args]
    assert main(argv) == 0
    return capsys.readouterr().err


# Weekly rotation on 2024-01-01: slot a 2024-01-01..2024-01-15 (current, the later start), slot b
# 2023-12-25..2024-01-08. The current secret ends in 14 days: inside the default window of 14.
WEEKLY = (
    "warning: clients.daemon: the current client secret (slot a) ends on 2024-01-15, in 14 days; "
    "run `pulumi up` by 2024-01-14 so its successor exists, and make sure the app reads the new one"
)


def test_check_warns_within_the_default_window(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    err = _check(_config(tmp_path, 7), capsys, "--today", "2024-01-01")
    assert WEEKLY in err.splitlines()


def test_the_policy_window_and_warn_days_decide(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _config(tmp_path, 7, "policy: {secretExpiryWarningDays: 13}\n")
    assert "clients.daemon" not in _check(config, capsys, "--today", "2024-01-01")
    assert WEEKLY in _check(config, capsys, "--today", "2024-01-01", "--warn-days", "14")
    quiet = _check(_config(tmp_path / "b", 7), capsys, "--today", "2024-01-01", "--warn-days", "0")
    assert "clients.daemon" not in quiet


def test_a_missed_up_is_loud_with_last_up(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Every 30 days; the last up on 2024-01-01 left slot a (2024-01-01..2024-03-01) current.
    config = _config(tmp_path, 30)
    fresh = _check(config, capsys, "--today", "2024-02-20")
    assert "clients.daemon" not in fresh  # an up today would leave a fresh secret
    late = _check(config, capsys, "--today", "2024-02-20", "--last-up", "2024-01-01")
    assert (
        "warning: clients.daemon: the current client secret (slot a) ends on 2024-03-01, in 10 "
        "days; run `pulumi up` by 2024-02-29"
    ) in late
    gone = _check(config, capsys, "--today", "2024-03-02", "--last-up", "2024-01-01")
    assert (
        "warning: clients.daemon: the current client secret (slot a) ended on 2024-03-01; the "
        "app has no valid secret: run `pulumi up` now"
    ) in gone


def test_a_day_pinned_in_the_stack_file_is_reported_and_judged(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = _config(tmp_path, 30)
    (tmp_path / "Pulumi.yaml").write_text("name: fhir-apps\nruntime: python\n", encoding="utf-8")
    (tmp_path / "Pulumi.dev.yaml").write_text(
        "config:\n  fhir-apps:today: '2024-01-01'\n", encoding="utf-8"
    )
    monkeypatch.chdir(tmp_path)
    err = _check(config, capsys, "--stack", "dev", "--today", "2024-02-20")
    assert (
        f"warning: {tmp_path / 'Pulumi.dev.yaml'}: config.fhir-apps:today: pins the day secret "
        "rotation is computed from to 2024-01-01: every `pulumi up` keeps that day's slots"
    ) in err
    assert "ends on 2024-03-01, in 10 days" in err


def test_render_warns_too(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = _config(tmp_path, 7)
    argv = ["render", "--environment", "dev", "--config-dir", str(config), "--today", "2024-01-01"]
    assert main([*argv, "--output", str(tmp_path / "out.yaml")]) == 0
    assert WEEKLY in capsys.readouterr().err.splitlines()


def test_a_bad_warn_days_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["check", "--environment", "dev", "--warn-days", "-1"])
    assert exited.value.code == 2
    assert "--warn-days: must be 0 to 730 days, got -1" in capsys.readouterr().err


# -- what a rotation run changes --------------------------------------------------------------


def _render(today: dt.date, redirect: str = "https://web.contoso.com/signin") -> dict[str, Any]:
    spec = make_spec(
        clients={
            "web": {
                "kind": "confidential",
                "redirectUris": [redirect],
                "credential": {"type": "secret", "rotationDays": 30},
            }
        },
        secretStore={"keyVaultId": VAULT},
    )
    run = run_build(spec, today=today)
    resources = [run.resources[urn].as_dict() for urn in sorted(run.resources)]
    return {"stack": "dev", "environment": "dev", "resources": resources, "outputs": run.outputs}


def test_crossing_a_slot_boundary_replaces_one_slot_and_updates_its_vault_copy() -> None:
    # Every 30 days: slot b's window 2023-12-02..2024-01-31 ends on 2024-01-31, so the first
    # run on that day renews slot b, and b becomes the current secret.
    diff = diff_renders(_render(dt.date(2024, 1, 30)), _render(dt.date(2024, 1, 31)))
    assert [urn.rsplit("::", 1)[1] for urn in diff.replaced] == ["web-credential-secret-b"]
    assert all(PASSWORD in urn for urn in diff.replaced)
    updated = [urn.rsplit("::", 1)[1] for urn in diff.changed if urn not in diff.replaced]
    assert updated == ["key-vault-secrets-web"]
    assert diff.added == () and diff.removed == ()
    expires = [c.path for c in diff.outputs]
    assert expires == ["outputs.clients.web.secretExpiresOn"]


def test_a_day_within_a_slot_changes_nothing() -> None:
    assert diff_renders(_render(dt.date(2024, 1, 2)), _render(dt.date(2024, 1, 30))).empty


def test_the_runbook_gives_the_targets_the_workflow_uses() -> None:
    import yaml

    root = Path(__file__).resolve().parents[1]
    workflow = yaml.safe_load((root / ".github" / "workflows" / "rotate.yml").read_text("utf-8"))
    (step,) = [s for s in workflow["jobs"]["rotate"]["steps"] if "target" in s.get("with", {})]
    runbook = (root / "docs" / "rotation.md").read_text(encoding="utf-8")
    for target in step["with"]["target"].split():
        assert f"--target '{target}'" in runbook, target
