"""FhirResourceApp under mocks: the exact resource app for oss, a lookup for managed kinds."""

from __future__ import annotations

import pytest

from components.fhir_resource_app import FhirResourceApp, FhirResourceAppArgs, server_audience
from fhir_apps.fhir_constants import AZURE_HEALTHCARE_APIS_APP_ID
from fhir_apps.ids import derived_id
from fhir_apps.spec.model import FhirServer
from tests.component_helpers import (
    APPLICATION,
    DEPLOYER,
    OWNER,
    SERVICE_PRINCIPAL,
    ahds_server,
    make_spec,
    run_build,
    run_program,
    urn_msg,
)

AUDIENCE = "https://fhir-dev.contoso.com"
PINNED_ROLE = "2d6c3a91-8e4b-4f1a-b7c2-5d9e0f1a2b3c"


def _scope(value: str, title: str, action: str) -> dict[str, object]:
    allows = f"Allows the app to {action} the FHIR server fhir-dev-fhir-server ({AUDIENCE})"
    return {
        "id": derived_id("scope", value),
        "value": value,
        "type": "User",
        "enabled": True,
        "adminConsentDisplayName": title,
        "adminConsentDescription": f"{allows} on behalf of the signed-in user.",
        "userConsentDisplayName": title,
        "userConsentDescription": f"{allows} on your behalf.",
    }


def _role(value: str, role_id: str | None = None) -> dict[str, object]:
    return {
        "id": role_id or derived_id("role", value),
        "value": value,
        "displayName": value,
        "description": f"{value} on the FHIR server fhir-dev-fhir-server ({AUDIENCE})",
        "allowedMemberTypes": ["Application", "User"],
        "enabled": True,
    }


def test_oss_resource_app_has_exact_inputs() -> None:
    run = run_build(make_spec(owners=[OWNER, OWNER]))
    (app,) = run.of_type(APPLICATION).values()
    assert app.name == "fhir-server-app", urn_msg(app)
    assert app.inputs == {
        "displayName": "fhir-dev-fhir-server",
        "signInAudience": "AzureADMyOrg",
        "identifierUris": [AUDIENCE],
        "api": {
            "requestedAccessTokenVersion": 1,
            "oauth2PermissionScopes": [
                _scope(
                    "patient.all.read",
                    "patient.all.read on fhir-dev-fhir-server",
                    "use patient.all.read on",
                ),
                _scope(
                    "user_impersonation",
                    "Access fhir-dev-fhir-server as the signed-in user",
                    "call",
                ),
            ],
        },
        "appRoles": [_role("globalAdmin"), _role("globalReader"), _role("globalWriter")],
        "web": {
            "implicitGrant": {"accessTokenIssuanceEnabled": False, "idTokenIssuanceEnabled": False}
        },
        "owners": sorted([OWNER, DEPLOYER]),
        "preventDuplicateNames": True,
    }, urn_msg(app)
    assert run.delete_before_replace[app.urn], urn_msg(app)
    assert not app.protect and app.import_id is None, urn_msg(app)


def test_oss_service_principal_requires_assignment_and_has_owners() -> None:
    run = run_build(make_spec())
    (sp,) = run.of_type(SERVICE_PRINCIPAL).values()
    assert sp.inputs == {
        "clientId": "<clientId of fhir-server>",
        "appRoleAssignmentRequired": True,
        "owners": sorted([OWNER, DEPLOYER]),
    }, urn_msg(sp)


def test_scope_and_role_details_and_assignment_setting_are_sent_exactly() -> None:
    # Adoption writes an existing app's own texts, types and member types: Pulumi imports the
    # app only when the inputs equal them, so they are sent as configured, not fhir-apps' own.
    server = {
        "kind": "oss",
        "url": AUDIENCE,
        "appRoles": ["globalReader", "globalWriter"],
        "scopes": ["user_impersonation", "patient.all.read"],
        "scopeDetails": {
            "user_impersonation": {
                "type": "Admin",
                "adminConsentDisplayName": "Access FHIR server",
                "adminConsentDescription": "Allow the app to access the FHIR server.",
                "userConsentDisplayName": "",
                "userConsentDescription": "",
            },
        },
        "roleDetails": {
            "globalReader": {
                "displayName": "Global reader",
                "description": "Read all FHIR resources",
                "allowedMemberTypes": ["User", "Application"],
            },
            "globalWriter": {"allowedMemberTypes": ["Application"]},
        },
        "appRoleAssignmentRequired": False,
    }
    run = run_build(make_spec(fhirServer=server))
    app, sp = run.named("fhir-server-app"), run.named("fhir-server-sp")
    assert app.inputs["api"]["oauth2PermissionScopes"] == [
        # No details: fhir-apps' own texts, type User.
        _scope(
            "patient.all.read",
            "patient.all.read on fhir-dev-fhir-server",
            "use patient.all.read on",
        ),
        {
            "id": derived_id("scope", "user_impersonation"),
            "value": "user_impersonation",
            "type": "Admin",
            "enabled": True,
            "adminConsentDisplayName": "Access FHIR server",
            "adminConsentDescription": "Allow the app to access the FHIR server.",
            # "" is no text: the input is left out, as Graph's null.
        },
    ], urn_msg(app)
    assert app.inputs["appRoles"] == [
        {
            "id": derived_id("role", "globalReader"),
            "value": "globalReader",
            "displayName": "Global reader",
            "description": "Read all FHIR resources",
            "allowedMemberTypes": ["Application", "User"],
            "enabled": True,
        },
        {**_role("globalWriter"), "allowedMemberTypes": ["Application"]},
    ], urn_msg(app)
    assert sp.inputs["appRoleAssignmentRequired"] is False, urn_msg(sp)


def test_smart_app_takes_scope_details() -> None:
    tenant = "9b1c2d3e-4f5a-4b6c-8d7e-0f1a2b3c4d5e"
    deploy = {"resourceGroup": "rg", "location": "westeurope", "workspace": "ws", "service": "fhir"}
    server = {
        "kind": "ahds",
        "deploy": deploy,
        "smart": True,
        "scopes": ["user_impersonation", "launch"],
        "scopeDetails": {"launch": {"type": "Admin", "adminConsentDisplayName": "Launch"}},
    }
    run = run_build(
        make_spec(tenant={"id": tenant, "verifiedDomains": ["contoso.com"]}, fhirServer=server)
    )
    app = run.named("fhir-server-app")
    (launch,) = [s for s in app.inputs["api"]["oauth2PermissionScopes"] if s["value"] == "launch"]
    assert (launch["type"], launch["adminConsentDisplayName"]) == ("Admin", "Launch"), urn_msg(app)
    assert launch["userConsentDisplayName"] == "launch on fhir-dev-fhir-server", urn_msg(app)
    assert run.named("fhir-server-sp").inputs["appRoleAssignmentRequired"] is False


def test_scope_and_role_ids_are_stable_across_runs() -> None:
    first = run_build(make_spec())
    second = run_build(make_spec())
    (app1,) = first.of_type(APPLICATION).values()
    (app2,) = second.of_type(APPLICATION).values()
    assert app1.inputs == app2.inputs, urn_msg(app1)
    assert first.outputs["server"] == second.outputs["server"]


def test_pinned_ids_win_and_token_version_is_sent() -> None:
    server = {
        "kind": "oss",
        "url": AUDIENCE,
        "appRoles": ["globalAdmin", "globalReader"],
        "accessTokenVersion": 2,
        "ids": {"roles": {"globalAdmin": PINNED_ROLE}},
    }
    run = run_build(make_spec(fhirServer=server))
    (app,) = run.of_type(APPLICATION).values()
    assert app.inputs["appRoles"] == [_role("globalAdmin", PINNED_ROLE), _role("globalReader")]
    assert app.inputs["api"]["requestedAccessTokenVersion"] == 2, urn_msg(app)
    assert run.outputs["server"]["roleIds"]["globalAdmin"] == PINNED_ROLE


def test_protected_environment_protects_app_and_service_principal() -> None:
    run = run_build(make_spec(protected=True))
    for resource in run.resources.values():
        expected = resource.name in {"fhir-server-app", "fhir-server-sp"}
        assert resource.protect is expected, urn_msg(resource)


def test_import_ids_are_passed_as_import() -> None:
    server = {
        "kind": "oss",
        "url": AUDIENCE,
        "importIds": {
            "application": "/applications/00000000-0000-4000-8000-00000000000a",
            "servicePrincipal": "/servicePrincipals/00000000-0000-4000-8000-00000000000b",
        },
    }
    run = run_build(make_spec(fhirServer=server))
    app = run.named("fhir-server-app")
    sp = run.named("fhir-server-sp")
    assert app.import_id == "/applications/00000000-0000-4000-8000-00000000000a", urn_msg(app)
    assert sp.import_id == "/servicePrincipals/00000000-0000-4000-8000-00000000000b", urn_msg(sp)


def test_server_outputs() -> None:
    run = run_build(make_spec())
    assert run.outputs["server"] == {
        "kind": "oss",
        "audience": AUDIENCE,
        "authority": "https://login.microsoftonline.com/<tenantId>",
        "clientId": "<clientId of fhir-server>",
        "servicePrincipalObjectId": "<objectId of fhir-server-sp>",
        "scopeIds": {
            "patient.all.read": derived_id("scope", "patient.all.read"),
            "user_impersonation": derived_id("scope", "user_impersonation"),
        },
        "roleIds": {
            role: derived_id("role", role)
            for role in ("globalAdmin", "globalReader", "globalWriter")
        },
    }
    assert run.outputs["tenantId"] == "<tenantId>"


def test_configured_tenant_id_wins_over_the_provider() -> None:
    tenant = "33333333-3333-4333-8333-333333333333"
    run = run_build(make_spec(tenant={"id": tenant}))
    assert run.outputs["tenantId"] == tenant
    assert run.outputs["server"]["authority"] == f"https://login.microsoftonline.com/{tenant}"


@pytest.mark.parametrize("kind", ["ahds", "azure-api-for-fhir"])
def test_managed_kinds_look_up_the_first_party_app_and_create_nothing(kind: str) -> None:
    run = run_build(make_spec(fhirServer=ahds_server(kind=kind)))
    assert run.of_type(APPLICATION) == {}
    assert run.of_type(SERVICE_PRINCIPAL) == {}
    lookups = [args for token, args in run.calls if token.endswith("getServicePrincipal")]
    assert lookups == [{"clientId": AZURE_HEALTHCARE_APIS_APP_ID}]
    assert run.outputs["server"] == {
        "kind": kind,
        "audience": "https://ws-fhir.fhir.azurehealthcareapis.com",
        "authority": "https://login.microsoftonline.com/<tenantId>",
        "clientId": AZURE_HEALTHCARE_APIS_APP_ID,
        "servicePrincipalObjectId": "<objectId of Azure Healthcare APIs>",
        "scopeIds": {"user_impersonation": "<id of user_impersonation on Azure Healthcare APIs>"},
        "roleIds": {},
    }


def test_a_scope_the_first_party_app_does_not_publish_fails_clearly() -> None:
    spec = make_spec(fhirServer=ahds_server(scopes=["user_impersonation", "launch"]))
    with pytest.raises(Exception, match="launch not published by the Azure Healthcare APIs"):
        run_build(spec)


def test_audience_comes_from_the_deployed_service_without_url() -> None:
    server = FhirServer.model_validate(
        {
            "kind": "ahds",
            "deploy": {
                "resourceGroup": "rg",
                "location": "westeurope",
                "workspace": "ws",
                "service": "fhir",
            },
        }
    )
    assert server_audience(server) == "https://ws-fhir.fhir.azurehealthcareapis.com"


def test_no_audience_is_an_error_naming_the_key() -> None:
    with pytest.raises(ValueError, match=r"^fhirServer.url: required for kind 'oss'"):
        server_audience(FhirServer.model_validate({"kind": "oss"}))


def test_component_alone_registers_only_its_outputs() -> None:
    def program() -> dict[str, object]:
        app = FhirResourceApp(
            "api",
            FhirResourceAppArgs(
                server=FhirServer.model_validate({"kind": "oss", "url": AUDIENCE}),
                display_name="api",
                owners=[OWNER],
                tenant_id="t",
            ),
        )
        return {"audience": app.audience, "scopes": app.scope_ids}

    run = run_program(program)
    assert sorted(r.name for r in run.resources.values()) == [
        "api",
        "api-app",
        "api-sp",
        "fhir-apps-test",
    ]
    assert run.outputs["scopes"] == {
        "user_impersonation": derived_id("scope", "user_impersonation")
    }
