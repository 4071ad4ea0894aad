"""`render`: the desired state of each example stack, checked against expectations from its spec.

The expectations are computed from the loaded spec (what the YAML says), never copied from a
render, so a program that drifts from the config fails here.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from fhir_apps.cli import main
from fhir_apps.ids import ids_for
from fhir_apps.render.diff import Change, diff_renders
from fhir_apps.render.engine import PROJECT_DIR, Rendering, render
from fhir_apps.render.graph import manifests
from fhir_apps.spec.loader import load_spec
from fhir_apps.spec.model import ConfidentialClient, PublicClient, ServiceClient, Spec

CONFIG_DIR = PROJECT_DIR / "config"
TODAY = dt.date(2026, 3, 1)
APPLICATION = "azuread:index/application:Application"
SERVER_KEY = "fhir-server"

# (environment, stack) of the example config: every environment, plus the stack overlay.
EXAMPLES = [("dev", "dev"), ("prod", "prod"), ("dev", "dev-eu")]


@pytest.fixture(scope="module", params=EXAMPLES, ids=lambda e: e[1])
def example(request: pytest.FixtureRequest) -> tuple[Spec, dict[str, Any], Rendering]:
    environment, stack = request.param
    spec = load_spec(CONFIG_DIR, environment=environment, stack=stack)
    rendering = render(environment=environment, stack=stack, config_dir=CONFIG_DIR, today=TODAY)
    return spec, rendering.as_dict(), rendering


def _applications(render_dict: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        r["name"].removesuffix("-app"): r
        for r in render_dict["resources"]
        if r["type"] == APPLICATION
    }


def _server_ids(spec: Spec) -> tuple[dict[str, str], dict[str, str]]:
    server = spec.fhir_server
    scopes = ids_for("scope", server.scopes, server.ids.scopes)
    roles = ids_for("role", server.app_roles, server.ids.roles)
    return scopes, roles


def test_every_enabled_client_and_the_server_have_an_application(example: Any) -> None:
    spec, rendered, _ = example
    assert set(_applications(rendered)) == set(spec.enabled_clients()) | {SERVER_KEY}


def test_disabled_clients_are_left_out() -> None:
    layer = yaml.safe_load((CONFIG_DIR / "environments" / "prod.yaml").read_text(encoding="utf-8"))
    disabled = {k for k, c in layer["clients"].items() if c.get("enabled") is False}
    assert disabled, "the prod example should switch a client off"
    rendered = render(environment="prod", config_dir=CONFIG_DIR, today=TODAY).as_dict()
    names = {r["name"] for r in rendered["resources"]}
    assert not {n for n in names for key in disabled if n == key or n.startswith(f"{key}-")}
    assert not disabled & set(rendered["outputs"]["clients"])


def test_the_resource_app_exposes_the_specs_scopes_and_roles(example: Any) -> None:
    spec, rendered, _ = example
    app = _applications(rendered)[SERVER_KEY]
    inputs = app["inputs"]
    scope_ids, role_ids = _server_ids(spec)
    assert inputs["identifierUris"] == [spec.fhir_server.audience()], app["urn"]
    scopes = {s["value"]: s["id"] for s in inputs["api"]["oauth2PermissionScopes"]}
    assert scopes == scope_ids, app["urn"]
    roles = {r["value"]: r["id"] for r in inputs["appRoles"]}
    assert roles == role_ids, app["urn"]
    assert inputs["api"]["requestedAccessTokenVersion"] == spec.fhir_server.access_token_version
    assert app["protect"] is spec.protected, app["urn"]


def test_each_client_has_its_platform_block_and_exact_access(example: Any) -> None:
    spec, rendered, _ = example
    apps = _applications(rendered)
    scope_ids, role_ids = _server_ids(spec)
    for key, client in spec.enabled_clients().items():
        app = apps[key]
        inputs, urn = app["inputs"], app["urn"]
        assert inputs["displayName"] == spec.display_name(key), urn
        uris = sorted(client.redirect_uris)
        web = inputs.get("web") or {}
        spa = (inputs.get("singlePageApplication") or {}).get("redirectUris", [])
        public = (inputs.get("publicClient") or {}).get("redirectUris", [])
        if isinstance(client, ConfidentialClient):
            assert web.get("redirectUris") == uris, urn
            assert (spa, public) == ([], []), urn
        elif isinstance(client, PublicClient) and client.platform == "spa":
            assert spa == uris, urn
            assert (web.get("redirectUris", []), public) == ([], []), urn
        elif isinstance(client, PublicClient):
            assert public == uris, urn
            assert (web.get("redirectUris", []), spa) == ([], []), urn
        else:
            assert isinstance(client, ServiceClient)
            assert (web.get("redirectUris", []), spa, public) == ([], [], []), urn
        # Implicit grant is off for every kind, explicitly.
        implicit = web.get("implicitGrant", {})
        assert implicit.get("accessTokenIssuanceEnabled") is False, urn
        assert implicit.get("idTokenIssuanceEnabled") is False, urn
        wanted = sorted(
            [{"id": scope_ids[s], "type": "Scope"} for s in getattr(client, "scopes", ())]
            + [{"id": role_ids[r], "type": "Role"} for r in getattr(client, "roles", ())],
            key=lambda a: (a["type"], a["id"]),
        )
        (access,) = inputs["requiredResourceAccesses"]
        assert access["resourceAppId"] == f"<clientId of {SERVER_KEY}>", urn
        got = sorted(access["resourceAccesses"], key=lambda a: (a["type"], a["id"]))
        assert got == wanted, urn


def test_outputs_name_every_enabled_client(example: Any) -> None:
    spec, rendered, _ = example
    assert set(rendered["outputs"]["clients"]) == set(spec.enabled_clients())
    assert rendered["outputs"]["server"]["audience"] == spec.fhir_server.audience()


def test_graph_manifests_carry_the_specs_scopes_roles_uris_and_access(example: Any) -> None:
    spec, _, rendering = example
    graph = manifests(rendering)
    scope_ids, role_ids = _server_ids(spec)
    server = graph[SERVER_KEY]
    assert server["identifierUris"] == [spec.fhir_server.audience()]
    assert {s["value"]: s["id"] for s in server["api"]["oauth2PermissionScopes"]} == scope_ids
    assert {r["value"]: r["id"] for r in server["appRoles"]} == role_ids
    assert all(s["isEnabled"] for s in server["api"]["oauth2PermissionScopes"])
    for key, client in spec.enabled_clients().items():
        manifest = graph[key]
        uris = sorted(client.redirect_uris)
        platform = {
            "confidential": "web",
            "service": "web",
        }.get(client.kind) or (
            "spa" if getattr(client, "platform", "") == "spa" else "publicClient"
        )
        assert manifest[platform]["redirectUris"] == uris, key
        access = manifest["requiredResourceAccess"][0]["resourceAccess"]
        wanted_ids = {scope_ids[s] for s in getattr(client, "scopes", ())} | {
            role_ids[r] for r in getattr(client, "roles", ())
        }
        assert {a["id"] for a in access} == wanted_ids, key
        assert manifest["web"]["implicitGrantSettings"] == {
            "enableAccessTokenIssuance": False,
            "enableIdTokenIssuance": False,
        }, key


def test_display_names_are_unique_across_the_example_stacks() -> None:
    # The stacks may share one tenant, where preventDuplicateNames refuses a repeated name.
    seen: dict[str, str] = {}
    for environment, stack in [*EXAMPLES, ("dev", "dev-ahds")]:
        rendered = render(environment=environment, stack=stack, config_dir=CONFIG_DIR, today=TODAY)
        for resource in rendered.resources:
            if resource.type != APPLICATION:
                continue
            name = resource.inputs["displayName"]
            assert name not in seen, f"{resource.urn}: {name!r} is also used by {seen[name]}"
            seen[name] = resource.urn


# --- the diff of a one-line change -------------------------------------------------------------


@pytest.fixture
def config_copy(tmp_path: Path) -> Path:
    target = tmp_path / "config"
    shutil.copytree(CONFIG_DIR, target)
    return target


def _replace_line(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} should occur once in {path}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_a_one_line_display_name_change_is_one_changed_path(config_copy: Path) -> None:
    before = render(environment="prod", config_dir=config_copy, today=TODAY).as_dict()
    _replace_line(
        config_copy / "environments" / "prod.yaml",
        "displayName: Clinical dashboard\n",
        "displayName: Clinical dashboard (new)\n",
    )
    after = render(environment="prod", config_dir=config_copy, today=TODAY).as_dict()
    diff = diff_renders(before, after)
    assert (diff.added, diff.removed, diff.outputs) == ((), (), ())
    ((urn, changes),) = diff.changed.items()
    assert urn.endswith("::dashboard-app")
    assert changes == (
        Change("inputs.displayName", "Clinical dashboard", "Clinical dashboard (new)"),
    )


def test_a_redirect_uri_change_is_one_resource_path_and_its_output(config_copy: Path) -> None:
    before = render(environment="dev", config_dir=config_copy, today=TODAY).as_dict()
    _replace_line(
        config_copy / "environments" / "dev.yaml",
        "- https://growth-chart-dev.contoso.com/\n",
        "- https://growth-chart-dev.contoso.com/app/\n",
    )
    after = render(environment="dev", config_dir=config_copy, today=TODAY).as_dict()
    diff = diff_renders(before, after)
    ((urn, changes),) = diff.changed.items()
    assert urn.endswith("::growth-chart-app")
    assert [c.path for c in changes] == ["inputs.singlePageApplication.redirectUris"]
    assert [c.path for c in diff.outputs] == ["outputs.clients.growth-chart.redirectUris"]


# --- the command line ----------------------------------------------------------------------


def test_render_json_and_yaml_carry_the_same_data(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["render", "--environment", "dev", "--today", TODAY.isoformat()]
    assert main([*args, "--format", "json"]) == 0
    as_json = json.loads(capsys.readouterr().out)
    assert main([*args, "--format", "yaml"]) == 0
    assert yaml.safe_load(capsys.readouterr().out) == as_json
    assert set(as_json) == {"project", "stack", "environment", "resources", "outputs"}
    assert (as_json["project"], as_json["stack"], as_json["environment"]) == (
        "fhir-apps",
        "dev",
        "dev",
    )
    urns = [r["urn"] for r in as_json["resources"]]
    assert urns == sorted(urns)
    for resource in as_json["resources"]:
        assert set(resource) == {
            "urn",
            "type",
            "name",
            "parent",
            "import",
            "protect",
            "dependsOn",
            "inputs",
        }, resource["urn"]


def test_render_stops_at_config_errors_before_the_program_runs(
    config_copy: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import fhir_apps.render.engine as engine

    def must_not_run(**_: Any) -> None:
        raise AssertionError("the program ran although the config is invalid")

    monkeypatch.setattr(engine, "render", must_not_run)
    _replace_line(config_copy / "base.yaml", "  prefix: fhir\n", "  prefx: fhir\n")
    code = main(["render", "--environment", "dev", "--config-dir", str(config_copy)])
    captured = capsys.readouterr()
    assert code == 1
    assert captured.out == ""
    assert captured.err == (
        f"{config_copy / 'base.yaml'}: naming.prefx: unknown key 'prefx'; did you mean 'prefix'?\n"
    )


def test_render_diff_of_two_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    assert main(["render", "--environment", "dev", "--format", "json", "--output", str(old)]) == 0
    data = json.loads(old.read_text(encoding="utf-8"))
    app = next(r for r in data["resources"] if r["name"] == "dashboard-app")
    app["inputs"]["displayName"] = "renamed"
    new.write_text(json.dumps(data), encoding="utf-8")
    assert main(["render", "--diff", str(old), str(new)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(
        "**Render diff:** 0 to create, 1 to update, 0 to replace, 0 to delete (0 protected)."
    )
    assert '`inputs.displayName`: "fhir-dev-dashboard" → "renamed"' in out


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not a render: neither JSON nor YAML"),
        ('{"resources": 3}', "not a render: expected an object with a 'resources' list"),
    ],
)
def test_render_diff_rejects_what_is_not_a_render(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, message: str
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(content, encoding="utf-8")
    assert main(["render", "--diff", str(bad), str(bad)]) == 1
    assert capsys.readouterr().err == f"render: {bad}: {message}\n"
