"""fhir_apps.commands._target.load_target: the one way the stack commands load their config."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from fhir_apps.commands import _target
from fhir_apps.spec import loader
from fhir_apps.spec.errors import ConfigError, Problem


def _args(tmp_path: Path, **given: Any) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    values = {"environment": "dev", "stack": None, "config_dir": str(tmp_path), **given}
    return argparse.Namespace(_parser=parser, **values)


def test_a_config_that_does_not_load_prints_each_problem_and_gives_none(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "base.yaml").write_text("tenant: {id: x}\ntenant: {id: y}\n", encoding="utf-8")
    assert _target.load_target(_args(tmp_path)) is None
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert lines, "the problems go to stderr"
    assert any("base.yaml" in line and "duplicate key 'tenant'" in line for line in lines)
    assert not any(line.startswith("warning:") for line in lines)


def test_warnings_are_printed_and_the_environment_and_day_reach_the_loader(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    seen: dict[str, Any] = {}
    spec = object()

    def fake_load(
        config_dir: str, environment: str, stack: str | None, *, today: date | None
    ) -> tuple[object, tuple[str, ...]]:
        seen.update(config_dir=config_dir, environment=environment, stack=stack, today=today)
        return spec, ("base.yaml: owners: first", "dev.yaml: clients: second")

    monkeypatch.setattr(loader, "load_spec_with_warnings", fake_load)
    day = date(2026, 12, 1)
    target = _target.load_target(_args(tmp_path, environment="qa", stack="qa-eu"), today=day)
    assert target == ("qa", spec)
    expected = {"config_dir": str(tmp_path), "environment": "qa", "stack": "qa-eu", "today": day}
    assert seen == expected
    assert capsys.readouterr().err.splitlines() == [
        "warning: base.yaml: owners: first",
        "warning: dev.yaml: clients: second",
    ]


def test_a_config_error_raised_while_loading_is_not_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def failing_load(*_args: Any, **_kwargs: Any) -> Any:
        raise ConfigError([Problem("dev.yaml", "clients.web", "must be a mapping", 3)])

    monkeypatch.setattr(loader, "load_spec_with_warnings", failing_load)
    assert _target.load_target(_args(tmp_path)) is None
    (line,) = capsys.readouterr().err.splitlines()
    assert "dev.yaml" in line and "clients.web" in line and "must be a mapping" in line
