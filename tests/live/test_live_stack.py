"""Live: deploy a throwaway stack to a real tenant with the Automation API, check it with
Microsoft Graph, then destroy it.

Needs the Pulumi CLI, the ARM_* variables the azuread provider signs in with (see
docs/deploy.md) and FHIR_APPS_LIVE_DOMAIN, a domain verified in that tenant (for instance
`<tenant>.onmicrosoft.com`) under which the test's identifier URI is made. Without them every
test here is skipped with the reason. The backend is PULUMI_BACKEND_URL if set, else a local
file backend in a temporary directory. Run: `pytest -m live tests/live`.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.live.graph import Graph, missing_credentials

pytestmark = pytest.mark.live

PROJECT_DIR = Path(__file__).resolve().parents[2]
ENVIRONMENT = "live"


def _missing() -> list[str]:
    missing = [] if shutil.which("pulumi") else ["the pulumi CLI on PATH"]
    missing += missing_credentials()
    if not os.environ.get("FHIR_APPS_LIVE_DOMAIN"):
        missing.append("FHIR_APPS_LIVE_DOMAIN (a verified domain of the tenant)")
    return missing


def _config(run_id: str, domain: str) -> dict[str, Any]:
    """A small but complete environment: every client kind and two credential kinds."""
    return {
        "tenant": {"id": os.environ["ARM_TENANT_ID"], "verifiedDomains": [domain]},
        "naming": {"prefix": f"fhirapps-live-{run_id}"},
        "protected": False,
        "policy": {"maxSecretLifetimeDays": 60},
        "fhirServer": {
            "kind": "oss",
            "url": f"https://{domain}/fhir-apps-live-{run_id}",
            "appRoles": ["globalReader", "globalWriter"],
            "scopes": ["user_impersonation", "patient.all.read"],
        },
        "clients": {
            "web": {
                "kind": "confidential",
                "redirectUris": ["https://localhost:5001/signin-oidc"],
                "scopes": ["user_impersonation"],
                "adminConsent": True,
                "credential": {"type": "secret", "rotationDays": 30},
            },
            "spa": {
                "kind": "public",
                "platform": "spa",
                "redirectUris": ["http://localhost:3000/"],
                "scopes": ["patient.all.read", "user_impersonation"],
            },
            "job": {
                "kind": "service",
                "roles": ["globalReader"],
                "credential": {
                    "type": "federated",
                    "issuer": "https://token.actions.githubusercontent.com",
                    "subjects": [f"repo:contoso/fhir-apps-live:environment:{run_id}"],
                },
            },
        },
    }


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Preview, up, up again; yields the results; always destroys and removes the stack."""
    missing = _missing()
    if missing:
        pytest.skip("live tests need " + ", ".join(missing))
    from pulumi import automation as auto

    run_id = secrets.token_hex(3)
    work = tmp_path_factory.mktemp("live")
    config_dir = work / "config"
    (config_dir / "environments").mkdir(parents=True)
    (config_dir / "base.yaml").write_text("{}\n", encoding="utf-8")
    (config_dir / "environments" / f"{ENVIRONMENT}.yaml").write_text(
        yaml.safe_dump(_config(run_id, os.environ["FHIR_APPS_LIVE_DOMAIN"])), encoding="utf-8"
    )
    env_vars = {"PULUMI_CONFIG_PASSPHRASE": os.environ.get("PULUMI_CONFIG_PASSPHRASE", run_id)}
    if not (os.environ.get("PULUMI_BACKEND_URL") or os.environ.get("PULUMI_ACCESS_TOKEN")):
        (work / "state").mkdir()
        env_vars["PULUMI_BACKEND_URL"] = (work / "state").as_uri()

    stack = auto.create_or_select_stack(
        stack_name=f"live-{run_id}",
        work_dir=str(PROJECT_DIR),
        opts=auto.LocalWorkspaceOptions(env_vars=env_vars),
    )
    results: dict[str, Any] = {"run_id": run_id, "graph": Graph()}
    try:
        stack.set_all_config(
            {
                "fhir-apps:environment": auto.ConfigValue(ENVIRONMENT),
                "fhir-apps:configDir": auto.ConfigValue(str(config_dir)),
                # One date for both runs, so that a run at midnight cannot rotate a slot.
                "fhir-apps:today": auto.ConfigValue(dt.datetime.now(dt.UTC).date().isoformat()),
                "azuread:tenantId": auto.ConfigValue(os.environ["ARM_TENANT_ID"]),
            }
        )
        results["preview"] = stack.preview(on_output=print)
        results["up"] = stack.up(on_output=print)
        results["second_up"] = stack.up(on_output=print)
        results["preview_after"] = stack.preview(expect_no_changes=True, on_output=print)
        yield results
    finally:
        try:
            stack.destroy(on_output=print)
        finally:
            # `stack rm` also deletes Pulumi.live-<id>.yaml from the project directory.
            stack.workspace.remove_stack(stack.name, force=True)


def _outputs(deployed: dict[str, Any]) -> dict[str, Any]:
    return {name: output.value for name, output in deployed["up"].outputs.items()}


def test_preview_plans_creates_and_up_succeeds(deployed: dict[str, Any]) -> None:
    assert deployed["preview"].change_summary.get("create", 0) > 0
    assert deployed["up"].summary.result == "succeeded"


def test_second_up_changes_nothing(deployed: dict[str, Any]) -> None:
    second = deployed["second_up"].summary
    assert second.result == "succeeded"
    assert set(second.resource_changes or {}) <= {"same"}, second.resource_changes


def test_the_current_secret_is_a_secret_output(deployed: dict[str, Any]) -> None:
    secret = deployed["up"].outputs["clientSecrets"]
    assert secret.secret
    assert set(secret.value) == {"web"}
    assert not deployed["up"].outputs["clients"].secret


def test_resource_app_in_graph_matches_the_outputs(deployed: dict[str, Any]) -> None:
    server = _outputs(deployed)["server"]
    app = deployed["graph"].application(server["clientId"])
    assert app["identifierUris"] == [server["audience"]]
    assert app["api"]["requestedAccessTokenVersion"] == 1
    assert {s["value"]: s["id"] for s in app["api"]["oauth2PermissionScopes"]} == server["scopeIds"]
    assert {r["value"]: r["id"] for r in app["appRoles"]} == server["roleIds"]
    sp = deployed["graph"].service_principal(server["clientId"])
    assert sp["id"] == server["servicePrincipalObjectId"]
    assert sp["appRoleAssignmentRequired"] is True


def test_clients_in_graph_match_their_kind(deployed: dict[str, Any]) -> None:
    outputs = _outputs(deployed)
    graph = deployed["graph"]
    web = graph.application(outputs["clients"]["web"]["clientId"])
    assert web["web"]["redirectUris"] == ["https://localhost:5001/signin-oidc"]
    assert web["web"]["implicitGrantSettings"] == {
        "enableAccessTokenIssuance": False,
        "enableIdTokenIssuance": False,
    }
    assert len(web["passwordCredentials"]) == 2

    spa = graph.application(outputs["clients"]["spa"]["clientId"])
    assert spa["spa"]["redirectUris"] == ["http://localhost:3000/"]
    assert spa["passwordCredentials"] == [] and spa["keyCredentials"] == []

    job = graph.application(outputs["clients"]["job"]["clientId"])
    federated = graph.get(f"/applications/{job['id']}/federatedIdentityCredentials")["value"]
    assert [f["audiences"] for f in federated] == [["api://AzureADTokenExchange"]]
    job_sp = graph.service_principal(outputs["clients"]["job"]["clientId"])
    assigned = graph.get(f"/servicePrincipals/{job_sp['id']}/appRoleAssignments")["value"]
    assert {(a["resourceId"], a["appRoleId"]) for a in assigned} == {
        (
            outputs["server"]["servicePrincipalObjectId"],
            outputs["server"]["roleIds"]["globalReader"],
        )
    }
