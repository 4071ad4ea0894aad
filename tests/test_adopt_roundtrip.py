"""Round trip per fixture: adopt -> write config -> render the real program -> Graph manifests.

The manifest of every adopted app must carry the fixture's managed properties with the same
ids, and the rendered Application must import the fixture's object. The only differences
allowed are those a finding announces (the legacy app's), each named by its property.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from components.credentials import subject_slug
from fhir_apps.adopt import compare, plan, read_export, write_environment
from fhir_apps.render.engine import Rendering, render
from fhir_apps.render.graph import manifests
from fhir_apps.spec.loader import load_spec

FIXTURES = Path(__file__).parent / "fixtures" / "graph"
SERVER = FIXTURES / "application-fhir-server.json"
SPS = FIXTURES / "service-principals.json"
ASSIGNMENTS = FIXTURES / "app-role-assignments.json"
GRANTS = FIXTURES / "oauth2-permission-grants.json"
RESOURCE_APP_ID = "2b9e4d71-5c3a-4f8e-b6d2-7a1c9e0f4b35"
RESOURCE_SP = "0e8c2a6f-4b1d-4f97-a3e5-8c0a2e4b6d19"
OWNER = "0b6e2f8d-4c1a-4e73-9d25-7a8c3e1f5b90"
ROLE_ASSIGNMENT = "azuread:index/appRoleAssignment:AppRoleAssignment"
SCOPE_TEXTS = (
    "adminConsentDisplayName",
    "adminConsentDescription",
    "userConsentDisplayName",
    "userConsentDescription",
)
CHILD_TYPES = (
    ROLE_ASSIGNMENT,
    "azuread:index/servicePrincipalDelegatedPermissionGrant:ServicePrincipalDelegatedPermissionGrant",
    "azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential",
)

# fixture -> (YAML key, drift the findings announce)
CASES = {
    "fhir-server": ("fhir-server", set()),
    "clinician-portal": ("contoso-clinician-portal", set()),
    "patient-spa": ("contoso-patient-app-spa", set()),
    "care-mobile": ("contoso-care-mobile", set()),
    "claims-ingest": ("contoso-claims-ingest", set()),
    "legacy-reporting": (
        "contoso-legacy-reporting",
        {"web.redirectUris", "web.implicitGrantSettings", "requiredResourceAccess"},
    ),
}


def _load(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"application-{name}.json").read_text(encoding="utf-8"))


def _adopt_and_render(
    name: str, tmp_path: Path, server: Path = SERVER, sps: Path = SPS
) -> tuple[Any, Rendering]:
    files = [server] if name == "fhir-server" else [server, FIXTURES / f"application-{name}.json"]
    export = read_export(files, sps, ASSIGNMENTS, GRANTS)
    # The deploying principal is the resource app's existing owner (on the app and its SP).
    adoption = plan(export, environment="adopted", config_dir=tmp_path, deployer=OWNER)
    write_environment(adoption, tmp_path, force=False)
    load_spec(tmp_path, environment="adopted")  # what `check` does: must pass
    return adoption, render(environment="adopted", config_dir=tmp_path)


def _expected(app: dict[str, Any]) -> dict[str, Any]:
    """The fixture's managed properties, written out by hand (independent of fhir_apps.adopt)."""
    api = app["api"] or {}
    web = app["web"] or {}
    return {
        "displayName": app["displayName"],
        "identifierUris": sorted(app["identifierUris"]),
        "isFallbackPublicClient": bool(app["isFallbackPublicClient"]),
        "scopes": sorted(
            (
                s["id"],
                s["value"],
                s["type"],
                s["isEnabled"],
                *(s[text] or None for text in SCOPE_TEXTS),
            )
            for s in api["oauth2PermissionScopes"]
        ),
        "roles": sorted(
            (
                r["id"],
                r["value"],
                tuple(sorted(r["allowedMemberTypes"])),
                r["isEnabled"],
                r["displayName"],
                r["description"],
            )
            for r in app["appRoles"]
        ),
        "web.redirectUris": sorted(web["redirectUris"]),
        "web.implicitGrantSettings": web["implicitGrantSettings"],
        "spa.redirectUris": sorted(app["spa"]["redirectUris"]),
        "publicClient.redirectUris": sorted(app["publicClient"]["redirectUris"]),
        "requiredResourceAccess": sorted(
            (e["resourceAppId"], sorted((a["id"], a["type"]) for a in e["resourceAccess"]))
            for e in app["requiredResourceAccess"]
        ),
    }


def _rendered(manifest: dict[str, Any]) -> dict[str, Any]:
    # The mocks cannot know the resource app's appId: its placeholder stands for the appId of
    # the object it imports, which Entra keeps on import (the fixture's).
    def app_id(value: str) -> str:
        return RESOURCE_APP_ID if value == "<clientId of fhir-server>" else value

    return {
        "displayName": manifest["displayName"],
        "identifierUris": manifest["identifierUris"],
        "isFallbackPublicClient": manifest["isFallbackPublicClient"],
        "scopes": sorted(
            (s["id"], s["value"], s["type"], s["isEnabled"], *(s[text] for text in SCOPE_TEXTS))
            for s in manifest["api"]["oauth2PermissionScopes"]
        ),
        "roles": sorted(
            (
                r["id"],
                r["value"],
                tuple(r["allowedMemberTypes"]),
                r["isEnabled"],
                r["displayName"],
                r["description"],
            )
            for r in manifest["appRoles"]
        ),
        "web.redirectUris": manifest["web"]["redirectUris"],
        "web.implicitGrantSettings": manifest["web"]["implicitGrantSettings"],
        "spa.redirectUris": manifest["spa"]["redirectUris"],
        "publicClient.redirectUris": manifest["publicClient"]["redirectUris"],
        "requiredResourceAccess": sorted(
            (app_id(e["resourceAppId"]), sorted((a["id"], a["type"]) for a in e["resourceAccess"]))
            for e in manifest["requiredResourceAccess"]
        ),
    }


@pytest.mark.parametrize("name", sorted(CASES))
def test_round_trip_keeps_managed_properties_and_ids(name: str, tmp_path: Path) -> None:
    key, announced = CASES[name]
    fixture = _load(name)
    adoption, rendering = _adopt_and_render(name, tmp_path)
    manifest = manifests(rendering)[key]

    expected, got = _expected(fixture), _rendered(manifest)
    differing = {prop for prop in expected if expected[prop] != got[prop]}
    assert differing == {p for p in announced if p in expected}, (key, differing)
    finding_props = {f.property for f in adoption.findings if f.app == fixture["displayName"]}
    assert announced <= finding_props, (key, announced - finding_props)
    # The same through the drift check `adopt --check` uses, with every managed property.
    existing = [_load("fhir-server"), fixture] if name != "fhir-server" else [fixture]
    drifts = compare(manifests(rendering), existing, [fixture["id"]])
    assert {d.property for d in drifts if d.key == key} == announced


def _hand_made_variant(tmp_path: Path) -> tuple[dict[str, Any], Path, Path]:
    """The FHIR app as people make it by hand: an admin-only scope without user consent texts,
    a role only daemons may hold, and no assignment required on its service principal."""
    app = _load("fhir-server")
    scope = app["api"]["oauth2PermissionScopes"][0]
    scope.update(type="Admin", userConsentDisplayName=None, userConsentDescription=None)
    app["appRoles"][1]["allowedMemberTypes"] = ["Application"]
    app["appRoles"][2]["displayName"] = "Global reader (read all FHIR resources)"
    sps = json.loads(SPS.read_text(encoding="utf-8"))
    for sp in sps["value"]:
        if sp["appId"] == RESOURCE_APP_ID:
            sp["appRoleAssignmentRequired"] = False
    exports = tmp_path / "exports"
    exports.mkdir()
    (exports / "app.json").write_text(json.dumps(app), encoding="utf-8")
    (exports / "sps.json").write_text(json.dumps(sps), encoding="utf-8")
    return app, exports / "app.json", exports / "sps.json"


@pytest.mark.parametrize("variant", ["fixture", "hand-made"])
def test_resource_app_texts_types_and_assignment_setting_round_trip(
    variant: str, tmp_path: Path
) -> None:
    # Scope and role texts, scope types, member types and the service principal's
    # appRoleAssignmentRequired are inputs Pulumi compares on import: they must come back exactly.
    if variant == "fixture":
        fixture, server, sps = _load("fhir-server"), SERVER, SPS
    else:
        fixture, server, sps = _hand_made_variant(tmp_path)
    config = tmp_path / "config"
    config.mkdir()
    adoption, rendering = _adopt_and_render("fhir-server", config, server, sps)
    manifest = manifests(rendering)["fhir-server"]
    expected, got = _expected(fixture), _rendered(manifest)
    assert (got["scopes"], got["roles"]) == (expected["scopes"], expected["roles"])
    fixture_sp = next(
        sp
        for sp in json.loads(sps.read_text(encoding="utf-8"))["value"]
        if sp["appId"] == RESOURCE_APP_ID
    )
    rendered_sp = next(r for r in rendering.resources if r.name == "fhir-server-sp")
    assert (
        rendered_sp.inputs["appRoleAssignmentRequired"] == fixture_sp["appRoleAssignmentRequired"]
    ), rendered_sp.urn
    assert not [f for f in adoption.findings if f.app == fixture["displayName"]]
    assert compare(manifests(rendering), [fixture], [fixture["id"]]) == []


@pytest.mark.parametrize("name", sorted(CASES))
def test_adopted_resources_carry_their_import_ids(name: str, tmp_path: Path) -> None:
    key, _ = CASES[name]
    fixture = _load(name)
    service_principal = next(
        sp
        for sp in json.loads(SPS.read_text(encoding="utf-8"))["value"]
        if sp["appId"] == fixture["appId"]
    )
    _, rendering = _adopt_and_render(name, tmp_path)
    by_name = {r.name: r for r in rendering.resources}
    application, sp = by_name[f"{key}-app"], by_name[f"{key}-sp"]
    assert application.type == "azuread:index/application:Application", application.urn
    assert application.import_id == f"/applications/{fixture['id']}", application.urn
    assert sp.type == "azuread:index/servicePrincipal:ServicePrincipal", sp.urn
    assert sp.import_id == service_principal["id"], sp.urn
    # Child objects that exist in Entra are imported too (Entra refuses a duplicate of each).
    children = {
        r.name: r.import_id
        for r in rendering.resources
        if r.type in CHILD_TYPES and r.name.startswith(f"{key}-")
    }
    assert children == _expected_children(key, fixture, service_principal["id"])


def _page(path: Path) -> list[dict[str, Any]]:
    return json.loads(path.read_text(encoding="utf-8"))["value"]


def _expected_children(key: str, app: dict[str, Any], sp_id: str) -> dict[str, str | None]:
    """Resource name -> import id of the client's child objects, from the fixtures by hand."""
    roles = {r["id"]: r["value"] for r in _load("fhir-server")["appRoles"]}
    expected: dict[str, str | None] = {}
    if key == "fhir-server":
        return expected
    for assignment in _page(ASSIGNMENTS):
        if assignment["principalId"] == sp_id:
            expected[f"{key}-role-{roles[assignment['appRoleId']]}"] = (
                f"/servicePrincipals/{RESOURCE_SP}/appRoleAssignedTo/{assignment['id']}"
            )
    for grant in _page(GRANTS):
        if grant["clientId"] == sp_id and grant["consentType"] == "AllPrincipals":
            expected[f"{key}-consent"] = f"/oauth2PermissionGrants/{grant['id']}"
    for credential in app.get("federatedIdentityCredentials") or []:
        name = f"{key}-credential-federated-{subject_slug(credential['subject'])}"
        expected[name] = f"{app['id']}/federatedIdentityCredential/{credential['id']}"
    return expected


def test_assignments_of_people_and_groups_carry_their_import_ids(tmp_path: Path) -> None:
    # Only the FHIR app exported: the daemon's assignment is one of a service principal too.
    _, rendering = _adopt_and_render("fhir-server", tmp_path)
    assignments = {
        r.name: r.import_id
        for r in rendering.resources
        if r.type == ROLE_ASSIGNMENT and r.name.startswith("assignments-")
    }
    roles = {r["id"]: r["value"] for r in _load("fhir-server")["appRoles"]}
    assert assignments == {
        f"assignments-{a['principalId']}-{roles[a['appRoleId']]}": (
            f"/servicePrincipals/{RESOURCE_SP}/appRoleAssignedTo/{a['id']}"
        )
        for a in _page(ASSIGNMENTS)
    }


def test_every_client_fixture_adopted_together_renders_without_drift_but_announced(
    tmp_path: Path,
) -> None:
    files = sorted(FIXTURES.glob("application-*.json"))
    export = read_export(files, SPS, ASSIGNMENTS, GRANTS)
    adoption = plan(export, environment="all", config_dir=tmp_path)
    write_environment(adoption, tmp_path, force=False)
    rendering = render(environment="all", config_dir=tmp_path)
    adopted_ids = [a.app["id"] for a in adoption.adopted()]
    drifts = compare(manifests(rendering), export.applications, adopted_ids)
    assert [(d.key, d.property) for d in drifts] == [
        ("contoso-legacy-reporting", "requiredResourceAccess"),
        ("contoso-legacy-reporting", "web.implicitGrantSettings"),
        ("contoso-legacy-reporting", "web.redirectUris"),
    ]
    imports = sorted(
        r.import_id for r in rendering.resources if r.type.endswith("application:Application")
    )
    assert imports == sorted(f"/applications/{object_id}" for object_id in adopted_ids)
    # Every child object that exists in Entra is imported, and nothing else is.
    sps = {sp["appId"]: sp["id"] for sp in _page(SPS)}
    expected: dict[str, str | None] = {}
    for adopted in adoption.clients:
        expected |= _expected_children(adopted.key, adopted.app, sps[adopted.app["appId"]])
    # The Group's assignment; the daemon's own is its client's role (above).
    group = next(a for a in _page(ASSIGNMENTS) if a["principalType"] == "Group")
    expected[f"assignments-{group['principalId']}-globalReader"] = (
        f"/servicePrincipals/{RESOURCE_SP}/appRoleAssignedTo/{group['id']}"
    )
    children = {r.name: r.import_id for r in rendering.resources if r.type in CHILD_TYPES}
    assert children == expected
