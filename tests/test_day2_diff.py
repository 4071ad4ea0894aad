"""The PR diff says what the engine will do: create, update, replace, delete, blocked, warnings.

Hand-built renders for each classification; the program under mocks for the URL change (ids must
not move) and for the completeness of the replacement table.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from fhir_apps.render.diff import diff_renders, format_diff
from fhir_apps.render.engine import render
from fhir_apps.render.replacements import REPLACE_ON_CHANGES
from tests.component_helpers import ROLE_ASSIGNMENT, make_spec, run_build

_CLIENT = "urn:pulumi:dev::fhir-apps::fhir-apps:service_client:ServiceClient$"
ASSIGNMENT = _CLIENT + "azuread:index/appRoleAssignment:AppRoleAssignment::svc-role-globalReader"
APP = _CLIENT + "azuread:index/application:Application::svc-app"
PASSWORD = (
    _CLIENT + "fhir-apps:credentials:ClientCredential$"
    "azuread:index/applicationPassword:ApplicationPassword::svc-credential-secret-a"
)


def _resource(urn: str, *, protect: bool = False, **inputs: Any) -> dict[str, Any]:
    return {
        "urn": urn,
        "type": urn.split("::")[2].split("$")[-1],
        "name": urn.split("::")[-1],
        "parent": None,
        "import": None,
        "protect": protect,
        "dependsOn": [],
        "inputs": inputs,
    }


def _render(*resources: dict[str, Any], stack: str = "dev", **outputs: Any) -> dict[str, Any]:
    return {"stack": stack, "environment": "dev", "resources": list(resources), "outputs": outputs}


def test_a_forcing_input_is_a_replacement_named_with_its_property() -> None:
    old = _render(_resource(ASSIGNMENT, appRoleId="1", principalObjectId="p"))
    new = _render(_resource(ASSIGNMENT, appRoleId="2", principalObjectId="p"))
    diff = diff_renders(old, new)
    assert diff.replaced == {ASSIGNMENT: ("inputs.appRoleId",)}
    text = format_diff(diff)
    assert text.startswith(
        "**Render diff:** 0 to create, 0 to update, 1 to replace, 0 to delete (0 protected)."
    )
    assert "### Replaced" in text
    assert (
        "- `+- azuread:index/appRoleAssignment:AppRoleAssignment svc-role-globalReader` "
        "(replaced: `inputs.appRoleId` forces a new resource)"
    ) in text
    assert "### Changed" not in text


def test_a_nested_forcing_input_replaces_too() -> None:
    # A password slot rolling over: its window (rotateWhenChanged) changes.
    old = _render(_resource(PASSWORD, rotateWhenChanged={"end": "2025-06-24", "slot": "a"}))
    new = _render(_resource(PASSWORD, rotateWhenChanged={"end": "2025-08-23", "slot": "a"}))
    assert diff_renders(old, new).replaced == {PASSWORD: ("inputs.rotateWhenChanged.end",)}


def test_other_inputs_update_in_place() -> None:
    old = _render(_resource(APP, displayName="a"), _resource(ASSIGNMENT, appRoleId="1"))
    new = _render(_resource(APP, displayName="b"), _resource(ASSIGNMENT, appRoleId="1"))
    diff = diff_renders(old, new)
    assert diff.replaced == {}
    text = format_diff(diff)
    assert text.startswith("**Render diff:** 0 to create, 1 to update, 0 to replace, 0 to delete")
    assert "- `~ azuread:index/application:Application svc-app`" in text


def test_deleting_a_protected_resource_is_marked_blocked() -> None:
    old = _render(_resource(APP, protect=True), _resource(PASSWORD))
    diff = diff_renders(old, _render())
    assert diff.blocked == (APP,)
    text = format_diff(diff)
    assert "0 to create, 0 to update, 0 to replace, 2 to delete (1 protected)." in text
    app_at = text.index("- `- azuread:index/application:Application svc-app`")
    password_at = text.index("ApplicationPassword svc-credential-secret-a`")
    blocked = "**blocked: protected.** `pulumi up` refuses to delete it; retire it first"
    assert app_at < text.index(blocked) < password_at
    assert text.count("blocked: protected") == 1


def test_replacing_a_protected_resource_is_blocked_too() -> None:
    old = _render(_resource(ASSIGNMENT, protect=True, appRoleId="1"))
    new = _render(_resource(ASSIGNMENT, protect=True, appRoleId="2"))
    diff = diff_renders(old, new)
    assert diff.blocked == (ASSIGNMENT,)
    assert "refuses to replace it" in format_diff(diff)


def test_a_retired_resource_deletes_without_a_block() -> None:
    # The release after `retire: true`: the old render holds it unprotected.
    diff = diff_renders(_render(_resource(APP, protect=False)), _render())
    assert diff.blocked == ()
    assert "(0 protected)" in format_diff(diff)


def test_renders_of_different_stacks_are_warned_about() -> None:
    diff = diff_renders(_render(stack="dev"), _render(_resource(APP), stack="dev-eu"))
    assert diff.warnings == (
        "these renders are of different targets (stack dev → dev-eu): the diff compares two "
        "stacks, not what `pulumi up` of either would do; render the same stack before and "
        "after the change",
    )
    assert "### Warnings" in format_diff(diff)


# -- a server URL change: the audience moves, the ids do not ---------------------------------


def _program_render(url: str) -> dict[str, Any]:
    spec = make_spec(
        fhirServer={
            "kind": "oss",
            "url": url,
            "appRoles": ["globalReader", "globalWriter"],
            "scopes": ["user_impersonation"],
        },
        clients={
            "svc": {
                "kind": "service",
                "roles": ["globalReader"],
                "credential": {"type": "secret", "rotationDays": 30},
            },
            "web": {
                "kind": "confidential",
                "redirectUris": ["https://web.contoso.com/signin"],
                "scopes": ["user_impersonation"],
                "adminConsent": True,
                "credential": {"type": "secret", "rotationDays": 30},
            },
        },
        assignments=[
            {
                "principalId": "22222222-2222-4222-8222-222222222222",
                "principalType": "Group",
                "roles": ["globalWriter"],
            }
        ],
    )
    run = run_build(spec, today=dt.date(2025, 6, 1))
    resources = [run.resources[urn].as_dict() for urn in sorted(run.resources)]
    return {"stack": "dev", "environment": "dev", "resources": resources, "outputs": run.outputs}


def test_a_url_change_keeps_every_id_and_replaces_nothing() -> None:
    old = _program_render("https://fhir-dev.contoso.com")
    new = _program_render("https://fhir.dev.contoso.com")
    diff = diff_renders(old, new)
    assert diff.replaced == {} and diff.added == () and diff.removed == ()
    assignments = [r for r in new["resources"] if r["type"] == ROLE_ASSIGNMENT]
    assert len(assignments) == 2
    assert all(urn not in diff.changed for urn in (r["urn"] for r in assignments))
    assert not [
        c
        for c in diff.outputs
        if c.path.startswith(("outputs.server.roleIds", "outputs.server.scopeIds"))
    ]
    app = next(r["urn"] for r in new["resources"] if r["name"] == "fhir-server-app")
    paths = [c.path for c in diff.changed[app]]
    assert "inputs.identifierUris" in paths
    assert not [p for p in paths if p.endswith(".id")]
    assert diff.warnings == (
        "the FHIR server's audience changes from 'https://fhir-dev.contoso.com' to "
        "'https://fhir.dev.contoso.com': a breaking change. Every client's scope strings "
        "change, tokens issued for the old audience are refused once the server accepts only "
        "the new one, and the server (or the FHIR service's authenticationConfiguration"
        ".audience) must switch with them; derived scope and role ids do not change with it",
    )
    assert "**warning:** the FHIR server's audience changes" in format_diff(diff)


# -- the table covers what the program registers ----------------------------------------------


@pytest.mark.parametrize(
    ("environment", "stack"), [("dev", "dev"), ("dev", "dev-ahds"), ("prod", "prod")]
)
def test_every_registered_resource_type_is_in_the_replacement_table(
    environment: str, stack: str
) -> None:
    rendering = render(environment=environment, stack=stack, today=dt.date(2025, 6, 1))
    custom = {
        r.type for r in rendering.resources if not r.type.startswith(("fhir-apps:", "pulumi:"))
    }
    assert custom, stack
    assert custom <= set(REPLACE_ON_CHANGES), custom - set(REPLACE_ON_CHANGES)


def test_the_table_holds_the_forcing_properties_the_issue_names() -> None:
    # terraform-provider-azuread v3.9.0 app_role_assignment_resource.go: ForceNew on all three.
    assert REPLACE_ON_CHANGES[ROLE_ASSIGNMENT] == {
        "appRoleId",
        "principalObjectId",
        "resourceObjectId",
    }
    # azure-native replacement.go forceNewMap: RoleAssignment principalId and scope.
    assert {"principalId", "scope"} <= REPLACE_ON_CHANGES[
        "azure-native:authorization:RoleAssignment"
    ]
    # Application: only template_id; displayName, redirect URIs, identifier URIs update in place.
    assert REPLACE_ON_CHANGES["azuread:index/application:Application"] == {"templateId"}
