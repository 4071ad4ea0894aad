"""The guardrails: each policy through the CrossGuard pack's `validate` (hand-built args, the pack's
server is never started), the registry and config, and `run_policies` over real renders of the
example stacks, untouched (no violation) and tampered to break one rule (exactly that rule).
"""

from __future__ import annotations

import copy
import importlib.util
import json
import runpy
import shutil
from collections.abc import Mapping
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pulumi_policy
import pytest
from pulumi_policy import (
    EnforcementLevel,
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, unknown_checking_proxy

from fhir_apps import policies
from fhir_apps.cli import main as cli_main
from fhir_apps.policies import (
    DEFAULT_POLICY_CONFIG,
    POLICIES,
    PolicyConfigError,
    Violation,
    crossguard_policies,
    has_mandatory,
    policy_config_for_spec,
    resolve_config,
    run_policies,
)
from fhir_apps.policies.secrets import go_duration, secret_lifetime_violations
from fhir_apps.policies.stack import StackResource, public_client_credential_violations
from fhir_apps.resource_types import (
    APPLICATION,
    APPLICATION_APP_ROLE,
    APPLICATION_IDENTIFIER_URI,
    APPLICATION_PASSWORD,
    APPLICATION_PERMISSION_SCOPE,
    APPLICATION_REDIRECT_URIS,
    APPLICATION_REGISTRATION,
    SERVICE_PRINCIPAL_PASSWORD,
    UNKNOWN,
)
from tests.component_helpers import make_spec

ROOT = Path(__file__).resolve().parents[1]
TODAY = date(2025, 6, 1)
READER = "4c8d0bbc-75d3-4935-991f-5f3c56d81508"  # FHIR Data Reader
SUB = "/subscriptions/11111111-2222-3333-4444-555555555555"
FHIR_SERVICE = (
    f"{SUB}/resourceGroups/rg-fhir/providers/Microsoft.HealthcareApis/workspaces/ws/fhirservices/fs"
)
APP_URN = "urn:pulumi:dev::p::azuread:index/application:Application::spa-app"
PASSWORD_URN = "urn:pulumi:dev::p::azuread:index/applicationPassword:ApplicationPassword::spa-pw"

PACK = {p.name: p for p in crossguard_policies()}


# --- helpers: the args the Pulumi engine would hand the pack ----------------------------------


def _opts() -> PolicyResourceOptions:
    return PolicyResourceOptions(
        protect=False,
        ignore_changes=[],
        delete_before_replace=None,
        aliases=[],
        custom_timeouts=PolicyCustomTimeouts(0, 0, 0),
        additional_secret_outputs=[],
    )


def validate_resource(
    policy_name: str,
    resource_type: str,
    props: Mapping[str, Any],
    config: Mapping[str, Any] | None = None,
) -> list[str]:
    """Run one resource policy of the pack on one resource; the messages it reports."""
    policy = PACK[policy_name]
    assert isinstance(policy, ResourceValidationPolicy)
    urn = f"urn:pulumi:dev::p::{resource_type}::r"
    args = ResourceValidationArgs(resource_type, props, urn, "r", _opts(), None, config)
    reported: list[str] = []

    def report(message: str, urn: str | None = None) -> None:
        assert urn is None  # resource policies report against the resource itself
        reported.append(message)

    policy.validate(args, report)
    return reported


def stack_resource(
    urn: str,
    props: Mapping[str, Any],
    application: PolicyResource | None = None,
    dependencies: list[PolicyResource] | None = None,
) -> PolicyResource:
    resource_type = urn.split("::")[2].rsplit("$", 1)[-1]
    property_dependencies = {"applicationId": [application]} if application else {}
    return PolicyResource(
        resource_type,
        props,
        urn,
        urn.rsplit("::", 1)[-1],
        _opts(),
        None,
        None,
        dependencies if dependencies is not None else ([application] if application else []),
        property_dependencies,
    )


def validate_stack(
    policy_name: str, resources: list[PolicyResource], config: Mapping[str, Any] | None = None
) -> list[tuple[str | None, str]]:
    """Run one stack policy of the pack; (urn, message) of each violation it reports."""
    policy = PACK[policy_name]
    assert isinstance(policy, StackValidationPolicy)
    reported: list[tuple[str | None, str]] = []
    policy.validate(
        StackValidationArgs(resources, config), lambda m, urn=None: reported.append((urn, m))
    )
    return reported


def spa_app(**extra: Any) -> dict[str, Any]:
    return {
        "displayName": "spa",
        "owners": ["6f1d3c4a-2b7e-4f0a-9c1d-8e2f3a4b5c6d"],
        "singlePageApplication": {"redirectUris": ["https://spa.contoso.com/"]},
        "web": {"redirectUris": []},
        **extra,
    }


# --- entra-redirect-uris ----------------------------------------------------------------------


def test_redirect_uris_triggers_on_a_wildcard_spa_uri() -> None:
    props = spa_app(singlePageApplication={"redirectUris": ["https://*.contoso.com/"]})
    assert validate_resource("entra-redirect-uris", APPLICATION, props) == [
        "singlePageApplication.redirectUris: 'https://*.contoso.com/' must not contain a "
        "wildcard '*'; list every redirect URI in full"
    ]


def test_redirect_uris_triggers_on_http_outside_localhost_on_web() -> None:
    props = {"web": {"redirectUris": ["http://app.contoso.com/signin-oidc"]}}
    assert validate_resource("entra-redirect-uris", APPLICATION, props) == [
        "web.redirectUris: 'http://app.contoso.com/signin-oidc' uses http; use https, or "
        "http://localhost or http://127.0.0.1 (any port and path)"
    ]


def test_redirect_uris_triggers_on_forbidden_characters_in_split_resource() -> None:
    props = {"type": "Web", "applicationId": "/applications/x", "redirectUris": ["https://a/(x)"]}
    assert validate_resource("entra-redirect-uris", APPLICATION_REDIRECT_URIS, props) == [
        "redirectUris: 'https://a/(x)' must not contain ( ); Entra rejects the characters "
        "! $ ' ( ) , ; in redirect URIs"
    ]


def test_redirect_uris_triggers_on_too_many_uris_across_platforms() -> None:
    web = [f"https://app.contoso.com/{i}" for i in range(200)]
    spa = [f"https://spa.contoso.com/{i}" for i in range(57)]
    props = {"web": {"redirectUris": web}, "singlePageApplication": {"redirectUris": spa}}
    assert validate_resource("entra-redirect-uris", APPLICATION, props) == [
        "has 257 redirect URIs; Entra allows at most 256 per application"
    ]


def test_redirect_uris_triggers_on_a_uri_longer_than_256() -> None:
    uri = "https://app.contoso.com/" + "a" * 233
    assert len(uri) == 257
    messages = validate_resource(
        "entra-redirect-uris", APPLICATION, {"web": {"redirectUris": [uri]}}
    )
    assert messages == [
        f"web.redirectUris: '{uri}' is 257 characters long; Entra allows at most 256"
    ]


def test_redirect_uris_custom_scheme_only_on_public_client_platform() -> None:
    native = {"type": "PublicClient", "redirectUris": ["com.contoso.app://callback"]}
    web = {"type": "Web", "redirectUris": ["com.contoso.app://callback"]}
    assert validate_resource("entra-redirect-uris", APPLICATION_REDIRECT_URIS, native) == []
    assert validate_resource("entra-redirect-uris", APPLICATION_REDIRECT_URIS, web) == [
        "redirectUris: 'com.contoso.app://callback' uses scheme 'com.contoso.app'; use https, "
        "or http://localhost or http://127.0.0.1 (any port and path)"
    ]


def test_redirect_uris_passes_https_localhost_and_native_schemes() -> None:
    props = {
        "web": {"redirectUris": ["https://app.contoso.com/signin-oidc"]},
        "singlePageApplication": {"redirectUris": ["http://localhost:3000/"]},
        "publicClient": {"redirectUris": ["msauth.com.contoso.care://auth", "http://127.0.0.1"]},
    }
    assert validate_resource("entra-redirect-uris", APPLICATION, props) == []


def test_redirect_uris_skips_unknown_values_during_preview() -> None:
    # During preview an input computed from another resource is unknown: it cannot be judged
    # then, and `pulumi up` runs the policy again once it is known.
    props = unknown_checking_proxy(
        {"web": {"redirectUris": [UNKNOWN_STRING_VALUE, "https://*.contoso.com"]}}
    )
    assert validate_resource("entra-redirect-uris", APPLICATION, props) == [
        "web.redirectUris: 'https://*.contoso.com' must not contain a wildcard '*'; list every "
        "redirect URI in full"
    ]


# --- entra-implicit-grant-off -----------------------------------------------------------------


@pytest.mark.parametrize("flag", ["accessTokenIssuanceEnabled", "idTokenIssuanceEnabled"])
def test_implicit_grant_triggers_on_each_flag(flag: str) -> None:
    props = {"web": {"implicitGrant": {flag: True}}}
    assert validate_resource("entra-implicit-grant-off", APPLICATION, props) == [
        f"web.implicitGrant.{flag} is true: implicit grant must stay off; use the authorization "
        "code flow (with PKCE for SPAs and native apps)"
    ]


def test_implicit_grant_triggers_on_application_registration() -> None:
    props = {"implicitIdTokenIssuanceEnabled": True}
    assert validate_resource("entra-implicit-grant-off", APPLICATION_REGISTRATION, props) == [
        "implicitIdTokenIssuanceEnabled is true: implicit grant must stay off; use the "
        "authorization code flow (with PKCE for SPAs and native apps)"
    ]


def test_implicit_grant_passes_when_off_or_absent() -> None:
    off = {"web": {"implicitGrant": {"accessTokenIssuanceEnabled": False}}}
    assert validate_resource("entra-implicit-grant-off", APPLICATION, off) == []
    assert validate_resource("entra-implicit-grant-off", APPLICATION, {}) == []


# --- entra-public-client-no-credentials (stack policy: credentials joined to their app) --------


def test_public_client_credential_triggers_on_password_of_spa() -> None:
    app = stack_resource(APP_URN, spa_app())
    password = stack_resource(
        PASSWORD_URN, {"applicationId": "/applications/1", "endDate": "x"}, application=app
    )
    assert validate_stack("entra-public-client-no-credentials", [app, password]) == [
        (
            PASSWORD_URN,
            "client secret (ApplicationPassword) on public client 'spa-app' (it has SPA or "
            "publicClient redirect URIs and no web redirect URI): public clients hold no "
            "credential of any kind; remove it, or make the client confidential (web redirect "
            "URIs, fallbackPublicClientEnabled false)",
        )
    ]


def test_public_client_credential_triggers_on_fallback_app_joined_by_object_id() -> None:
    # Under the engine a stack policy sees outputs: the Application's objectId makes its id
    # `/applications/<objectId>`, which is what the certificate's applicationId holds.
    app = stack_resource(
        APP_URN,
        {"fallbackPublicClientEnabled": True, "objectId": "0000-1", "web": {"redirectUris": []}},
    )
    cert_urn = "urn:pulumi:dev::p::azuread:index/applicationCertificate:ApplicationCertificate::c"
    cert = stack_resource(cert_urn, {"applicationId": "/applications/0000-1"})
    assert validate_stack("entra-public-client-no-credentials", [app, cert]) == [
        (
            cert_urn,
            "certificate (ApplicationCertificate) on public client 'spa-app' "
            "(fallbackPublicClientEnabled is true): public clients hold no credential of any "
            "kind; remove it, or make the client confidential (web redirect URIs, "
            "fallbackPublicClientEnabled false)",
        )
    ]


def test_public_client_credential_triggers_on_inline_password() -> None:
    app = stack_resource(APP_URN, spa_app(password={"displayName": "p", "endDate": "x"}))
    assert validate_stack("entra-public-client-no-credentials", [app]) == [
        (
            APP_URN,
            "password on public client 'spa-app' (it has SPA or publicClient redirect URIs and "
            "no web redirect URI): public clients hold no credential of any kind; remove it",
        )
    ]


def test_public_client_credential_sees_split_fallback_and_redirect_resources() -> None:
    app = stack_resource(APP_URN, {"owners": ["o"]})
    fallback_urn = (
        "urn:pulumi:dev::p::azuread:index/applicationFallbackPublicClient:"
        "ApplicationFallbackPublicClient::f"
    )
    fallback = stack_resource(fallback_urn, {"enabled": True}, application=app)
    fic_urn = (
        "urn:pulumi:dev::p::azuread:index/applicationFederatedIdentityCredential:"
        "ApplicationFederatedIdentityCredential::gh"
    )
    fic = stack_resource(fic_urn, {"subject": "repo:x"}, application=app)
    assert [
        urn for urn, _ in validate_stack("entra-public-client-no-credentials", [app, fic])
    ] == []
    assert [
        urn for urn, _ in validate_stack("entra-public-client-no-credentials", [app, fallback, fic])
    ] == [fic_urn]


REDIRECTS_URN = "urn:pulumi:dev::p::azuread:index/applicationRedirectUris:ApplicationRedirectUris::"
# A redirect URI each ApplicationRedirectUris type accepts.
SPLIT_URIS = {
    "Web": "https://app.contoso.com/signin-oidc",
    "SPA": "https://spa.contoso.com/",
    "PublicClient": "com.contoso.app://callback",
}


def split_redirects(uri_type: str, application: PolicyResource) -> PolicyResource:
    """An ApplicationRedirectUris of `uri_type` joined to `application` (by property dependency)."""
    return stack_resource(
        f"{REDIRECTS_URN}{uri_type.lower()}",
        {
            "applicationId": "/applications/1",
            "type": uri_type,
            "redirectUris": [SPLIT_URIS[uri_type]],
        },
        application=application,
    )


@pytest.mark.parametrize("uri_type", ["SPA", "PublicClient"])
def test_public_client_credential_sees_split_public_redirect_uris(uri_type: str) -> None:
    # The pack judges any program's resources: one that keeps its redirect URIs in
    # ApplicationRedirectUris (not inline) is public by those alone.
    app = stack_resource(APP_URN, {"owners": ["o"]})
    password = stack_resource(
        PASSWORD_URN, {"applicationId": "/applications/1", "endDate": "x"}, application=app
    )
    redirects = split_redirects(uri_type, app)
    # Without its redirect URIs the app is not known to be public: nothing to report.
    assert validate_stack("entra-public-client-no-credentials", [app, password]) == []
    assert validate_stack("entra-public-client-no-credentials", [app, redirects, password]) == [
        (
            PASSWORD_URN,
            "client secret (ApplicationPassword) on public client 'spa-app' (it has SPA or "
            "publicClient redirect URIs and no web redirect URI): public clients hold no "
            "credential of any kind; remove it, or make the client confidential (web redirect "
            "URIs, fallbackPublicClientEnabled false)",
        )
    ]


@pytest.mark.parametrize("uri_type", ["SPA", "PublicClient"])
def test_public_client_credential_split_web_uris_make_a_hybrid_confidential(
    uri_type: str,
) -> None:
    app = stack_resource(APP_URN, {"owners": ["o"]})
    password = stack_resource(
        PASSWORD_URN, {"applicationId": "/applications/1", "endDate": "x"}, application=app
    )
    resources = [app, split_redirects(uri_type, app), split_redirects("Web", app), password]
    assert validate_stack("entra-public-client-no-credentials", resources) == []
    # Web redirect URIs alone never make an app public either.
    web_only = [app, split_redirects("Web", app), password]
    assert validate_stack("entra-public-client-no-credentials", web_only) == []


def test_public_client_credential_passes_confidential_and_hybrid_apps() -> None:
    hybrid = stack_resource(
        APP_URN,
        spa_app(web={"redirectUris": ["https://app.contoso.com/signin-oidc"]}),
    )
    password = stack_resource(PASSWORD_URN, {"applicationId": "x"}, application=hybrid)
    assert validate_stack("entra-public-client-no-credentials", [hybrid, password]) == []


def test_public_client_credential_with_unknown_props_during_preview() -> None:
    # Under preview the engine's props are proxies and the app's objectId is not known yet; the
    # property dependency still joins the password to its application.
    app = stack_resource(APP_URN, unknown_checking_proxy(spa_app(objectId=UNKNOWN_STRING_VALUE)))
    password = stack_resource(
        PASSWORD_URN,
        unknown_checking_proxy({"applicationId": UNKNOWN_STRING_VALUE}),
        application=app,
    )
    assert [
        u for u, _ in validate_stack("entra-public-client-no-credentials", [app, password])
    ] == [PASSWORD_URN]


def test_public_client_credential_ignores_credentials_of_apps_outside_the_stack() -> None:
    password = stack_resource(PASSWORD_URN, {"applicationId": "/applications/elsewhere"})
    assert validate_stack("entra-public-client-no-credentials", [password]) == []


def test_public_client_credential_does_not_guess_between_two_applications() -> None:
    one = StackResource(APP_URN, APPLICATION, spa_app())
    two = StackResource(APP_URN + "2", APPLICATION, spa_app())
    password = StackResource(
        PASSWORD_URN, APPLICATION_PASSWORD, {}, application_refs=(one.urn, two.urn)
    )
    assert public_client_credential_violations([one, two, password]) == []


# --- entra-secret-max-lifetime ----------------------------------------------------------------


def _lifetime(props: Mapping[str, Any], config: Mapping[str, Any] | None = None) -> list[str]:
    return validate_resource("entra-secret-max-lifetime", APPLICATION_PASSWORD, props, config)


def test_secret_lifetime_triggers_beyond_default_365_days() -> None:
    props = {"startDate": "2025-01-01T00:00:00Z", "endDate": "2026-01-02T00:00:00Z"}
    assert _lifetime(props) == [
        "secret lifetime of 366 days exceeds 365 days (the tenant policy, and Entra's ceiling of "
        "730); prefer a certificate or a federated credential"
    ]


def test_secret_lifetime_passes_at_exactly_365_days() -> None:
    assert _lifetime({"startDate": "2025-01-01T00:00:00Z", "endDate": "2026-01-01T00:00:00Z"}) == []


def test_secret_lifetime_uses_configured_maximum_from_the_engine() -> None:
    # The engine passes config through protobuf: every number arrives as a float.
    props = {"startDate": "2025-01-01T00:00:00Z", "endDate": "2025-03-02T00:00:00Z"}  # 60 days
    assert _lifetime(props, {"maxSecretLifetimeDays": 90.0}) == []
    assert _lifetime(props, {"maxSecretLifetimeDays": 30.0}) == [
        "secret lifetime of 60 days exceeds 30 days (the tenant policy, and Entra's ceiling of "
        "730); prefer a certificate or a federated credential"
    ]


def test_secret_lifetime_triggers_on_relative_end_date() -> None:
    props = {"startDate": "2025-01-01T00:00:00Z", "endDateRelative": "17520h"}  # 730 days
    assert _lifetime(props) == [
        "secret lifetime of 730 days exceeds 365 days (the tenant policy, and Entra's ceiling of "
        "730); prefer a certificate or a federated credential"
    ]


def test_secret_lifetime_triggers_without_end_date() -> None:
    assert _lifetime({"displayName": "x"}) == [
        "no endDate: without endDate or endDateRelative the azuread provider makes a secret "
        "valid for two years; set an endDate at most 365 days after its start"
    ]


def test_secret_lifetime_measures_from_today_without_start_date() -> None:
    end = {"endDate": "2026-06-02T00:00:00Z"}
    assert secret_lifetime_violations(APPLICATION_PASSWORD, end, {"today": "2025-06-01"}) == [
        "secret lifetime of 366 days exceeds 365 days (the tenant policy, and Entra's ceiling of "
        "730); prefer a certificate or a federated credential"
    ]
    assert secret_lifetime_violations(APPLICATION_PASSWORD, end, {"today": "2025-06-02"}) == []


def test_secret_lifetime_checks_inline_and_service_principal_passwords() -> None:
    inline = {"password": {"displayName": "p", "endDateRelative": "10000h"}}
    sp = {"startDate": "2025-01-01T00:00:00Z", "endDate": "2027-01-01T00:00:00Z"}
    assert validate_resource("entra-secret-max-lifetime", APPLICATION, inline) == [
        "password: secret lifetime of 416.67 days exceeds 365 days (the tenant policy, and "
        "Entra's ceiling of 730); prefer a certificate or a federated credential"
    ]
    assert validate_resource("entra-secret-max-lifetime", SERVICE_PRINCIPAL_PASSWORD, sp) == [
        "secret lifetime of 730 days exceeds 365 days (the tenant policy, and Entra's ceiling of "
        "730); prefer a certificate or a federated credential"
    ]


def test_secret_lifetime_reports_unparseable_dates() -> None:
    assert _lifetime({"endDate": "next year"}) == ["endDate 'next year' is not an RFC3339 date"]
    assert _lifetime({"endDateRelative": "1y"}) == [
        "endDateRelative '1y' is not a duration such as 2160h"
    ]


def test_go_duration() -> None:
    assert go_duration("2400h30m") == timedelta(hours=2400, minutes=30)
    assert go_duration("1.5h") == timedelta(minutes=90)
    assert go_duration("") is None
    assert go_duration("10d") is None


# --- entra-identifier-uri-verified-domain -----------------------------------------------------


def test_identifier_uri_triggers_outside_verified_domains() -> None:
    props = {"identifierUris": ["https://fhir.example.org"]}
    config = {"verifiedDomains": ["contoso.com"]}
    assert validate_resource(
        "entra-identifier-uri-verified-domain", APPLICATION, props, config
    ) == [
        "identifierUris: 'https://fhir.example.org' host 'fhir.example.org' is not under a "
        "verified domain of the tenant (contoso.com); Entra only accepts https on a verified "
        "domain of the tenant (tenant.verifiedDomains), https://<tenant>.onmicrosoft.com/..., or "
        "api://..."
    ]


def test_identifier_uri_passes_verified_subdomain_api_and_onmicrosoft() -> None:
    props = {
        "identifierUris": [
            "https://fhir.contoso.com",
            "api://fhir",
            "https://contoso.onmicrosoft.com/fhir",
        ]
    }
    config = {"verifiedDomains": ["contoso.com"]}
    assert (
        validate_resource("entra-identifier-uri-verified-domain", APPLICATION, props, config) == []
    )
    split = {"identifierUri": "https://fhir.contoso.com"}
    assert (
        validate_resource(
            "entra-identifier-uri-verified-domain", APPLICATION_IDENTIFIER_URI, split, config
        )
        == []
    )


def test_identifier_uri_not_applicable_without_verified_domains() -> None:
    from pulumi_policy.policy import _NotApplicableError

    with pytest.raises(_NotApplicableError) as caught:
        validate_resource(
            "entra-identifier-uri-verified-domain",
            APPLICATION,
            {"identifierUris": ["https://fhir.example.org"]},
        )
    assert caught.value.reason == "verifiedDomains is not configured"


# --- entra-access-token-version ---------------------------------------------------------------


def test_access_token_version_triggers_on_v2_with_https_uri() -> None:
    props = {
        "identifierUris": ["https://fhir.contoso.com"],
        "api": {"requestedAccessTokenVersion": 2},
    }
    assert validate_resource("entra-access-token-version", APPLICATION, props) == [
        "api.requestedAccessTokenVersion 2 with 'https://fhir.contoso.com': must be 1 for a "
        "server identified by an https URL: with v2 tokens 'aud' is the application id, and the "
        "FHIR server expects its URL"
    ]


def test_access_token_version_passes_v1_and_v2_with_api_uri() -> None:
    v1 = {"identifierUris": ["https://fhir.contoso.com"], "api": {"requestedAccessTokenVersion": 1}}
    v2 = {"identifierUris": ["api://fhir"], "api": {"requestedAccessTokenVersion": 2.0}}
    assert validate_resource("entra-access-token-version", APPLICATION, v1) == []
    assert validate_resource("entra-access-token-version", APPLICATION, v2) == []


# --- entra-roles-scopes-distinct and entra-permission-values -----------------------------------


def test_roles_and_scopes_triggers_on_shared_value() -> None:
    props = {
        "appRoles": [{"value": "globalReader"}, {"value": "globalWriter"}],
        "api": {"oauth2PermissionScopes": [{"value": "globalReader"}, {"value": "launch"}]},
    }
    assert validate_resource("entra-roles-scopes-distinct", APPLICATION, props) == [
        "'globalReader' is both an app role (appRoles) and a scope (api.oauth2PermissionScopes) "
        "and has different ids (or none) as app role and as scope; Entra accepts one value as "
        "both only with the same id"
    ]


def test_roles_and_scopes_passes_distinct_values() -> None:
    props = {
        "appRoles": [{"value": "globalReader"}],
        "api": {"oauth2PermissionScopes": [{"value": "user_impersonation"}]},
    }
    assert validate_resource("entra-roles-scopes-distinct", APPLICATION, props) == []


def test_permission_values_triggers_on_slash_and_space() -> None:
    props = {
        "appRoles": [{"value": "global Reader"}],
        "api": {"oauth2PermissionScopes": [{"value": "patient/Observation.read"}]},
    }
    assert validate_resource("entra-permission-values", APPLICATION, props) == [
        "appRoles: 'global Reader': app role value must not contain spaces",
        "api.oauth2PermissionScopes: 'patient/Observation.read': scope value must not contain "
        "'/'; write SMART scopes with dots, e.g. 'patient.Observation.read' "
        "(patient.Observation.read for patient/Observation.read)",
    ]


def test_permission_values_passes_smart_scopes_with_dots() -> None:
    scope = {"value": "patient.Observation.read"}
    assert validate_resource("entra-permission-values", APPLICATION_PERMISSION_SCOPE, scope) == []
    role = {"value": ".hidden"}
    assert validate_resource("entra-permission-values", APPLICATION_APP_ROLE, role) == [
        "value: '.hidden': app role value must not start with '.'"
    ]


# --- entra-application-owners (stack policy) --------------------------------------------------


def test_owners_triggers_on_application_without_owners() -> None:
    app = stack_resource(APP_URN, {"displayName": "x", "owners": []})
    assert validate_stack("entra-application-owners", [app]) == [
        (
            APP_URN,
            "application 'spa-app' has no owners: set `owners` (object ids of users or service "
            "principals) or add an ApplicationOwner",
        )
    ]


def test_owners_passes_with_owners_input_or_application_owner() -> None:
    owned = stack_resource(APP_URN, {"owners": ["6f1d3c4a-2b7e-4f0a-9c1d-8e2f3a4b5c6d"]})
    assert validate_stack("entra-application-owners", [owned]) == []
    bare = stack_resource(APP_URN, {"displayName": "x"})
    owner = stack_resource(
        "urn:pulumi:dev::p::azuread:index/applicationOwner:ApplicationOwner::o",
        {"ownerObjectId": "6f1d3c4a-2b7e-4f0a-9c1d-8e2f3a4b5c6d"},
        application=bare,
    )
    assert validate_stack("entra-application-owners", [bare, owner]) == []


# --- fhir-rbac-service-scope ------------------------------------------------------------------

_ROLE = f"{SUB}/providers/Microsoft.Authorization/roleDefinitions/{READER}"


@pytest.mark.parametrize(
    "scope", [SUB, f"{SUB}/resourceGroups/rg-fhir", f"{SUB}/resourceGroups/rg-fhir/"]
)
def test_fhir_rbac_scope_triggers_at_subscription_or_resource_group(scope: str) -> None:
    props = {"roleDefinitionId": _ROLE, "scope": scope, "principalId": "p"}
    assert validate_resource(
        "fhir-rbac-service-scope", "azure-native:authorization:RoleAssignment", props
    ) == [
        f"'FHIR Data Reader' is assigned at scope '{scope.rstrip('/')}', which is broader than "
        "one FHIR service; assign it at the FHIR service: /subscriptions/<guid>/resourceGroups/"
        "<group>/providers/Microsoft.HealthcareApis/workspaces/<workspace>/fhirservices/<service> "
        "(or .../services/<name> for Azure API for FHIR)"
    ]


def test_fhir_rbac_scope_applies_to_versioned_type_tokens() -> None:
    props = {"roleDefinitionId": READER.upper(), "scope": SUB}
    token = "azure-native:authorization/v20220401:RoleAssignment"
    assert len(validate_resource("fhir-rbac-service-scope", token, props)) == 1


def test_fhir_rbac_scope_passes_at_fhir_service_and_for_other_roles() -> None:
    api_for_fhir = f"{SUB}/resourceGroups/rg/providers/Microsoft.HealthcareApis/services/legacy"
    owner = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"  # Owner: not a FHIR role
    owner_role = f"{SUB}/providers/Microsoft.Authorization/roleDefinitions/{owner}"
    token = "azure-native:authorization:RoleAssignment"
    for props in (
        {"roleDefinitionId": _ROLE, "scope": FHIR_SERVICE},
        {"roleDefinitionId": _ROLE, "scope": api_for_fhir},
        {"roleDefinitionId": owner_role, "scope": SUB},
        {"roleDefinitionId": _ROLE, "scope": UNKNOWN},
    ):
        assert validate_resource("fhir-rbac-service-scope", token, props) == [], props


# --- the registry, its config and the pack ----------------------------------------------------


def test_pack_has_one_policy_per_definition_with_its_level_and_description() -> None:
    built = crossguard_policies()
    assert [p.name for p in built] == [p.name for p in POLICIES]
    for definition, policy in zip(POLICIES, built, strict=True):
        assert policy.description == definition.description
        assert policy.enforcement_level == EnforcementLevel(definition.enforcement_level)
        expected = StackValidationPolicy if definition.stack_check else ResourceValidationPolicy
        assert isinstance(policy, expected), definition.name


def test_pack_config_schema_bounds_secret_lifetime() -> None:
    schema = PACK["entra-secret-max-lifetime"].config_schema
    assert schema is not None
    assert schema.properties == {
        "maxSecretLifetimeDays": {
            "type": "integer",
            "minimum": 1,
            "maximum": 730,
            "default": 365,
            "description": "Longest allowed secret lifetime in days (tenant policy).",
        }
    }


def test_mandatory_and_advisory_defaults() -> None:
    levels = {name: c["enforcementLevel"] for name, c in DEFAULT_POLICY_CONFIG.items()}
    assert levels == {
        "entra-redirect-uris": "mandatory",
        "entra-implicit-grant-off": "mandatory",
        "entra-public-client-no-credentials": "mandatory",
        "entra-secret-max-lifetime": "mandatory",
        "entra-identifier-uri-verified-domain": "advisory",
        "entra-access-token-version": "mandatory",
        "entra-roles-scopes-distinct": "mandatory",
        "entra-permission-values": "mandatory",
        "entra-application-owners": "advisory",
        "fhir-rbac-service-scope": "mandatory",
    }


def test_pack_entry_point_builds_the_pack_without_serving(monkeypatch: pytest.MonkeyPatch) -> None:
    # PolicyPack() starts a gRPC server and blocks; record its arguments instead.
    recorded: dict[str, Any] = {}
    monkeypatch.setattr(pulumi_policy, "PolicyPack", lambda **kwargs: recorded.update(kwargs))
    runpy.run_path(str(ROOT / "policy" / "__main__.py"), run_name="__main__")
    assert recorded["name"] == "fhir-apps-guardrails"
    assert [p.name for p in recorded["policies"]] == [p.name for p in POLICIES]
    assert (ROOT / "policy" / "PulumiPolicy.yaml").is_file()


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"entra-redirect-uri": "mandatory"}, "unknown policy entra-redirect-uri; policies: "),
        ({"all": "strict"}, "all: must be one of advisory, mandatory, remediate, disabled"),
        (
            {"entra-redirect-uris": {"enforcementLevel": "warn"}},
            "entra-redirect-uris.enforcementLevel: must be one of advisory, mandatory, remediate, "
            "disabled, got 'warn'",
        ),
        (
            {"entra-secret-max-lifetime": {"maxSecretLifetimeDays": 731}},
            "entra-secret-max-lifetime.maxSecretLifetimeDays: must be between 1 and 730, got 731",
        ),
        (
            {"entra-secret-max-lifetime": {"maxSecretLifetimeDays": "365"}},
            "entra-secret-max-lifetime.maxSecretLifetimeDays: must be an integer, got '365'",
        ),
        (
            {"entra-identifier-uri-verified-domain": {"verifiedDomains": "contoso.com"}},
            "entra-identifier-uri-verified-domain.verifiedDomains: must be a list of strings, "
            "got 'contoso.com'",
        ),
        (
            {"entra-redirect-uris": {"maxUris": 3}},
            "entra-redirect-uris.maxUris: unknown property; allowed: enforcementLevel",
        ),
    ],
)
def test_bad_policy_config_is_rejected(config: dict[str, Any], message: str) -> None:
    with pytest.raises(PolicyConfigError) as caught:
        resolve_config(config)
    assert str(caught.value).startswith(message)


def test_config_levels_all_disabled_and_remediate() -> None:
    resolved = resolve_config(
        {
            "all": "advisory",
            "entra-redirect-uris": "remediate",
            "entra-implicit-grant-off": "disabled",
        }
    )
    assert resolved["entra-redirect-uris"].level == "mandatory"
    assert resolved["entra-implicit-grant-off"].level == "disabled"
    assert resolved["fhir-rbac-service-scope"].level == "advisory"


def test_violation_line_format_and_mandatory() -> None:
    advisory = Violation("entra-application-owners", "advisory", "urn:x", "no owners")
    mandatory = Violation("entra-redirect-uris", "mandatory", "urn:y", "bad")
    assert str(mandatory) == "mandatory entra-redirect-uris urn:y: bad"
    assert not has_mandatory([advisory])
    assert has_mandatory([advisory, mandatory])


def test_every_check_lives_in_the_policies_package() -> None:
    # fhir_apps.rules keeps the pure Entra rules; what reads Pulumi inputs is the policies'.
    assert importlib.util.find_spec("fhir_apps.rules.resources") is None
    for policy in POLICIES:
        check = policy.check or policy.stack_check
        assert check is not None, policy.name
        assert check.__module__.startswith("fhir_apps.policies."), policy.name


# --- run_policies over real renders of the example stacks -------------------------------------


def _example_stacks() -> list[tuple[str, str]]:
    """(environment, stack) of every Pulumi.<stack>.yaml and every environment file."""
    from fhir_apps.spec.pulumifiles import stack_environment

    pairs = {(env.stem, env.stem) for env in (ROOT / "config" / "environments").glob("*.yaml")}
    for path in ROOT.glob("Pulumi.*.yaml"):
        stack = path.name.removeprefix("Pulumi.").removesuffix(".yaml")
        pairs.add((stack_environment(ROOT, stack), stack))
    return sorted(pairs)


EXAMPLES = _example_stacks()


@pytest.fixture(scope="module")
def renders() -> dict[tuple[str, str], tuple[dict[str, Any], dict[str, Any]]]:
    """Render dict and policy config (from the spec) of each example stack, made once."""
    from fhir_apps.render.engine import render
    from fhir_apps.spec.loader import load_spec

    made = {}
    for environment, stack in EXAMPLES:
        spec = load_spec(ROOT / "config", environment=environment, stack=stack)
        rendering = render(
            environment=environment, stack=stack, config_dir=ROOT / "config", today=TODAY
        )
        made[(environment, stack)] = (rendering.as_dict(), policy_config_for_spec(spec))
    return made


def test_examples_cover_every_environment_and_stack() -> None:
    assert ("dev", "dev") in EXAMPLES
    assert ("prod", "prod") in EXAMPLES
    assert ("dev", "dev-eu") in EXAMPLES


@pytest.mark.parametrize(("environment", "stack"), EXAMPLES)
def test_example_stacks_pass_every_policy(
    renders: dict[tuple[str, str], Any], environment: str, stack: str
) -> None:
    render_dict, config = renders[(environment, stack)]
    assert run_policies(render_dict, config, today=TODAY) == []


def _find(render_dict: dict[str, Any], name: str) -> dict[str, Any]:
    matches = [r for r in render_dict["resources"] if r["name"] == name]
    assert len(matches) == 1, name
    return matches[0]


def _tamper_wildcard(r: dict[str, Any]) -> None:
    _find(r, "growth-chart-app")["inputs"]["singlePageApplication"]["redirectUris"] = [
        "https://*.contoso.com/"
    ]


def _tamper_implicit(r: dict[str, Any]) -> None:
    # Access tokens from the authorize endpoint: never allowed (a web-only app may opt in to
    # ID tokens alone, tests/test_id_token_opt_in.py).
    web = _find(r, "dashboard-app")["inputs"]["web"]
    web["implicitGrant"]["accessTokenIssuanceEnabled"] = True


def _tamper_fallback_with_secret(r: dict[str, Any]) -> None:
    _find(r, "dashboard-app")["inputs"]["fallbackPublicClientEnabled"] = True


def _tamper_secret_on_spa(r: dict[str, Any]) -> None:
    # A password copied onto the SPA: its applicationId and dependency point at growth-chart.
    password = copy.deepcopy(_find(r, "dashboard-credential-secret-a"))
    spa = _find(r, "growth-chart-app")
    password["urn"] = password["urn"].replace("dashboard-credential-secret-a", "spa-secret")
    password["name"] = "spa-secret"
    password["inputs"]["applicationId"] = "/applications/<objectId of growth-chart>"
    password["dependsOn"] = [spa["urn"]]
    r["resources"].append(password)


def _tamper_two_year_secret(r: dict[str, Any]) -> None:
    _find(r, "reporting-credential-secret-b")["inputs"]["endDate"] = "2027-06-01T00:00:00Z"


def _tamper_identifier_uri(r: dict[str, Any]) -> None:
    _find(r, "fhir-server-app")["inputs"]["identifierUris"] = ["https://fhir.example.org"]


def _tamper_token_version(r: dict[str, Any]) -> None:
    _find(r, "fhir-server-app")["inputs"]["api"]["requestedAccessTokenVersion"] = 2


def _tamper_role_equals_scope(r: dict[str, Any]) -> None:
    roles = _find(r, "fhir-server-app")["inputs"]["appRoles"]
    roles[0]["value"] = "launch"


def _tamper_permission_value(r: dict[str, Any]) -> None:
    scopes = _find(r, "fhir-server-app")["inputs"]["api"]["oauth2PermissionScopes"]
    scopes[0]["value"] = "patient/*.read"


def _tamper_owners(r: dict[str, Any]) -> None:
    del _find(r, "exporter-app")["inputs"]["owners"]


def _tamper_rbac_scope(r: dict[str, Any]) -> None:
    stack = _find(r, f"fhir-apps-{r['stack']}")
    r["resources"].append(
        {
            "urn": f"urn:pulumi:{r['stack']}::fhir-apps::azure-native:authorization:RoleAssignment"
            "::readers",
            "type": "azure-native:authorization:RoleAssignment",
            "name": "readers",
            "parent": stack["urn"],
            "import": None,
            "protect": False,
            "dependsOn": [],
            "inputs": {
                "principalId": "5e4d3c2b-1a09-4f8e-9d7c-6b5a49382716",
                "roleDefinitionId": _ROLE,
                "scope": f"{SUB}/resourceGroups/rg-fhir",
            },
        }
    )


TAMPERS = [
    ("entra-redirect-uris", "growth-chart-app", _tamper_wildcard),
    ("entra-implicit-grant-off", "dashboard-app", _tamper_implicit),
    (
        "entra-public-client-no-credentials",
        "dashboard-credential-secret-",
        _tamper_fallback_with_secret,
    ),
    ("entra-public-client-no-credentials", "spa-secret", _tamper_secret_on_spa),
    ("entra-secret-max-lifetime", "reporting-credential-secret-b", _tamper_two_year_secret),
    ("entra-identifier-uri-verified-domain", "fhir-server-app", _tamper_identifier_uri),
    ("entra-access-token-version", "fhir-server-app", _tamper_token_version),
    ("entra-roles-scopes-distinct", "fhir-server-app", _tamper_role_equals_scope),
    ("entra-permission-values", "fhir-server-app", _tamper_permission_value),
    ("entra-application-owners", "exporter-app", _tamper_owners),
    ("fhir-rbac-service-scope", "readers", _tamper_rbac_scope),
]


def test_every_policy_has_a_tampered_render() -> None:
    assert {name for name, _, _ in TAMPERS} == {p.name for p in POLICIES}


@pytest.mark.parametrize(
    ("policy", "resource", "tamper"), TAMPERS, ids=[f"{t[0]}:{t[2].__name__}" for t in TAMPERS]
)
def test_tampered_render_reports_exactly_that_policy(
    renders: dict[tuple[str, str], Any], policy: str, resource: str, tamper: Any
) -> None:
    original, config = renders[("dev", "dev")]
    tampered = copy.deepcopy(original)
    tamper(tampered)
    violations = run_policies(tampered, config, today=TODAY)
    assert violations, f"{policy}: no violation"
    assert {v.policy for v in violations} == {policy}
    names = {v.urn.rsplit("::", 1)[-1] for v in violations}
    assert all(name.startswith(resource) for name in names), names
    level = DEFAULT_POLICY_CONFIG[policy]["enforcementLevel"]
    assert {v.enforcement_level for v in violations} == {level}
    assert has_mandatory(violations) == (level == "mandatory")
    # The untouched render is still clean: the tamper, not a shared mutation, made the difference.
    assert run_policies(original, config, today=TODAY) == []


def test_fallback_client_with_secret_flags_both_slots(renders: dict[tuple[str, str], Any]) -> None:
    tampered = copy.deepcopy(renders[("dev", "dev")][0])
    _tamper_fallback_with_secret(tampered)
    urns = [v.urn for v in run_policies(tampered, today=TODAY)]
    assert [u.rsplit("::", 1)[-1] for u in urns] == [
        "dashboard-credential-secret-a",
        "dashboard-credential-secret-b",
    ]


def test_disabled_policy_is_not_run(renders: dict[tuple[str, str], Any]) -> None:
    tampered = copy.deepcopy(renders[("dev", "dev")][0])
    _tamper_wildcard(tampered)
    assert run_policies(tampered, {"entra-redirect-uris": "disabled"}, today=TODAY) == []
    advisory = run_policies(tampered, {"entra-redirect-uris": "advisory"}, today=TODAY)
    assert [v.enforcement_level for v in advisory] == ["advisory"]


def test_policy_config_for_spec_uses_the_spec_policy_and_domains() -> None:
    # Values other than the defaults (365 days, no domains): a policy_config_for_spec that
    # ignored the spec would give the defaults, and this would fail.
    spec = make_spec(
        policy={"maxSecretLifetimeDays": 180},
        tenant={"verifiedDomains": ["fabrikam.com", "contoso.com"]},
    )
    config = policy_config_for_spec(spec)
    assert config == {
        "entra-secret-max-lifetime": {"maxSecretLifetimeDays": 180},
        "entra-identifier-uri-verified-domain": {
            "verifiedDomains": ["fabrikam.com", "contoso.com"]
        },
    }
    resolved = policies.resolve_config(config)
    assert resolved["entra-secret-max-lifetime"].properties == {"maxSecretLifetimeDays": 180}
    assert resolved["entra-identifier-uri-verified-domain"].properties == {
        "verifiedDomains": ["fabrikam.com", "contoso.com"]
    }


# --- check --policies: the config's own policy, not the defaults ------------------------------


@pytest.fixture
def long_secret_config(tmp_path: Path) -> Path:
    """The example config with policy.maxSecretLifetimeDays 730 and reporting's secret rotated
    every 365 days: each slot lives 730 days, which the config's policy allows and the
    default 365 does not."""
    config = tmp_path / "config"
    shutil.copytree(ROOT / "config", config)
    base = config / "base.yaml"
    text = base.read_text(encoding="utf-8")
    for old, new in (
        ("maxSecretLifetimeDays: 365", "maxSecretLifetimeDays: 730"),
        ("rotationDays: 60", "rotationDays: 365"),
    ):
        assert text.count(old) == 1, old  # the example changed: update this fixture
        text = text.replace(old, new)
    base.write_text(text, encoding="utf-8")
    return config


def _check_policies(
    config: Path, capsys: pytest.CaptureFixture[str], *extra: str
) -> tuple[int, str, str]:
    argv = ["check", "--environment", "dev", "--config-dir", str(config), "--policies"]
    code = cli_main([*argv, "--today", "2025-01-01", *extra])
    out, err = capsys.readouterr()
    return code, out, err


def test_check_policies_judges_secrets_by_the_configs_own_policy(
    long_secret_config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _check_policies(long_secret_config, capsys)
    assert (code, err) == (0, "")
    assert out.splitlines()[-1] == "policies: 0 violations"


@pytest.mark.parametrize(
    "given",
    [
        {"entra-secret-max-lifetime": "mandatory"},
        {"entra-secret-max-lifetime": {"enforcementLevel": "mandatory"}},
        {"entra-secret-max-lifetime": None},
        {"all": "mandatory"},
    ],
    ids=["level", "level-object", "null", "all"],
)
def test_a_policy_config_file_that_sets_levels_keeps_the_configs_policy(
    long_secret_config: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    given: dict[str, Any],
) -> None:
    # The file's entry for a policy used to replace the spec's whole entry, so a level alone
    # (or null) dropped maxSecretLifetimeDays 730 and the secret was judged by the default 365.
    policy_file = tmp_path / "policy-config.json"
    policy_file.write_text(json.dumps(given), encoding="utf-8")
    code, out, err = _check_policies(
        long_secret_config, capsys, "--policy-config", str(policy_file)
    )
    assert (code, err) == (0, "")
    assert out.splitlines()[-1] == "policies: 0 violations"


@pytest.mark.parametrize(
    ("given", "message"),
    [
        (
            {"entra-secret-max-lifetime": 5},
            "entra-secret-max-lifetime: must be a level or an object, got 5",
        ),
        (
            {"entra-secret-max-lifetime": "warn"},
            "entra-secret-max-lifetime.enforcementLevel: must be one of advisory, mandatory, "
            "remediate, disabled, got 'warn'",
        ),
    ],
    ids=["number", "unknown-level"],
)
def test_a_bad_policy_config_entry_over_the_configs_policy_is_one_clear_line(
    long_secret_config: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    given: dict[str, Any],
    message: str,
) -> None:
    policy_file = tmp_path / "policy-config.json"
    policy_file.write_text(json.dumps(given), encoding="utf-8")
    code, out, err = _check_policies(
        long_secret_config, capsys, "--policy-config", str(policy_file)
    )
    assert code == 2
    assert err == f"check: --policy-config: {policy_file}: {message}\n"
    assert "policies:" not in out  # nothing was rendered or judged


def test_a_policy_config_file_property_wins_over_the_config(
    long_secret_config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy_file = tmp_path / "policy-config.json"
    policy_file.write_text(
        json.dumps({"entra-secret-max-lifetime": {"maxSecretLifetimeDays": 365}}), encoding="utf-8"
    )
    code, out, err = _check_policies(
        long_secret_config, capsys, "--policy-config", str(policy_file)
    )
    assert (code, err) == (1, "")
    violations = out.splitlines()[2:]
    assert violations == [
        "mandatory entra-secret-max-lifetime urn:pulumi:dev::fhir-apps::fhir-apps:"
        "confidential_client:ConfidentialClient$fhir-apps:credentials:ClientCredential$azuread:"
        "index/applicationPassword:ApplicationPassword::reporting-credential-secret-b: secret "
        "lifetime of 729 days exceeds 365 days (the tenant policy, and Entra's ceiling of 730); "
        "prefer a certificate or a federated credential",
        "policies: 1 violation",
    ]
