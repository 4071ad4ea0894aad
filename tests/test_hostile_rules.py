"""Config values that hide intent or coerce into another meaning are refused, each with one line
naming the file, the key and the fix (class 5 of the hostile-input issue).

Every case here was accepted, or accepted with another meaning, before these rules.
"""

from __future__ import annotations

import base64
import datetime as dt
import os
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fhir_apps import rules
from fhir_apps.certificates import PublicCertificate, read_public_certificate
from fhir_apps.cli import main
from fhir_apps.safeio.text import first_unsafe, is_line_safe
from fhir_apps.spec.errors import ConfigError
from fhir_apps.spec.loader import load_spec, load_spec_with_warnings
from fhir_apps.spec.model import CertificateCredential

REPO = Path(__file__).resolve().parent.parent
DEV = "config/environments/dev.yaml"
TENANT = "9b1c2d3e-4f5a-4b6c-8d7e-0f1a2b3c4d5e"
APP_ID = "2b9e4d71-5c3a-4f8e-b6d2-7a1c9e0f4b35"
NIL = "00000000-0000-0000-0000-000000000000"
SUB = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups"
KV = f"{SUB}/rg/providers/Microsoft.KeyVault/vaults/kv"
AHDS_ID = f"{SUB}/rg/providers/Microsoft.HealthcareApis/workspaces/contoso/fhirservices/fhir"
DOCS = "https://learn.microsoft.com/en-us/entra/identity-platform/identifier-uri-restrictions"

BASE = """\
tenant: {verifiedDomains: [contoso.com]}
fhirServer:
  kind: oss
  url: https://fhir.contoso.com
  appRoles: [globalReader, globalWriter]
  scopes: [user_impersonation, patient.all.read]
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
# A character the safeio.text definition calls unsafe (line breaks, controls, bidi), as drawn by
# hypothesis; the definition itself is not repeated here.
UNSAFE = st.characters(codec="utf-8").filter(lambda c: first_unsafe(c) is not None)
SAFE_TEXT = st.text(
    st.characters(codec="utf-8").filter(lambda c: first_unsafe(c) is None), max_size=20
)
HYPOTHESIS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """tmp_path/config with BASE and an empty dev layer; cwd is tmp_path (files read config/...)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "config" / "environments").mkdir(parents=True)
    (tmp_path / "config" / "base.yaml").write_text(BASE)
    (tmp_path / "config" / "environments" / "dev.yaml").write_text("")
    return Path("config")


def problems(config: Path, overlay: str, stack: str | None = None) -> list[str]:
    """The problem lines of the dev layer `overlay` (an error when the config is valid)."""
    (config / "environments" / "dev.yaml").write_text(textwrap.dedent(overlay) + "\n")
    with pytest.raises(ConfigError) as excinfo:
        load_spec(config, environment="dev", stack=stack)
    return [str(p) for p in excinfo.value.problems]


def loads(config: Path, overlay: str) -> None:
    (config / "environments" / "dev.yaml").write_text(textwrap.dedent(overlay) + "\n")
    load_spec(config, environment="dev")


# -- 1. redirect URIs, homepage and logout URLs -------------------------------------------------

USERINFO = (
    "must not contain user information (text and '@' before the host): the browser goes to the "
    "host after the '@', not to the one the URL starts with; remove it"
)


@pytest.mark.parametrize(
    "uri",
    [
        "https://portal.contoso.com@evil.example/cb",
        "https://user:pass@web.contoso.com/cb",
        "http://localhost@evil.example/cb",
        "https://@web.contoso.com/cb",
    ],
)
def test_redirect_uri_with_user_information_is_refused(uri: str) -> None:
    found = rules.redirect_uri_problems(uri, "web")
    assert USERINFO in found
    assert not any("pass" in line for line in found)


def test_user_information_in_a_redirect_uri_names_the_file_and_key(config: Path) -> None:
    assert problems(
        config, "clients: {web: {redirectUris: ['https://portal.contoso.com@evil.example/cb']}}"
    ) == [f"{DEV}: clients.web.redirectUris[0]: {USERINFO}"]


@pytest.mark.parametrize("key", ["homepageUrl", "logoutUrl"])
def test_homepage_and_logout_urls_follow_the_same_rules(config: Path, key: str) -> None:
    assert problems(config, f"clients: {{web: {{{key}: 'https://a:b@web.contoso.com/'}}}}") == [
        f"{DEV}: clients.web.{key}: {USERINFO}"
    ]
    assert problems(config, f"clients: {{web: {{{key}: 'https://web.contoso.com\\\\x'}}}}") == [
        f"{DEV}: clients.web.{key}: must not contain a backslash: browsers read '\\' as '/', so "
        "the URL goes somewhere else than it reads; use '/'"
    ]


@pytest.mark.parametrize(
    "uri",
    ["https://evil.example\\@web.contoso.com/cb", "https://web.contoso.com\\cb", "https:\\\\x/y"],
)
def test_redirect_uri_with_a_backslash_is_refused(uri: str) -> None:
    assert any("backslash" in p for p in rules.redirect_uri_problems(uri, "web"))


@pytest.mark.parametrize(
    ("uri", "ascii_form"),
    [
        ("https://bücher.example/cb", "xn--bcher-kva.example"),
        ("https://p\u0430ypal.com/cb", "xn--pypal-4ve.com"),  # a Cyrillic a: a homograph
        ("msal://bücher/cb", "xn--bcher-kva"),
    ],
)
def test_unicode_host_is_refused_with_its_punycode_form(uri: str, ascii_form: str) -> None:
    found = rules.redirect_uri_problems(uri, "mobile")
    assert any(p.endswith(f"is not ASCII; write {ascii_form}") for p in found), found
    ascii_uri = uri.replace(uri.split("/")[2], ascii_form)
    assert rules.redirect_uri_problems(ascii_uri, "mobile") == []


def test_unicode_host_without_a_punycode_form_says_how_to_write_one() -> None:
    # A label over 63 characters has no IDNA form; the message still names the fix.
    host = "é" * 70 + ".example"
    assert rules.redirect_uri_problems(f"https://{host}/cb") == [
        f"host '{host}' is not ASCII; write its punycode (xn--) form"
    ]


@HYPOTHESIS
@given(SAFE_TEXT, UNSAFE, SAFE_TEXT)
def test_any_unsafe_character_in_a_redirect_uri_is_refused(head: str, char: str, tail: str) -> None:
    uri = f"https://web.contoso.com/{head}{char}{tail}"
    found = rules.redirect_uri_problems(uri, "web")
    assert found[0].startswith(f"must not contain U+{ord(char):04X} (a line-break, ")
    assert all(is_line_safe(p) for p in found)


# -- 1b. tagged scalars: !!binary, dates ------------------------------------------------------


def test_binary_display_name_is_refused_with_one_line(config: Path) -> None:
    found = problems(config, "fhirServer: {displayName: !!binary aGVsbG8=}")
    assert len(found) == 1
    assert found[0].startswith(f"{DEV}: fhirServer.displayName: ")
    assert "!!binary" in found[0]


@pytest.mark.parametrize(
    ("overlay", "key"),
    [
        ("fhirServer: {url: 2024-01-01}", "fhirServer.url"),
        ("clients: {web: {displayName: 2024-01-01}}", "clients.web.displayName"),
        ("clients: {web: {redirectUris: [2024-01-01]}}", "clients.web.redirectUris[0]"),
        (
            "clients: {web: {importIds: {application: 2024-01-01}}}",
            "clients.web.importIds.application",
        ),
    ],
)
def test_a_date_where_text_is_expected_says_to_quote_it(
    config: Path, overlay: str, key: str
) -> None:
    found = problems(config, overlay)
    assert found[0] == (
        f"{DEV}: {key}: got the date 2024-01-01: YAML reads an unquoted date as a date, not as "
        "text; quote it ('2024-01-01')"
    )
    assert sum(key in line for line in found) == 1  # one message, not pydantic's as well


def test_a_timestamp_is_refused_under_any_key(config: Path) -> None:
    found = problems(config, "assignments:\n  - {principalId: 2024-01-01 10:00:00}")
    assert found[0] == (
        f"{DEV}: assignments[0].principalId: got the date 2024-01-01 10:00:00: YAML reads an "
        "unquoted date as a date, not as text; quote it ('2024-01-01 10:00:00')"
    )


# -- 2. the FHIR server URL -------------------------------------------------------------------


def test_server_url_with_user_information_echoes_none_of_it(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (config / "environments" / "dev.yaml").write_text(
        "fhirServer: {url: 'https://admin:s3cr3t@fhir.contoso.com'}\n"
    )
    assert main(["check", "--environment", "dev"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err == f"{DEV}: fhirServer.url: {USERINFO}\n"
    assert "s3cr3t" not in out + err
    assert "admin" not in out + err


@pytest.mark.parametrize(
    ("uri", "fragment"),
    [
        ("https://fhir.contoso.com\\@evil.example", "must not contain a backslash"),
        ("https://fhir.contoso.com/\u202e", "must not contain U+202E"),
        ("https://fhir.contoso.com/\n", "must not contain U+000A"),
        ("https://fhír.contoso.com", "is not ASCII; write xn--fhr-sma.contoso.com"),
        ("api://user@fhir", "must not contain user information"),
    ],
)
def test_identifier_uri_that_hides_its_target_is_refused(uri: str, fragment: str) -> None:
    assert fragment in (rules.identifier_uri_problem(uri, ["contoso.com"]) or "")


@pytest.mark.parametrize(
    "uri",
    [
        f"api://{APP_ID}",  # api://<appId>
        f"api://{TENANT}/{APP_ID}",  # api://<tenantId>/<appId>
        f"api://{TENANT}/fhir",  # api://<tenantId>/<string>
        f"api://fhir/{APP_ID}",  # api://<string>/<appId>
        "api://contoso.com/fhir",  # api://<verified domain>/<string>
        "api://fhir.contoso.com/r4",  # api://<string>.<verified domain>/<string>
        "api://contoso.onmicrosoft.com/fhir",  # api://<initial domain>/<string>
        "https://fhir.contoso.com",  # not api://: identifier_uri_problem's
    ],
)
def test_api_identifier_uris_in_the_documented_forms_pass(uri: str) -> None:
    assert rules.api_identifier_uri_problem(uri, ["contoso.com"], TENANT) is None


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        (
            "api://fhir",
            "is not a form Entra accepts for a new identifier URI: use api://<tenant.id>/<name> "
            f"(e.g. api://{TENANT}/fhir), api://<appId>, api://<name>/<appId> or "
            f"api://<verified domain>/<name> (see {DOCS})",
        ),
        (
            "api://fhir/api",
            "is not a form Entra accepts for a new identifier URI: use api://<tenant.id>/<name> "
            f"(e.g. api://{TENANT}/fhir), api://<appId>, api://<name>/<appId> or "
            f"api://<verified domain>/<name> (see {DOCS})",
        ),
        (
            "api://example.org/fhir",
            "is not a form Entra accepts for a new identifier URI: use api://<tenant.id>/<name> "
            f"(e.g. api://{TENANT}/example.org), api://<appId>, api://<name>/<appId> or "
            f"api://<verified domain>/<name> (see {DOCS})",
        ),
        (
            f"api://{TENANT}",
            "api://<tenant.id> alone is not a form Entra accepts for a new identifier URI; add a "
            f"name, e.g. api://{TENANT}/fhir (see {DOCS})",
        ),
        ("api://contoso.com", "needs a path after the domain, e.g. api://contoso.com/fhir"),
    ],
)
def test_api_identifier_uris_outside_the_documented_forms_are_refused(
    uri: str, message: str
) -> None:
    assert rules.api_identifier_uri_problem(uri, ["contoso.com"], TENANT) == message


def test_api_server_url_form_is_checked_by_the_config_for_v1_tokens_only(config: Path) -> None:
    found = problems(config, "fhirServer: {url: 'api://fhir'}")
    assert len(found) == 1
    assert found[0].startswith(f"{DEV}: fhirServer.url: is not a form Entra accepts")
    assert DOCS in found[0]
    # Entra's default policy exempts apps that receive v2 tokens.
    loads(config, "fhirServer: {url: 'api://fhir', accessTokenVersion: 2}")
    loads(config, f"tenant: {{id: {TENANT}}}\nfhirServer: {{url: 'api://{TENANT}/fhir'}}")


# -- 3. display names, the naming prefix, client keys -------------------------------------------


@HYPOTHESIS
@given(SAFE_TEXT, UNSAFE, SAFE_TEXT)
def test_any_display_name_with_an_unsafe_character_is_refused(
    head: str, char: str, tail: str
) -> None:
    name = f"{head}{char}{tail}"
    problem = rules.display_name_problem(name)
    assert problem is not None
    assert problem.startswith(f"must not contain U+{ord(char):04X} (a line-break, ")


@HYPOTHESIS
@given(SAFE_TEXT.filter(bool))
def test_safe_display_names_up_to_256_characters_pass(name: str) -> None:
    assert rules.display_name_problem(name[:256]) is None


def test_display_name_longer_than_256_characters_is_refused(config: Path) -> None:
    loads(config, f"clients: {{web: {{displayName: '{'w' * 256}'}}}}")
    assert problems(config, f"clients: {{web: {{displayName: '{'w' * 257}'}}}}") == [
        f"{DEV}: clients.web.displayName: is 257 characters long; Entra allows at most 256 in a "
        "display name"
    ]


@pytest.mark.parametrize(
    ("overlay", "key", "code"),
    [
        ('clients: {web: {displayName: "Portal\\u202eevil"}}', "clients.web.displayName", "202E"),
        ('fhirServer: {displayName: "FHIR\\nserver"}', "fhirServer.displayName", "000A"),
        ('naming: {prefix: "fhir\\u2066"}', "naming.prefix", "2066"),
        (
            'fhirServer: {roleDetails: {globalReader: {displayName: "Read\\x1bs"}}}',
            "fhirServer.roleDetails.globalReader.displayName",
            "001B",
        ),
        (
            "fhirServer: {scopeDetails: {user_impersonation: "
            '{adminConsentDisplayName: "A\\u200fB"}}}',
            "fhirServer.scopeDetails.user_impersonation.adminConsentDisplayName",
            "200F",
        ),
    ],
)
def test_names_with_unsafe_characters_are_refused(
    config: Path, overlay: str, key: str, code: str
) -> None:
    found = problems(config, overlay)
    assert len(found) == 1
    assert found[0].startswith(f"{DEV}: {key}: must not contain U+{code} (a line-break, ")
    assert is_line_safe(found[0])


@pytest.mark.parametrize(
    ("key", "shown"),
    [("web\u202e", "web\\u202e"), ("web\n", "web\\n"), ("we\u200bb", "we\\u200bb")],
)
def test_client_key_with_unsafe_characters_is_refused_and_shown_escaped(
    config: Path, key: str, shown: str
) -> None:
    quoted = key.encode("unicode_escape").decode()
    found = problems(config, f'clients:\n  "{quoted}": {{kind: service, credential: null}}')
    assert found == [
        f"{DEV}: clients.{shown}: client key '{shown}' may use only letters, digits, '-' and '_' "
        "(at most 64, starting with a letter or digit); it names resources and display names",
        f"{DEV}: clients.{shown}.credential: is required for a service client: add a credential "
        "of type certificate, federated or secret",
    ]
    assert all(is_line_safe(line) for line in found)


def test_unknown_key_with_a_bidi_character_is_shown_escaped(config: Path) -> None:
    found = problems(config, 'clients: {web: {"scope\\u202es": [x]}}')
    assert found == [
        f"{DEV}: clients.web.scope\\u202es: unknown key 'scope\\u202es'; did you mean 'scopes'?"
    ]


# -- 4. keys and display names unique, ignoring case --------------------------------------------


def test_client_keys_that_differ_only_in_case_are_refused(config: Path) -> None:
    found = problems(config, "clients:\n  Web: {kind: public, platform: mobile}")
    assert found == [
        f"{DEV}: clients.Web: client key 'Web' differs from 'web' only in case; Key Vault secret "
        "names and display names ignore case, so the two would collide; rename one"
    ]


def test_display_names_unique_ignoring_case(config: Path) -> None:
    # An explicit name against a derived one (naming.prefix-environment-key).
    assert problems(config, "clients: {web: {displayName: FHIR-dev-SPA}}") == [
        f"{DEV}: clients.web.displayName: display name 'FHIR-dev-SPA' is also the display name "
        "of clients.spa (ignoring case); every application of a stack needs its own: set a "
        "different displayName"
    ]
    # A derived name against the FHIR resource app's derived name.
    assert problems(
        config, "naming: {prefix: fhir}\nclients: {web: {displayName: fhir-dev-fhir-SERVER}}"
    ) == [
        f"{DEV}: clients.web.displayName: display name 'fhir-dev-fhir-SERVER' is also the "
        "display name of fhirServer (ignoring case); every application of a stack needs its "
        "own: set a different displayName"
    ]


def test_two_explicit_display_names_collide(config: Path) -> None:
    found = problems(config, "clients: {spa: {displayName: Portal}, web: {displayName: portal}}")
    assert found == [  # the later client in layer order (base.yaml has web before spa)
        f"{DEV}: clients.spa.displayName: display name 'Portal' is also the display name of "
        "clients.web (ignoring case); every application of a stack needs its own: set a "
        "different displayName"
    ]


# -- 5. object ids, verified domains, ARM ids -----------------------------------------------


def test_nil_guid_is_refused_as_principal_owner_and_tenant(config: Path) -> None:
    found = problems(
        config,
        f"tenant: {{id: '{NIL}'}}\nowners: ['{NIL}']\n"
        f"assignments:\n  - {{principalId: '{NIL}', principalType: Group, roles: [globalReader]}}",
    )
    nil = f"{NIL} is the nil GUID"
    assert found == [
        f"{DEV}: tenant.id: {nil}, which names no tenant; use the tenant's directory (tenant) id",
        f"{DEV}: owners[0]: {nil}, a placeholder that names no user, group or service principal; "
        "use the object id of the one meant",
        f"{DEV}: assignments[0].principalId: {nil}, a placeholder that names no user, group or "
        "service principal; use the object id of the one meant",
    ]


@pytest.mark.parametrize(
    ("domain", "message"),
    [
        ("https://contoso.com", "is not a domain name"),
        ("contoso.com/fhir", "is not a domain name"),
        ("contoso", "is not a domain name"),
        ("*.contoso.com", "is not a domain name"),
        ("contoso.com:443", "is not a domain name"),
        ("-contoso.com", "is not a domain name"),
        ("bücher.example", "is not ASCII; write xn--bcher-kva.example"),
        ("contoso.com\u202e", "must not contain U+202E"),
    ],
)
def test_verified_domains_are_bare_domain_names(domain: str, message: str) -> None:
    assert message in (rules.verified_domain_problem(domain) or "")


@pytest.mark.parametrize(
    "domain", ["contoso.com", "eu.contoso.com", "contoso.com.", "xn--bcher-kva.example"]
)
def test_verified_domains_that_pass(domain: str) -> None:
    assert rules.verified_domain_problem(domain) is None


def test_verified_domain_problem_names_the_entry(config: Path) -> None:
    assert problems(config, "tenant: {verifiedDomains: [contoso.com, 'https://contoso.org']}") == [
        f"{DEV}: tenant.verifiedDomains[1]: 'https://contoso.org' is not a domain name; write the "
        "bare domain, e.g. contoso.com (no scheme, path, port or wildcard)"
    ]


SEGMENTS = (
    "must not have empty, '.' or '..' segments (a '//', a trailing '/', '/./' or '/../'): they "
    "make the id name another resource than it reads"
)


@pytest.mark.parametrize(
    "value",
    [
        f"{SUB}/../providers/Microsoft.KeyVault/vaults/kv",
        f"{SUB}/./providers/Microsoft.KeyVault/vaults/kv",
        f"{SUB}/rg/providers/Microsoft.KeyVault/vaults/..",
        f"{SUB}/rg/providers/Microsoft.KeyVault/vaults/kv/",
        f"{SUB}//rg/providers/Microsoft.KeyVault/vaults/kv",
    ],
)
def test_key_vault_ids_with_dot_or_empty_segments_are_refused(value: str) -> None:
    assert rules.key_vault_id_problem(value) == SEGMENTS


@pytest.mark.parametrize(
    "value",
    [
        AHDS_ID.replace("/rg/", "/../"),
        AHDS_ID.replace("/fhirservices/fhir", "/fhirservices/."),
        AHDS_ID + "/",
    ],
)
def test_resource_ids_with_dot_or_empty_segments_are_refused(value: str) -> None:
    assert rules.resource_id_problem(value, "ahds") == SEGMENTS


def test_ids_and_names_with_a_trailing_newline_are_refused() -> None:
    # `$` also matches before a final newline: these passed with re.match.
    assert rules.key_vault_id_problem(KV + "\n") is not None
    assert rules.resource_id_problem(AHDS_ID + "\n", "ahds") is not None
    assert rules.ahds_url_problem("https://contoso-fhir.fhir.azurehealthcareapis.com\n")
    assert rules.ahds_name_problem("contoso\n", "workspace") is not None
    assert rules.key_vault_secret_name_problem("web-client-secret\n") is not None


def test_key_vault_id_with_a_parent_segment_names_the_key(config: Path) -> None:
    value = f"{SUB}/../providers/Microsoft.KeyVault/vaults/kv"
    assert problems(config, f"secretStore: {{keyVaultId: '{value}'}}") == [
        f"{DEV}: secretStore.keyVaultId: {SEGMENTS}"
    ]


# -- 6. strict types -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overlay", "key", "message"),
    [
        (
            "clients: {web: {enabled: 'no'}}",
            "clients.web.enabled",
            "must be true or false; got 'no' (a string, in quotes); write false without quotes "
            "if false is meant",
        ),
        (
            "protected: 'yes'",
            "protected",
            "must be true or false; got 'yes' (a string, in quotes); write true without quotes "
            "if true is meant",
        ),
        (
            "clients: {web: {adminConsent: 'true'}}",
            "clients.web.adminConsent",
            "must be true or false; got 'true' (a string, in quotes); write true without quotes "
            "if true is meant",
        ),
        (
            "clients: {spa: {platform: mobile, fallbackPublicClient: '0'}}",
            "clients.spa.fallbackPublicClient",
            "must be true or false; got '0' (a string, in quotes); write false without quotes "
            "if false is meant",
        ),
        (
            "fhirServer: {appRoleAssignmentRequired: 1}",
            "fhirServer.appRoleAssignmentRequired",
            "must be true or false; got 1 (a number)",
        ),
        (
            "clients: {web: {credential: {rotationDays: true}}}",
            "clients.web.credential.rotationDays",
            "must be a whole number; got true",
        ),
        (
            "clients: {web: {credential: {rotationDays: '30'}}}",
            "clients.web.credential.rotationDays",
            "must be a whole number; got '30' (a string, in quotes); write 30 without quotes",
        ),
        (
            "clients: {web: {credential: {rotationDays: 30.0}}}",
            "clients.web.credential.rotationDays",
            "must be a whole number; got 30.0; write 30",
        ),
        (
            "policy: {maxSecretLifetimeDays: '365'}",
            "policy.maxSecretLifetimeDays",
            "must be a whole number; got '365' (a string, in quotes); write 365 without quotes",
        ),
        (
            "fhirServer: {accessTokenVersion: true}",
            "fhirServer.accessTokenVersion",
            "must be one of 1, 2; got true",
        ),
        (
            "fhirServer: {accessTokenVersion: 2.0}",
            "fhirServer.accessTokenVersion",
            "must be one of 1, 2; got 2.0",
        ),
    ],
)
def test_values_of_another_type_are_not_coerced(
    config: Path, overlay: str, key: str, message: str
) -> None:
    assert problems(config, overlay) == [f"{DEV}: {key}: {message}"]


def test_create_resource_group_takes_a_yaml_boolean_only(config: Path) -> None:
    overlay = (
        "fhirServer:\n  kind: ahds\n  url: null\n  appRoles: null\n  scopes: null\n"
        "  deploy: {resourceGroup: rg, location: westeurope, workspace: contoso, service: fhir,"
        " createResourceGroup: 'false'}\n"
        "clients: {daemon: {roles: [FHIR Data Reader]}}"
    )
    assert problems(config, overlay) == [
        f"{DEV}: fhirServer.deploy.createResourceGroup: must be true or false; got 'false' (a "
        "string, in quotes); write false without quotes if false is meant"
    ]


# -- 7. certificate files ---------------------------------------------------------------------

CERT_CLIENT = (
    "clients:\n  exporter:\n    kind: service\n    roles: [globalReader]\n"
    "    credential: {{type: certificate, certificateFile: '{}'}}"
)


def _certificate_der(serial: int, days: int = 365) -> bytes:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "exporter")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=days))
        .sign(key, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.DER)


def _pem(der: bytes) -> bytes:
    return (
        b"-----BEGIN CERTIFICATE-----\n" + base64.encodebytes(der) + b"-----END CERTIFICATE-----\n"
    )


def _negative_serial_pem() -> bytes:
    """A certificate with serial number -1, which cryptography's builder refuses to make: the
    serial 1 (`02 01 01`, right after the version `a0 03 02 01 02`) becomes `02 01 ff`. The
    signature no longer matches, which parsing does not check."""
    der = _certificate_der(1)
    marker = b"\xa0\x03\x02\x01\x02\x02\x01\x01"
    assert der.count(marker) == 1
    return _pem(der.replace(marker, marker[:-1] + b"\xff"))


@pytest.fixture
def certs(config: Path) -> Path:
    (config / "certs").mkdir()
    (config / "certs" / "exporter.pem").write_bytes(_pem(_certificate_der(7)))
    return config / "certs"


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (
            "/etc/ssl/certs/exporter.pem",
            "is an absolute path; name the file relative to the config directory (config), "
            "e.g. certs/client.pem",
        ),
        (
            "../outside.pem",
            "leads out of the config directory (config) through '..' or a symbolic link; keep "
            "certificates inside it, e.g. certs/client.pem",
        ),
        (
            "certs/../../outside.pem",
            "leads out of the config directory (config) through '..' or a symbolic link; keep "
            "certificates inside it, e.g. certs/client.pem",
        ),
    ],
)
def test_certificate_file_must_stay_in_the_config_directory(
    config: Path, certs: Path, value: str, reason: str
) -> None:
    # The file exists and is a valid certificate: only where it is makes it wrong.
    (config.parent / "outside.pem").write_bytes((certs / "exporter.pem").read_bytes())
    shown = f"config/{value}" if not value.startswith("/") else value
    assert problems(config, CERT_CLIENT.format(value)) == [
        f"{DEV}: clients.exporter.credential.certificateFile: {shown}: {reason}"
    ]


def test_certificate_symlink_out_of_the_config_directory_is_refused(
    config: Path, certs: Path
) -> None:
    # Inside is fine however it is reached...
    (certs / "inside.pem").symlink_to("exporter.pem")
    for value in ("certs/inside.pem", "certs/../certs/exporter.pem", "./certs/exporter.pem"):
        (config / "environments" / "dev.yaml").write_text(CERT_CLIENT.format(value) + "\n")
        credential = load_spec(config, environment="dev").clients["exporter"].credential
        assert isinstance(credential, CertificateCredential)
        assert credential.certificate_file == str((certs / "exporter.pem").resolve())
    # ...a link out is not.
    outside = config.parent / "outside.pem"
    outside.write_bytes((certs / "exporter.pem").read_bytes())
    (certs / "link.pem").symlink_to(outside.resolve())
    assert problems(config, CERT_CLIENT.format("certs/link.pem")) == [
        f"{DEV}: clients.exporter.credential.certificateFile: config/certs/link.pem: leads out of "
        "the config directory (config) through '..' or a symbolic link; keep certificates inside "
        "it, e.g. certs/client.pem"
    ]


def test_an_empty_certificate_file_name_is_refused(config: Path, certs: Path) -> None:
    # Before, '' named the config directory itself, reported as a file that does not exist.
    assert problems(config, CERT_CLIENT.format("")) == [
        f"{DEV}: clients.exporter.credential.certificateFile: must be at least 1 characters long"
    ]


def test_certificate_file_over_the_size_budget_is_refused(config: Path, certs: Path) -> None:
    (certs / "big.pem").write_bytes((certs / "exporter.pem").read_bytes() + b"#" * (1 << 20))
    assert problems(config, CERT_CLIENT.format("certs/big.pem")) == [
        f"{DEV}: clients.exporter.credential.certificateFile: config/certs/big.pem: is larger "
        "than 1024 KiB; a certificate file holds a few PEM certificates"
    ]


def test_negative_serial_number_is_one_warning_line(config: Path, certs: Path) -> None:
    (certs / "exporter.pem").write_bytes(_negative_serial_pem())
    (config / "environments" / "dev.yaml").write_text(CERT_CLIENT.format("certs/exporter.pem"))
    with warnings.catch_warnings(record=True) as leaked:
        warnings.simplefilter("always")
        _, found = load_spec_with_warnings(config, environment="dev")
    assert leaked == []  # nothing left for Python's warning machinery to print
    assert len(found) == 1
    prefix = f"{DEV}: clients.exporter.credential.certificateFile: config/certs/exporter.pem: "
    assert found[0].startswith(prefix)
    assert "serial number" in found[0]
    assert found[0].endswith("(reissue the certificate)")
    assert is_line_safe(found[0])


def test_check_prints_the_certificate_warning_as_one_clean_line(tmp_path: Path) -> None:
    config = tmp_path / "config"
    (config / "environments").mkdir(parents=True)
    (config / "certs").mkdir()
    (config / "base.yaml").write_text(BASE)
    (config / "environments" / "dev.yaml").write_text(CERT_CLIENT.format("certs/x.pem"))
    (config / "certs" / "x.pem").write_bytes(_negative_serial_pem())
    result = subprocess.run(
        [sys.executable, "-W", "default", "-m", "fhir_apps", "check", "--environment", "dev"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(
        f"warning: {DEV}: clients.exporter.credential.certificateFile: config/certs/x.pem: "
    )
    assert "Warning" not in result.stderr  # no `file.py:12: CryptographyDeprecationWarning`


def test_the_reader_returns_the_parsers_objections(tmp_path: Path) -> None:
    path = tmp_path / "x.pem"
    path.write_bytes(_negative_serial_pem())
    with warnings.catch_warnings(record=True) as leaked:
        warnings.simplefilter("always")
        certificate = read_public_certificate(path)
    assert isinstance(certificate, PublicCertificate)
    assert leaked == []
    assert len(certificate.warnings) == 1
    assert "serial number" in certificate.warnings[0]
    path.write_bytes(_pem(_certificate_der(7)))
    assert read_public_certificate(path).warnings == ()


# -- 8. a --stack that names no stack ---------------------------------------------------------


def test_a_stack_name_that_matches_nothing_warns(config: Path) -> None:
    (config / "stacks").mkdir()
    (config / "stacks" / "dev-eu.yaml").write_text("")
    _, found = load_spec_with_warnings(config, environment="dev", stack="dev-ue")
    assert found == (
        "--stack: 'dev-ue' names no stack: neither config/stacks/dev-ue.yaml nor "
        "Pulumi.dev-ue.yaml exists, so only the environment's layers apply; known stacks: "
        "dev-eu; did you mean 'dev-eu'?",
    )
    # A stack file, or a Pulumi stack in the project directory, is a stack: no warning.
    assert load_spec_with_warnings(config, environment="dev", stack="dev-eu")[1] == ()
    (config.parent / "Pulumi.blue.yaml").write_text("config: {fhir-apps:environment: dev}\n")
    assert load_spec_with_warnings(config, environment="dev", stack="blue")[1] == ()
    assert load_spec_with_warnings(config, environment="dev")[1] == ()


def test_check_warns_about_a_mistyped_stack(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (config.parent / "Pulumi.prod.yaml").write_text("config: {fhir-apps:environment: dev}\n")
    assert main(["check", "--environment", "dev", "--stack", "prdo"]) == 0
    err = capsys.readouterr().err
    assert err == (
        "warning: --stack: 'prdo' names no stack: neither config/stacks/prdo.yaml nor "
        "Pulumi.prdo.yaml exists, so only the environment's layers apply; known stacks: prod; "
        "did you mean 'prod'?\n"
    )


def test_names_with_a_trailing_newline_are_refused(config: Path) -> None:
    with pytest.raises(ConfigError) as excinfo:
        load_spec(config, environment="dev\n")
    assert [str(p) for p in excinfo.value.problems] == [
        "--environment: 'dev\\n' is not a valid name; use letters, digits, '.', '-' and '_' (at "
        "most 64, starting with a letter or digit)"
    ]


# -- values refused while reading, and Pulumi's own files ----------------------------------------


def test_a_required_value_refused_while_reading_is_one_line_not_two(config: Path) -> None:
    found = problems(
        config,
        """
        assignments:
          - principalId: !!binary aGVsbG8=
            principalType: User
            roles: [globalReader]
        """,
    )
    about_principal = [line for line in found if "assignments[0].principalId" in line]
    # Only the reader's line: not also "is required" for the value it left out.
    assert len(about_principal) == 1 and "!!binary" in about_principal[0]


def test_an_alias_bomb_in_a_pulumi_stack_file_is_one_clear_line(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from fhir_apps.cli import main

    bomb = "".join(
        ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n']
        + [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]\n" for i in range(1, 9)]
    )
    Path("Pulumi.boom.yaml").write_text("config:\n  fhir-apps:environment: dev\n" + bomb)
    assert main(["check", "--stack", "boom", "--config-dir", str(config)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1
    assert "Pulumi.boom.yaml: line 8: aliases here expand" in err[0]
