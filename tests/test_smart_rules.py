"""SMART on FHIR rules: scope forms and presets, fhirUser values, the mapped-claims audience,
identity providers, role/scope pairs, and the config check of a SMART stack (errors and
warnings, each naming the file and the key)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from fhir_apps import rules
from fhir_apps.cli import main
from fhir_apps.fhir_constants import SCOPE_PRESETS
from fhir_apps.ids import derived_id
from fhir_apps.policies.resources import roles_and_scopes_violations
from fhir_apps.resource_types import APPLICATION
from fhir_apps.spec.errors import ConfigError
from fhir_apps.spec.loader import load_spec, load_spec_with_warnings

REPO_CONFIG = Path(__file__).resolve().parents[1] / "config"
DEV = "config/environments/dev.yaml"
BASE_FILE = "config/base.yaml"

BASE = """\
tenant: {verifiedDomains: [contoso.com]}
fhirServer:
  kind: ahds
  deploy: {resourceGroup: rg, location: westeurope, workspace: contoso, service: fhir,
           corsOrigins: ['http://localhost:3000']}
  smart: true
  scopes: [user_impersonation]
  scopePresets: [smart-v1]
clients:
  chart:
    kind: public
    platform: spa
    redirectUris: [http://localhost:3000/]
    scopes: [launch.patient, fhirUser, patient.Observation.read]
assignments:
  - {principalId: 3a4b5c6d-7e8f-4a9b-8c0d-1e2f3a4b5c6d, principalType: Group,
     roles: [FHIR SMART User]}
"""


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "config"
    (root / "environments").mkdir(parents=True)
    (root / "base.yaml").write_text(BASE, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return root


def _load(config: Path, overlay: str) -> tuple[object, tuple[str, ...]]:
    (config / "environments" / "dev.yaml").write_text(textwrap.dedent(overlay), encoding="utf-8")
    return load_spec_with_warnings(Path("config"), environment="dev")


def _errors(config: Path, overlay: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        _load(config, overlay)
    return [str(problem) for problem in caught.value.problems]


# --- scope forms and presets -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("entra_form", "smart_form"),
    [
        ("patient.Observation.read", "patient/Observation.read"),
        ("patient.all.read", "patient/*.read"),
        ("user.all.cruds", "user/*.cruds"),
        ("system.all.read", "system/*.read"),
        ("launch.patient", "launch/patient"),
        ("launch", "launch"),
        ("fhirUser", "fhirUser"),
        ("online_access", "online_access"),
        (
            "patient.Observation.rs?category=http:%2f%2fterminology.hl7.org%2fCodeSystem%2f"
            "observation-category|laboratory",
            "patient/Observation.rs?category=http://terminology.hl7.org/CodeSystem/"
            "observation-category|laboratory",
        ),
    ],
)
def test_scopes_in_smart_form(entra_form: str, smart_form: str) -> None:
    assert rules.smart_scope(entra_form) == smart_form


def test_mixed_versions_and_contexts_are_named() -> None:
    assert rules.mixed_smart_scopes(["launch", "patient.Patient.read", "patient.all.rs"]) == (
        "SMART v1 and v2 scope forms",
        "patient.Patient.read",
        "patient.all.rs",
    )
    assert rules.mixed_smart_scopes(["patient.all.read", "user.all.read"]) == (
        "the patient and user contexts",
        "patient.all.read",
        "user.all.read",
    )
    assert rules.mixed_smart_scopes(["launch", "fhirUser", "patient.all.read"]) is None


def test_presets_hold_the_smart_catalogues_in_entra_form() -> None:
    v1, v2 = set(SCOPE_PRESETS["smart-v1"]), set(SCOPE_PRESETS["smart-v2"])
    context = {"launch", "launch.patient", "fhirUser", "online_access"}
    assert context <= v1 and context <= v2
    assert {"patient.all.read", "user.all.read", "patient.Observation.read",
            "user.Practitioner.read"} <= v1  # fmt: skip
    assert {"patient.all.rs", "user.all.cruds", "patient.Condition.rs"} <= v2
    assert any(s.startswith("patient.Observation.rs?category=") for s in v2)
    assert {rules.smart_scope_version(s) for s in v1} == {None, "v1"}
    assert {rules.smart_scope_version(s) for s in v2} == {None, "v2"}
    # Every value is one Entra takes: no '/', no space, at most 120 characters.
    assert [s for s in v1 | v2 if rules.permission_value_problems(s)] == []


# --- fhirUser, the audience, identity providers ----------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "Patient/PatientA",
        "Practitioner/C1",
        "https://ws-fhir.fhir.azurehealthcareapis.com/Patient/a-1",
    ],
)
def test_fhir_user_values_the_service_accepts(value: str) -> None:
    assert rules.fhir_user_value_problem(value) is None


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("Observation/1", "is not Patient/<id> or Practitioner/<id>"),
        ("Patient/", "is not Patient/<id>"),
        ("http://fhir.contoso.com/Patient/1", "an https URL"),
        ("Patient/1\u202e", "bidi"),
    ],
)
def test_fhir_user_values_the_service_refuses(value: str, words: str) -> None:
    problem = rules.fhir_user_value_problem(value)
    assert problem is not None and words in problem


def test_a_relative_fhir_user_is_joined_to_the_service_url() -> None:
    url = "https://ws-fhir.fhir.azurehealthcareapis.com"
    assert rules.fhir_user_value(url + "/", "Patient/A") == f"{url}/Patient/A"
    assert (
        rules.fhir_user_value(url, "https://x.example/Patient/A") == "https://x.example/Patient/A"
    )


def test_extension_attribute_is_graphs_name() -> None:
    assert (
        rules.extension_attribute("0A1B2C3D-4E5F-4A6B-8C7D-9E0F1A2B3C4D", "fhirUser")
        == "extension_0a1b2c3d4e5f4a6b8c7d9e0f1a2b3c4d_fhirUser"
    )


@pytest.mark.parametrize(
    ("uri", "ok"),
    [
        ("https://contoso.com/ws-fhir", True),
        ("https://fhir.contoso.com/ws-fhir", True),
        ("https://contoso.onmicrosoft.com/ws-fhir", True),
        ("api://9b1c2d3e-4f5a-4b6c-8d7e-0f1a2b3c4d5e/ws-fhir", False),
        ("https://ws-fhir.fhir.azurehealthcareapis.com", False),
    ],
)
def test_mapped_claims_need_an_audience_on_a_verified_domain(uri: str, ok: bool) -> None:
    problem = rules.mapped_claims_audience_problem(uri, ["contoso.com"])
    assert (problem is None) is ok
    if problem:
        assert "AADSTS501461" in problem


def test_identity_provider_limits() -> None:
    app = ("client-a", "api://b2c-fhir", ("Read",))
    providers = [
        ("https://contoso.b2clogin.com/contoso.onmicrosoft.com/B2C_1A_SMART/v2.0", [app]),
        ("https://contoso.b2clogin.com/contoso.onmicrosoft.com/B2C_1A_SMART/v2.0/",
         [app, app, app]),
        ("http://idp.example", [("", "", ("Read", "Write"))]),
    ]  # fmt: skip
    found = {path: message for path, message in rules.smart_identity_provider_problems(providers)}
    assert "at most 2" in found[()]
    assert "listed twice" in found[(1, "authority")]
    assert "1 to 2 per provider" in found[(1, "applications")]
    assert "must be unique" in found[(1, "applications", 0, "clientId")]
    assert "https URL" in found[(2, "authority")]
    assert found[(2, "applications", 0, "audience")] == "must not be empty"
    assert found[(2, "applications", 0, "allowedDataActions")].startswith("must be [Read]")


# --- role/scope pairs ------------------------------------------------------------------------


def _pair(**role: object) -> dict[str, object]:
    return {
        "appRoles": [{"id": "1", "value": "user.all.read", "displayName": "Read",
                      "description": "Read all", "enabled": True, **role}],
        "api": {"oauth2PermissionScopes": [{"id": "1", "value": "user.all.read",
                "adminConsentDisplayName": "Read", "adminConsentDescription": "Read all",
                "enabled": True}]},
    }  # fmt: skip


def test_the_pair_entra_accepts_passes_the_policy() -> None:
    assert roles_and_scopes_violations(APPLICATION, _pair()) == []


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"id": "2"}, "different ids"),
        ({"description": "Other"}, "description differs from the scope's adminConsentDescription"),
        ({"enabled": False}, "enabled as one and disabled"),
    ],
)
def test_a_pair_entra_refuses_is_a_violation(change: dict[str, object], words: str) -> None:
    (message,) = roles_and_scopes_violations(APPLICATION, _pair(**change))
    assert message.startswith("'user.all.read' is both an app role") and words in message


def test_a_pair_with_values_not_known_yet_is_left_to_up() -> None:
    assert roles_and_scopes_violations(APPLICATION, _pair(id="[unknown]")) == []


# --- the config check --------------------------------------------------------------------------


def test_the_example_dev_ahds_stack_is_a_smart_stack() -> None:
    spec, warnings = load_spec_with_warnings(REPO_CONFIG, environment="dev", stack="dev-ahds")
    server = spec.fhir_server
    assert server.smart_app() and warnings == ()
    assert spec.audience() == "https://contoso.com/contosodev-fhir"
    assert server.smart_gateway and server.fhir_users and "system.all.read" in server.app_roles
    assert set(SCOPE_PRESETS["smart-v1"]) <= set(server.exposed_scopes())


def test_a_smart_stack_loads_with_a_derived_audience(config: Path) -> None:
    spec, warnings = _load(config, "{}")
    assert spec.audience() == "https://contoso.com/contoso-fhir"  # type: ignore[attr-defined]
    assert warnings == ()


SERVICE_ID = (
    "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/"
    "Microsoft.HealthcareApis/workspaces/ws1/fhirservices/svc1"
)


def test_smart_on_an_existing_service_takes_its_names_from_the_resource_id(config: Path) -> None:
    spec, _ = _load(
        config,
        f"""\
        fhirServer:
          deploy: null
          resourceId: {SERVICE_ID}
          url: https://ws1-svc1.fhir.azurehealthcareapis.com
        """,
    )
    assert spec.audience() == "https://contoso.com/ws1-svc1"  # type: ignore[attr-defined]


def test_an_api_audience_is_refused_with_the_reason(config: Path) -> None:
    (problem,) = _errors(config, "fhirServer: {smartAudience: 'api://contoso-fhir/x'}")
    assert problem.startswith(f"{DEV}: fhirServer.smartAudience: ")
    assert "AADSTS501461" in problem


def test_without_a_verified_domain_the_audience_must_be_set(config: Path) -> None:
    (problem,) = _errors(config, "tenant: {verifiedDomains: []}")
    assert problem.startswith(f"{DEV}: tenant.verifiedDomains: must list a verified domain")
    assert "fhirServer.smartAudience" in problem


def test_fhir_users_are_checked(config: Path) -> None:
    problems = _errors(
        config,
        """\
        fhirServer:
          fhirUsers:
            - {userId: 2f6e8a1c-3b5d-4c7e-9f1a-2b3c4d5e6f70, fhirUser: Observation/1}
            - {userId: 2f6e8a1c-3b5d-4c7e-9f1a-2b3c4d5e6f70, fhirUser: Patient/A}
        """,
    )
    assert problems[0].startswith(f"{DEV}: fhirServer.fhirUsers[0].fhirUser: 'Observation/1'")
    assert problems[1] == (
        f"{DEV}: fhirServer.fhirUsers[1].userId: is also fhirServer.fhirUsers[0]; a user has one "
        "FHIR identity"
    )


def test_smart_keys_without_smart_are_refused(config: Path) -> None:
    problems = _errors(
        config,
        """\
        fhirServer:
          smart: false
          scopePresets: null
          smartGateway: https://apim.azure-api.net
          fhirUsers: [{userId: 2f6e8a1c-3b5d-4c7e-9f1a-2b3c4d5e6f70, fhirUser: Patient/A}]
        clients: {chart: {enabled: false}}
        """,
    )
    assert problems == [  # in the order of the file
        f"{DEV}: fhirServer.smartGateway: applies only with smart: true on kind ahds (with "
        "deploy or resourceId); remove it",
        f"{DEV}: fhirServer.fhirUsers: applies only with smart: true on kind ahds (with deploy "
        "or resourceId); remove it",
    ]


def test_presets_on_the_first_party_app_are_refused(config: Path) -> None:
    problems = _errors(config, "fhirServer: {smart: false}\nclients: {chart: {enabled: false}}")
    assert problems == [
        f"{BASE_FILE}: fhirServer.scopePresets: applies only to a resource app this stack "
        "creates (kind oss, or smart: true): the Azure Health Data Services resource "
        "application belongs to Microsoft; remove it"
    ]


def test_identity_providers_are_checked_with_their_key(config: Path) -> None:
    problems = _errors(
        config,
        """\
        fhirServer:
          smartIdentityProviders:
            - authority: https://contoso.b2clogin.com/contoso.onmicrosoft.com/B2C_1A_SMART/v2.0
              applications: [{clientId: c1, audience: c1, allowedDataActions: [Read, Write]}]
        """,
    )
    assert problems == [
        f"{DEV}: fhirServer.smartIdentityProviders[0].applications[0].allowedDataActions: must "
        "be [Read]: the only data action the FHIR service allows another identity provider"
    ]


def test_client_optional_claims_and_the_auth_context_frontend(config: Path) -> None:
    problems = _errors(
        config,
        """\
        clients:
          chart:
            optionalClaims: {idToken: [login_hint, fhirUser], accessToken: [fhirUser, 'x y']}
          context:
            kind: public
            platform: mobile
            redirectUris: [http://localhost]
            authContextFrontend: true
        """,
    )
    assert problems == [
        f"{DEV}: clients.chart.optionalClaims.accessToken[0]: access tokens for the FHIR service "
        "carry fhirUser from the SMART resource app's claims mapping policy already; remove it",
        f"{DEV}: clients.chart.optionalClaims.accessToken[1]: 'x y' is not an optional claim "
        "name (letters, digits and '_', e.g. login_hint)",
        f"{DEV}: clients.context.authContextFrontend: applies only to platform spa: the SMART "
        "sample's Auth Context Frontend is a single-page app",
        f"{DEV}: clients.context.authContextFrontend: needs fhirServer.smartGateway (with "
        "smart: true): its redirect URI is <gateway>/auth/context/",
    ]


def test_backend_services_may_hold_the_smart_app_s_roles(config: Path) -> None:
    overlay = """\
        fhirServer: {appRoles: [system.all.read]}
        clients:
          backend:
            kind: service
            roles: [FHIR Data Reader, system.all.read, system.all.write]
            credential: {type: federated, issuer: 'https://token.actions.githubusercontent.com',
                         subject: 'repo:contoso/b:environment:dev'}
        """
    (problem,) = _errors(config, overlay)
    assert problem.startswith(f"{DEV}: clients.backend.roles[2]: 'system.all.write' is not a FHIR")
    assert problem.endswith("or an app role of the SMART resource app (fhirServer.appRoles: "
                            "system.all.read)")  # fmt: skip


def test_a_pair_with_a_pinned_role_id_of_its_own_is_refused(config: Path) -> None:
    overlay = """\
        fhirServer:
          appRoles: [user.all.read]
          ids: {roles: {user.all.read: 11111111-1111-4111-8111-111111111111}}
        """
    (problem,) = _errors(config, overlay)
    scope_id = derived_id("scope", "user.all.read")
    assert problem == (
        f"{DEV}: fhirServer.ids.roles.user.all.read: 'user.all.read' is both an app role and a "
        "scope, which Entra accepts only with one id: pin it under ids.scopes only (the role "
        f"takes the scope's id {scope_id})"
    )


def test_warnings_for_what_the_fhir_service_refuses_at_call_time(config: Path) -> None:
    _, warnings = _load(
        config,
        """\
        clients:
          chart: {scopes: [patient.Observation.read, patient.all.rs]}
          ehr:
            kind: confidential
            redirectUris: [https://ehr.contoso.com/cb]
            scopes: [patient.all.read, user.all.read]
            credential: {type: secret}
          backend:
            kind: service
            roles: [FHIR SMART User]
            credential: {type: secret}
        fhirServer: {scopePresets: [smart-v1, smart-v2]}
        assignments:
          - {principalId: 3a4b5c6d-7e8f-4a9b-8c0d-1e2f3a4b5c6d, principalType: Group,
             roles: [FHIR SMART User, FHIR Data Reader]}
        """,
    )
    assert [w.split(": ")[1] for w in warnings] == [
        "clients.backend.roles[0]",
        "clients.chart.scopes",
        "clients.ehr.scopes",
        "assignments[0].roles",
    ]
    assert (
        "mixes SMART v1 and v2 scope forms (patient.Observation.read, patient.all.rs)"
        in (warnings[1])
    )
    assert "mixes the patient and user contexts" in warnings[2]
    assert "holds FHIR SMART User and FHIR Data Reader" in warnings[3]


def test_a_smart_stack_without_smart_users_is_warned(config: Path) -> None:
    _, warnings = _load(config, "assignments: []")
    (warning,) = warnings
    assert warning.startswith(f"{BASE_FILE}: fhirServer.smart: no assignment grants FHIR SMART")


def test_check_prints_one_line_per_problem_and_exits_1(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (config / "environments" / "dev.yaml").write_text(
        "fhirServer: {smartAudience: 'api://x/y'}\n", encoding="utf-8"
    )
    code = main(["check", "--environment", "dev", "--config-dir", "config"])
    captured = capsys.readouterr()
    assert code == 1 and captured.out == ""
    (line,) = captured.err.strip().splitlines()
    assert line.startswith(f"{DEV}: fhirServer.smartAudience: ") and "Traceback" not in line


def test_the_loaded_spec_is_what_the_config_says(config: Path) -> None:
    (config / "environments" / "dev.yaml").write_text("{}", encoding="utf-8")
    spec = load_spec(Path("config"), environment="dev")
    assert spec.fhir_server.scope_presets == ("smart-v1",)
    assert spec.fhir_server.exposed_scopes()[0] == "user_impersonation"


def test_smart_keys_on_an_oss_server_are_refused(config: Path) -> None:
    (config / "base.yaml").write_text(
        "tenant: {verifiedDomains: [contoso.com]}\n"
        "fhirServer: {kind: oss, url: 'https://fhir.contoso.com', smartGateway: "
        "'https://apim.azure-api.net'}\n",
        encoding="utf-8",
    )
    (problem,) = _errors(config, "{}")
    assert problem == (
        f"{BASE_FILE}: fhirServer.smartGateway: applies only with smart: true on kind ahds (with "
        "deploy or resourceId); remove it"
    )


def test_a_smart_app_role_only_for_users_cannot_go_to_a_backend(config: Path) -> None:
    overlay = """\
        fhirServer:
          appRoles: [system.all.read]
          roleDetails: {system.all.read: {allowedMemberTypes: [User]}}
        clients:
          backend:
            kind: service
            roles: [system.all.read]
            credential: {type: secret}
        """
    (problem,) = _errors(config, overlay)
    assert problem.startswith(f"{DEV}: clients.backend.roles[0]: role 'system.all.read' cannot be")
