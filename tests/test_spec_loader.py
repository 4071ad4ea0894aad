"""The loader: layers, merge rules, provenance, YAML errors, certificates, stack environments."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import yaml

from fhir_apps.spec.errors import ConfigError, Problem
from fhir_apps.spec.loader import load_spec, load_spec_with_warnings
from fhir_apps.spec.pulumifiles import stack_environment

REPO = Path(__file__).resolve().parent.parent

BASE = """\
tenant: {verifiedDomains: [contoso.com]}
fhirServer:
  kind: oss
  url: https://fhir.contoso.com
  appRoles: [globalReader, globalWriter]
clients:
  web:
    kind: confidential
    redirectUris: [https://web.contoso.com/cb]
    scopes: [user_impersonation]
    credential: {type: secret}
  spa:
    kind: public
    platform: spa
    redirectUris: [https://spa.contoso.com/]
  daemon:
    kind: service
    roles: [globalWriter]
    credential:
      type: federated
      issuer: https://token.actions.githubusercontent.com
      subject: repo:contoso/daemon:environment:dev
"""


@pytest.fixture
def tree(tmp_path, monkeypatch):
    """Write config files under tmp_path/config (cwd = tmp_path, so files read `config/...`)."""
    monkeypatch.chdir(tmp_path)

    def write(files: dict[str, str]) -> Path:
        for name, text in files.items():
            path = tmp_path / "config" / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text))
        return Path("config")

    return write


def problems(excinfo: pytest.ExceptionInfo[ConfigError]) -> list[str]:
    return [str(p) for p in excinfo.value.problems]


# -- the example config ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("environment", "stack"), [("dev", None), ("prod", None), ("dev", "dev-eu"), ("dev", "dev")]
)
def test_example_config_loads(environment, stack):
    spec, warnings = load_spec_with_warnings(REPO / "config", environment=environment, stack=stack)
    assert spec.environment == environment
    assert spec.stack == (stack or environment)
    assert warnings == ()
    assert {c.kind for c in spec.clients.values()} == {"confidential", "public", "service"}
    types = {c.credential.type for c in spec.clients.values() if c.credential is not None}
    assert types == {"secret", "certificate", "federated"}


def test_example_prod_is_protected_and_leaves_reporting_out():
    spec = load_spec(REPO / "config", environment="prod")
    assert spec.protected is True
    assert "reporting" not in spec.clients
    assert spec.fhir_server.url == "https://fhir.contoso.com"
    assert spec.clients["dashboard"].redirect_uris == ("https://dashboard.contoso.com/signin-oidc",)


def test_example_stack_overlay_adds_a_client_and_moves_the_url():
    spec = load_spec(REPO / "config", environment="dev", stack="dev-eu")
    assert spec.fhir_server.url == "https://fhir-dev.eu.contoso.com"
    assert spec.clients["eu-sync"].kind == "service"
    assert spec.clients["ingest"].credential.all_subjects() == (
        "repo:contoso/fhir-ingest:environment:dev-eu",
    )


def test_example_yaml_files_reference_the_schema():
    for path in sorted((REPO / "config").rglob("*.yaml")):
        first = path.read_text().splitlines()[0]
        relative = "./schema.json" if path.parent.name == "config" else "../schema.json"
        assert first == f"# yaml-language-server: $schema={relative}", path


def test_example_certificate_is_public_only():
    for path in (REPO / "config").rglob("*.pem"):
        assert "PRIVATE KEY" not in path.read_text(), path


# -- layers and merge rules -----------------------------------------------------------------


def test_minimal_layers_load(tree):
    config = tree({"base.yaml": BASE, "environments/dev.yaml": ""})
    spec = load_spec(config, environment="dev")
    assert sorted(spec.clients) == ["daemon", "spa", "web"]
    assert spec.stack == "dev"
    assert spec.protected is False


def test_maps_merge_by_key(tree):
    config = tree(
        {
            "base.yaml": BASE,
            "environments/dev.yaml": """\
                clients:
                  web:
                    displayName: Web (dev)
                    credential: {rotationDays: 30}
            """,
        }
    )
    web = load_spec(config, environment="dev").clients["web"]
    assert web.display_name == "Web (dev)"
    assert web.redirect_uris == ("https://web.contoso.com/cb",)  # kept from base
    assert web.credential.type == "secret"
    assert web.credential.rotation_days == 30


def test_lists_replace(tree):
    config = tree(
        {
            "base.yaml": BASE,
            "environments/dev.yaml": "clients: {web: {redirectUris: [https://dev.contoso.com/cb]}}",
        }
    )
    web = load_spec(config, environment="dev").clients["web"]
    assert web.redirect_uris == ("https://dev.contoso.com/cb",)


def test_stack_layer_comes_last(tree):
    config = tree(
        {
            "base.yaml": BASE,
            "environments/dev.yaml": "fhirServer: {url: https://fhir-dev.contoso.com}",
            "stacks/dev-eu.yaml": "fhirServer: {url: https://fhir-dev.eu.contoso.com}",
        }
    )
    assert load_spec(config, environment="dev").fhir_server.url == "https://fhir-dev.contoso.com"
    spec = load_spec(config, environment="dev", stack="dev-eu")
    assert spec.fhir_server.url == "https://fhir-dev.eu.contoso.com"
    assert spec.stack == "dev-eu"


def test_missing_stack_file_is_fine(tree):
    config = tree({"base.yaml": BASE, "environments/dev.yaml": ""})
    assert load_spec(config, environment="dev", stack="nothing-here").stack == "nothing-here"


def test_enabled_false_removes_a_client(tree):
    config = tree(
        {
            "base.yaml": BASE,
            # Left out entirely, so the rules do not apply to what remains of it.
            "environments/dev.yaml": "clients: {web: {enabled: false, redirectUris: []}}",
        }
    )
    spec = load_spec(config, environment="dev")
    assert "web" not in spec.clients
    assert sorted(spec.enabled_clients()) == ["daemon", "spa"]


def test_enabled_true_in_a_later_layer_brings_a_client_back(tree):
    config = tree(
        {
            "base.yaml": BASE + "    enabled: false\n",
            "environments/dev.yaml": "clients: {daemon: {enabled: true}}",
        }
    )
    assert "daemon" in load_spec(config, environment="dev").clients
    config = tree({"environments/prod.yaml": ""})
    assert "daemon" not in load_spec(config, environment="prod").clients


def test_null_resets_a_key_to_its_default(tree):
    config = tree(
        {
            "base.yaml": BASE.replace(
                "kind: confidential", "kind: confidential\n    displayName: W"
            ),
            "environments/dev.yaml": "clients: {web: {displayName: null}}",
        }
    )
    spec = load_spec(config, environment="dev")
    assert spec.clients["web"].display_name is None
    assert spec.display_name("web") == "fhir-dev-web"


def test_a_changed_type_replaces_the_credential_instead_of_merging(tree):
    config = tree(
        {
            "base.yaml": BASE,
            "environments/dev.yaml": """\
                clients:
                  daemon:
                    credential: {type: secret, rotationDays: 30}
            """,
        }
    )
    credential = load_spec(config, environment="dev").clients["daemon"].credential
    assert credential.type == "secret"
    assert credential.rotation_days == 30


def test_protected_defaults_to_true_for_prod_only(tree):
    config = tree({"base.yaml": BASE, "environments/dev.yaml": "", "environments/prod.yaml": ""})
    assert load_spec(config, environment="prod").protected is True
    assert load_spec(config, environment="dev").protected is False
    tree({"environments/prod.yaml": "protected: false"})
    assert load_spec(config, environment="prod").protected is False
    tree({"environments/dev.yaml": "protected: true"})
    assert load_spec(config, environment="dev").protected is True


def test_display_names(tree):
    config = tree(
        {
            "base.yaml": "naming: {prefix: acme}\n" + BASE,
            "environments/dev.yaml": "clients: {spa: {displayName: Growth chart}}",
        }
    )
    spec = load_spec(config, environment="dev")
    assert spec.display_name("web") == "acme-dev-web"
    assert spec.display_name("spa") == "Growth chart"


def test_yaml_anchors_and_merge_keys_work(tree):
    config = tree(
        {
            "base.yaml": BASE
            + """\
  web2:
    <<: &web {kind: confidential, credential: {type: secret}}
    redirectUris: [https://web2.contoso.com/cb]
""",
            "environments/dev.yaml": "",
        }
    )
    assert load_spec(config, environment="dev").clients["web2"].kind == "confidential"


def test_errors_name_the_layer_that_set_the_value(tree):
    config = tree(
        {
            "base.yaml": BASE,
            "environments/dev.yaml": "clients: {web: {credential: {rotationDays: 200}}}",
        }
    )
    with pytest.raises(ConfigError) as excinfo:
        load_spec(config, environment="dev")
    (problem,) = excinfo.value.problems
    assert problem == Problem(
        "config/environments/dev.yaml",
        "clients.web.credential.rotationDays",
        "rotationDays 200 gives each secret a lifetime of 400 days (two staggered slots each "
        "live two rotation periods), more than policy.maxSecretLifetimeDays 365; use at most 182",
        1,
    )


def test_missing_required_key_is_reported_at_the_layer_that_defined_the_map(tree):
    config = tree(
        {
            "base.yaml": BASE,
            "environments/dev.yaml": "clients:\n  extra:\n    kind: service\n    roles: []\n",
        }
    )
    with pytest.raises(ConfigError) as excinfo:
        load_spec(config, environment="dev")
    assert problems(excinfo) == [
        "config/environments/dev.yaml: clients.extra.credential: is required for a service "
        "client: add a credential of type certificate, federated or secret"
    ]


def test_arguments_may_be_positional_and_environment_is_required(tree):
    config = tree({"base.yaml": BASE, "environments/dev.yaml": ""})
    assert load_spec(config, "dev", "dev-eu").stack == "dev-eu"
    assert load_spec_with_warnings(config, "dev")[0].stack == "dev"
    with pytest.raises(TypeError, match="missing required argument: 'environment'"):
        load_spec(config)
    with pytest.raises(TypeError, match="missing required argument: 'environment'"):
        load_spec_with_warnings(config)


def test_config_error_str_is_all_lines():
    error = ConfigError([Problem("a.yaml", "x.y", "bad"), Problem("b.yaml", "", "worse", 3)])
    assert str(error) == "a.yaml: x.y: bad\nb.yaml: line 3: worse"
    assert str(Problem("c.yaml", "", "no line")) == "c.yaml: no line"


def test_every_problem_is_reported_at_once(tree):
    config = tree(
        {
            "base.yaml": BASE,
            "environments/dev.yaml": """\
                owners: [nobody]
                clients:
                  spa: {credential: {type: secret}}
                  daemon: {scopes: [user_impersonation]}
                  broken: {kind: confidential, redirectUris: 5}
            """,
        }
    )
    with pytest.raises(ConfigError) as excinfo:
        load_spec(config, environment="dev")
    assert problems(excinfo) == [
        "config/environments/dev.yaml: owners[0]: 'nobody' is not an object id; use the GUID "
        "of a user or service principal, e.g. 00000000-0000-0000-0000-000000000000",
        "config/environments/dev.yaml: clients.spa.credential: public clients cannot keep a "
        "secret, so they have no credential of any kind; remove it, or use kind confidential "
        "if the app runs on a server",
        "config/environments/dev.yaml: clients.daemon.scopes: a service client gets application "
        "permissions, never delegated scopes; use roles instead",
        "config/environments/dev.yaml: clients.broken.redirectUris: must be a list; got 5",
    ]


# -- reading YAML ---------------------------------------------------------------------------


def test_duplicate_keys_name_file_and_line(tree):
    config = tree(
        {
            "base.yaml": BASE,
            "environments/dev.yaml": "fhirServer:\n  url: https://a.contoso.com\n"
            "  url: https://b.contoso.com\n",
        }
    )
    with pytest.raises(ConfigError) as excinfo:
        load_spec(config, environment="dev")
    assert problems(excinfo) == [
        "config/environments/dev.yaml: fhirServer.url: duplicate key 'url' on line 3 (first "
        "set on line 2); keep one"
    ]
    assert excinfo.value.problems[0].line == 3


def test_malformed_yaml_names_file_and_line(tree):
    config = tree({"base.yaml": BASE, "environments/dev.yaml": "clients:\n  web: [a\n  b: c\n"})
    with pytest.raises(ConfigError) as excinfo:
        load_spec(config, environment="dev")
    (problem,) = excinfo.value.problems
    assert problem.file == "config/environments/dev.yaml"
    assert problem.line == 3
    assert str(problem).startswith("config/environments/dev.yaml: line 3, column ")
    assert "malformed YAML" in problem.message


def test_a_layer_must_be_a_mapping(tree):
    config = tree({"base.yaml": BASE, "environments/dev.yaml": "- a\n- b\n"})
    with pytest.raises(ConfigError) as excinfo:
        load_spec(config, environment="dev")
    assert problems(excinfo) == [
        "config/environments/dev.yaml: line 1: the file must be a mapping of top-level keys "
        "(tenant, naming, owners, policy, fhirServer, clients, assignments, ...)"
    ]


def test_keys_must_be_text(tree):
    config = tree({"base.yaml": BASE, "environments/dev.yaml": "clients:\n  1: {}\n"})
    with pytest.raises(ConfigError) as excinfo:
        load_spec(config, environment="dev")
    assert problems(excinfo) == [
        "config/environments/dev.yaml: clients: key 1 is not text; quote it (e.g. '1') or rename it"
    ]


def test_missing_environment_lists_the_available_ones(tree):
    config = tree({"base.yaml": BASE, "environments/dev.yaml": "", "environments/prod.yaml": ""})
    with pytest.raises(ConfigError) as excinfo:
        load_spec(config, environment="qa")
    assert problems(excinfo) == [
        "config/environments/qa.yaml: environment 'qa' has no file; available environments: "
        "dev, prod (files in config/environments)"
    ]


def test_missing_base_and_config_dir(tree, tmp_path):
    config = tree({"environments/dev.yaml": ""})
    with pytest.raises(ConfigError) as excinfo:
        load_spec(config, environment="dev")
    assert problems(excinfo) == [
        "config/base.yaml: the file does not exist; every config needs a base"
    ]
    with pytest.raises(ConfigError) as excinfo:
        load_spec(tmp_path / "nope", environment="dev")
    assert problems(excinfo) == [f"{tmp_path / 'nope'}: the config directory does not exist"]


@pytest.mark.parametrize("name", ["../dev", "a/b", "", ".hidden"])
def test_environment_names_are_checked(tree, name):
    config = tree({"base.yaml": BASE, "environments/dev.yaml": ""})
    with pytest.raises(ConfigError) as excinfo:
        load_spec(config, environment=name)
    assert problems(excinfo) == [
        f"--environment: '{name}' is not a valid name; use letters, digits, '.', '-' and '_' "
        "(at most 64, starting with a letter or digit)"
    ]


def test_environment_and_stack_are_not_set_in_yaml(tree):
    config = tree({"base.yaml": BASE, "environments/dev.yaml": "environment: prod\nstack: x\n"})
    with pytest.raises(ConfigError) as excinfo:
        load_spec(config, environment="dev")
    assert problems(excinfo) == [
        "config/environments/dev.yaml: environment: is set by --environment, not in a config "
        "file; remove it",
        "config/environments/dev.yaml: stack: is set by --stack, not in a config file; remove it",
    ]


# -- certificates ---------------------------------------------------------------------------

CERT_CLIENT = """\
clients:
  exporter:
    kind: service
    roles: [globalReader]
    credential: {type: certificate, certificateFile: certs/exporter.pem}
"""


def test_certificate_path_is_resolved_relative_to_the_config_dir(tree):
    config = tree({"base.yaml": BASE, "environments/dev.yaml": CERT_CLIENT})
    (config / "certs").mkdir()
    (config / "certs" / "exporter.pem").write_text((REPO / "config/certs/exporter.pem").read_text())
    credential = load_spec("config", environment="dev").clients["exporter"].credential
    assert credential.certificate_file == str((config / "certs" / "exporter.pem").resolve())


def test_missing_certificate_file(tree):
    config = tree({"base.yaml": BASE, "environments/dev.yaml": CERT_CLIENT})
    with pytest.raises(ConfigError) as excinfo:
        load_spec(config, environment="dev")
    assert problems(excinfo) == [
        "config/environments/dev.yaml: clients.exporter.credential.certificateFile: "
        "config/certs/exporter.pem: does not exist; paths are relative to the config "
        "directory (config)"
    ]


def test_certificate_with_private_key_is_rejected(tree):
    config = tree(
        {
            "base.yaml": BASE,
            "environments/dev.yaml": CERT_CLIENT,
            "certs/exporter.pem": "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n",
        }
    )
    with pytest.raises(ConfigError) as excinfo:
        load_spec(config, environment="dev")
    assert problems(excinfo) == [
        "config/environments/dev.yaml: clients.exporter.credential.certificateFile: "
        "config/certs/exporter.pem: contains a private key; commit only the public certificate "
        "(-----BEGIN CERTIFICATE-----) and keep the private key out of the repository"
    ]


def test_certificate_file_must_hold_a_certificate(tree):
    config = tree(
        {"base.yaml": BASE, "environments/dev.yaml": CERT_CLIENT, "certs/exporter.pem": "hello"}
    )
    with pytest.raises(ConfigError) as excinfo:
        load_spec(config, environment="dev")
    assert problems(excinfo) == [
        "config/environments/dev.yaml: clients.exporter.credential.certificateFile: "
        "config/certs/exporter.pem: holds no PEM certificate (-----BEGIN CERTIFICATE-----)"
    ]


# -- warnings -------------------------------------------------------------------------------


def test_azure_api_for_fhir_loads_with_a_deprecation_warning(tree):
    config = tree(
        {
            "base.yaml": """\
                fhirServer:
                  kind: azure-api-for-fhir
                  url: https://contoso-fhir.azurehealthcareapis.com
                  resourceId: >-
                    /subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg
                    /providers/Microsoft.HealthcareApis/services/contoso-fhir
                clients:
                  daemon:
                    kind: service
                    roles: [FHIR Data Reader]
                    credential: {type: secret}
            """,
            "environments/dev.yaml": "",
        }
    )
    spec, warnings = load_spec_with_warnings(config, environment="dev")
    assert spec.fhir_server.kind == "azure-api-for-fhir"
    assert warnings == (
        "config/base.yaml: fhirServer.kind: azure-api-for-fhir is retired on 2026-09-30 and "
        "takes no new deployments since 2025-04-01; plan the move to kind ahds (Azure Health "
        "Data Services)",
    )
    assert load_spec(config, environment="dev") == spec


ADMIN_SCOPE_BASE = """\
    tenant: {verifiedDomains: [contoso.com]}
    fhirServer:
      kind: oss
      url: https://fhir.contoso.com
      scopes: [user_impersonation, patient.all.read]
      scopeDetails:
        patient.all.read: {type: Admin}
    clients:
      portal:
        kind: confidential
        redirectUris: [https://portal.contoso.com/signin-oidc]
        scopes: [patient.all.read, user_impersonation]
        credential: {type: secret}
      viewer:
        kind: public
        platform: spa
        redirectUris: [https://viewer.contoso.com/]
        scopes: [user_impersonation]
"""


def test_an_admin_scope_without_admin_consent_warns_with_file_and_key(tree):
    config = tree({"base.yaml": ADMIN_SCOPE_BASE, "environments/dev.yaml": ""})
    spec, warnings = load_spec_with_warnings(config, environment="dev")
    assert warnings == (
        "config/base.yaml: clients.portal.scopes: patient.all.read: type Admin on the FHIR "
        "server, which no user can consent to; sign-in fails until an administrator grants it. "
        "Set adminConsent: true to grant it here",
    )
    assert load_spec(config, environment="dev") == spec


def test_an_admin_scope_with_admin_consent_does_not_warn(tree):
    config = tree(
        {
            "base.yaml": ADMIN_SCOPE_BASE,
            "environments/dev.yaml": "clients:\n  portal: {adminConsent: true}\n",
        }
    )
    _, warnings = load_spec_with_warnings(config, environment="dev")
    assert warnings == ()


# -- stack_environment ----------------------------------------------------------------------


def test_stack_environment(tmp_path):
    assert stack_environment(tmp_path, "dev") == "dev"
    (tmp_path / "Pulumi.dev-eu.yaml").write_text(
        yaml.safe_dump({"config": {"fhir-apps:environment": "dev", "azuread:tenantId": "x"}})
    )
    assert stack_environment(tmp_path, "dev-eu") == "dev"
    (tmp_path / "Pulumi.prod.yaml").write_text("config:\n  azuread:tenantId: x\n")
    assert stack_environment(tmp_path, "prod") == "prod"
    (tmp_path / "Pulumi.qa.yaml").write_text("config:\n  fhir-apps:environment: {value: dev}\n")
    assert stack_environment(str(tmp_path), "qa") == "dev"


def test_stack_environment_errors(tmp_path):
    (tmp_path / "Pulumi.x.yaml").write_text("config: [\n")
    with pytest.raises(ConfigError) as excinfo:
        stack_environment(tmp_path, "x")
    assert excinfo.value.problems[0].file == str(tmp_path / "Pulumi.x.yaml")
    (tmp_path / "Pulumi.y.yaml").write_text("config:\n  fhir-apps:environment: ../etc\n")
    with pytest.raises(ConfigError) as excinfo:
        stack_environment(tmp_path, "y")
    assert problems(excinfo) == [
        f"{tmp_path / 'Pulumi.y.yaml'}: config.fhir-apps:environment: must be an environment "
        "name (letters, digits, '.', '-', '_')"
    ]
