"""SMART on FHIR under Pulumi's mocks: the fhirUser extension, claims mapping policy and its
assignments, mapped claims on every SMART app, role/scope pairs, backend roles, Graph scopes,
optional claims, identity providers, the outputs SMART apps need; and the offline render of the
example dev-ahds stack."""

from __future__ import annotations

import json
from typing import Any

import pytest

from fhir_apps.fhir_constants import GRAPH_DELEGATED_SCOPES, MICROSOFT_GRAPH_APP_ID
from fhir_apps.ids import derived_id
from fhir_apps.render.engine import SECRET, render
from fhir_apps.render.mocks import MOCK_SECRET_PREFIX
from fhir_apps.spec.loader import load_spec
from tests.component_helpers import (
    APPLICATION,
    CONFIG_DIR,
    GRANT,
    ROLE_ASSIGNMENT,
    SERVICE_PRINCIPAL,
    TODAY,
    make_spec,
    run_build,
    urn_msg,
)

EXTENSION = "pulumi-python:dynamic/fhir-apps:ExtensionProperty"
USER_VALUE = "pulumi-python:dynamic/fhir-apps:UserExtensionValue"
POLICY = "azuread:index/claimsMappingPolicy:ClaimsMappingPolicy"
POLICY_ASSIGNMENT = (
    "azuread:index/servicePrincipalClaimsMappingPolicyAssignment:"
    "ServicePrincipalClaimsMappingPolicyAssignment"
)
FHIR_SERVICE = "azure-native:healthcareapis:FhirService"
RBAC = "azure-native:authorization:RoleAssignment"
AUDIENCE = "https://contoso.com/contoso-fhir"
SERVICE_URL = "https://contoso-fhir.fhir.azurehealthcareapis.com"
GATEWAY = "https://contoso-apim.azure-api.net"
PATIENT = "2f6e8a1c-3b5d-4c7e-9f1a-2b3c4d5e6f70"
DEPLOY = {"resourceGroup": "rg", "location": "westeurope", "workspace": "contoso",
          "service": "fhir"}  # fmt: skip
FEDERATED = {
    "type": "federated",
    "issuer": "https://token.actions.githubusercontent.com",
    "subject": "repo:contoso/backend:environment:dev",
}
CLIENTS: dict[str, Any] = {
    "chart": {"kind": "public", "platform": "spa", "redirectUris": ["http://localhost:3000/"],
              "scopes": ["launch.patient", "fhirUser", "patient.Observation.read"],
              "graphScopes": ["openid", "offline_access"], "adminConsent": True},
    "portal": {"kind": "confidential", "redirectUris": ["https://portal.contoso.com/cb"],
               "scopes": ["user_impersonation"], "credential": {"type": "secret"}},
    "context": {"kind": "public", "platform": "spa", "redirectUris": ["http://localhost:3000/"],
                "scopes": ["user_impersonation"], "authContextFrontend": True},
    "backend": {"kind": "service", "roles": ["FHIR Data Reader", "system.all.read"],
                "credential": FEDERATED},
}  # fmt: skip


def _server(**overrides: Any) -> dict[str, Any]:
    return {
        "kind": "ahds",
        "deploy": DEPLOY,
        "smart": True,
        "scopes": ["user_impersonation", "launch.patient", "fhirUser",
                   "patient.Observation.read", "user.all.read"],
        "appRoles": ["system.all.read", "user.all.read"],
        "smartGateway": GATEWAY,
        "fhirUsers": [{"userId": PATIENT, "fhirUser": "Patient/PatientA"}],
        **overrides,
    }  # fmt: skip


def _smart_spec(**overrides: Any) -> Any:
    data: dict[str, Any] = {
        "tenant": {"verifiedDomains": ["contoso.com"]},
        "fhirServer": _server(),
        "clients": CLIENTS,
        **overrides,
    }
    return make_spec(**data)


@pytest.fixture(scope="module")
def smart() -> Any:
    return run_build(_smart_spec())


def _only(run: Any, type_: str) -> Any:
    (resource,) = run.of_type(type_).values()
    return resource


# --- the fhirUser claim ------------------------------------------------------------------------


def test_the_extension_is_a_dynamic_resource_with_its_inputs_and_no_secret(smart: Any) -> None:
    extension = _only(smart, EXTENSION)
    assert extension.name == "fhir-user-claims-extension"
    assert extension.inputs == {
        "__provider": SECRET,  # the pickled provider: kept secret by the SDK, never shown
        "applicationObjectId": "<objectId of fhir-server>",
        "name": "fhirUser",
        "dataType": "String",
        "targetObjects": ["User"],
        "isMultiValued": False,
    }, urn_msg(extension)
    assert smart.named("fhir-server-app").urn in extension.depends_on


def test_the_claims_mapping_policy_maps_the_extension_to_fhir_user(smart: Any) -> None:
    policy = _only(smart, POLICY)
    (definition,) = policy.inputs["definitions"]
    assert json.loads(definition) == {
        "ClaimsMappingPolicy": {
            "Version": 1,
            "IncludeBasicClaimSet": "true",
            "ClaimsSchema": [
                {
                    "Source": "user",
                    "ExtensionID": "extension_<clientId of fhir-server>_fhirUser",
                    "JwtClaimType": "fhirUser",
                }
            ],
        }
    }
    assert policy.inputs["displayName"] == "fhir-dev-fhir-user-claims"
    assert _only(smart, EXTENSION).urn in policy.depends_on, urn_msg(policy)


def test_the_policy_is_assigned_to_the_resource_app_and_each_smart_client(smart: Any) -> None:
    assigned = {r.name: r.inputs for r in smart.of_type(POLICY_ASSIGNMENT).values()}
    # chart requests SMART scopes; portal and context only user_impersonation; backend is a
    # daemon (its app-only tokens have no user).
    assert assigned == {
        "fhir-user-claims-assignment-fhir-server": {
            "claimsMappingPolicyId": "<id of fhir-user-claims-policy>",
            "servicePrincipalId": "<objectId of fhir-server-sp>",
        },
        "fhir-user-claims-assignment-chart": {
            "claimsMappingPolicyId": "<id of fhir-user-claims-policy>",
            "servicePrincipalId": "<objectId of chart-sp>",
        },
    }


def test_mapped_claims_on_the_resource_app_and_every_smart_app_only(smart: Any) -> None:
    accepting = sorted(
        r.name
        for r in smart.of_type(APPLICATION).values()
        if (r.inputs.get("api") or {}).get("mappedClaimsEnabled") is True
    )
    assert accepting == ["chart-app", "fhir-server-app"]


def test_users_fhir_identity_is_written_as_a_full_url(smart: Any) -> None:
    value = _only(smart, USER_VALUE)
    assert value.name == f"fhir-user-claims-user-{PATIENT}"
    assert value.inputs == {
        "__provider": SECRET,
        "userId": PATIENT,
        "attribute": "extension_<clientId of fhir-server>_fhirUser",
        "value": f"{SERVICE_URL}/Patient/PatientA",
    }
    assert _only(smart, EXTENSION).urn in value.depends_on


def test_the_smart_app_audience_is_on_the_verified_domain(smart: Any) -> None:
    app = smart.named("fhir-server-app")
    assert app.inputs["identifierUris"] == [AUDIENCE], urn_msg(app)
    auth = _only(smart, FHIR_SERVICE).inputs["authenticationConfiguration"]
    assert auth["audience"] == AUDIENCE and auth["smartProxyEnabled"] is False
    assert "smartIdentityProviders" not in auth


# --- roles and scopes --------------------------------------------------------------------------


def test_a_role_scope_pair_shares_the_scope_s_id_and_texts(smart: Any) -> None:
    app = smart.named("fhir-server-app")
    roles = {r["value"]: r for r in app.inputs["appRoles"]}
    scopes = {s["value"]: s for s in app.inputs["api"]["oauth2PermissionScopes"]}
    pair, scope = roles["user.all.read"], scopes["user.all.read"]
    assert pair["id"] == scope["id"] == derived_id("scope", "user.all.read")
    assert pair["displayName"] == scope["adminConsentDisplayName"]
    assert pair["description"] == scope["adminConsentDescription"]
    assert roles["system.all.read"]["id"] == derived_id("role", "system.all.read")
    assert smart.named("fhir-server-sp").inputs["appRoleAssignmentRequired"] is False


def test_a_backend_holds_rbac_roles_at_the_service_and_app_roles_on_the_app(smart: Any) -> None:
    (assignment,) = smart.of_type(ROLE_ASSIGNMENT).values()
    assert assignment.name == "backend-role-system.all.read"
    assert assignment.inputs["appRoleId"] == derived_id("role", "system.all.read")
    assert assignment.inputs["resourceObjectId"] == "<objectId of fhir-server-sp>"
    rbac = sorted(r.name for r in smart.of_type(RBAC).values())
    assert rbac == ["fhir-rbac-backend-fhir-data-reader"]  # no SMART User for any client
    accesses = smart.named("backend-app").inputs["requiredResourceAccesses"][0]["resourceAccesses"]
    assert accesses == [{"id": derived_id("role", "system.all.read"), "type": "Role"}]


def test_graph_scopes_are_requested_and_consented(smart: Any) -> None:
    app = smart.named("chart-app")
    graph = [
        a for a in app.inputs["requiredResourceAccesses"]
        if a["resourceAppId"] == MICROSOFT_GRAPH_APP_ID
    ]  # fmt: skip
    assert graph == [
        {
            "resourceAppId": MICROSOFT_GRAPH_APP_ID,
            "resourceAccesses": [
                {"id": GRAPH_DELEGATED_SCOPES["openid"], "type": "Scope"},
                {"id": GRAPH_DELEGATED_SCOPES["offline_access"], "type": "Scope"},
            ],
        }
    ]
    grants = {r.name: r.inputs for r in smart.of_type(GRANT).values()}
    assert grants["chart-consent-graph"] == {
        "claimValues": ["offline_access", "openid"],
        "resourceServicePrincipalObjectId": "<objectId of Microsoft Graph>",
        "servicePrincipalObjectId": "<objectId of chart-sp>",
    }
    lookups = [a for t, a in smart.calls if t.endswith("getServicePrincipal")]
    assert lookups == [{"clientId": MICROSOFT_GRAPH_APP_ID}]


def test_the_auth_context_frontend_gets_its_gateway_redirect_and_login_hint(smart: Any) -> None:
    app = smart.named("context-app")
    assert app.inputs["singlePageApplication"]["redirectUris"] == [
        "http://localhost:3000/",
        f"{GATEWAY}/auth/context/",
    ]
    assert app.inputs["optionalClaims"] == {"idTokens": [{"name": "login_hint"}]}
    assert f"{GATEWAY}/auth/context/" in smart.outputs["clients"]["context"]["redirectUris"]


# --- outputs -----------------------------------------------------------------------------------


def test_a_smart_client_gets_its_scopes_in_both_forms_and_the_launch_urls(smart: Any) -> None:
    assert smart.outputs["clients"]["chart"]["smart"] == {
        "audience": AUDIENCE,
        "scopes": {
            "entra": f"{AUDIENCE}/fhirUser {AUDIENCE}/launch.patient "
            f"{AUDIENCE}/patient.Observation.read offline_access openid",
            "smart": "fhirUser launch/patient patient/Observation.read offline_access openid",
        },
        "fhirBaseUrl": f"{GATEWAY}/smart",
        "smartConfiguration": f"{GATEWAY}/smart/.well-known/smart-configuration",
        "authorizeEndpoint": f"{GATEWAY}/auth/authorize",
        "tokenEndpoint": f"{GATEWAY}/auth/token",
    }
    assert "smart" not in smart.outputs["clients"]["portal"]
    server = smart.outputs["server"]["smart"]
    assert server["fhirUserAttribute"] == "extension_<clientId of fhir-server>_fhirUser"
    assert server["gateway"]["authContextRedirectUri"] == f"{GATEWAY}/auth/context/"


def test_without_a_front_door_the_launch_urls_are_entra_s() -> None:
    run = run_build(_smart_spec(fhirServer=_server(smartGateway=None), clients={
        "chart": {**CLIENTS["chart"], "adminConsent": False}}))  # fmt: skip
    launch = run.outputs["clients"]["chart"]["smart"]
    assert launch["fhirBaseUrl"] == SERVICE_URL
    authority = "https://login.microsoftonline.com/<tenantId>/oauth2/v2.0"
    assert launch["endpoints"] == {
        "authorizeEndpoint": f"{authority}/authorize",
        "tokenEndpoint": f"{authority}/token",
    }
    assert "gateway" not in run.outputs["server"]["smart"]
    assert not [a for t, a in run.calls if t.endswith("getServicePrincipal")]


# --- identity providers, protection, other kinds ---------------------------------------------


def test_identity_providers_go_to_the_service_s_authentication() -> None:
    provider = {
        "authority": "https://contoso.b2clogin.com/contoso.onmicrosoft.com/B2C_1A_SMART/v2.0",
        "applications": [{"clientId": "b2c-fhir", "audience": "b2c-fhir"}],
    }
    run = run_build(_smart_spec(fhirServer=_server(smartIdentityProviders=[provider])))
    auth = _only(run, FHIR_SERVICE).inputs["authenticationConfiguration"]
    assert auth["smartIdentityProviders"] == [
        {
            "authority": provider["authority"],
            "applications": [
                {"clientId": "b2c-fhir", "audience": "b2c-fhir", "allowedDataActions": ["Read"]}
            ],
        }
    ]


def test_a_protected_environment_protects_the_extension_policy_and_assignments() -> None:
    run = run_build(_smart_spec(protected=True))
    claims = [r for r in run.resources.values() if r.name.startswith("fhir-user-claims-")]
    protected = sorted(r.name for r in claims if r.protect)
    assert protected == [
        "fhir-user-claims-assignment-chart",
        "fhir-user-claims-assignment-fhir-server",
        "fhir-user-claims-extension",
        "fhir-user-claims-policy",
    ]
    assert not run.named(f"fhir-user-claims-user-{PATIENT}").protect


@pytest.mark.parametrize("kind", ["oss", "first-party"])
def test_no_claims_machinery_without_a_smart_app(kind: str) -> None:
    if kind == "oss":
        spec = make_spec()
    else:
        spec = make_spec(fhirServer={"kind": "ahds", "url": SERVICE_URL})
    run = run_build(spec)
    assert not run.of_type(EXTENSION) and not run.of_type(POLICY)
    assert not [r for r in run.of_type(APPLICATION).values() if "api" in r.inputs
                and r.inputs["api"].get("mappedClaimsEnabled")]  # fmt: skip


def test_service_principals_are_unchanged_by_smart(smart: Any) -> None:
    assert {r.name for r in smart.of_type(SERVICE_PRINCIPAL).values()} == {
        "backend-sp", "chart-sp", "context-sp", "fhir-server-sp", "portal-sp",
    }  # fmt: skip


# --- the example stack, rendered offline -----------------------------------------------------


@pytest.fixture(scope="module")
def example() -> Any:
    return render(environment="dev", stack="dev-ahds", config_dir=CONFIG_DIR, today=TODAY)


def test_the_example_render_has_the_whole_entra_side_of_smart(example: Any) -> None:
    spec = load_spec(CONFIG_DIR, environment="dev", stack="dev-ahds", today=TODAY)
    by_name = {r.name: r for r in example.resources}
    smart_clients = sorted(
        key
        for key, c in spec.enabled_clients().items()
        if c.kind != "service" and set(c.scopes) - {"user_impersonation"}
    )
    assert smart_clients  # the example has SMART apps
    types = {r.type for r in example.resources}
    assert {EXTENSION, POLICY, POLICY_ASSIGNMENT, USER_VALUE} <= types
    assigned = {r.name for r in example.resources if r.type == POLICY_ASSIGNMENT}
    assert assigned == {f"fhir-user-claims-assignment-{k}" for k in ["fhir-server", *smart_clients]}
    for key in ["fhir-server", *smart_clients]:
        app = by_name[f"{key}-app"]
        assert app.inputs["api"]["mappedClaimsEnabled"] is True, urn_msg(app)
    extension = by_name["fhir-user-claims-extension"]
    assert extension.inputs["__provider"] == SECRET


def test_the_example_render_shows_nothing_secret(example: Any) -> None:
    text = json.dumps(example.as_dict(), sort_keys=True)
    assert MOCK_SECRET_PREFIX not in text
    # The pickled providers are the only dynamic inputs that could carry anything: secret.
    dynamic = [r for r in example.resources if r.type.startswith("pulumi-python:dynamic")]
    assert dynamic and all(r.inputs["__provider"] == SECRET for r in dynamic)
