"""What adoption decides: kinds, keys, config blocks, and a finding for all it cannot express."""

from __future__ import annotations

import copy
import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from fhir_apps.adopt import (
    SCHEMA_LINE,
    Finding,
    GraphExport,
    client_key,
    client_kind,
    environment_yaml,
    plan,
    write_environment,
)
from fhir_apps.spec.loader import load_spec

FIXTURES = Path(__file__).parent / "fixtures" / "graph"
OBJECTS = {
    "server": "6c1f3a52-8d4e-4b7a-9e21-0f5d7c3b9a10",
    "service-sp": "9b3d7f1a-5c8e-4a24-86c0-2e4a6c8b0f59",
    "resource-sp": "0e8c2a6f-4b1d-4f97-a3e5-8c0a2e4b6d19",
}
# The clinician portal's admin consent (oauth2-permission-grants.json).
GRANT_ID = "IX2e-pK3x0GlyKcT9m8sQ5BJ6yQd4e2pE3Nf7z1K0aA"
# The claims-ingest daemon's assignment of globalWriter (app_role_assignment.py, "Import").
ASSIGNMENT_IMPORT_ID = (
    f"/servicePrincipals/{OBJECTS['resource-sp']}/appRoleAssignedTo/"
    "mz2bxz9zgkWxvP1k2jxCwF_OBXxy0VZDpWl9h3HQ2Ts"
)


def _app(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"application-{name}.json").read_text(encoding="utf-8"))


def _page(name: str) -> list[dict[str, Any]]:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))["value"]


def _export(*apps: dict[str, Any], sps: bool = True) -> GraphExport:
    return GraphExport(
        applications=(_app("fhir-server"), *apps),
        service_principals=tuple(_page("service-principals.json")) if sps else (),
        assignments=tuple(_page("app-role-assignments.json")),
        grants=tuple(_page("oauth2-permission-grants.json")),
        has_service_principals=sps,
    )


OWNERS = ("owners", "servicePrincipal.owners")


def _with_sps(*apps: dict[str, Any]) -> GraphExport:
    """`apps` with the fixture's service principals (so no finding is about a missing one)."""
    return GraphExport(
        applications=apps,
        service_principals=tuple(_page("service-principals.json")),
        has_service_principals=True,
    )


def _findings(adoption: Any, app: str) -> list[str]:
    """The app's findings but the owner ones (`test_adopt_changes.py` tests those)."""
    return [
        f"{f.property}: {f.message}"
        for f in adoption.findings
        if f.app == app and f.property not in OWNERS
    ]


def _loads(adoption: Any, tmp_path: Path) -> None:
    write_environment(adoption, tmp_path, force=True)
    load_spec(tmp_path, environment=adoption.environment)


# -- keys and kinds ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "taken", "key"),
    [
        ("Contoso Patient App (SPA)", [], "contoso-patient-app-spa"),
        ("  Ärzte-Portal  ", [], "rzte-portal"),
        ("Contoso Portal", ["contoso-portal"], "contoso-portal-2"),
        ("Contoso Portal", ["contoso-portal", "contoso-portal-2"], "contoso-portal-3"),
        ("FHIR server", [], "fhir-server-2"),
        ("!!!", [], "client"),
        ("x" * 80, [], "x" * 64),
        ("x" * 80, ["x" * 64], "x" * 62 + "-2"),
    ],
)
def test_client_key(name: str, taken: list[str], key: str) -> None:
    assert client_key(name, taken) == key


@pytest.mark.parametrize(
    ("fixture", "expected"),
    [
        ("clinician-portal", ("confidential", None)),
        ("legacy-reporting", ("confidential", None)),
        ("patient-spa", ("public", "spa")),
        ("care-mobile", ("public", "mobile")),
        ("claims-ingest", ("service", None)),
    ],
)
def test_client_kind_of_each_fixture(fixture: str, expected: tuple[str, str | None]) -> None:
    app = _app(fixture)
    permissions = [a for e in app["requiredResourceAccess"] for a in e["resourceAccess"]]
    kind = client_kind(app, permissions, 0)
    assert (kind.kind, kind.platform) == expected


def test_desktop_from_loopback_redirects() -> None:
    app = _app("care-mobile")
    app["publicClient"]["redirectUris"] = [
        "http://localhost",
        "https://login.microsoftonline.com/common/oauth2/nativeclient",
    ]
    kind = client_kind(app, [{"id": "x", "type": "Scope"}], 0)
    assert (kind.kind, kind.platform) == ("public", "desktop")


def test_a_middle_tier_api_is_not_guessed(tmp_path: Path) -> None:
    app = _app("clinician-portal")
    app["web"]["redirectUris"] = []
    adoption = plan(_export(app), environment="dev")
    assert [c.key for c in adoption.clients] == []
    assert _findings(adoption, "Contoso Clinician Portal") == [
        "(application): not adopted: it asks for delegated scopes but has no redirect URI on "
        "any platform (web, spa, publicClient), so it signs no one in: a middle-tier API using "
        "on-behalf-of, which fhir-apps has no kind for"
    ]


def test_unrelated_apps_are_listed_not_adopted() -> None:
    adoption = plan(_export(_app("hr-self-service")), environment="dev")
    assert adoption.clients == ()
    assert adoption.ignored == (
        ("Contoso HR Self-Service", "asks for no access to the FHIR server"),
    )


# -- the config blocks ---------------------------------------------------------------------------


def test_server_block() -> None:
    adoption = plan(_export(), environment="dev")
    assert adoption.server.key == "fhir-server"
    assert adoption.server.block == {
        "kind": "oss",
        "url": "https://fhir-dev.contoso.com",
        "displayName": "Contoso FHIR Server (dev)",
        "accessTokenVersion": 1,
        "appRoles": ["globalAdmin", "globalExporter", "globalReader", "globalWriter"],
        "scopes": ["user_impersonation"],
        "ids": {
            "roles": {
                "globalAdmin": "e9f1a3c5-7b2d-4f86-a0c4-3e5b7d9f1a82",
                "globalExporter": "c2b7d9e4-6a1f-4c38-9e52-0d8a3f7b1c64",
                "globalReader": "7d0c5a1e-3b9f-4e62-8a47-1c2d9e8f0b13",
                "globalWriter": "a4e8f2c6-1d3b-4a95-b7e0-5f9c2d6a8b21",
            },
            "scopes": {"user_impersonation": "5f3d8b2a-9c1e-4d74-b6a0-8e2f4c6a9d17"},
        },
        "scopeDetails": {
            "user_impersonation": {
                "type": "User",
                "adminConsentDisplayName": "Access FHIR server",
                "adminConsentDescription": "Allow the application to access the FHIR server on "
                "behalf of the signed-in user.",
                "userConsentDisplayName": "Access FHIR server",
                "userConsentDescription": "Allow the application to access the FHIR server on "
                "your behalf.",
            }
        },
        "roleDetails": {
            value: {
                "displayName": value,
                "description": description,
                "allowedMemberTypes": ["Application", "User"],
            }
            for value, description in (
                ("globalAdmin", "Full access to the FHIR server"),
                ("globalExporter", "Can run $export"),
                ("globalReader", "Read all FHIR resources"),
                ("globalWriter", "Read and write all FHIR resources"),
            )
        },
        "appRoleAssignmentRequired": True,
        "owners": ["0b6e2f8d-4c1a-4e73-9d25-7a8c3e1f5b90"],
        "importIds": {
            "application": f"/applications/{OBJECTS['server']}",
            "servicePrincipal": OBJECTS["resource-sp"],
        },
    }
    assert adoption.tenant == {"verifiedDomains": ["contoso.com"]}
    assert adoption.assignments == (
        {
            "principalId": "4f8a2c6e-0b3d-4e91-a7c5-9d1f3b5e7a08",
            "principalType": "Group",
            "roles": ["globalReader"],
            "description": "FHIR Readers (dev)",
            "importIds": {
                "globalReader": f"/servicePrincipals/{OBJECTS['resource-sp']}/appRoleAssignedTo/"
                "r4Kc0m1s6UuJ8y0vqf7Gq2Zb3sH1nTtQ9aXw5pLk2dE"
            },
        },
        # The daemon's service principal holds a role too; its app is not in this export, so
        # the assignment is kept as one of a service principal.
        {
            "principalId": OBJECTS["service-sp"],
            "principalType": "ServicePrincipal",
            "roles": ["globalWriter"],
            "description": "Contoso Claims Ingest",
            "importIds": {"globalWriter": ASSIGNMENT_IMPORT_ID},
        },
    )
    # Imported, so no finding asks for a manual `pulumi import` any more.
    assert not [f for f in adoption.findings if "pulumi import" in f.message]


def test_confidential_block_with_consent_and_planned_secret() -> None:
    adoption = plan(_export(_app("clinician-portal")), environment="dev")
    (client,) = adoption.clients
    assert (client.key, client.block) == (
        "contoso-clinician-portal",
        {
            "kind": "confidential",
            "displayName": "Contoso Clinician Portal",
            "redirectUris": ["https://portal-dev.contoso.com/signin-oidc"],
            "homepageUrl": "https://portal-dev.contoso.com",
            "logoutUrl": "https://portal-dev.contoso.com/signout-oidc",
            "scopes": ["user_impersonation"],
            "adminConsent": True,
            "credential": {"type": "secret"},
            "importIds": {
                "application": "/applications/9a4e7c21-3f8b-4d65-a0e2-6b1d5c8f7e43",
                "servicePrincipal": "3a7c1e5b-9d2f-4a68-b0e4-6c8a0e2b4d73",
                "consentGrant": f"/oauth2PermissionGrants/{GRANT_ID}",
            },
        },
    )
    # The grant's scopes equal the config's, so it imports cleanly: the secret is the only
    # finding.
    (only,) = _findings(adoption, "Contoso Clinician Portal")
    assert only == (
        "passwordCredentials: client secret 'portal-dev' (keyId "
        "1e7b3d9f-5a2c-4e86-b0d4-8c6a2e4f1b37, hint abc, expires 2026-02-01) cannot be imported "
        "(no one can read a secret's value back): the config plans two new rotating secrets "
        "(credential type secret; the current one is the stack output "
        "clientSecrets.contoso-clinician-portal). The existing secret is not deleted and keeps "
        "working until it expires: move the app to the new secret before then, then delete the "
        "old one"
    )


def test_service_block_takes_federated_credential_and_assigned_role() -> None:
    adoption = plan(_export(_app("claims-ingest")), environment="dev")
    (client,) = adoption.clients
    assert client.block["roles"] == ["globalWriter"]
    assert client.block["credential"] == {
        "type": "federated",
        "issuer": "https://token.actions.githubusercontent.com",
        "subjects": ["repo:contoso/claims-ingest:environment:dev"],
    }
    assert client.block["importIds"] == {
        "application": "/applications/f7b1d5e3-4c8a-4f02-8d6e-2b5c7a9e1f38",
        "servicePrincipal": OBJECTS["service-sp"],
        "roleAssignments": {"globalWriter": ASSIGNMENT_IMPORT_ID},
        "federatedCredentials": {
            "repo:contoso/claims-ingest:environment:dev": (
                "f7b1d5e3-4c8a-4f02-8d6e-2b5c7a9e1f38/federatedIdentityCredential/"
                "5e7a9c1b-3d6f-4b48-a2e4-7c9b1d3f5a64"
            )
        },
    }
    # The assignment and the federated credential are imported: only the certificate, which
    # the config does not carry, is left to a finding.
    findings = _findings(adoption, "Contoso Claims Ingest")
    assert [f.split(":")[0] for f in findings] == ["keyCredentials"]
    assert "thumbprint 6D3A1F0B9C2E4D5A8B7C6E1F0A9D8C7B6E5F4A3B" in findings[0]


def test_a_certificate_only_service_plans_secrets_until_the_pem_is_supplied(tmp_path: Path) -> None:
    app = _app("claims-ingest")
    app["federatedIdentityCredentials"] = []
    adoption = plan(_export(app), environment="dev", config_dir=tmp_path)
    assert adoption.clients[0].block["credential"] == {"type": "secret"}
    assert "federatedCredentials" not in adoption.clients[0].block["importIds"]
    assert _findings(adoption, "Contoso Claims Ingest")[0] == (
        "keyCredentials: certificate 'CN=claims-ingest-dev' (keyId "
        "3c5e7a9b-1d4f-4a26-b8e0-5a7c9e1b3d42, thumbprint "
        "6D3A1F0B9C2E4D5A8B7C6E1F0A9D8C7B6E5F4A3B, expires 2026-08-30) cannot be read from Graph "
        "(it never returns the key): save its public certificate (PEM) as "
        "certs/contoso-claims-ingest.pem in the config directory and run adopt again to use it; "
        "until then the config plans secrets and the certificate is left as it is"
    )
    (tmp_path / "certs").mkdir()
    (tmp_path / "certs" / "contoso-claims-ingest.pem").write_text("-----BEGIN CERTIFICATE-----\n")
    adoption = plan(_export(app), environment="dev", config_dir=tmp_path)
    assert adoption.clients[0].block["credential"] == {
        "type": "certificate",
        "certificateFile": "certs/contoso-claims-ingest.pem",
    }


def test_public_clients_get_no_credential_and_their_secret_is_reported(tmp_path: Path) -> None:
    app = _app("care-mobile")
    app["passwordCredentials"] = _app("clinician-portal")["passwordCredentials"]
    adoption = plan(_export(app), environment="dev")
    assert "credential" not in adoption.clients[0].block
    assert _findings(adoption, "Contoso Care Mobile") == [
        "passwordCredentials: client secret 'portal-dev' (keyId "
        "1e7b3d9f-5a2c-4e86-b0d4-8c6a2e4f1b37, hint abc, expires 2026-02-01): a public client "
        "cannot keep a secret, so the config gives it no credential; fhir-apps does not delete "
        "it and it keeps working until it expires: delete it in the portal"
    ]
    _loads(adoption, tmp_path)


# -- the flagged app -----------------------------------------------------------------------------


def test_the_legacy_app_is_flagged_property_by_property(tmp_path: Path) -> None:
    adoption = plan(_export(_app("legacy-reporting")), environment="dev")
    findings = _findings(adoption, "Contoso Legacy Reporting")
    assert [f.split(":")[0] for f in findings] == [
        "groupMembershipClaims",
        "passwordCredentials",
        "requiredResourceAccess",
        "web.implicitGrantSettings",
        "web.implicitGrantSettings.enableIdTokenIssuance",
        "web.redirectUris",
        "web.redirectUris",
    ]
    assert (
        "web.redirectUris: 'https://*.reports-dev.contoso.com/auth/callback' must not contain a "
        "wildcard '*'; list every redirect URI in full: adoption removes it from the app"
    ) in findings
    assert (
        "web.implicitGrantSettings: implicit grant is on (access tokens); adoption "
        "turns it off: the app must use the authorization-code flow (with PKCE in a browser)"
    ) in findings
    # A web app's ID tokens (the hybrid flow) are kept, explicitly, with a warning from check.
    assert adoption.clients[0].block["idTokenIssuance"] is True
    assert (
        "requiredResourceAccess: asks the legacy Azure AD Graph for User.Read (delegated); Azure "
        "AD Graph is retired, and fhir-apps manages only access to the FHIR server: adoption "
        "removes this request (move the app to Microsoft Graph)"
    ) in findings
    # Microsoft Graph's User.Read is a sign-in permission the config keeps (graphScopes).
    assert not any(f.startswith("requiredResourceAccess: asks Microsoft Graph") for f in findings)
    assert adoption.clients[0].block["graphScopes"] == ["User.Read"]
    assert adoption.clients[0].block["redirectUris"] == [
        "https://reports-dev.contoso.com/auth/callback"
    ]
    _loads(adoption, tmp_path)


def test_a_confidential_client_left_without_valid_redirects_is_not_adopted() -> None:
    app = _app("legacy-reporting")
    app["web"]["redirectUris"] = ["https://*.reports-dev.contoso.com/auth/callback"]
    adoption = plan(_export(app), environment="dev")
    assert adoption.clients == ()
    assert "(application): not adopted: a confidential client needs a redirect URI" in "\n".join(
        _findings(adoption, "Contoso Legacy Reporting")
    )


def test_resource_app_details_the_config_cannot_carry(tmp_path: Path) -> None:
    server = _app("fhir-server")
    server["api"]["requestedAccessTokenVersion"] = 2
    server["identifierUris"].append("api://2b9e4d71-5c3a-4f8e-b6d2-7a1c9e0f4b35")
    server["appRoles"][0]["isEnabled"] = False
    server["appRoles"][1]["allowedMemberTypes"] = []
    server["appRoles"][2]["description"] = None
    result = plan(_with_sps(server), environment="dev")
    assert result.server.block["accessTokenVersion"] == 1
    assert "globalAdmin" not in result.server.block["appRoles"]
    assert result.server.block["roleDetails"]["globalExporter"] == {
        "displayName": "globalExporter",
        "description": "Can run $export",
    }
    assert result.server.block["roleDetails"]["globalReader"] == {
        "displayName": "globalReader",
        "allowedMemberTypes": ["Application", "User"],
    }
    assert _findings(result, "Contoso FHIR Server (dev)") == [
        "api.requestedAccessTokenVersion: 2 must be 1 for a server identified by an https URL: "
        "with v2 tokens 'aud' is the application id, and the FHIR server expects its URL: set "
        "to 1",
        "appRoles: role 'globalAdmin' is disabled: adoption removes it (it grants nothing now); "
        "to keep it, enable it and run adopt again",
        "appRoles: role 'globalExporter' allowedMemberTypes must name at least one of "
        "Application, User: Entra assigns a role to applications, to users and groups, or to "
        "both: adoption allows Application and User",
        "appRoles: role 'globalReader' has no description, which Entra requires: adoption writes "
        "fhir-apps' text (`render` shows it on fhir-server-app); set one in Entra and run adopt "
        "again to keep yours",
        "identifierUris: 'api://2b9e4d71-5c3a-4f8e-b6d2-7a1c9e0f4b35' is removed: the config has "
        "one identifier URI, the server URL https://fhir-dev.contoso.com (tokens requested for "
        "'api://2b9e4d71-5c3a-4f8e-b6d2-7a1c9e0f4b35' stop being issued)",
    ]
    _loads(result, tmp_path)


@pytest.mark.parametrize(
    ("settings", "what"),
    [
        ({"enableAccessTokenIssuance": False, "enableIdTokenIssuance": True}, "ID tokens"),
        ({"enableAccessTokenIssuance": True, "enableIdTokenIssuance": False}, "access tokens"),
    ],
    ids=["id-tokens", "access-tokens"],
)
def test_the_resource_apps_implicit_grant_is_reported(
    tmp_path: Path, settings: dict[str, bool], what: str
) -> None:
    # The program turns implicit grant off on the FHIR resource app too: adoption must say so.
    server = _app("fhir-server")
    server["web"]["implicitGrantSettings"] = settings
    result = plan(_with_sps(server), environment="dev")
    assert _findings(result, "Contoso FHIR Server (dev)") == [
        f"web.implicitGrantSettings: implicit grant is on ({what}); adoption turns it off: the "
        "app must use the authorization-code flow (with PKCE in a browser)"
    ]
    _loads(result, tmp_path)


def test_admin_scopes_member_types_and_missing_texts_are_kept_exactly(tmp_path: Path) -> None:
    server = _app("fhir-server")
    scope = server["api"]["oauth2PermissionScopes"][0]
    scope.update(type="Admin", userConsentDisplayName=None, userConsentDescription=None)
    server["appRoles"][1]["allowedMemberTypes"] = ["Application"]
    sps = [dict(sp) for sp in _page("service-principals.json")]
    for sp in sps:
        if sp["id"] == OBJECTS["resource-sp"]:
            sp["appRoleAssignmentRequired"] = False
    export = dataclasses.replace(_export(), applications=(server,), service_principals=tuple(sps))
    result = plan(export, environment="dev")
    block = result.server.block
    assert block["scopeDetails"] == {
        "user_impersonation": {
            "type": "Admin",
            "adminConsentDisplayName": "Access FHIR server",
            "adminConsentDescription": "Allow the application to access the FHIR server on "
            "behalf of the signed-in user.",
            "userConsentDisplayName": "",
            "userConsentDescription": "",
        }
    }
    assert block["roleDetails"]["globalExporter"]["allowedMemberTypes"] == ["Application"]
    assert block["appRoleAssignmentRequired"] is False
    assert not [
        f
        for f in result.findings
        if f.app == "Contoso FHIR Server (dev)"
        and f.property
        in ("api.oauth2PermissionScopes", "appRoles", "servicePrincipal.appRoleAssignmentRequired")
    ]
    _loads(result, tmp_path)


def test_without_service_principals_there_are_no_sp_import_ids() -> None:
    adoption = plan(_export(_app("patient-spa"), sps=False), environment="dev")
    assert adoption.clients[0].block["importIds"] == {
        "application": "/applications/b3d7f1a9-6c2e-4b58-9f04-1a7e3c5d9b62"
    }
    assert [
        f
        for f in adoption.findings
        if f.app == "(every adopted app)" and f.property == "servicePrincipals"
    ] == [
        Finding(
            "(every adopted app)",
            "servicePrincipals",
            "no --service-principals export, so no service principal has an import id: `pulumi "
            "up` tries to create one per app and stops with 'already exists' for each app that "
            "has one; export them (az ad sp list --all, or GET /servicePrincipals) and run adopt "
            "again",
        )
    ]


def test_no_tenant_block_when_base_yaml_covers_the_domain(tmp_path: Path) -> None:
    (tmp_path / "base.yaml").write_text("tenant:\n  verifiedDomains: [contoso.com]\n")
    assert plan(_export(), environment="dev", config_dir=tmp_path).tenant is None
    (tmp_path / "base.yaml").write_text("tenant:\n  verifiedDomains: [fabrikam.com]\n")
    assert plan(_export(), environment="dev", config_dir=tmp_path).tenant == {
        "verifiedDomains": ["contoso.com", "fabrikam.com"]
    }


def test_keys_do_not_depend_on_export_order() -> None:
    apps = [_app(n) for n in ("clinician-portal", "patient-spa", "care-mobile", "claims-ingest")]
    forward = plan(_export(*apps), environment="dev")
    backward = plan(_export(*reversed(apps)), environment="dev")
    assert environment_yaml(forward) == environment_yaml(backward)


# -- the YAML ------------------------------------------------------------------------------------


def test_yaml_starts_with_the_schema_and_parses_to_the_config() -> None:
    apps = [_app(p.stem.removeprefix("application-")) for p in FIXTURES.glob("application-*.json")]
    apps = [a for a in apps if a["displayName"] != "Contoso FHIR Server (dev)"]
    assert len(apps) >= 5, "the fixtures are missing: the loops below would check nothing"
    adoption = plan(_export(*apps), environment="dev")
    assert len(adoption.findings) >= 10, adoption.findings
    text = environment_yaml(adoption)
    assert text.splitlines()[0] == SCHEMA_LINE == "# yaml-language-server: $schema=../schema.json"
    assert yaml.safe_load(text) == adoption.config()
    assert all(len(line) <= 100 or "/" in line for line in text.splitlines())
    # Every finding is in the file, word for word, as a comment (wrapped at spaces only).
    comments = [line.strip() for line in text.splitlines() if line.strip().startswith("#")]
    flat = " ".join(" ".join(line.lstrip("#").split()) for line in comments)
    for finding in adoption.findings:
        assert f"FINDING {finding.property}: {finding.message}" in flat, finding


def test_write_refuses_to_overwrite(tmp_path: Path) -> None:
    adoption = plan(_export(), environment="dev")
    written = write_environment(adoption, tmp_path, force=False)
    assert written == [tmp_path / "base.yaml", tmp_path / "environments" / "dev.yaml"]
    with pytest.raises(Exception) as error:
        write_environment(adoption, tmp_path, force=False)
    assert str(error.value) == (
        f"{tmp_path / 'environments' / 'dev.yaml'}: exists; adopt will not overwrite it (pass "
        "--force to replace it, or print the YAML without --write and merge by hand)"
    )
    (tmp_path / "base.yaml").write_text("owners: []\n")
    assert write_environment(adoption, tmp_path, force=True) == [
        tmp_path / "environments" / "dev.yaml"
    ]
    assert (tmp_path / "base.yaml").read_text() == "owners: []\n"


def test_variants_always_load(tmp_path: Path) -> None:
    """Mutations that portals really make still give a config `check` accepts."""
    base = [_app(n) for n in ("clinician-portal", "patient-spa", "care-mobile", "claims-ingest")]
    variants = copy.deepcopy(base)
    variants[1]["isFallbackPublicClient"] = True  # spa with the fallback flag
    variants[1]["web"]["redirectUris"] = ["https://patient-dev.contoso.com/legacy"]
    variants[2]["signInAudience"] = "AzureADMultipleOrgs"
    variants[3]["requiredResourceAccess"][0]["resourceAccess"].append(
        {"id": "5f3d8b2a-9c1e-4d74-b6a0-8e2f4c6a9d17", "type": "Scope"}
    )
    variants[0]["identifierUris"] = ["api://4d8a2f6c-0e3b-4c97-8a15-2f7e9b3d6c08"]
    adoption = plan(_export(*variants), environment="dev")
    _loads(adoption, tmp_path)
    spa = next(c for c in adoption.clients if c.key == "contoso-patient-app-spa")
    assert "fallbackPublicClient" not in spa.block
    assert _findings(adoption, "Contoso Patient App (SPA)") == [
        "isFallbackPublicClient: is true; adoption sets it to false (only mobile and desktop "
        "clients keep it)",
        "web.redirectUris: 'https://patient-dev.contoso.com/legacy' is removed: a client has one "
        "platform in the config, and this app is adopted as another",
    ]
    service = next(c for c in adoption.clients if c.key == "contoso-claims-ingest")
    assert "scopes" not in service.block
    # Each variant's change says what adoption does to it; the rest is the base's findings.
    assert _findings(adoption, "Contoso Care Mobile") == [
        "signInAudience: is AzureADMultipleOrgs; adoption sets AzureADMyOrg (this tenant only): "
        "sign-ins from other tenants or personal accounts stop"
    ]
    assert _findings(adoption, "Contoso Clinician Portal")[0] == (
        "identifierUris: 'api://4d8a2f6c-0e3b-4c97-8a15-2f7e9b3d6c08' is removed: a client "
        "exposes no API"
    )
    assert [f.split(":")[0] for f in _findings(adoption, "Contoso Clinician Portal")] == [
        "identifierUris",
        "passwordCredentials",
    ]
    ingest = _findings(adoption, "Contoso Claims Ingest")
    assert [f.split(":")[0] for f in ingest] == ["keyCredentials", "requiredResourceAccess"]
    assert ingest[1] == (
        "requiredResourceAccess: delegated scope(s) user_impersonation on the FHIR server are "
        "removed: a service client gets application permissions (roles) only"
    )


# -- child objects: import ids, and findings where an import would stop `pulumi up` ---------------


def test_a_consent_grant_with_other_scopes_is_imported_and_its_change_announced() -> None:
    grants = _page("oauth2-permission-grants.json")
    grants[0] = {**grants[0], "scope": "user_impersonation openid"}
    export = _export(_app("clinician-portal"))
    export = dataclasses.replace(export, grants=tuple(grants))
    adoption = plan(export, environment="dev")
    assert adoption.clients[0].block["importIds"]["consentGrant"] == (
        "/oauth2PermissionGrants/IX2e-pK3x0GlyKcT9m8sQ5BJ6yQd4e2pE3Nf7z1K0aA"
    )
    finding = next(f for f in adoption.findings if f.property == "oauth2PermissionGrants")
    assert (finding.app, finding.change) == ("Contoso Clinician Portal", True)
    assert finding.message == (
        "admin consent grants 'openid user_impersonation' and the config consents to "
        "'user_impersonation' (the scopes it requests): the first `pulumi up` sets the grant "
        "contoso-clinician-portal-consent to the config's scopes"
    )


def _federated_with_audiences(*audiences: list[str]) -> dict[str, Any]:
    """claims-ingest with one federated credential per entry of `audiences` (subjects -0, -1)."""
    app = _app("claims-ingest")
    (template,) = app["federatedIdentityCredentials"]
    app["federatedIdentityCredentials"] = [
        {
            **template,
            "id": f"00000000-0000-4000-8000-00000000000{index}",
            "name": f"github-{index}",
            "subject": f"repo:contoso/claims-ingest:environment:dev-{index}",
            "audiences": list(each),
        }
        for index, each in enumerate(audiences)
    ]
    return app


def test_a_custom_federated_audience_is_kept(tmp_path: Path) -> None:
    # A sovereign cloud's (or a custom exchange's) audience. Were it dropped, the config would
    # fall back to api://AzureADTokenExchange and the first `up` would differ from Entra at the
    # import of each credential.
    app = _federated_with_audiences(
        ["api://AzureADTokenExchangeUSGov"], ["api://AzureADTokenExchangeUSGov"]
    )
    adoption = plan(_export(app), environment="dev")
    assert adoption.clients[0].block["credential"] == {
        "type": "federated",
        "issuer": "https://token.actions.githubusercontent.com",
        "subjects": [
            "repo:contoso/claims-ingest:environment:dev-0",
            "repo:contoso/claims-ingest:environment:dev-1",
        ],
        "audiences": ["api://AzureADTokenExchangeUSGov"],
    }
    assert not [f for f in adoption.findings if f.property == "federatedIdentityCredentials"], (
        adoption.findings
    )
    write_environment(adoption, tmp_path, force=True)
    spec = load_spec(tmp_path, environment="dev")
    credential = spec.clients["contoso-claims-ingest"].credential
    assert credential is not None and credential.type == "federated"
    assert credential.audiences == ("api://AzureADTokenExchangeUSGov",)


@pytest.mark.parametrize(
    ("audiences", "shown"),
    [
        (
            (["api://AzureADTokenExchange"], ["api://AzureADTokenExchangeUSGov"]),
            "api://AzureADTokenExchange, api://AzureADTokenExchangeUSGov",
        ),
        (([],), "(none)"),
    ],
    ids=["two-audiences", "none"],
)
def test_federated_audiences_the_config_cannot_take_are_reported(
    tmp_path: Path, audiences: tuple[list[str], ...], shown: str
) -> None:
    adoption = plan(_export(_federated_with_audiences(*audiences)), environment="dev")
    assert "audiences" not in adoption.clients[0].block["credential"]  # the default, then
    assert _findings(adoption, "Contoso Claims Ingest")[0] == (
        f"federatedIdentityCredentials: audiences {shown}: the config takes exactly one, and "
        "adoption uses api://AzureADTokenExchange: the first `pulumi up` sets the audiences of "
        "each of these credentials to it (tokens issued for the other audiences stop being "
        "accepted)"
    )
    _loads(adoption, tmp_path)


def test_a_federated_credential_without_an_id_is_reported() -> None:
    app = _app("claims-ingest")
    app["federatedIdentityCredentials"] = [
        {k: v for k, v in c.items() if k != "id"} for c in app["federatedIdentityCredentials"]
    ]
    adoption = plan(_export(app), environment="dev")
    assert "federatedCredentials" not in adoption.clients[0].block["importIds"]
    assert _findings(adoption, "Contoso Claims Ingest")[0] == (
        "federatedIdentityCredentials: 'github-claims-ingest-dev' "
        "(repo:contoso/claims-ingest:environment:dev) has no id in the export, so it cannot be "
        "imported: the first `pulumi up` creates it again and stops when Entra refuses a second "
        "credential with the same issuer and subject; export it with its id (az ad app "
        "federated-credential list) and run adopt again"
    )


def test_a_confidential_client_holding_a_role_leaves_the_assignment_alone() -> None:
    app = _app("clinician-portal")
    assignments = [
        {
            **_page("app-role-assignments.json")[0],
            "principalId": "3a7c1e5b-9d2f-4a68-b0e4-6c8a0e2b4d73",
        }
    ]
    export = _export(app)
    export = dataclasses.replace(export, assignments=tuple(assignments))
    adoption = plan(export, environment="dev")
    assert "roleAssignments" not in adoption.clients[0].block["importIds"]
    assert adoption.assignments == ()
    assert (
        "appRoleAssignments: holds role 'globalWriter' (assignment "
        "mz2bxz9zgkWxvP1k2jxCwF_OBXxy0VZDpWl9h3HQ2Ts); the config gives a confidential client no "
        "roles, so the assignment is left as it is (delete it in the portal if the app does not "
        "need it)"
    ) in _findings(adoption, "Contoso Clinician Portal")


def test_a_clients_assignment_required_sign_in_is_kept_as_config() -> None:
    sps = [dict(sp) for sp in _page("service-principals.json")]
    for sp in sps:
        if sp["id"] == OBJECTS["resource-sp"]:
            sp["appRoleAssignmentRequired"] = False
        if sp["id"] == "5c9e3b7d-1f4a-4c80-92e6-8a0c2e4f6b15":  # the SPA's
            sp["appRoleAssignmentRequired"] = True
    export = _export(_app("patient-spa"))
    export = dataclasses.replace(export, service_principals=tuple(sps))
    adoption = plan(export, environment="dev")
    # The FHIR app's own setting is config (fhirServer.appRoleAssignmentRequired), not a finding.
    assert adoption.server.block["appRoleAssignmentRequired"] is False
    assert not [
        f
        for f in _findings(adoption, "Contoso FHIR Server (dev)")
        if f.startswith("servicePrincipal.appRoleAssignmentRequired")
    ]
    # The SPA's: kept as its own key, or the first `up` would open the app to every user.
    (spa,) = adoption.clients
    assert spa.block["appRoleAssignmentRequired"] is True
    assert _findings(adoption, "Contoso Patient App (SPA)") == []


def test_owners_findings_name_each_object_whose_owners_the_first_up_changes() -> None:
    adoption = plan(_export(), environment="dev")
    owners = {f.property: f for f in adoption.findings if f.property in OWNERS}
    # The fixture exports one owner on the app and its service principal; the program adds the
    # deploying principal, unknown here.
    assert set(owners) == set(OWNERS)
    for finding in owners.values():
        assert (finding.app, finding.change) == ("Contoso FHIR Server (dev)", True)
        assert finding.message.startswith(
            "the first `pulumi up` adds the deploying principal (the program gives each "
            "application and its service principal the config's owners plus the deploying "
            "principal, so that Application.ReadWrite.OwnedBy is enough to manage them"
        )
    # Named, and already an owner of both: nothing changes, nothing is said.
    known = plan(_export(), environment="dev", deployer="0b6e2f8d-4c1a-4e73-9d25-7a8c3e1f5b90")
    assert not [f for f in known.findings if f.property in OWNERS]


def test_owners_differing_between_app_and_service_principal_are_one_list() -> None:
    server = _app("fhir-server")
    server["owners"] = [{"id": "1d2e3f40-5a6b-4c7d-8e9f-0a1b2c3d4e5f"}]
    deployer = "0b6e2f8d-4c1a-4e73-9d25-7a8c3e1f5b90"
    adoption = plan(_with_sps(server), environment="dev", deployer=deployer)
    assert adoption.server.block["owners"] == [
        "0b6e2f8d-4c1a-4e73-9d25-7a8c3e1f5b90",
        "1d2e3f40-5a6b-4c7d-8e9f-0a1b2c3d4e5f",
    ]
    found = sorted((f.property, f.message.split(" (")[0]) for f in adoption.findings)
    added = "1d2e3f40-5a6b-4c7d-8e9f-0a1b2c3d4e5f"
    assert [f for f in found if f[0] in OWNERS] == [
        ("owners", "the first `pulumi up` adds 0b6e2f8d-4c1a-4e73-9d25-7a8c3e1f5b90"),
        ("servicePrincipal.owners", f"the first `pulumi up` adds {added}"),
    ]


def test_owners_not_in_the_export_are_a_change_to_all_owners() -> None:
    adoption = plan(_export(_app("patient-spa")), environment="dev")
    (finding,) = [
        f
        for f in adoption.findings
        if f.app == "Contoso Patient App (SPA)" and f.property == "owners"
    ]
    assert finding.change
    assert finding.message.startswith(
        "the export has no owners, so the config cannot keep them: the first `pulumi up` sets "
        "them to the deploying principal and removes any other owner"
    )
    assert finding.message.endswith("export with owners (Graph $expand=owners) and run adopt again")


def test_adopted_child_import_ids_load(tmp_path: Path) -> None:
    apps = [_app(n) for n in ("clinician-portal", "patient-spa", "care-mobile", "claims-ingest")]
    adoption = plan(_export(*apps), environment="dev")
    _loads(adoption, tmp_path)
    spec = load_spec(tmp_path, environment="dev")
    assert spec.clients["contoso-claims-ingest"].import_ids.role_assignments == {
        "globalWriter": ASSIGNMENT_IMPORT_ID
    }
    assert spec.clients["contoso-clinician-portal"].import_ids.consent_grant == (
        "/oauth2PermissionGrants/IX2e-pK3x0GlyKcT9m8sQ5BJ6yQd4e2pE3Nf7z1K0aA"
    )
    assert spec.assignments[0].import_ids == {
        "globalReader": f"/servicePrincipals/{OBJECTS['resource-sp']}/appRoleAssignedTo/"
        "r4Kc0m1s6UuJ8y0vqf7Gq2Zb3sH1nTtQ9aXw5pLk2dE"
    }


@pytest.mark.parametrize("subject", [None, "", "   ", 42], ids=["null", "empty", "blank", "number"])
def test_a_federated_credential_without_a_subject_is_left_alone_and_reported(
    subject: Any,
) -> None:
    app = _app("claims-ingest")
    good = app["federatedIdentityCredentials"][0]
    odd = {**good, "id": "6b0e1d7a-3c2f-4e58-9a14-5d7c9e2b4f80", "name": "flexible"}
    odd["subject"] = subject
    app["federatedIdentityCredentials"] = [good, odd]
    adoption = plan(_export(app), environment="dev")
    block = adoption.clients[0].block["credential"]
    # Only the credential with a subject is carried over; never the text "None" or "".
    assert block["subjects"] == [good["subject"]]
    assert [
        f.message for f in adoption.findings if f.property == "federatedIdentityCredentials"
    ] == [
        "'flexible' has no subject (a flexible federated credential, or a malformed export): "
        "it is not in the config and is left as it is"
    ]
