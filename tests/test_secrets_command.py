"""`python -m fhir_apps secrets`: slots, next rotation and the `up` deadline, offline.

Expected dates are worked out by hand from the rotation rule (windows of 2P days anchored on
2024-01-01, slot b offset by P), not by calling the code under test.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fhir_apps.cli import main


def _json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, object]:
    assert main(["secrets", "--environment", "dev", "--format", "json", *argv]) == 0
    return json.loads(capsys.readouterr().out)


def test_json_gives_each_slot_the_current_one_and_the_deadlines(
    capsys: pytest.CaptureFixture[str],
) -> None:
    document = _json(capsys, "--today", "2024-01-01")
    assert document["today"] == "2024-01-01" and document["environment"] == "dev"
    clients = {c["client"]: c for c in document["clients"]}  # type: ignore[attr-defined]
    # dev's confidential clients with secrets: dashboard every 30 days, reporting every 60.
    assert sorted(clients) == ["dashboard", "reporting"]
    dashboard = clients["dashboard"]
    assert dashboard["rotationDays"] == 30
    # Slot a: 2024-01-01 + 60 days (2024 is a leap year) -> 2024-03-01. Slot b started 30 days
    # before the epoch (2023-12-02) and ends 60 days later, 2024-01-31.
    assert dashboard["slots"] == [
        {"slot": "a", "start": "2024-01-01", "end": "2024-03-01", "current": True},
        {"slot": "b", "start": "2023-12-02", "end": "2024-01-31", "current": False},
    ]
    assert dashboard["currentSlot"] == "a"
    assert dashboard["nextRotation"] == "2024-01-31"  # slot b's window ends: it renews
    assert dashboard["upBy"] == "2024-02-29"  # the last day slot a is still valid
    reporting = clients["reporting"]
    assert reporting["rotationDays"] == 60
    assert reporting["nextRotation"] == "2024-03-01" and reporting["upBy"] == "2024-04-29"


def test_the_current_slot_changes_on_the_rotation_day(capsys: pytest.CaptureFixture[str]) -> None:
    before = _json(capsys, "--today", "2024-01-30")["clients"][0]  # type: ignore[index]
    after = _json(capsys, "--today", "2024-01-31")["clients"][0]  # type: ignore[index]
    assert before["currentSlot"] == "a" and after["currentSlot"] == "b"
    # On the rotation day slot b gets a new 60-day window, starting that day.
    assert after["slots"][1] == {
        "slot": "b",
        "start": "2024-01-31",
        "end": "2024-03-31",
        "current": True,
    }
    assert after["nextRotation"] == "2024-03-01"


def test_text_names_each_client_and_its_deadline(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["secrets", "--environment", "dev", "--today", "2024-01-01"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("dev (stack dev) on 2024-01-01:\n")
    assert "dashboard (fhir-dev-dashboard): rotates every 30 days" in out
    assert "slot a: valid 2024-01-01 to 2024-03-01 (exclusive)  current" in out
    assert "`pulumi up` must have run by 2024-02-29" in out


def test_bad_config_is_one_line_per_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["secrets", "--environment", "nope", "--config-dir", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err and "Traceback" not in err
    assert all(line.startswith(str(tmp_path)) for line in err.splitlines())
