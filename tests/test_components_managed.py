"""The managed FHIR service under mocks: AHDS deployment, RBAC, SMART on FHIR, Key Vault secrets,
azure-api-for-fhir, and the import cost of azure-native."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from components.fhir_service import FhirService, FhirServiceArgs
from components.rbac import FhirRbac, FhirRbacArgs, RbacGrant
from fhir_apps.fhir_constants import FHIR_RBAC_ROLES
from fhir_apps.render.engine import PROJECT_DIR
from fhir_apps.render.mocks import MOCK_SECRET_PREFIX, MOCK_SUBSCRIPTION_ID
from fhir_apps.spec.model import FhirDeploy
from tests.component_helpers import OWNER, make_spec, run_build, run_program, urn_msg

WORKSPACE_T = "azure-native:healthcareapis:Workspace"
SERVICE_T = "azure-native:healthcareapis:FhirService"
GROUP_T = "azure-native:resources:ResourceGroup"
RBAC_T = "azure-native:authorization:RoleAssignment"
SECRET_T = "azure-native:keyvault:Secret"
APPLICATION_T = "azuread:index/application:Application"

TENANT = "33333333-3333-4333-8333-333333333333"
READERS = "5e4d3c2b-1a09-4f8e-9d7c-6b5a49382716"
SERVICE_ID = (
    f"/subscriptions/{MOCK_SUBSCRIPTION_ID}/resourceGroups/rg-fhir/providers/"
    "Microsoft.HealthcareApis/workspaces/contoso/fhirservices/fhir"
)
EXISTING_SUB = "11111111-2222-4333-8444-555555555555"
EXISTING_ID = (
    f"/subscriptions/{EXISTING_SUB}/resourceGroups/rg-x/providers/"
    "Microsoft.HealthcareApis/workspaces/ws/fhirservices/svc"
)
API_FOR_FHIR_ID = (
    f"/subscriptions/{EXISTING_SUB}/resourceGroups/rg-x/providers/"
    "Microsoft.HealthcareApis/services/contoso-fhir"
)
VAULT = (
    f"/subscriptions/{EXISTING_SUB}/resourceGroups/rg-vault/providers/Microsoft.KeyVault/"
    "vaults/kv-fhir"
)
DEPLOY = {
    "resourceGroup": "rg-fhir",
    "location": "westeurope",
    "workspace": "contoso",
    "service": "fhir",
    "corsOrigins": ["https://app.contoso.com"],
    "tags": {"env": "dev"},
}
URL = "https://contoso-fhir.fhir.azurehealthcareapis.com"
SECRET = {"type": "secret", "rotationDays": 30}
CLIENTS: dict[str, Any] = {
    "ingest": {"kind": "service", "roles": ["FHIR Data Writer", "FHIR Data Importer"],
               "credential": SECRET},
    "exporter": {"kind": "service", "roles": ["FHIR Data Exporter"], "credential": SECRET},
    "portal": {"kind": "confidential", "redirectUris": ["https://portal.contoso.com/cb"],
               "scopes": ["user_impersonation"], "credential": SECRET},
    "chart": {"kind": "public", "platform": "spa", "redirectUris": ["https://chart.contoso.com/"],
              "scopes": ["user_impersonation"]},
}  # fmt: skip
ASSIGNMENTS = [{"principalId": READERS, "principalType": "Group", "roles": ["FHIR Data Reader"]}]


def ahds_spec(**server: Any) -> Any:
    return make_spec(
        fhirServer={"kind": "ahds", "deploy": DEPLOY, **server},
        clients=CLIENTS,
        assignments=ASSIGNMENTS,
    )


@pytest.fixture(scope="module")
def deployed() -> Any:
    return run_build(ahds_spec())


def test_the_service_is_deployed_in_its_workspace_and_group(deployed: Any) -> None:
    group = deployed.named("fhir-service-rg")
    assert group.type == GROUP_T
    assert group.inputs == {
        "location": "westeurope",
        "resourceGroupName": "rg-fhir",
        "tags": {"env": "dev"},
    }, urn_msg(group)
    workspace = deployed.named("fhir-service-workspace")
    assert workspace.type == WORKSPACE_T and workspace.inputs["workspaceName"] == "contoso"
    assert group.urn in workspace.depends_on, urn_msg(workspace)
    service = deployed.named("fhir-service-service")
    assert service.type == SERVICE_T
    assert service.parent == deployed.named("fhir-service").urn
    assert service.inputs["kind"] == "fhir-R4", urn_msg(service)
    assert service.inputs["identity"] == {"type": "SystemAssigned"}, urn_msg(service)
    assert service.inputs["corsConfiguration"]["origins"] == ["https://app.contoso.com"]
    assert service.inputs["corsConfiguration"]["allowCredentials"] is False
    assert "exportConfiguration" not in service.inputs, urn_msg(service)
    assert workspace.urn in service.depends_on, urn_msg(service)


def test_the_service_accepts_exactly_the_registrations_audience_and_authority(
    deployed: Any,
) -> None:
    service = deployed.named("fhir-service-service")
    server = deployed.outputs["server"]
    assert service.inputs["authenticationConfiguration"] == {
        "audience": server["audience"],
        "authority": server["authority"],
        "smartProxyEnabled": False,
    }, urn_msg(service)
    assert server["audience"] == URL
    # The tenant is the deploying principal's (no tenant.id): the registrations' tenant too.
    assert server["authority"] == "https://login.microsoftonline.com/<tenantId>"
    assert sorted(deployed.outputs["clients"]) == sorted(CLIENTS)
    for key, client in deployed.outputs["clients"].items():
        assert client["authority"] == server["authority"], key
        assert client["scope"].startswith(server["audience"] + "/"), key
    assert server["resourceId"] == SERVICE_ID
    assert server["url"] == URL


def test_the_audience_and_authority_follow_tenant_id() -> None:
    run = run_build(make_spec(tenant={"id": TENANT}, fhirServer={"kind": "ahds", "deploy": DEPLOY}))
    auth = run.named("fhir-service-service").inputs["authenticationConfiguration"]
    assert auth["authority"] == f"https://login.microsoftonline.com/{TENANT}"
    assert auth["authority"] == run.outputs["server"]["authority"]
    assert auth["audience"] == run.outputs["server"]["audience"] == URL


def _assignments(run: Any) -> dict[str, Any]:
    return {r.name: r for r in run.of_type(RBAC_T).values()}


# Every RBAC assignment of `ahds_spec()`: logical name -> (principal, its type, role,
# description, ARM name). Golden: the ARM name is uuid5 over scope, principal and role; a change
# would delete and re-create every role assignment of every managed stack.
EXPECTED_RBAC = {
    f"fhir-rbac-{READERS}-fhir-data-reader": (
        READERS, "Group", "FHIR Data Reader", "FHIR Data Reader: assignments (dev)",
        "dac1bb3d-5870-5629-9060-3f45b2f5a457",
    ),
    "fhir-rbac-exporter-fhir-data-exporter": (
        "<objectId of exporter-sp>", "ServicePrincipal", "FHIR Data Exporter",
        "FHIR Data Exporter: clients.exporter (dev/dev)", "f8b9553f-ff8a-56ab-afda-93211596871b",
    ),
    "fhir-rbac-ingest-fhir-data-importer": (
        "<objectId of ingest-sp>", "ServicePrincipal", "FHIR Data Importer",
        "FHIR Data Importer: clients.ingest (dev/dev)", "024d8937-f9dd-54e7-8f42-da24ec62d3ad",
    ),
    "fhir-rbac-ingest-fhir-data-writer": (
        "<objectId of ingest-sp>", "ServicePrincipal", "FHIR Data Writer",
        "FHIR Data Writer: clients.ingest (dev/dev)", "4722a320-11d2-5f33-b98b-fd9c7cc2c0f8",
    ),
}  # fmt: skip


def test_every_role_is_one_assignment_at_the_service_scope(deployed: Any) -> None:
    made = _assignments(deployed)
    assert sorted(made) == sorted(EXPECTED_RBAC)  # exactly one per (principal, role)
    for name, (principal, principal_type, role, description, arm_name) in EXPECTED_RBAC.items():
        resource = made[name]
        assert resource.inputs == {
            "scope": SERVICE_ID,
            "principalId": principal,
            "principalType": principal_type,
            "roleDefinitionId": (
                f"/subscriptions/{MOCK_SUBSCRIPTION_ID}/providers/Microsoft.Authorization/"
                f"roleDefinitions/{FHIR_RBAC_ROLES[role]}"
            ),
            "roleAssignmentName": arm_name,
            "description": description,
        }, urn_msg(resource)
        assert resource.parent == deployed.named("fhir-rbac").urn, urn_msg(resource)


def _role_name(role_definition_id: str) -> str:
    guid = role_definition_id.rsplit("/", 1)[-1]
    return next(name for name, value in FHIR_RBAC_ROLES.items() if value == guid)


def test_role_assignment_names_are_unique_and_stable(deployed: Any) -> None:
    names = [r.inputs["roleAssignmentName"] for r in deployed.of_type(RBAC_T).values()]
    assert len(names) == len(set(names))
    again = run_build(ahds_spec())
    assert again.text() == deployed.text()
    assert not again.duplicates


def test_an_existing_service_is_the_scope_and_names_the_subscription() -> None:
    spec = make_spec(
        fhirServer={"kind": "ahds", "url": "https://ws-svc.fhir.azurehealthcareapis.com",
                    "resourceId": EXISTING_ID},
        clients={"ingest": CLIENTS["ingest"]},
    )  # fmt: skip
    run = run_build(spec)
    assert not [r for r in run.resources.values() if r.type.startswith("azure-native:health")]
    made = _assignments(run)
    assert sorted(made) == [
        "fhir-rbac-ingest-fhir-data-importer",
        "fhir-rbac-ingest-fhir-data-writer",
    ]
    for resource in made.values():
        assert resource.inputs["scope"] == EXISTING_ID
        assert resource.inputs["roleDefinitionId"].startswith(f"/subscriptions/{EXISTING_SUB}/")
    assert run.outputs["server"]["resourceId"] == EXISTING_ID


def test_azure_api_for_fhir_rbac_and_access_policies(caplog: Any) -> None:
    spec = make_spec(
        fhirServer={
            "kind": "azure-api-for-fhir",
            "url": "https://contoso-fhir.azurehealthcareapis.com",
            "resourceId": API_FOR_FHIR_ID,
            "accessPolicies": {"objectIds": [READERS, OWNER]},
        },
        clients={"exporter": CLIENTS["exporter"]},
    )
    run = run_build(spec)
    made = _assignments(run)
    assert [r.inputs["scope"] for r in made.values()] == [API_FOR_FHIR_ID]
    assert run.outputs["server"]["accessPolicyObjectIds"] == sorted([READERS, OWNER])
    assert "fhirServer.accessPolicies: not applied" in caplog.text
    assert not run.of_type(SERVICE_T)


def test_oss_creates_no_azure_resource() -> None:
    run = run_build(make_spec())
    assert not [r for r in run.resources.values() if r.type.startswith("azure-native")]


# --- SMART on FHIR ---------------------------------------------------------------------------

SMART_SCOPES = ["user_impersonation", "launch", "fhirUser", "patient.Observation.read"]


@pytest.fixture(scope="module")
def smart() -> Any:
    clients = {
        **CLIENTS,
        "chart": {**CLIENTS["chart"], "scopes": ["launch", "fhirUser", "patient.Observation.read"]},
    }
    spec = make_spec(
        tenant={"id": TENANT, "verifiedDomains": ["contoso.com"]},
        fhirServer={"kind": "ahds", "deploy": DEPLOY, "smart": True, "scopes": SMART_SCOPES},
        clients=clients,
    )
    return run_build(spec)


def test_smart_points_the_service_at_a_custom_resource_app(smart: Any) -> None:
    # On the verified domain: the app accepts mapped claims (fhirUser), AADSTS501461 otherwise.
    audience = "https://contoso.com/contoso-fhir"
    app = smart.named("fhir-server-app")
    assert app.inputs["identifierUris"] == [audience], urn_msg(app)
    assert sorted(s["value"] for s in app.inputs["api"]["oauth2PermissionScopes"]) == sorted(
        SMART_SCOPES
    )
    assert app.inputs["appRoles"] == [], urn_msg(app)
    assert smart.named("fhir-server-sp").inputs["appRoleAssignmentRequired"] is False
    auth = smart.named("fhir-service-service").inputs["authenticationConfiguration"]
    assert auth["audience"] == audience == smart.outputs["server"]["audience"]
    assert smart.outputs["server"]["url"] == URL
    chart = smart.outputs["clients"]["chart"]["scope"].split()
    assert chart == [f"{audience}/{v}" for v in ("fhirUser", "launch", "patient.Observation.read")]


def test_no_smart_user_role_for_client_service_principals(smart: Any) -> None:
    # chart asks for SMART scopes, but its users hold FHIR SMART User (assignments): a public
    # client gets no app-only token, and an app-only token has no fhirUser.
    made = _assignments(smart)
    smart_users = [
        name
        for name, r in made.items()
        if _role_name(r.inputs["roleDefinitionId"]) == "FHIR SMART User"
    ]
    assert smart_users == []
    assert "fhir-rbac-ingest-fhir-data-writer" in made


def test_smart_without_a_verified_domain_is_refused() -> None:
    spec = make_spec(fhirServer={"kind": "ahds", "deploy": DEPLOY, "smart": True})
    with pytest.raises(ValueError, match=r"^fhirServer.smartAudience: required with fhirServer"):
        run_build(spec)


# --- Key Vault ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def vaulted() -> Any:
    clients = {
        "portal": CLIENTS["portal"],
        # An oss stack: Key Vault secrets do not depend on the server kind.
        "ingest": {**CLIENTS["ingest"], "roles": ["globalWriter"],
                   "credential": {**SECRET, "keyVaultId": VAULT}},
        "certified": {"kind": "service", "credential": {"type": "federated",
                      "issuer": "https://token.actions.githubusercontent.com", "subject": "x"}},
    }  # fmt: skip
    other = VAULT.replace("rg-vault", "rg-shared").replace("kv-fhir", "kv-shared")
    return run_build(make_spec(clients=clients, secretStore={"keyVaultId": other}))


def test_secrets_are_written_to_their_vault_with_the_slot_expiry(vaulted: Any) -> None:
    secrets = {r.name: r for r in vaulted.of_type(SECRET_T).values()}
    assert sorted(secrets) == ["key-vault-secrets-ingest", "key-vault-secrets-portal"]
    ingest = secrets["key-vault-secrets-ingest"]
    assert ingest.inputs["resourceGroupName"] == "rg-vault"
    assert ingest.inputs["vaultName"] == "kv-fhir"
    assert ingest.inputs["secretName"] == "ingest-client-secret"
    portal = secrets["key-vault-secrets-portal"]
    assert (portal.inputs["resourceGroupName"], portal.inputs["vaultName"]) == (
        "rg-shared",
        "kv-shared",
    )
    # Both rotate every 30 days: on 2025-06-01 the current slot (b) ends on 2025-07-24, whose
    # midnight UTC is 1753315200 seconds after the Unix epoch.
    for key, resource in (("ingest", ingest), ("portal", portal)):
        properties = resource.inputs["properties"]
        assert properties["value"] == "[secret]", urn_msg(resource)
        assert vaulted.outputs["clients"][key]["secretExpiresOn"] == "2025-07-24"
        attributes = properties["attributes"]
        assert attributes == {"enabled": True, "expires": 1753315200}, urn_msg(resource)
    assert vaulted.outputs["clients"]["ingest"]["keyVaultSecretId"] == (
        f"{VAULT}/secrets/ingest-client-secret"
    )
    assert "keyVaultSecretId" not in vaulted.outputs["clients"]["certified"]


def test_a_vault_secret_value_is_secret_on_the_wire_and_never_rendered(vaulted: Any) -> None:
    assert MOCK_SECRET_PREFIX not in vaulted.text()
    assert len(vaulted.of_type(SECRET_T)) == 2  # ingest's and portal's
    for resource in vaulted.of_type(SECRET_T).values():
        assert "MOCKSECRET" not in json.dumps(resource.inputs)


# --- components on their own ------------------------------------------------------------------


def test_fhir_service_alone_registers_its_outputs() -> None:
    deploy = FhirDeploy.model_validate(
        {**DEPLOY, "createResourceGroup": False, "exportStorageAccount": "stexport"}
        | {"fhirVersion": "Stu3"}
    )

    def program() -> dict[str, Any]:
        service = FhirService(
            "svc", FhirServiceArgs(deploy=deploy, audience=URL, tenant_id="t", protect=True)
        )
        return {"id": service.resource_id, "url": service.url, "authority": service.authority}

    run = run_program(program)
    assert not run.of_type(GROUP_T)
    service = run.named("svc-service")
    assert service.protect and run.named("svc-workspace").protect
    assert service.inputs["exportConfiguration"] == {"storageAccountName": "stexport"}
    assert service.inputs["kind"] == "fhir-Stu3"
    assert run.outputs == {
        "id": SERVICE_ID,
        "url": URL,
        "authority": "https://login.microsoftonline.com/t",
    }


def test_rbac_refuses_an_unknown_role() -> None:
    def program() -> None:
        FhirRbac(
            "rbac",
            FhirRbacArgs(
                scope=EXISTING_ID,
                grants={"x": RbacGrant(principal_id=READERS, principal_type="Group",
                                       roles=("globalReader",), description="x")},
            ),
        )  # fmt: skip

    with pytest.raises(ValueError, match=r"^x: 'globalReader' is not a FHIR RBAC role; allowed: "):
        run_program(program)


# --- import cost ------------------------------------------------------------------------------

_PROBE = """
import datetime, json, sys
from fhir_apps.render.engine import render
render(environment=sys.argv[1], stack=sys.argv[2], today=datetime.date(2025, 6, 1))
print(json.dumps(sorted(m for m in sys.modules if m.startswith("pulumi_azure_native"))))
"""


def _azure_native_modules(environment: str, stack: str) -> list[str]:
    result = subprocess.run(
        [sys.executable, "-c", _PROBE, environment, stack],
        cwd=PROJECT_DIR, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_a_registrations_only_stack_never_imports_azure_native() -> None:
    assert _azure_native_modules("dev", "dev") == []


def test_a_managed_stack_imports_only_the_submodules_it_uses() -> None:
    loaded = _azure_native_modules("dev", "dev-ahds")
    # The package's __init__ registers every submodule as a lazy module (cheap stubs); the
    # ones actually executed are those with resource modules loaded.
    executed = {name.split(".")[1] for name in loaded if name.count(".") >= 2}
    assert executed == {"authorization", "healthcareapis", "keyvault", "resources"}
