"""The reviewer's diff, on hand-built renders (no Pulumi involved)."""

from __future__ import annotations

from typing import Any

from fhir_apps.render.diff import Change, diff_renders, format_diff

_PREFIX = "urn:pulumi:dev::fhir-apps::fhir-apps:clients:ConfidentialClient$azuread:index/"
APP = _PREFIX + "application:Application::dashboard-app"
SP = _PREFIX + "servicePrincipal:ServicePrincipal::dashboard-sp"


def _resource(urn: str, **inputs: Any) -> dict[str, Any]:
    return {
        "urn": urn,
        "type": urn.split("::")[2].split("$")[-1],
        "name": urn.split("::")[-1],
        "parent": None,
        "import": None,
        "protect": False,
        "dependsOn": [],
        "inputs": inputs,
    }


def _render(*resources: dict[str, Any], **outputs: Any) -> dict[str, Any]:
    return {"resources": list(resources), "outputs": outputs}


def test_identical_renders_have_no_diff() -> None:
    render = _render(_resource(APP, displayName="a"), _resource(SP, clientId="x"))
    diff = diff_renders(render, render)
    assert diff.empty
    assert format_diff(diff) == "No changes to the desired state.\n"


def test_added_and_removed_resources_are_listed_by_urn() -> None:
    diff = diff_renders(_render(_resource(APP)), _render(_resource(SP)))
    assert diff.added == (SP,)
    assert diff.removed == (APP,)
    assert diff.changed == {}
    text = format_diff(diff)
    assert "- `+ azuread:index/servicePrincipal:ServicePrincipal dashboard-sp`" in text
    assert "- `- azuread:index/application:Application dashboard-app`" in text


def test_a_changed_nested_input_is_one_path_with_old_and_new() -> None:
    old = _render(_resource(APP, web={"redirectUris": ["https://a"], "homepageUrl": "h"}))
    new = _render(_resource(APP, web={"redirectUris": ["https://b"], "homepageUrl": "h"}))
    diff = diff_renders(old, new)
    assert diff.changed == {APP: (Change("inputs.web.redirectUris", ["https://a"], ["https://b"]),)}
    assert '`inputs.web.redirectUris`: ["https://a"] → ["https://b"]' in format_diff(diff)


def test_input_added_or_removed_shows_none_on_the_missing_side() -> None:
    diff = diff_renders(_render(_resource(APP, a=1)), _render(_resource(APP, b=2)))
    assert diff.changed[APP] == (Change("inputs.a", 1, None), Change("inputs.b", None, 2))


def test_protect_and_import_changes_are_reported() -> None:
    before = _resource(APP)
    after = dict(before, protect=True, **{"import": "/applications/1"})
    diff = diff_renders(_render(before), _render(after))
    assert [c.path for c in diff.changed[APP]] == ["import", "protect"]


def test_output_changes_are_reported_separately() -> None:
    diff = diff_renders(_render(audience="https://a"), _render(audience="https://b"))
    assert diff.outputs == (Change("outputs.audience", "https://a", "https://b"),)
    assert "### Stack outputs" in format_diff(diff)
