"""Adoption over a tenant-sized export: Microsoft's SMART sample grown past a hundred scopes,
next to apps that are not the FHIR server's clients (a SAML gallery app) and a desktop client."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fhir_apps.adopt import GraphExport, plan, write_environment
from fhir_apps.spec.loader import load_spec

SAMPLE = Path(__file__).parent / "fixtures" / "graph" / "smart-sample"
TYPES = ("Patient", "Observation", "Condition", "Encounter", "Immunization", "MedicationRequest",
         "Procedure", "DiagnosticReport", "AllergyIntolerance", "CarePlan", "Goal", "Device",
         "Location", "Organization", "Practitioner", "PractitionerRole", "DocumentReference",
         "Coverage", "Claim", "ServiceRequest")  # fmt: skip


def _load(name: str) -> Any:
    data = json.loads((SAMPLE / name).read_text(encoding="utf-8"))
    return data["value"] if isinstance(data, dict) and "value" in data else data


def _guid(n: int) -> str:
    return f"{n:08x}-1111-4222-8333-444455556666"


def _export() -> tuple[GraphExport, set[str]]:
    resource = _load("application-fhir-resource.json")
    scopes = resource["api"]["oauth2PermissionScopes"]
    template = scopes[0]
    values = {scope["value"] for scope in scopes}
    for context in ("patient", "user", "system"):
        for fhir_type in TYPES:
            for suffix in ("rs", "cruds"):
                value = f"{context}.{fhir_type}.{suffix}"
                if value not in values:
                    values.add(value)
                    texts = {k: value for k in template if k.endswith(("Name", "Description"))}
                    scopes.append({**template, **texts, "id": _guid(len(scopes)), "value": value})
    saml = {
        "id": _guid(900),
        "appId": _guid(901),
        "displayName": "Salesforce (SAML)",
        "identifierUris": ["https://saml.salesforce.com"],
        "web": {"redirectUris": ["https://contoso.my.salesforce.com/sso"]},
        "appRoles": [
            {
                "id": _guid(902),
                "value": None,
                "displayName": "User",
                "description": "User",
                "allowedMemberTypes": ["User"],
                "isEnabled": True,
            }
        ],
        "requiredResourceAccess": [],
    }
    desktop = {
        "id": _guid(910),
        "appId": _guid(911),
        "displayName": "Clinic Desktop",
        "publicClient": {"redirectUris": ["http://localhost"]},
        "isFallbackPublicClient": True,
        "requiredResourceAccess": [
            {
                "resourceAppId": resource["appId"],
                "resourceAccess": [{"id": template["id"], "type": "Scope"}],
            }
        ],
    }
    clients = [
        _load(f"application-{name}.json")
        for name in ("backend-service", "inferno-patient", "auth-context-frontend")
    ]
    export = GraphExport(
        applications=(saml, resource, *clients, desktop),
        service_principals=tuple(_load("service-principals.json")),
        assignments=tuple(_load("app-role-assignments.json")),
        grants=tuple(_load("oauth2-permission-grants.json")),
        has_service_principals=True,
    )
    return export, values


def test_a_tenant_export_with_many_scopes_adopts_and_loads(tmp_path: Path) -> None:
    export, values = _export()
    assert len(values) > 100
    adoption = plan(export, environment="dev")
    assert adoption.server.display_name == "smartfhir"
    assert sorted(adoption.server.block["scopes"]) == sorted(values)
    assert "clinic-desktop" in [client.key for client in adoption.clients]
    assert adoption.ignored == (("Salesforce (SAML)", "asks for no access to the FHIR server"),)
    write_environment(adoption, tmp_path / "config", force=False)
    spec = load_spec(tmp_path / "config", environment="dev")
    assert set(spec.fhir_server.scopes) == values
    assert spec.clients["clinic-desktop"].kind == "public"
