"""Each config field: its default, a value set, a wrong type, and (for enumerations) a bad value."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
import yaml

from fhir_apps.spec.errors import ConfigError
from fhir_apps.spec.loader import load_spec
from fhir_apps.spec.model import Spec

BASE: dict[str, Any] = {
    "tenant": {"verifiedDomains": ["contoso.com"]},
    "fhirServer": {
        "kind": "oss",
        "url": "https://fhir.contoso.com",
        "appRoles": ["globalReader", "globalWriter"],
    },
    "clients": {
        "web": {
            "kind": "confidential",
            "redirectUris": ["https://web.contoso.com/cb"],
            "credential": {"type": "secret"},
        },
        "spa": {"kind": "public", "platform": "spa", "redirectUris": ["https://spa.contoso.com/"]},
        "daemon": {
            "kind": "service",
            "roles": ["globalWriter"],
            "credential": {
                "type": "federated",
                "issuer": "https://token.actions.githubusercontent.com",
                "subject": "repo:contoso/daemon:environment:dev",
            },
        },
    },
}
AHDS_DEPLOY = {
    "fhirServer": {
        "kind": "ahds",
        "url": None,
        "appRoles": None,
        "deploy": {
            "resourceGroup": "rg-fhir",
            "location": "westeurope",
            "workspace": "contoso",
            "service": "fhir",
        },
    },
    "clients": {"daemon": {"roles": ["FHIR Data Reader"]}},
}
DEV = "config/environments/dev.yaml"
GUID = "5e4d3c2b-1a09-4f8e-9d7c-6b5a49382716"
GUID_MSG = "must be a GUID such as 00000000-0000-0000-0000-000000000000; got 'x'"
KV = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv"  # noqa: E501


def nest(dotted: str, value: Any) -> dict[str, Any]:
    """`nest("a.b", 1)` -> `{"a": {"b": 1}}`."""
    for part in reversed(dotted.split(".")):
        value = {part: value}
    return value


def deep_merge(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    out = dict(a)
    for k, v in b.items():
        out[k] = (
            deep_merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
        )
    return out


@pytest.fixture
def load(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "config" / "environments").mkdir(parents=True)
    (tmp_path / "config" / "base.yaml").write_text(yaml.safe_dump(BASE))

    def run(*overlays: dict[str, Any], environment: str = "dev") -> Spec:
        overlay: dict[str, Any] = {}
        for item in overlays:
            overlay = deep_merge(overlay, item)
        (tmp_path / "config" / "environments" / f"{environment}.yaml").write_text(
            yaml.safe_dump(overlay)
        )
        return load_spec(Path("config"), environment=environment)

    return run


def errors(load, *overlays: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigError) as excinfo:
        load(*overlays)
    return [str(p) for p in excinfo.value.problems]


# (dotted key, getter, default, value to set, value read back, wrong-type value, its message,
#  extra overlay needed)
FIELDS = [
    (
        "protected",
        lambda s: s.protected,
        False,
        True,
        True,
        "maybe",
        "must be true or false; got 'maybe'",
        {},
    ),
    ("tenant.id", lambda s: s.tenant.id, None, GUID, UUID(GUID), "x", GUID_MSG, {}),
    (
        "tenant.verifiedDomains",
        lambda s: s.tenant.verified_domains,
        ("contoso.com",),
        ["contoso.com", "contoso.org"],
        ("contoso.com", "contoso.org"),
        "contoso.com",
        "must be a list; got 'contoso.com'",
        {},
    ),
    (
        "naming.prefix",
        lambda s: s.naming.prefix,
        "fhir",
        "acme",
        "acme",
        5,
        "must be text; got 5",
        {},
    ),
    ("owners", lambda s: s.owners, (), [GUID], (GUID,), GUID, f"must be a list; got '{GUID}'", {}),
    (
        "policy.maxSecretLifetimeDays",
        lambda s: s.policy.max_secret_lifetime_days,
        365,
        730,
        730,
        "year",
        "must be a whole number; got 'year'",
        {},
    ),
    (
        "secretStore.keyVaultId",
        lambda s: s.secret_store.key_vault_id,
        None,
        KV,
        KV,
        5,
        "must be text; got 5",
        {},
    ),
    (
        "fhirServer.displayName",
        lambda s: s.fhir_server.display_name,
        None,
        "FHIR API",
        "FHIR API",
        ["x"],
        "must be text; got a list",
        {},
    ),
    (
        "fhirServer.scopes",
        lambda s: s.fhir_server.scopes,
        ("user_impersonation",),
        ["user_impersonation", "launch"],
        ("user_impersonation", "launch"),
        "launch",
        "must be a list; got 'launch'",
        {},
    ),
    (
        "fhirServer.accessTokenVersion",
        lambda s: s.fhir_server.access_token_version,
        1,
        1,
        1,
        "one",
        "must be one of 1, 2; got 'one'",
        {},
    ),
    (
        "fhirServer.owners",
        lambda s: s.fhir_server.owners,
        (),
        [GUID],
        (GUID,),
        {"a": 1},
        "must be a list; got a mapping",
        {},
    ),
    (
        "fhirServer.ids.roles",
        lambda s: dict(s.fhir_server.ids.roles),
        {},
        {"globalReader": GUID},
        {"globalReader": UUID(GUID)},
        ["x"],
        "must be a mapping of keys; got a list",
        {},
    ),
    (
        "fhirServer.scopeDetails",
        lambda s: {k: v.model_dump() for k, v in s.fhir_server.scope_details.items()},
        {},
        {"user_impersonation": {"type": "Admin", "userConsentDisplayName": ""}},
        {
            "user_impersonation": {
                "type": "Admin",
                "admin_consent_display_name": None,
                "admin_consent_description": None,
                "user_consent_display_name": "",
                "user_consent_description": None,
            }
        },
        ["x"],
        "must be a mapping of keys; got a list",
        {},
    ),
    (
        "fhirServer.roleDetails",
        lambda s: {k: v.model_dump() for k, v in s.fhir_server.role_details.items()},
        {},
        {"globalReader": {"description": "Read", "allowedMemberTypes": ["User"]}},
        {
            "globalReader": {
                "display_name": None,
                "description": "Read",
                "allowed_member_types": ("User",),
            }
        },
        "x",
        "must be a mapping of keys; got 'x'",
        {},
    ),
    (
        "fhirServer.appRoleAssignmentRequired",
        lambda s: s.fhir_server.app_role_assignment_required,
        True,
        False,
        False,
        "maybe",
        "must be true or false; got 'maybe'",
        {},
    ),
    (
        "fhirServer.importIds.application",
        lambda s: s.fhir_server.import_ids.application,
        None,
        "/applications/1",
        "/applications/1",
        1,
        "must be text; got 1",
        {},
    ),
    (
        "fhirServer.smart",
        lambda s: s.fhir_server.smart,
        False,
        True,
        True,
        "sometimes",
        "must be true or false; got 'sometimes'",
        # SMART on AHDS needs tenant.id: the SMART app's identifier URI is api://<tenant.id>/...
        {**AHDS_DEPLOY, "tenant": {"id": GUID}},
    ),
    (
        "fhirServer.deploy.fhirVersion",
        lambda s: s.fhir_server.deploy.fhir_version,
        "R4",
        "Stu3",
        "Stu3",
        4,
        "must be one of 'R4', 'Stu3'; got 4",
        AHDS_DEPLOY,
    ),
    (
        "fhirServer.deploy.createResourceGroup",
        lambda s: s.fhir_server.deploy.create_resource_group,
        True,
        False,
        False,
        "no thanks",
        "must be true or false; got 'no thanks'",
        AHDS_DEPLOY,
    ),
    (
        "fhirServer.deploy.identity",
        lambda s: s.fhir_server.deploy.identity,
        "SystemAssigned",
        "None",
        "None",
        "UserAssigned",
        "must be one of 'SystemAssigned', 'None'; got 'UserAssigned'",
        AHDS_DEPLOY,
    ),
    (
        "fhirServer.deploy.corsOrigins",
        lambda s: s.fhir_server.deploy.cors_origins,
        (),
        ["https://app.contoso.com"],
        ("https://app.contoso.com",),
        "*",
        "must be a list; got '*'",
        AHDS_DEPLOY,
    ),
    (
        "fhirServer.deploy.tags",
        lambda s: dict(s.fhir_server.deploy.tags),
        {},
        {"team": "fhir"},
        {"team": "fhir"},
        {"team": 5},
        None,
        AHDS_DEPLOY,
    ),
    (
        "clients.web.enabled",
        lambda s: s.clients["web"].enabled,
        True,
        True,
        True,
        "perhaps",
        "must be true or false; got 'perhaps'",
        {},
    ),
    (
        "clients.web.displayName",
        lambda s: s.clients["web"].display_name,
        None,
        "Web",
        "Web",
        1.5,
        "must be text; got 1.5",
        {},
    ),
    ("clients.web.owners", lambda s: s.clients["web"].owners, (), [GUID], (GUID,), [5], None, {}),
    (
        "clients.web.scopes",
        lambda s: s.clients["web"].scopes,
        (),
        ["user_impersonation"],
        ("user_impersonation",),
        "user_impersonation",
        "must be a list; got 'user_impersonation'",
        {},
    ),
    (
        "clients.web.adminConsent",
        lambda s: s.clients["web"].admin_consent,
        False,
        True,
        True,
        "yes please",
        "must be true or false; got 'yes please'",
        {},
    ),
    (
        "clients.web.logoutUrl",
        lambda s: s.clients["web"].logout_url,
        None,
        "https://web.contoso.com/logout",
        "https://web.contoso.com/logout",
        True,
        "must be text; got true",
        {},
    ),
    (
        "clients.web.homepageUrl",
        lambda s: s.clients["web"].homepage_url,
        None,
        "https://web.contoso.com/",
        "https://web.contoso.com/",
        3,
        "must be text; got 3",
        {},
    ),
    (
        "clients.web.importIds.application",
        lambda s: s.clients["web"].import_ids.application,
        None,
        "/applications/x",
        "/applications/x",
        [1],
        "must be text; got a list",
        {},
    ),
    (
        "clients.web.credential.rotationDays",
        lambda s: s.clients["web"].credential.rotation_days,
        90,
        30,
        30,
        "monthly",
        "must be a whole number; got 'monthly'",
        {},
    ),
    (
        "clients.web.credential.keyVaultId",
        lambda s: s.clients["web"].credential.key_vault_id,
        None,
        KV,
        KV,
        1,
        "must be text; got 1",
        {},
    ),
    (
        "clients.spa.platform",
        lambda s: s.clients["spa"].platform,
        "spa",
        "spa",
        "spa",
        "web",
        "must be one of 'spa', 'mobile', 'desktop'; got 'web'",
        {},
    ),
    (
        "clients.spa.fallbackPublicClient",
        lambda s: s.clients["spa"].fallback_public_client,
        False,
        False,
        False,
        "nope",
        "must be true or false; got 'nope'",
        {},
    ),
    (
        "clients.daemon.roles",
        lambda s: s.clients["daemon"].roles,
        ("globalWriter",),
        ["globalReader"],
        ("globalReader",),
        "globalReader",
        "must be a list; got 'globalReader'",
        {},
    ),
    (
        "clients.daemon.credential.subjects",
        lambda s: s.clients["daemon"].credential.subjects,
        (),
        ["repo:contoso/d:ref:refs/heads/main"],
        ("repo:contoso/d:ref:refs/heads/main",),
        "x",
        "must be a list; got 'x'",
        {},
    ),
    (
        "clients.daemon.credential.audiences",
        lambda s: s.clients["daemon"].credential.audiences,
        ("api://AzureADTokenExchange",),
        ["api://AzureADTokenExchangeUSGov"],
        ("api://AzureADTokenExchangeUSGov",),
        "x",
        "must be a list; got 'x'",
        {},
    ),
]


@pytest.mark.parametrize(
    ("key", "get", "default", "value", "read", "wrong", "message", "extra"),
    FIELDS,
    ids=[f[0] for f in FIELDS],
)
def test_field(load, key, get, default, value, read, wrong, message, extra):
    assert get(load(extra)) == default, "default"
    assert get(load(extra, nest(key, value))) == read, "set"
    problems = errors(load, extra, nest(key, wrong))
    if message is None:  # an element of a list or map is wrong: the path names the element
        assert len(problems) == 1
        assert problems[0].startswith(f"{DEV}: {key}")
    else:
        assert problems == [f"{DEV}: {key}: {message}"]


def test_protected_defaults_to_true_in_prod(load):
    assert load({}, environment="prod").protected is True


@pytest.mark.parametrize(
    ("key", "bad", "message"),
    [
        (
            "fhirServer.kind",
            "hapi",
            "must be one of 'oss', 'ahds', 'azure-api-for-fhir'; got 'hapi'",
        ),
        ("fhirServer.accessTokenVersion", 3, "must be one of 1, 2; got 3"),
        (
            "clients.web.kind",
            "web",
            "must be one of 'confidential', 'public', 'service'; got 'web'",
        ),
        ("clients.spa.platform", "ios", "must be one of 'spa', 'mobile', 'desktop'; got 'ios'"),
        (
            "clients.web.credential.type",
            "key",
            "must be one of 'secret', 'certificate', 'federated'; got 'key'",
        ),
        ("clients.web.credential.rotationDays", 0, "must be at least 1; got 0"),
        ("clients.web.credential.rotationDays", 731, "must be at most 730; got 731"),
        ("policy.maxSecretLifetimeDays", 0, "must be at least 1; got 0"),
        ("naming.prefix", "", "must be at least 1 characters long"),
        ("naming.prefix", "p" * 41, "must be at most 40 characters long"),
    ],
)
def test_unknown_or_out_of_range_values(load, key, bad, message):
    assert errors(load, nest(key, bad)) == [f"{DEV}: {key}: {message}"]


def test_assignment_fields(load):
    assignment = {"principalId": GUID, "principalType": "Group", "roles": ["globalReader"]}
    spec = load({"assignments": [assignment]})
    (got,) = spec.assignments
    assert (str(got.principal_id), got.principal_type, got.roles, got.description) == (
        GUID,
        "Group",
        ("globalReader",),
        None,
    )
    assert errors(load, {"assignments": [{**assignment, "principalType": "Team"}]}) == [
        f"{DEV}: assignments[0].principalType: must be one of 'User', 'Group', "
        "'ServicePrincipal'; got 'Team'"
    ]
    assert errors(load, {"assignments": [{**assignment, "principalId": "x"}]}) == [
        f"{DEV}: assignments[0].principalId: {GUID_MSG}"
    ]
    assert errors(load, {"assignments": [{"principalId": GUID}]}) == [
        f"{DEV}: assignments[0].principalType: is required; one of 'User', 'Group', "
        "'ServicePrincipal'",
        f"{DEV}: assignments[0].roles: is required",
    ]
    assert errors(load, {"assignments": [{**assignment, "roles": []}]}) == [
        f"{DEV}: assignments[0].roles: needs at least one role"
    ]


def test_required_keys(load):
    assert errors(load, {"fhirServer": {"kind": None}}) == [
        f"{DEV}: fhirServer.kind: is required; one of 'oss', 'ahds', 'azure-api-for-fhir'"
    ]
    assert errors(load, {"clients": {"daemon": {"credential": {"issuer": None}}}}) == [
        f"{DEV}: clients.daemon.credential.issuer: is required"
    ]
    assert errors(load, {"clients": {"x": {"kind": "public"}}}) == [
        f"{DEV}: clients.x.platform: is required; one of 'spa', 'mobile', 'desktop'"
    ]


def test_mobile_and_desktop_redirect_uris(load):
    spec = load(
        {
            "clients": {
                "app": {
                    "kind": "public",
                    "platform": "mobile",
                    "fallbackPublicClient": True,
                    "redirectUris": [
                        "msal6f1d3c4a-2b7e-4f0a-9c1d-8e2f3a4b5c6d://auth",
                        "com.contoso.app://callback",
                        "https://login.microsoftonline.com/common/oauth2/nativeclient",
                        "http://localhost",
                    ],
                },
                "cli": {"kind": "public", "platform": "desktop"},
            }
        }
    )
    assert spec.clients["app"].fallback_public_client is True
    assert spec.clients["cli"].redirect_uris == ()


def test_ahds_with_deploy_derives_the_audience(load):
    spec = load(AHDS_DEPLOY)
    assert spec.fhir_server.audience() == "https://contoso-fhir.fhir.azurehealthcareapis.com"
    assert errors(
        load,
        AHDS_DEPLOY,
        {"fhirServer": {"url": "https://other-fhir.fhir.azurehealthcareapis.com"}},
    ) == [
        f"{DEV}: fhirServer.url: does not match fhirServer.deploy (workspace 'contoso', service "
        "'fhir'): expected https://contoso-fhir.fhir.azurehealthcareapis.com; or leave url out"
    ]


def test_managed_service_keys_are_checked_by_kind(load):
    assert errors(load, {"fhirServer": {"smart": True, "resourceId": "x"}}) == [
        f"{DEV}: fhirServer.resourceId: applies only to a managed FHIR service (kind ahds or "
        "azure-api-for-fhir)",
        f"{DEV}: fhirServer.smart: applies only to a managed FHIR service (kind ahds or "
        "azure-api-for-fhir); the open-source server configures SMART on FHIR itself",
    ]
    assert errors(load, AHDS_DEPLOY, {"fhirServer": {"accessPolicies": {"objectIds": [GUID]}}}) == [
        f"{DEV}: fhirServer.accessPolicies: applies only to kind azure-api-for-fhir; for ahds use "
        "roles and assignments (Azure RBAC)"
    ]
    assert errors(load, {"secretStore": {"keyVaultId": "kv"}}) == [
        f"{DEV}: secretStore.keyVaultId: must be a Key Vault resource id: "
        "/subscriptions/<guid>/resourceGroups/<group>/providers/Microsoft.KeyVault/vaults/<name>"
    ]


def test_reserved_and_invalid_client_keys(load):
    daemon = BASE["clients"]["daemon"]
    assert errors(load, {"clients": {"fhir-server": daemon, "a b": daemon}}) == [
        f"{DEV}: clients.a b: client key 'a b' may use only letters, digits, '-' and '_' (at "
        "most 64, starting with a letter or digit); it names resources and display names",
        f"{DEV}: clients.fhir-server: client key 'fhir-server' is reserved for the FHIR resource "
        "app",
    ]
