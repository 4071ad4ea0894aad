"""Offline guard for the live group: its throwaway environment loads and renders under mocks,
so a change to the config rules cannot break the live tests unnoticed (not marked live)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

from fhir_apps.render.engine import render
from tests.live import test_live_stack as live


def test_the_live_environment_renders_offline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ARM_TENANT_ID", "33333333-3333-4333-8333-333333333333")
    config_dir = tmp_path / "config"
    (config_dir / "environments").mkdir(parents=True)
    (config_dir / "base.yaml").write_text("{}\n", encoding="utf-8")
    (config_dir / "environments" / f"{live.ENVIRONMENT}.yaml").write_text(
        yaml.safe_dump(live._config("abc123", "contoso.onmicrosoft.com")), encoding="utf-8"
    )
    rendering = render(
        environment=live.ENVIRONMENT,
        stack="live-abc123",
        config_dir=config_dir,
        today=dt.date(2025, 6, 1),
    )
    assert sorted(rendering.outputs["clients"]) == ["job", "spa", "web"]
    assert rendering.outputs["server"]["audience"] == (
        "https://contoso.onmicrosoft.com/fhir-apps-live-abc123"
    )
    assert not any(resource.protect for resource in rendering.resources)
