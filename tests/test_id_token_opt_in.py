"""A web app's explicit opt-in to ID tokens from the authorize endpoint (the hybrid flow).

Access tokens from the authorize endpoint stay forbidden everywhere; ID tokens are allowed only
on a web-only application whose config says `idTokenIssuance: true`, with a warning.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from fhir_apps.adopt import GraphExport, plan
from fhir_apps.cli import main
from fhir_apps.policies.resources import implicit_grant_violations
from fhir_apps.spec.errors import ConfigError
from fhir_apps.spec.loader import load_spec

REPO = Path(__file__).resolve().parent.parent
GRAPH = Path(__file__).parent / "fixtures" / "graph"
APPLICATION = "azuread:index/application:Application"


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """A copy of the example config whose dev dashboard (a confidential web app) opts in."""
    target = tmp_path / "config"
    shutil.copytree(REPO / "config", target)
    layer = target / "environments" / "dev.yaml"
    text = layer.read_text(encoding="utf-8")
    assert "\n  dashboard:\n" in text
    layer.write_text(
        text.replace("\n  dashboard:\n", "\n  dashboard:\n    idTokenIssuance: true\n", 1),
        encoding="utf-8",
    )
    return target


def test_the_render_sets_id_tokens_only_and_check_warns(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", "--environment", "dev", "--config-dir", str(config), "--policies"]) == 0
    out, err = capsys.readouterr()
    assert "clients.dashboard.idTokenIssuance: Entra returns ID tokens" in err
    assert "policies: 0 violations" in out
    assert (
        main(["render", "--environment", "dev", "--config-dir", str(config), "--format", "json"])
        == 0
    )
    rendered = json.loads(capsys.readouterr().out)
    grants = {
        r["name"]: r["inputs"]["web"]["implicitGrant"]
        for r in rendered["resources"]
        if r["type"] == APPLICATION
    }
    assert grants["dashboard-app"] == {
        "accessTokenIssuanceEnabled": False,
        "idTokenIssuanceEnabled": True,
    }
    # Every other application keeps both off.
    others = [g for name, g in grants.items() if name != "dashboard-app"]
    assert others and all(
        g == {"accessTokenIssuanceEnabled": False, "idTokenIssuanceEnabled": False} for g in others
    )


def test_a_public_client_cannot_opt_in(config: Path) -> None:
    layer = config / "environments" / "dev.yaml"
    text = layer.read_text(encoding="utf-8")
    layer.write_text(
        text.replace("\n  growth-chart:\n", "\n  growth-chart:\n    idTokenIssuance: true\n", 1),
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as info:
        load_spec(config, environment="dev")
    assert any(
        p.path == "clients.growth-chart.idTokenIssuance" and "unknown key" in p.message
        for p in info.value.problems
    )


def _app(web: list[str], spa: list[str], public: list[str], grant: dict[str, bool]) -> Any:
    return {
        "web": {"redirectUris": web, "implicitGrant": grant},
        "singlePageApplication": {"redirectUris": spa},
        "publicClient": {"redirectUris": public},
    }


ID_ONLY = {"accessTokenIssuanceEnabled": False, "idTokenIssuanceEnabled": True}


@pytest.mark.parametrize(
    ("inputs", "flagged"),
    [
        pytest.param(_app(["https://a.example/cb"], [], [], ID_ONLY), [], id="web-only-id"),
        pytest.param(
            _app(["https://a.example/cb"], ["https://a.example/spa"], [], ID_ONLY),
            ["idTokenIssuanceEnabled"],
            id="with-spa",
        ),
        pytest.param(
            _app(["https://a.example/cb"], [], ["myapp://auth"], ID_ONLY),
            ["idTokenIssuanceEnabled"],
            id="with-public-client",
        ),
        pytest.param(_app([], [], [], ID_ONLY), ["idTokenIssuanceEnabled"], id="no-web-uri"),
        pytest.param(
            _app(
                ["https://a.example/cb"],
                [],
                [],
                {"accessTokenIssuanceEnabled": True, "idTokenIssuanceEnabled": True},
            ),
            ["accessTokenIssuanceEnabled"],
            id="access-tokens-never",
        ),
    ],
)
def test_the_policy_allows_id_tokens_on_web_only_apps(inputs: Any, flagged: list[str]) -> None:
    violations = implicit_grant_violations(APPLICATION, inputs)
    assert [v.split(" ")[0].rsplit(".", 1)[1] for v in violations] == flagged


def _portal(grant: dict[str, bool]) -> dict[str, Any]:
    app = json.loads((GRAPH / "application-clinician-portal.json").read_text(encoding="utf-8"))
    app["web"]["implicitGrantSettings"] = grant
    return app


def _adopt(app: dict[str, Any]) -> Any:
    server = json.loads((GRAPH / "application-fhir-server.json").read_text(encoding="utf-8"))
    sps = json.loads((GRAPH / "service-principals.json").read_text(encoding="utf-8"))["value"]
    export = GraphExport(
        applications=(server, app), service_principals=tuple(sps), has_service_principals=True
    )
    return plan(export, environment="dev")


def test_adopt_keeps_id_tokens_of_a_web_app_and_turns_access_tokens_off() -> None:
    kept = _adopt(_portal({"enableIdTokenIssuance": True, "enableAccessTokenIssuance": False}))
    (client,) = kept.clients
    assert client.block["idTokenIssuance"] is True
    implicit = [f for f in kept.findings if f.property.startswith("web.implicitGrantSettings")]
    assert [(f.property, f.change) for f in implicit] == [
        ("web.implicitGrantSettings.enableIdTokenIssuance", False)
    ]
    both = _adopt(_portal({"enableIdTokenIssuance": True, "enableAccessTokenIssuance": True}))
    changes = [f for f in both.findings if f.property == "web.implicitGrantSettings"]
    assert len(changes) == 1 and changes[0].change
    assert "(access tokens)" in changes[0].message
    assert both.clients[0].block["idTokenIssuance"] is True
