"""The Entra rules as pure functions: what each one accepts and the exact message it gives."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest

from fhir_apps import rules
from fhir_apps.rules import azure, credentials, permissions, smart, text, urls

HTTPS_OR_LOCAL = "https, or http://localhost or http://127.0.0.1 (any port and path)"
NATIVE = (
    "https, http://localhost or http://127.0.0.1, or a custom scheme such as "
    "msal<clientId>://auth or com.contoso.app://callback"
)


RULE_MODULES = (text, urls, permissions, credentials, azure, smart)


def test_public_surface():
    # One home per rule: every public name belongs to exactly one module, and the package
    # re-exports that very object.
    owners: dict[str, list[str]] = {}
    for module in RULE_MODULES:
        for name in module.__all__:
            owners.setdefault(name, []).append(module.__name__)
            assert getattr(rules, name) is getattr(module, name)
    assert {name: homes for name, homes in owners.items() if len(homes) > 1} == {}
    assert sorted(rules.__all__) == sorted(owners)
    assert rules.MAX_REDIRECT_URIS == 256
    assert rules.MAX_REDIRECT_URI_LENGTH == 256
    assert rules.MAX_PERMISSION_VALUE_LENGTH == 120
    assert rules.MAX_FEDERATED_CREDENTIALS == 20
    assert rules.MAX_SECRET_LIFETIME_DAYS == 730


@pytest.mark.parametrize("rule_module", RULE_MODULES, ids=lambda m: m.__name__)
def test_rules_do_not_depend_on_the_spec_pydantic_or_pulumi(rule_module: ModuleType) -> None:
    source = Path(str(rule_module.__file__)).read_text(encoding="utf-8")
    for module in ("pydantic", "pulumi", "fhir_apps.spec", "components"):
        assert f"import {module}" not in source
        assert f"from {module}" not in source


@pytest.mark.parametrize(
    ("uri", "platform"),
    [
        ("https://app.contoso.com/signin-oidc", "web"),
        ("https://app.contoso.com/cb?x=1", "web"),
        ("http://localhost", "web"),
        ("http://localhost:5000/signin-oidc", "web"),
        ("http://127.0.0.1:8400/", "spa"),
        ("https://spa.contoso.com/", "spa"),
        ("msal6f1d3c4a-2b7e-4f0a-9c1d-8e2f3a4b5c6d://auth", "mobile"),
        ("com.contoso.app://callback", "desktop"),
        ("msauth.com.contoso.app://auth", "publicClient"),
        ("https://login.microsoftonline.com/common/oauth2/nativeclient", "desktop"),
        ("http://localhost", "desktop"),
        ("https://Web.contoso.com/CB", "web"),
    ],
)
def test_redirect_uris_allowed(uri, platform):
    assert rules.redirect_uri_problems(uri, platform) == []


@pytest.mark.parametrize(
    ("uri", "platform", "expected"),
    [
        ("http://app.contoso.com/cb", "web", [f"uses http; use {HTTPS_OR_LOCAL}"]),
        ("http://localhost.evil.com/", "spa", [f"uses http; use {HTTPS_OR_LOCAL}"]),
        ("http://app.contoso.com/cb", "mobile", [f"uses http; use {NATIVE}"]),
        ("com.contoso.app://cb", "spa", [f"uses scheme 'com.contoso.app'; use {HTTPS_OR_LOCAL}"]),
        (
            "javascript://alert",
            "mobile",
            [f"uses scheme 'javascript', which is not allowed; use {NATIVE}"],
        ),
        ("/signin-oidc", "web", [f"must be an absolute URI; use {HTTPS_OR_LOCAL}"]),
        ("https://", "web", ["must name a host after https://"]),
        (
            "https://*.contoso.com/",
            "web",
            ["must not contain a wildcard '*'; list every redirect URI in full"],
        ),
        (
            "https://a.contoso.com/!$",
            "web",
            ["must not contain ! $; Entra rejects the characters ! $ ' ( ) , ; in redirect URIs"],
        ),
        ("https://a.contoso.com/a b", "web", ["must not contain spaces"]),
        ("https://a.contoso.com/#x", "web", ["must not contain a fragment ('#')"]),
        (
            "https://a.contoso.com/" + "x" * 235,
            "web",
            ["is 257 characters long; Entra allows at most 256"],
        ),
        ("http://[::1", "web", [f"is not a valid URI; use {HTTPS_OR_LOCAL}"]),
    ],
)
def test_redirect_uri_problems(uri, platform, expected):
    assert rules.redirect_uri_problems(uri, platform) == expected


def test_redirect_uri_length_limit_is_inclusive():
    uri = "https://a.contoso.com/" + "x" * (256 - len("https://a.contoso.com/"))
    assert len(uri) == 256
    assert rules.redirect_uri_problems(uri) == []


def test_redirect_uri_platform_must_be_known():
    with pytest.raises(ValueError, match="unknown platform 'ios'"):
        rules.redirect_uri_problems("https://a.contoso.com", "ios")


def test_redirect_uri_count_and_duplicates():
    assert rules.redirect_uri_count_problem(256) is None
    assert rules.redirect_uri_count_problem(257) == (
        "has 257 redirect URIs; Entra allows at most 256 per application"
    )
    assert rules.duplicate_indices(["a", "A", "a", "b", "a"]) == [2, 4]
    assert rules.is_loopback_http("http://127.0.0.1:1234/x")
    assert not rules.is_loopback_http("https://localhost")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("user_impersonation", []),
        ("patient.Observation.read", []),
        ("launch", []),
        ("", ["scope value must not be empty"]),
        ("a b", ["scope value must not contain spaces"]),
        (".read", ["scope value must not start with '.'"]),
        ("s" * 120, []),
        ("s" * 121, ["scope value is 121 characters long; Entra allows at most 120"]),
        (
            "patient/*.read",
            [
                "scope value must not contain '/'; write SMART scopes with dots, e.g. "
                "'patient.all.read' (patient.Observation.read for patient/Observation.read)"
            ],
        ),
        ("lesé", ["scope value must use printable ASCII characters only; found é"]),
    ],
)
def test_permission_values(value, expected):
    assert rules.permission_value_problems(value) == expected


def test_permission_value_names_what_it_checks():
    assert rules.permission_value_problems("a b", "role") == ["role value must not contain spaces"]


def test_roles_scopes_overlap_and_case_duplicates():
    assert rules.roles_and_scopes_overlap(["b", "a", "x"], ["x", "a"]) == ["a", "x"]
    assert rules.case_insensitive_duplicates(["globalReader", "GLOBALREADER", "globalReader"]) == [
        (1, "globalReader")
    ]


VERIFIED = ["contoso.com", "fabrikam.org"]


@pytest.mark.parametrize(
    "uri",
    [
        "https://contoso.com",
        "https://fhir.contoso.com",
        "https://FHIR.Contoso.com/r4",
        "https://a.b.fabrikam.org/",
        "api://5e4d3c2b-1a09-4f8e-9d7c-6b5a49382716",
        "api://tenant-id/fhir",
        "https://contoso.onmicrosoft.com/fhir",
    ],
)
def test_identifier_uris_allowed(uri):
    assert rules.identifier_uri_problem(uri, VERIFIED) is None


@pytest.mark.parametrize(
    ("uri", "domains", "expected"),
    [
        (
            "https://fhir.notcontoso.com",
            VERIFIED,
            "host 'fhir.notcontoso.com' is not under a verified domain of the tenant "
            "(contoso.com, fabrikam.org); Entra only accepts https on a verified domain of the "
            "tenant (tenant.verifiedDomains), https://<tenant>.onmicrosoft.com/..., or api://...",
        ),
        (
            "https://fhir.contoso.com",
            [],
            "host 'fhir.contoso.com' is not under a verified domain: tenant.verifiedDomains is "
            "empty; list the tenant's verified domains there, or use "
            "https://<tenant>.onmicrosoft.com/... or api://...",
        ),
        (
            "http://fhir.contoso.com",
            VERIFIED,
            "must use https; use https on a verified domain of the tenant "
            "(tenant.verifiedDomains), https://<tenant>.onmicrosoft.com/..., or api://...",
        ),
        ("api://", VERIFIED, "api:// needs a value after it, e.g. api://<appId>"),
        ("https://*.contoso.com", VERIFIED, "must not contain spaces, wildcards or a fragment"),
        (
            "https://a.b.onmicrosoft.com",
            [],
            "host 'a.b.onmicrosoft.com' is not under a verified domain: tenant.verifiedDomains is "
            "empty; list the tenant's verified domains there, or use "
            "https://<tenant>.onmicrosoft.com/... or api://...",
        ),
    ],
)
def test_identifier_uri_problems(uri, domains, expected):
    assert rules.identifier_uri_problem(uri, domains) == expected


def test_access_token_version():
    assert rules.access_token_version_problem(1, "https://fhir.contoso.com") is None
    assert rules.access_token_version_problem(2, "api://fhir") is None
    assert rules.access_token_version_problem(2, "https://fhir.contoso.com") == (
        "must be 1 for a server identified by an https URL: with v2 tokens 'aud' is the "
        "application id, and the FHIR server expects its URL"
    )


def test_managed_service_urls():
    assert rules.ahds_url_problem("https://contoso-fhir.fhir.azurehealthcareapis.com") is None
    assert rules.ahds_url_problem("https://contoso-fhir.fhir.azurehealthcareapis.com/") is None
    assert rules.ahds_url_problem("https://fhir.contoso.com") == (
        "must be the FHIR service URL https://<workspace>-<service>.fhir.azurehealthcareapis.com "
        "(workspace and service: 3-24 lowercase letters and digits)"
    )
    assert (
        rules.azure_api_for_fhir_url_problem("https://contoso-fhir.azurehealthcareapis.com") is None
    )
    assert rules.azure_api_for_fhir_url_problem(
        "https://contoso-fhir.fhir.azurehealthcareapis.com"
    ) == (
        "must be the Azure API for FHIR URL https://<name>.azurehealthcareapis.com "
        "(name: 3-24 lowercase letters, digits and '-')"
    )


def test_fhir_rbac_roles():
    assert rules.fhir_rbac_role_problem("FHIR Data Reader") is None
    assert rules.fhir_rbac_role_problem("fhir data reader").startswith(
        "'fhir data reader' is not a FHIR RBAC role; allowed: FHIR Data Reader, FHIR Data Writer"
    )


def test_secret_rotation_and_lifetime():
    assert rules.secret_rotation_problem(182, 365) is None
    assert rules.secret_rotation_problem(183, 365) == (
        "rotationDays 183 gives each secret a lifetime of 366 days (two staggered slots each live "
        "two rotation periods), more than policy.maxSecretLifetimeDays 365; use at most 182"
    )
    assert rules.secret_lifetime_problem(365, 365) is None
    assert rules.secret_lifetime_problem(800, 1000) == (
        "secret lifetime of 800 days exceeds 730 days (the tenant policy, and Entra's ceiling of "
        "730); prefer a certificate or a federated credential"
    )


def test_federated_credentials():
    assert rules.federated_issuer_problem("https://token.actions.githubusercontent.com") is None
    message = (
        "must be an https URL, e.g. https://token.actions.githubusercontent.com for GitHub Actions"
    )
    assert rules.federated_issuer_problem("http://issuer") == message
    assert rules.federated_issuer_problem("https://") == message
    assert rules.federated_subject_problem("repo:contoso/x:ref:refs/heads/main") is None
    assert rules.federated_subject_problem(" ") == (
        "must not be empty; e.g. repo:contoso/ingest:environment:prod"
    )
    assert rules.federated_count_problem(20) is None
    assert rules.federated_count_problem(0) == "needs at least one subject (subject or subjects)"
    assert rules.federated_count_problem(21) == (
        "has 21 subjects; Entra allows at most 20 federated credentials per application"
    )
    assert rules.federated_audiences_problem(["api://AzureADTokenExchange"]) is None
    assert rules.federated_audiences_problem([]) == (
        "must hold exactly one audience (got 0); the usual value is api://AzureADTokenExchange"
    )


def test_ids():
    assert rules.object_id_problem("5e4d3c2b-1a09-4f8e-9d7c-6b5a49382716") is None
    assert rules.object_id_problem("bob") == (
        "'bob' is not an object id; use the GUID of a user or service principal, e.g. "
        "00000000-0000-0000-0000-000000000000"
    )
    sub = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers"
    assert rules.key_vault_id_problem(f"{sub}/Microsoft.KeyVault/vaults/kv") is None
    assert rules.key_vault_id_problem("kv").startswith("must be a Key Vault resource id")
    ahds = f"{sub}/Microsoft.HealthcareApis/workspaces/ws/fhirservices/fhir"
    legacy = f"{sub}/Microsoft.HealthcareApis/services/fhir"
    assert rules.resource_id_problem(ahds, "ahds") is None
    assert rules.resource_id_problem(legacy, "azure-api-for-fhir") is None
    assert rules.resource_id_problem(legacy, "ahds").startswith(
        "must be a FHIR service resource id"
    )
    assert rules.resource_id_problem(ahds, "azure-api-for-fhir").startswith(
        "must be an Azure API for FHIR resource id"
    )
