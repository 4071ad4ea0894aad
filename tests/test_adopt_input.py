"""Reading Graph exports: every accepted shape, and one clear message for each kind of bad input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from fhir_apps.adopt import AdoptInputError, find_resource_app, read_export, read_objects
from fhir_apps.adopt.importids import (
    application_import_id,
    object_id_of_application_import_id,
    service_principal_import_id,
)

FIXTURES = Path(__file__).parent / "fixtures" / "graph"
SERVER = FIXTURES / "application-fhir-server.json"


def _server() -> dict[str, Any]:
    return json.loads(SERVER.read_text(encoding="utf-8"))


def _write(tmp_path: Path, data: Any, name: str = "apps.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "shape",
    [
        pytest.param(lambda app: {"@odata.context": "x", "value": [app]}, id="graph-page"),
        pytest.param(lambda app: [app], id="az-list"),
        pytest.param(lambda app: app, id="az-show"),
    ],
)
def test_the_three_export_shapes_read_alike(tmp_path: Path, shape: Any) -> None:
    objects = read_objects(_write(tmp_path, shape(_server())), "applications")
    assert [o["id"] for o in objects] == ["6c1f3a52-8d4e-4b7a-9e21-0f5d7c3b9a10"]


def test_a_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "apps.json"
    path.write_text("\ufeff" + json.dumps([_server()]), encoding="utf-8")
    assert len(read_objects(path, "applications")) == 1


def test_the_same_app_in_two_files_counts_once(tmp_path: Path) -> None:
    export = read_export([SERVER, _write(tmp_path, [_server()])])
    assert len(export.applications) == 1


def test_the_same_id_with_different_content_is_refused(tmp_path: Path) -> None:
    changed = {**_server(), "displayName": "Other"}
    with pytest.raises(AdoptInputError) as error:
        read_export([SERVER, _write(tmp_path, changed)])
    assert str(error.value) == (
        "applications: object 6c1f3a52-8d4e-4b7a-9e21-0f5d7c3b9a10 appears twice with different "
        "content; export it once"
    )


def test_not_json(tmp_path: Path) -> None:
    path = tmp_path / "apps.json"
    path.write_text("Name    AppId\n----", encoding="utf-8")
    with pytest.raises(AdoptInputError) as error:
        read_objects(path, "applications")
    assert str(error.value) == f"{path}: not JSON: Expecting value at line 1, column 1"


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.json"
    with pytest.raises(AdoptInputError) as error:
        read_objects(path, "applications")
    assert str(error.value) == f"{path}: cannot read: No such file or directory"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"apps": []},
            'not Graph applications: expected a Graph page {"value": [...]}, a list (as '
            "`az ... list` prints) or one object (as `az ... show` prints)",
        ),
        ([42], "[0]: not a Graph object: expected a JSON object"),
        (
            [{"id": "6c1f3a52-8d4e-4b7a-9e21-0f5d7c3b9a10"}],
            "[0]: not one of the Graph applications (give them with --applications): missing "
            "appId, displayName",
        ),
        (
            [{"id": "x", "appId": "2b9e4d71-5c3a-4f8e-b6d2-7a1c9e0f4b35", "displayName": "A"}],
            "[0]: id 'x' is not a GUID",
        ),
        (
            {"value": [{"objectId": "1", "appId": "2", "displayName": "A"}]},
            "value[0]: this is Azure AD Graph output (objectId), not Microsoft Graph; export "
            "with az 2.37 or later, or `az rest --uri "
            "https://graph.microsoft.com/v1.0/applications`",
        ),
        (
            [{"id": "1", "appId": "2", "displayName": "A", "servicePrincipalType": "Application"}],
            "[0]: this is a service principal, not an application; pass service principals with "
            "--service-principals",
        ),
    ],
)
def test_not_graph_applications(tmp_path: Path, data: Any, message: str) -> None:
    path = _write(tmp_path, data)
    with pytest.raises(AdoptInputError) as error:
        read_objects(path, "applications")
    assert str(error.value) == f"{path}: {message}"


def test_assignments_given_as_applications_are_named(tmp_path: Path) -> None:
    path = FIXTURES / "app-role-assignments.json"
    with pytest.raises(AdoptInputError) as error:
        read_objects(path, "applications")
    assert str(error.value) == (
        f"{path}: value[0]: this looks like Graph app role assignments, not applications; pass "
        "it with --assignments"
    )


def test_an_empty_export(tmp_path: Path) -> None:
    path = _write(tmp_path, {"value": []})
    with pytest.raises(AdoptInputError) as error:
        read_export([path])
    assert str(error.value) == f"{path}: no applications in the export"


def test_the_resource_app_is_found_without_an_audience() -> None:
    app, audience = find_resource_app([_server()], None)
    assert (app["displayName"], audience) == (
        "Contoso FHIR Server (dev)",
        "https://fhir-dev.contoso.com",
    )


def test_an_audience_matches_regardless_of_trailing_slash_and_keeps_the_registered_one() -> None:
    _, audience = find_resource_app([_server()], "https://FHIR-dev.contoso.com/")
    assert audience == "https://fhir-dev.contoso.com"


def test_two_apps_claiming_the_audience() -> None:
    other = {**_server(), "id": "11111111-2222-4333-8444-555555555555", "displayName": "Copy"}
    with pytest.raises(AdoptInputError) as error:
        find_resource_app([_server(), other], "https://fhir-dev.contoso.com")
    assert str(error.value) == (
        "two apps claim the audience https://fhir-dev.contoso.com: 'Contoso FHIR Server (dev)' "
        "(objectId 6c1f3a52-8d4e-4b7a-9e21-0f5d7c3b9a10), 'Copy' (objectId "
        "11111111-2222-4333-8444-555555555555); an identifier URI is unique in a tenant, so the "
        "export mixes tenants or environments: export one environment's apps"
    )


def test_two_candidate_resource_apps_without_an_audience() -> None:
    other = {
        **_server(),
        "id": "11111111-2222-4333-8444-555555555555",
        "displayName": "Other API",
        "identifierUris": ["https://api.contoso.com"],
    }
    with pytest.raises(AdoptInputError) as error:
        find_resource_app([_server(), other], None)
    assert str(error.value) == (
        "two apps claim to be the FHIR resource app: 'Contoso FHIR Server (dev)' (objectId "
        "6c1f3a52-8d4e-4b7a-9e21-0f5d7c3b9a10) as https://fhir-dev.contoso.com, 'Other API' "
        "(objectId 11111111-2222-4333-8444-555555555555) as https://api.contoso.com; name the "
        "server URL with --audience"
    )


def test_of_two_candidate_apis_the_one_the_clients_call_is_the_resource_app() -> None:
    # A tenant export also holds a SAML gallery app: an app role under an https identifier URI,
    # which no app asks permissions of.
    saml = {
        **_server(),
        "id": "11111111-2222-4333-8444-555555555555",
        "appId": "21111111-2222-4333-8444-555555555555",
        "displayName": "Salesforce (SAML)",
        "identifierUris": ["https://saml.salesforce.com"],
    }
    client = {
        "id": "31111111-2222-4333-8444-555555555555",
        "appId": "41111111-2222-4333-8444-555555555555",
        "displayName": "Portal",
        "requiredResourceAccess": [
            {"resourceAppId": _server()["appId"], "resourceAccess": []},
            {"resourceAppId": "00000003-0000-0000-c000-000000000000", "resourceAccess": []},
        ],
    }
    app, uri = find_resource_app([saml, _server(), client], None)
    assert (app["displayName"], uri) == (
        "Contoso FHIR Server (dev)",
        "https://fhir-dev.contoso.com",
    )
    # Both called: still ambiguous, and said so.
    both = {
        **client,
        "requiredResourceAccess": [
            {"resourceAppId": saml["appId"]},
            *client["requiredResourceAccess"],
        ],
    }
    with pytest.raises(AdoptInputError, match=r"^two apps claim to be the FHIR resource app: "):
        find_resource_app([saml, _server(), both], None)


def test_no_resource_app_for_the_audience() -> None:
    with pytest.raises(AdoptInputError) as error:
        find_resource_app([_server()], "https://fhir.fabrikam.com")
    assert str(error.value) == (
        "no resource app found: no application has the identifier URI https://fhir.fabrikam.com "
        "(identifier URIs in the export: https://fhir-dev.contoso.com)"
    )


def test_no_resource_app_at_all() -> None:
    client = json.loads((FIXTURES / "application-patient-spa.json").read_text(encoding="utf-8"))
    with pytest.raises(AdoptInputError) as error:
        find_resource_app([client], None)
    assert str(error.value) == (
        "no resource app found: no application exposes scopes or app roles under an https "
        "identifier URI (the FHIR server URL); give the server URL with --audience"
    )


def test_import_id_formats() -> None:
    object_id = "6c1f3a52-8d4e-4b7a-9e21-0f5d7c3b9a10"
    assert application_import_id(object_id) == f"/applications/{object_id}"
    assert object_id_of_application_import_id(f"/applications/{object_id}") == object_id
    assert object_id_of_application_import_id(object_id) is None
    # pulumi_azuread 6.11.1 imports a service principal by its bare object id (see importids).
    assert service_principal_import_id(object_id) == object_id


def test_public_surface() -> None:
    import fhir_apps.adopt as adopt

    # Changing the surface is deliberate: update this list with it.
    assert adopt.__all__ == [
        "MANAGED_PROPERTIES",
        "SCHEMA_LINE",
        "AdoptInputError",
        "AdoptedApp",
        "Adoption",
        "ClientKind",
        "Creation",
        "Drift",
        "Finding",
        "GraphExport",
        "adoption_changes",
        "application_import_id",
        "client_key",
        "client_kind",
        "compare",
        "creations",
        "environment_yaml",
        "find_resource_app",
        "import_file",
        "import_file_path",
        "import_file_text",
        "managed_properties",
        "plan",
        "read_export",
        "read_objects",
        "render_adopted",
        "service_principal_import_id",
        "write_environment",
    ]
    assert all(hasattr(adopt, name) for name in adopt.__all__)


@pytest.mark.parametrize(
    ("name", "keys"),
    [
        # Microsoft's SMART sample publishes its resource app's manifest in this format.
        ("fhir-app-manifest.json", "oauth2Permissions"),
        (
            "application-portal-manifest.json",
            "oauth2Permissions, replyUrlsWithType, oauth2AllowImplicitFlow, "
            "accessTokenAcceptedVersion, allowPublicClient, name",
        ),
    ],
)
def test_an_azure_ad_graph_manifest_says_how_to_export_in_graph_format(
    name: str, keys: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from fhir_apps.cli import main

    path = FIXTURES / "aad-graph" / name
    assert main(["adopt", "--applications", str(path), "--environment", "dev"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (
        f"adopt: {path}: this is an application manifest in the retired Azure AD Graph format "
        f"({keys}), not Microsoft Graph: export the app with `az ad app show --id <appId>` (az "
        "2.37 or later), `az rest --uri https://graph.microsoft.com/v1.0/applications/"
        "<objectId>`, or the portal's Manifest tab in its Microsoft Graph format\n"
    )


def test_an_azure_ad_graph_manifest_in_a_list_is_named_by_its_place(tmp_path: Path) -> None:
    manifest = json.loads((FIXTURES / "aad-graph" / "application-portal-manifest.json").read_text())
    path = _write(tmp_path, {"value": [manifest]})
    with pytest.raises(AdoptInputError) as error:
        read_objects(path, "applications")
    assert str(error.value).startswith(
        f"{path}: value[0]: this is an application manifest in the retired Azure AD Graph format"
    )
