"""ConfidentialClient, PublicClient and ServiceClient under mocks: exact inputs per kind."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pulumi
import pytest

from components.confidential_client import ConfidentialClient
from components.errors import StackError
from components.public_client import PublicClient
from components.service_client import ServiceClient
from fhir_apps.fhir_constants import AZURE_HEALTHCARE_APIS_APP_ID
from fhir_apps.ids import derived_id
from fhir_apps.render.engine import RecordingMonitor
from fhir_apps.spec.errors import ConfigError
from fhir_apps.spec.loader import load_spec
from tests.component_helpers import (
    APPLICATION,
    CREDENTIAL_TYPES,
    DEPLOYER,
    GRANT,
    OWNER,
    ROLE_ASSIGNMENT,
    ahds_server,
    make_spec,
    run_build,
    urn_msg,
)

AUDIENCE = "https://fhir-dev.contoso.com"
CLIENT_OWNER = "44444444-4444-4444-8444-444444444444"
IMPLICIT_OFF = {"accessTokenIssuanceEnabled": False, "idTokenIssuanceEnabled": False}


def _scope_id(value: str) -> str:
    return derived_id("scope", value)


def _role_id(value: str) -> str:
    return derived_id("role", value)


def _accesses(*entries: tuple[str, str]) -> list[dict[str, Any]]:
    return [
        {
            "resourceAppId": "<clientId of fhir-server>",
            "resourceAccesses": [{"id": i, "type": t} for i, t in sorted(entries)],
        }
    ]


CLIENTS: dict[str, Any] = {
    "portal": {
        "kind": "confidential",
        "redirectUris": ["https://portal.contoso.com/b", "https://portal.contoso.com/a"],
        "homepageUrl": "https://portal.contoso.com/",
        "scopes": ["user_impersonation", "patient.all.read"],
        "adminConsent": True,
        "owners": [CLIENT_OWNER],
        "credential": {"type": "secret", "rotationDays": 90},
    },
    "spa": {
        "kind": "public",
        "platform": "spa",
        "redirectUris": ["https://spa.contoso.com/", "http://localhost:3000/"],
        "scopes": ["user_impersonation"],
    },
    "mobile": {
        "kind": "public",
        "platform": "mobile",
        "redirectUris": ["msauth.com.contoso.app://auth", "http://localhost"],
        "scopes": ["patient.all.read", "user_impersonation"],
        "fallbackPublicClient": True,
    },
    "desktop": {"kind": "public", "platform": "desktop", "redirectUris": ["http://localhost"]},
    "ingest": {
        "kind": "service",
        "roles": ["globalWriter", "globalReader"],
        "credential": {"type": "federated", "issuer": "https://issuer.example", "subject": "s"},
    },
}


@pytest.fixture(scope="module")
def run() -> Any:
    return run_build(make_spec(clients=CLIENTS))


def _children(run: Any, key: str, type_: str) -> list[Any]:
    return [r for r in run.of_type(type_).values() if r.name.startswith(f"{key}-")]


def test_confidential_client_has_exact_inputs(run: Any) -> None:
    app = run.named("portal-app")
    assert app.inputs == {
        "displayName": "fhir-dev-portal",
        "signInAudience": "AzureADMyOrg",
        "owners": sorted([OWNER, CLIENT_OWNER, DEPLOYER]),
        "preventDuplicateNames": True,
        "fallbackPublicClientEnabled": False,
        "web": {
            "redirectUris": ["https://portal.contoso.com/a", "https://portal.contoso.com/b"],
            "homepageUrl": "https://portal.contoso.com/",
            "implicitGrant": IMPLICIT_OFF,
        },
        "singlePageApplication": {"redirectUris": []},
        "publicClient": {"redirectUris": []},
        "requiredResourceAccesses": _accesses(
            (_scope_id("patient.all.read"), "Scope"), (_scope_id("user_impersonation"), "Scope")
        ),
    }, urn_msg(app)
    assert run.delete_before_replace[app.urn], urn_msg(app)
    sp = run.named("portal-sp")
    assert sp.inputs == {
        "clientId": "<clientId of portal>",
        "owners": sorted([OWNER, CLIENT_OWNER, DEPLOYER]),
    }, urn_msg(sp)


def test_admin_consent_grants_sorted_scopes_to_the_resource_sp(run: Any) -> None:
    (grant,) = run.of_type(GRANT).values()
    assert grant.name == "portal-consent", urn_msg(grant)
    assert grant.inputs == {
        "claimValues": ["patient.all.read", "user_impersonation"],
        "resourceServicePrincipalObjectId": "<objectId of fhir-server-sp>",
        "servicePrincipalObjectId": "<objectId of portal-sp>",
    }, urn_msg(grant)


def test_spa_redirect_uris_go_on_the_spa_platform(run: Any) -> None:
    app = run.named("spa-app")
    assert app.inputs["singlePageApplication"] == {
        "redirectUris": ["http://localhost:3000/", "https://spa.contoso.com/"]
    }, urn_msg(app)
    assert app.inputs["web"] == {"redirectUris": [], "implicitGrant": IMPLICIT_OFF}, urn_msg(app)
    assert app.inputs["publicClient"] == {"redirectUris": []}, urn_msg(app)
    assert app.inputs["fallbackPublicClientEnabled"] is False, urn_msg(app)


@pytest.mark.parametrize(("key", "fallback"), [("mobile", True), ("desktop", False)])
def test_native_redirect_uris_go_on_public_client(run: Any, key: str, fallback: bool) -> None:
    app = run.named(f"{key}-app")
    uris = sorted(CLIENTS[key]["redirectUris"])
    assert app.inputs["publicClient"] == {"redirectUris": uris}, urn_msg(app)
    assert app.inputs["singlePageApplication"] == {"redirectUris": []}, urn_msg(app)
    assert app.inputs["web"] == {"redirectUris": [], "implicitGrant": IMPLICIT_OFF}, urn_msg(app)
    assert app.inputs["fallbackPublicClientEnabled"] is fallback, urn_msg(app)


def test_implicit_grant_is_off_on_every_application(run: Any) -> None:
    apps = run.of_type(APPLICATION).values()
    # Every client's and the resource app's: an empty list here would prove nothing.
    assert sorted(app.name for app in apps) == sorted(
        [f"{key}-app" for key in CLIENTS] + ["fhir-server-app"]
    )
    for app in apps:
        assert app.inputs["web"]["implicitGrant"] == IMPLICIT_OFF, urn_msg(app)


@pytest.mark.parametrize("key", ["spa", "mobile", "desktop"])
def test_public_clients_have_no_credential_of_any_kind(run: Any, key: str) -> None:
    for type_ in CREDENTIAL_TYPES:
        assert _children(run, key, type_) == [], f"{key}: {type_}"
    # By parent too, not only by name: every credential in the run belongs to a confidential
    # or service client (and there are some, so this can fail).
    credentials = [r for r in run.resources.values() if r.type in CREDENTIAL_TYPES]
    owners = {r.urn.split("$")[0].rsplit("::", 1)[-1] for r in credentials}
    assert owners == {"fhir-apps:confidential_client:ConfidentialClient",
                      "fhir-apps:service_client:ServiceClient"}  # fmt: skip
    assert "password" not in run.named(f"{key}-app").inputs
    assert key not in run.raw_outputs["clientSecrets"]["value"]


PUBLIC_CREDENTIALS = [
    {"type": "secret"},
    {"type": "certificate", "certificateFile": "certs/exporter.pem"},
    {"type": "federated", "issuer": "https://token.actions.githubusercontent.com", "subject": "s"},
]


@pytest.mark.parametrize("credential", PUBLIC_CREDENTIALS, ids=lambda c: c["type"])
@pytest.mark.parametrize("key", ["spa", "mobile", "desktop"])
def test_a_public_client_with_a_credential_is_refused(key: str, credential: dict[str, Any]) -> None:
    # The component's own guard (the config rules stop this earlier, with the file): a secret in
    # a browser or an app on a device is a leak, whichever public platform it is. Worded as the
    # config check words it (one rule, fhir_apps.rules.credentials).
    clients = {key: {**CLIENTS[key], "credential": credential}}
    with pytest.raises(StackError) as raised:
        run_build(make_spec(clients=clients))
    assert str(raised.value) == (
        f"clients.{key}.credential: public clients cannot keep a secret, so they have no "
        "credential of any kind; remove it, or use kind confidential if the app runs on a server"
    )


PUBLIC_BASE = """\
tenant: {verifiedDomains: [contoso.com]}
fhirServer:
  kind: oss
  url: https://fhir.contoso.com
  appRoles: [globalReader]
  scopes: [user_impersonation]
clients:
  spa: {kind: public, platform: spa, redirectUris: ['https://spa.contoso.com/']}
  mobile: {kind: public, platform: mobile, redirectUris: ['msauth.com.contoso.app://auth']}
  desktop: {kind: public, platform: desktop, redirectUris: ['http://localhost']}
"""


@pytest.mark.parametrize(
    "credential",
    [
        "{type: secret}",
        "{type: federated, issuer: https://token.actions.githubusercontent.com, subject: s}",
    ],
    ids=["secret", "federated"],
)
@pytest.mark.parametrize("key", ["spa", "mobile", "desktop"])
def test_check_refuses_a_credential_on_every_public_platform(
    tmp_path: Path, key: str, credential: str
) -> None:
    # `check` must stop it with the file and key, before the component's guard could.
    config = tmp_path / "config"
    (config / "environments").mkdir(parents=True)
    (config / "base.yaml").write_text(PUBLIC_BASE, encoding="utf-8")
    dev = config / "environments" / "dev.yaml"
    dev.write_text("{}\n", encoding="utf-8")
    load_spec(config, environment="dev")  # valid without it: the credential is the fault
    dev.write_text(f"clients:\n  {key}:\n    credential: {credential}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_spec(config, environment="dev")
    assert [str(problem) for problem in caught.value.problems] == [
        f"{dev}: clients.{key}.credential: public clients cannot keep a secret, so they have no "
        "credential of any kind; remove it, or use kind confidential if the app runs on a server"
    ]


def test_service_client_has_roles_no_redirect_uris_and_assignments(run: Any) -> None:
    app = run.named("ingest-app")
    assert app.inputs["web"] == {"redirectUris": [], "implicitGrant": IMPLICIT_OFF}, urn_msg(app)
    assert app.inputs["singlePageApplication"] == {"redirectUris": []}, urn_msg(app)
    assert app.inputs["publicClient"] == {"redirectUris": []}, urn_msg(app)
    assert app.inputs["requiredResourceAccesses"] == _accesses(
        (_role_id("globalReader"), "Role"), (_role_id("globalWriter"), "Role")
    ), urn_msg(app)
    assignments = {r.name: r for r in _children(run, "ingest", ROLE_ASSIGNMENT)}
    assert sorted(assignments) == ["ingest-role-globalReader", "ingest-role-globalWriter"]
    for role in ("globalReader", "globalWriter"):
        assignment = assignments[f"ingest-role-{role}"]
        assert assignment.inputs == {
            "appRoleId": _role_id(role),
            "principalObjectId": "<objectId of ingest-sp>",
            "resourceObjectId": "<objectId of fhir-server-sp>",
        }, urn_msg(assignment)
    assert _children(run, "ingest", GRANT) == []


@pytest.mark.parametrize(
    ("field", "message"),
    [
        (
            "redirectUris",
            "a service client uses the client-credentials flow and has no redirect URIs; remove "
            "them, or use kind confidential for a web app",
        ),
        (
            "scopes",
            "a service client gets application permissions, never delegated scopes; use roles "
            "instead",
        ),
    ],
)
def test_a_service_client_with_delegated_parts_is_refused(field: str, message: str) -> None:
    # Worded as the config check words it (test_spec_bad_inputs): one rule, one message.
    clients = {"ingest": {**CLIENTS["ingest"], field: ["https://x.contoso.com/"]}}
    with pytest.raises(StackError) as raised:
        run_build(make_spec(clients=clients))
    assert str(raised.value) == f"clients.ingest.{field}: {message}"


def test_client_outputs_are_what_msal_needs(run: Any) -> None:
    clients = run.outputs["clients"]
    assert sorted(clients) == ["desktop", "ingest", "mobile", "portal", "spa"]
    common = {
        "tenantId": "<tenantId>",
        "authority": "https://login.microsoftonline.com/<tenantId>",
        "tokenEndpoint": "https://login.microsoftonline.com/<tenantId>/oauth2/v2.0/token",
    }
    assert clients["portal"] == {
        **common,
        "kind": "confidential",
        "clientId": "<clientId of portal>",
        "scope": f"{AUDIENCE}/patient.all.read {AUDIENCE}/user_impersonation",
        "redirectUris": ["https://portal.contoso.com/a", "https://portal.contoso.com/b"],
        "credentialType": "secret",
        "secretExpiresOn": "2025-09-22",
    }
    assert clients["ingest"] == {
        **common,
        "kind": "service",
        "clientId": "<clientId of ingest>",
        "scope": f"{AUDIENCE}/.default",
        "redirectUris": [],
        "credentialType": "federated",
    }
    assert clients["spa"]["scope"] == f"{AUDIENCE}/user_impersonation"
    assert clients["spa"]["credentialType"] is None
    assert clients["desktop"]["scope"] == ""


def test_disabled_clients_are_left_out() -> None:
    clients = {**CLIENTS, "spa": {**CLIENTS["spa"], "enabled": False}}
    run = run_build(make_spec(clients=clients))
    assert "spa" not in run.outputs["clients"]
    assert not [r for r in run.resources.values() if r.name.startswith("spa")]


def test_client_import_ids_are_passed_as_import() -> None:
    import_ids = {"application": "/applications/abc", "servicePrincipal": "/servicePrincipals/def"}
    clients = {"spa": {**CLIENTS["spa"], "importIds": import_ids}}
    run = run_build(make_spec(clients=clients))
    assert run.named("spa-app").import_id == "/applications/abc"
    assert run.named("spa-sp").import_id == "/servicePrincipals/def"


def test_child_import_ids_land_on_exactly_their_resources() -> None:
    assignment = "/servicePrincipals/res/appRoleAssignedTo/abc"
    grant = "/oauth2PermissionGrants/xyz"
    credential = "app/federatedIdentityCredential/c1"
    clients = {
        "portal": {**CLIENTS["portal"], "importIds": {"consentGrant": grant}},
        "ingest": {
            **CLIENTS["ingest"],
            "credential": {
                "type": "federated",
                "issuer": "https://issuer.example",
                "subjects": ["s", "t"],
            },
            "importIds": {
                "roleAssignments": {"globalWriter": assignment},
                "federatedCredentials": {"t": credential},
            },
        },
        "spa": {**CLIENTS["spa"], "adminConsent": True},
    }
    run = run_build(make_spec(clients=clients))
    imported = {r.name: r.import_id for r in run.resources.values() if r.import_id is not None}
    assert imported == {
        "portal-consent": grant,
        "ingest-role-globalWriter": assignment,
        "ingest-credential-federated-t-e3b98a4d": credential,
    }
    # Only the imported credential keeps its existing name and description (a change of name
    # would replace it, and Pulumi imports only when the inputs equal the existing object).
    ignored = {run.resources[urn].name: names for urn, names in run.ignore_changes.items() if names}
    assert ignored == {"ingest-credential-federated-t-e3b98a4d": ("displayName", "description")}


def test_clients_of_a_managed_server_use_the_looked_up_scope() -> None:
    clients = {
        "portal": {**CLIENTS["portal"], "scopes": ["user_impersonation"]},
        "ingest": {**CLIENTS["ingest"], "roles": ["FHIR Data Writer"]},
    }
    run = run_build(make_spec(fhirServer=ahds_server(), clients=clients))
    app = run.named("portal-app")
    assert app.inputs["requiredResourceAccesses"] == [
        {
            "resourceAppId": AZURE_HEALTHCARE_APIS_APP_ID,
            "resourceAccesses": [
                {"id": "<id of user_impersonation on Azure Healthcare APIs>", "type": "Scope"}
            ],
        }
    ], urn_msg(app)
    grant = run.named("portal-consent")
    assert grant.inputs["resourceServicePrincipalObjectId"] == (
        "<objectId of Azure Healthcare APIs>"
    ), urn_msg(grant)
    # RBAC roles are granted at the FHIR service scope, not as app roles.
    ingest = run.named("ingest-app")
    assert ingest.inputs["requiredResourceAccesses"] == [], urn_msg(ingest)
    assert run.of_type(ROLE_ASSIGNMENT) == {}
    assert run.outputs["clients"]["ingest"]["scope"] == (
        "https://ws-fhir.fhir.azurehealthcareapis.com/.default"
    )


def test_client_kinds_have_their_own_type_tokens(run: Any) -> None:
    types = {r.name: r.type for r in run.resources.values() if not r.type.startswith("azuread")}
    assert types["portal"] == "fhir-apps:confidential_client:ConfidentialClient"
    assert types["spa"] == "fhir-apps:public_client:PublicClient"
    assert types["ingest"] == "fhir-apps:service_client:ServiceClient"
    assert types["portal-credential"] == "fhir-apps:credentials:ClientCredential"
    assert issubclass(ConfidentialClient, pulumi.ComponentResource)
    assert {PublicClient.__mro__[1], ServiceClient.__mro__[1]} == {ConfidentialClient.__mro__[1]}


@pulumi.runtime.test
def test_shared_fixture_sees_the_client_outputs(pulumi_mocks: RecordingMonitor) -> Any:
    # The shared conftest fixture, with assertions inside apply (they run under runtime.test).
    from components.stack import build
    from tests.component_helpers import CONFIG_DIR, TODAY

    outputs = build(make_spec(clients=CLIENTS), today=TODAY, config_dir=CONFIG_DIR)

    def check(args: list[Any]) -> None:
        client_id, secret = args
        assert client_id == "<clientId of portal>"
        assert secret.startswith("MOCKSECRET-")

    portal = outputs["clients"]["portal"]
    return pulumi.Output.all(portal["clientId"], outputs["clientSecrets"]["portal"]).apply(check)


def test_assignment_required_sign_in_reaches_the_clients_service_principal(
    tmp_path: Path,
) -> None:
    """`appRoleAssignmentRequired: true` on a client is set on its service principal; other
    clients' service principals leave it out (the provider's default, false)."""
    import shutil

    from fhir_apps.render.engine import render

    config = tmp_path / "config"
    shutil.copytree(Path(__file__).resolve().parent.parent / "config", config)
    layer = config / "environments" / "dev.yaml"
    text = layer.read_text(encoding="utf-8")
    assert "\n  growth-chart:\n" in text
    layer.write_text(
        text.replace(
            "\n  growth-chart:\n", "\n  growth-chart:\n    appRoleAssignmentRequired: true\n", 1
        ),
        encoding="utf-8",
    )
    rendered = render(environment="dev", config_dir=config).as_dict()
    principals = {
        r["name"]: r["inputs"]
        for r in rendered["resources"]
        if r["type"] == "azuread:index/servicePrincipal:ServicePrincipal"
    }
    assert principals["growth-chart-sp"]["appRoleAssignmentRequired"] is True
    others = [
        i for name, i in principals.items() if name not in ("growth-chart-sp", "fhir-server-sp")
    ]
    assert others and all("appRoleAssignmentRequired" not in i for i in others)


@pytest.mark.parametrize(
    ("clients", "assignments", "message"),
    [
        (
            {"ingest": {**CLIENTS["ingest"], "roles": ["globalReader", "globalAuditor"]}},
            [],
            "role 'globalAuditor' is not defined by fhirServer.appRoles; allowed: globalAdmin, "
            "globalReader, globalWriter",
        ),
        (
            {"portal": {**CLIENTS["portal"], "scopes": ["user_impersonation", "launch"]}},
            [],
            "scope 'launch' is not defined by fhirServer.scopes; allowed: patient.all.read, "
            "user_impersonation",
        ),
        (
            {},
            [
                {
                    "principalId": "3c1d2e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f",
                    "principalType": "User",
                    "roles": ["globalAuditor"],
                }
            ],
            "assignments: role 'globalAuditor' is not defined by fhirServer.appRoles; allowed: "
            "globalAdmin, globalReader, globalWriter",
        ),
    ],
    ids=["client-role", "client-scope", "assignment-role"],
)
def test_an_undefined_scope_or_role_is_refused_in_the_config_checks_words(
    clients: dict[str, Any], assignments: list[dict[str, Any]], message: str
) -> None:
    # A spec made without the config check (Spec.model_validate only): the component says what
    # the check says, from the same rule (rules.permissions.undefined_value_problem).
    with pytest.raises(StackError) as raised:
        run_build(make_spec(clients=clients, assignments=assignments))
    assert str(raised.value) == message
