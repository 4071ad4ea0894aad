"""`adopt` against hostile Graph exports: nothing from an export can add config, end a comment,
reach the terminal raw, or crash; writes lose nothing and race safely.

Every test sets FHIR_APPS_DEBUG=1, so an unexpected exception in the CLI fails the test instead
of becoming its one-line "internal error".
"""

from __future__ import annotations

import copy
import errno
import json
import os
import tempfile
import threading
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fhir_apps.adopt import (
    AdoptInputError,
    Drift,
    GraphExport,
    environment_yaml,
    plan,
    read_export,
    write_environment,
)
from fhir_apps.cli import DEBUG_VARIABLE, main
from fhir_apps.safeio.atomic import WriteError, write_atomic
from fhir_apps.safeio.text import first_unsafe
from fhir_apps.spec.loader import load_spec

FIXTURES = Path(__file__).parent / "fixtures" / "graph"
SERVER_ID = "6c1f3a52-8d4e-4b7a-9e21-0f5d7c3b9a10"
SPA_ID = "b3d7f1a9-6c2e-4b58-9f04-1a7e3c5d9b62"
GROUP = "4f8a2c6e-0b3d-4e91-a7c5-9d1f3b5e7a08"
INTRUDER = "d3adbeef-0bad-4bad-8bad-0000000000e1"
# Characters that break a line for YAML, str.splitlines or a terminal, or reorder what is read.
UNSAFE = [
    "\n", "\r", "\r\n", "\x85", "\u2028", "\u2029", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e",
    "\x00", "\x1b[31m", "\x7f", "\x9b", "\t", "\u202e", "\u2066", "\u200b", "\ufeff", "\ud800",
]  # fmt: skip
# Text that means something to YAML, a shell or a reader of the file.
SPECIAL = [
    "# ", " #", "#", "owners:", "- ", ": ", "'", '"', "\\", "\\n", "&a ", "*a", "!!python/object ",
    "{", "[", "---", "...", "|", ">", "? ", "%YAML", "`", "$(id)", "a" * 130, "//[", "https://",
]  # fmt: skip


@pytest.fixture(autouse=True)
def _debug(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(DEBUG_VARIABLE, "1")


def _app(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"application-{name}.json").read_text(encoding="utf-8"))


def _page(name: str) -> list[dict[str, Any]]:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))["value"]


def _write_json(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def _argv(apps: Path, config_dir: Path, *extra: str) -> list[str]:
    return [
        "adopt",
        "--applications",
        str(apps),
        "--service-principals",
        str(FIXTURES / "service-principals.json"),
        "--environment",
        "dev",
        "--config-dir",
        str(config_dir),
        *extra,
    ]


def _one_safe_line(text: str) -> str:
    """The single line in `text` (stderr), which holds no unsafe character."""
    lines = text.split("\n")
    assert len(lines) == 2 and lines[1] == "", text
    assert first_unsafe(lines[0]) is None, lines[0]
    return lines[0]


def _files(directory: Path) -> list[str]:
    return sorted(str(p.relative_to(directory)) for p in directory.rglob("*"))


# -- the injection that was reported -------------------------------------------------------------


def _payload(line_break: str) -> str:
    """A display name that, written raw into a comment, adds an owner and a globalAdmin."""
    return line_break.join(
        [
            "Innocent app",
            f"owners: ['{INTRUDER}']",
            "assignments:",
            f"- principalId: {INTRUDER}",
            "  principalType: User",
            "  roles: [globalAdmin]",
            "#",
        ]
    )


def _middle_tier(name: str) -> dict[str, Any]:
    """An app with FHIR scopes but no redirect URI: not adopted, reported under its name."""
    app = _app("clinician-portal")
    app.update(id="11111111-2222-4333-8444-555555555555", displayName=name)
    app["appId"] = "21111111-2222-4333-8444-555555555555"
    app["web"]["redirectUris"] = []
    app["passwordCredentials"] = []
    return app


def _ignored(name: str) -> dict[str, Any]:
    """An app that asks for no FHIR access: listed as not adopted, under its name."""
    return {**_app("hr-self-service"), "displayName": name}


@pytest.mark.parametrize(
    ("make", "line_break"),
    [
        pytest.param(_middle_tier, "\n", id="finding-header-newline"),
        pytest.param(_middle_tier, "\u2028", id="finding-header-u2028"),
        pytest.param(_ignored, "\x85", id="not-adopted-x85"),
        pytest.param(_ignored, "\u2029", id="not-adopted-u2029"),
    ],
)
def test_a_display_name_cannot_add_owners_or_a_global_admin(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], make: Any, line_break: str
) -> None:
    apps = _write_json(tmp_path / "apps.json", [_app("fhir-server"), make(_payload(line_break))])
    config = tmp_path / "config"
    assert main(_argv(apps, config, "--write")) == 0
    text = (config / "environments" / "dev.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    assert "owners" not in data and "assignments" not in data
    assert INTRUDER not in json.dumps(data)
    # Exactly what adoption planned, and the name is in the file, escaped, as a comment.
    export = GraphExport(
        (_app("fhir-server"), make(_payload(line_break))),
        tuple(_page("service-principals.json")),
        has_service_principals=True,
    )
    assert data == plan(export, environment="dev", config_dir=config).config()
    assert any(
        "Innocent app" in line and line.lstrip().startswith("#") for line in text.split("\n")
    )
    assert all(first_unsafe(line) is None for line in text.split("\n"))
    capsys.readouterr()
    assert main(["check", "--environment", "dev", "--config-dir", str(config)]) == 0


def test_an_adopted_client_with_an_unsafe_name_is_refused_and_nothing_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spa = {**_app("patient-spa"), "displayName": _payload("\n")}
    apps = _write_json(tmp_path / "apps.json", [_app("fhir-server"), spa])
    config = tmp_path / "config"
    assert main(_argv(apps, config, "--write")) == 1
    line = _one_safe_line(capsys.readouterr().err)
    assert line.startswith(f"adopt: application {SPA_ID} ('Innocent app\\nowners: ")
    assert "): displayName must not contain U+000A (a line-break, control or bidi" in line
    assert line.endswith(
        "Adopt takes over no such app: correct it in Entra (az ad app update --id "
        "7e1c5a3f-8b4d-4e29-a6f0-3d9b1e7c5a84) and export again"
    )
    assert not config.exists()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"displayName": "FHIR \u202eved\u202c"},
            "('FHIR \\u202eved\\u202c'): displayName must not contain U+202E",
        ),
        (
            {"identifierUris": ["https://fhir-dev.contoso.com\u2028x"]},
            "('Contoso FHIR Server (dev)'): identifier URI (the server URL) must not contain "
            "U+2028",
        ),
        (
            {"identifierUris": ["https://[fhir-dev.contoso.com"]},
            "('Contoso FHIR Server (dev)'): identifier URI (the server URL) is not a valid URI",
        ),
        (
            {"identifierUris": ["https://fhir-dev.contoso.com:s3cret@evil.example"]},
            "('Contoso FHIR Server (dev)'): identifier URI (the server URL) must not contain "
            "user information",
        ),
    ],
)
def test_a_resource_app_with_an_unsafe_name_or_url_is_refused(
    change: dict[str, Any], message: str
) -> None:
    server = {**_app("fhir-server"), **change}
    with pytest.raises(AdoptInputError) as error:
        plan(GraphExport((server,)), environment="dev")
    assert str(error.value).startswith(f"application {SERVER_ID} {message}")
    assert "s3cret" not in str(error.value)


# -- any string in the export --------------------------------------------------------------------

# Text with anything in it (st.text() never draws a lone surrogate; UNSAFE adds one).
hostile = st.lists(
    st.one_of(st.text(max_size=12), st.sampled_from(UNSAFE[:-1]), st.sampled_from(SPECIAL)),
    max_size=6,
).map("".join)
# Text that shows what it says, however odd: what a name may be.
one_line = st.lists(
    st.one_of(
        st.text(
            st.characters(codec="utf-8", exclude_categories=("Cc", "Cf", "Cs", "Zl", "Zp")),
            max_size=12,
        ),
        st.sampled_from(SPECIAL),
    ),
    max_size=4,
).map("".join)
# The one string, if any, that adoption must refuse: (where, app object id it names).
POISONS = {
    "server displayName": SERVER_ID,
    "spa displayName": SPA_ID,
    "portal displayName": "9a4e7c21-3f8b-4d65-a0e2-6b1d5c8f7e43",
    "role displayName": SERVER_ID,
    "scope adminConsentDisplayName": SERVER_ID,
    "assignment description": None,  # a lone surrogate: no app, the config key is named
}


@st.composite
def exports(draw: st.DrawFn) -> tuple[GraphExport, str | None]:
    """The fixture tenant with hostile strings wherever adoption reads one; and which one, if
    any, hides what it says where the config check refuses that (the poison)."""
    server, spa, portal = _app("fhir-server"), _app("patient-spa"), _app("clinician-portal")
    ingest, mobile, ignored = _app("claims-ingest"), _app("care-mobile"), _app("hr-self-service")
    for index, app in enumerate((server, spa, portal, ingest, mobile)):
        # Unique, and at most 256 characters: the config check wants both.
        app["displayName"] = f"{draw(one_line.filter(lambda s: len(s) < 250))} {index}"
        app["notes"], app["description"] = draw(hostile), draw(hostile)
    ignored["displayName"] = draw(hostile)  # not adopted: only ever in a comment
    scope = server["api"]["oauth2PermissionScopes"][0]
    scope["adminConsentDisplayName"] = draw(one_line)
    scope["adminConsentDescription"] = draw(hostile)
    scope["userConsentDescription"] = draw(hostile)
    for role in server["appRoles"]:
        role["displayName"], role["description"] = draw(one_line), draw(hostile)
    server["identifierUris"].append("api://" + draw(hostile))
    server["web"]["redirectUris"] = [draw(hostile)]
    server["api"]["knownClientApplications"] = [draw(hostile)]
    spa["spa"]["redirectUris"].append(draw(hostile))
    portal["web"]["redirectUris"].append(draw(hostile))
    portal["web"]["homePageUrl"] = draw(hostile)
    portal["signInAudience"] = draw(hostile)
    portal["passwordCredentials"][0].update(displayName=draw(hostile), hint=draw(hostile))
    ingest["keyCredentials"][0].update(displayName=draw(hostile), customKeyIdentifier=draw(hostile))
    federated = ingest["federatedIdentityCredentials"]
    subject = draw(hostile.filter(str.strip))  # an empty subject is another problem
    federated.append({**federated[0], "subject": subject, "name": draw(hostile)})
    federated.append({**federated[0], "issuer": draw(hostile), "name": draw(hostile)})
    mobile["publicClient"]["redirectUris"].append(draw(hostile))
    assignments = copy.deepcopy(_page("app-role-assignments.json"))
    assignments[1]["principalDisplayName"] = draw(hostile)
    assignments.append({**assignments[1], "id": "x", "principalType": draw(hostile) + "\x00"})
    grants = copy.deepcopy(_page("oauth2-permission-grants.json"))
    grants[0]["scope"] = draw(hostile)

    poison = draw(st.sampled_from([*[None] * len(POISONS), *POISONS]))  # half clean
    if poison is not None:
        bad = draw(hostile) + draw(st.sampled_from(UNSAFE[:-1])) + draw(hostile)
        if poison == "assignment description":
            assignments[1]["principalDisplayName"] = bad + "\ud800"
        elif poison == "role displayName":
            server["appRoles"][draw(st.integers(0, 3))]["displayName"] = bad
        elif poison == "scope adminConsentDisplayName":
            scope["adminConsentDisplayName"] = bad
        else:
            app = {"server": server, "spa": spa, "portal": portal}[poison.split()[0]]
            app["displayName"] = bad
    export = GraphExport(
        (server, spa, portal, ingest, mobile, ignored),
        tuple(_page("service-principals.json")),
        tuple(assignments),
        tuple(grants),
        has_service_principals=True,
    )
    return export, poison


def _through_json(export: GraphExport, directory: Path) -> GraphExport:
    """`export` as the CLI reads it: written to files, read back within the budget."""
    files = {
        name: _write_json(directory / f"{name}.json", list(objects))
        for name, objects in (
            ("apps", export.applications),
            ("sps", export.service_principals),
            ("assignments", export.assignments),
            ("grants", export.grants),
        )
    }
    return read_export([files["apps"]], files["sps"], files["assignments"], files["grants"])


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(exports())
def test_any_string_in_the_export_stays_data_or_a_comment(
    case: tuple[GraphExport, str | None],
) -> None:
    drawn, poison = case
    with tempfile.TemporaryDirectory() as temp:
        directory = Path(temp)
        export = _through_json(drawn, directory)
        assert export == drawn  # the JSON round trip itself keeps every string
        if poison is not None:
            # Refused, in one line naming the app (or the key), and before anything is written.
            with pytest.raises(AdoptInputError) as error:
                plan(export, environment="dev")
            message = str(error.value)
            assert first_unsafe(message) is None
            if POISONS[poison]:
                assert message.startswith(f"application {POISONS[poison]} (")
                assert f"{poison.split()[-1]} must not contain U+" in message
            else:
                assert "lone surrogate) for assignments[" in message
            assert message.endswith("export again")
            return
        adoption = plan(export, environment="dev")
        config = adoption.config()
        write_environment(adoption, directory / "config", force=False)
        written = (directory / "config" / "environments" / "dev.yaml").read_bytes()
        # What adoption writes, `check` accepts.
        load_spec(directory / "config", environment="dev")
    text = written.decode("utf-8")
    assert text == environment_yaml(adoption)
    lines = text.split("\n")
    # No line holds a character that ends it early or hides what it says, data or comment.
    assert all(first_unsafe(line) is None for line in lines)
    # The file is the planned config, nothing more and nothing less ...
    assert yaml.safe_load(text) == config
    assert yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)) == config
    # ... and every comment is only a comment: without them, the data is the same.
    data_lines = [line for line in lines if not line.lstrip().startswith("#")]
    assert yaml.safe_load("\n".join(data_lines)) == config
    # Strings the config keeps, exactly as Graph has them (not compared through the emitter).
    server = drawn.applications[0]
    assert config["fhirServer"]["displayName"] == server["displayName"]
    scope = server["api"]["oauth2PermissionScopes"][0]
    details = config["fhirServer"]["scopeDetails"]["user_impersonation"]
    assert details["adminConsentDescription"] == scope["adminConsentDescription"]
    assert details["userConsentDescription"] == scope["userConsentDescription"]
    group = next(a for a in config["assignments"] if a["principalId"] == GROUP)
    assert group["description"] == (drawn.assignments[1]["principalDisplayName"] or GROUP)
    ingest = next(c for c in config["clients"].values() if c["kind"] == "service")
    subjects = {f["subject"] for f in drawn.applications[3]["federatedIdentityCredentials"][:2]}
    assert ingest["credential"]["subjects"] == sorted(subjects)


@pytest.mark.parametrize(
    "text",
    [
        "a " * 25 + "# owners: everyone",  # folded at a space
        "a" * 120 + "\x1f# owners: everyone",  # folded right after an escape
        "x\u2028# owners: everyone",  # a line break YAML honours in a quoted string
        "Ä\x85z",  # read back as "Ä z" when written raw in single quotes
    ],
)
def test_a_text_never_becomes_a_line_that_reads_as_a_comment(text: str) -> None:
    server = _app("fhir-server")
    server["api"]["oauth2PermissionScopes"][0]["adminConsentDescription"] = text
    adoption = plan(GraphExport((server,)), environment="dev")
    lines = environment_yaml(adoption).split("\n")
    data = "\n".join(line for line in lines if not line.lstrip().startswith("#"))
    scope = yaml.safe_load(data)["fhirServer"]["scopeDetails"]["user_impersonation"]
    assert scope["adminConsentDescription"] == text
    assert not any("owners: everyone" in line for line in lines if line.lstrip().startswith("#"))


def test_a_redirect_uri_that_does_not_parse_is_a_finding_not_a_crash() -> None:
    mobile = _app("care-mobile")
    mobile["publicClient"]["redirectUris"].append("msauth://[care")  # urlsplit: invalid IPv6
    adoption = plan(GraphExport((_app("fhir-server"), mobile)), environment="dev")
    (client,) = adoption.clients
    assert (client.block["platform"], "msauth://[care" in client.block["redirectUris"]) == (
        "mobile",
        False,
    )
    assert any(
        f.property == "publicClient.redirectUris" and f.message.startswith("'msauth://[care' ")
        for f in adoption.findings
    )


def test_strings_printed_by_check_are_escaped_and_bounded(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "config"
    apps = _write_json(tmp_path / "apps.json", [_app("fhir-server"), _app("patient-spa")])
    assert main(_argv(apps, config, "--write")) == 0
    spa = _app("patient-spa")
    spa["spa"]["redirectUris"].append("https://x/\x1b[2J\u202e" + "y" * 5000)
    spa["api"]["knownClientApplications"] = ["\x1b]0;pwned\x07"]
    apps = _write_json(tmp_path / "apps.json", [_app("fhir-server"), spa])
    capsys.readouterr()
    assert main(_argv(apps, config, "--check")) == 1
    out = capsys.readouterr().out.split("\n")
    assert (
        "finding: Contoso Patient App (SPA): api.knownClientApplications: "
        "'\\x1b]0;pwned\\x07' is removed (not managed)"
    ) in out
    drift = [line for line in out if line.startswith("drift: ")]
    assert drift[0] == (
        "drift: Contoso Patient App (SPA) (contoso-patient-app-spa): "
        'api.knownClientApplications: existing ["\\u001b]0;pwned\\u0007"], config []'
    )
    assert "https://x/\\u001b[2J\\u202e" in drift[1]
    assert drift[1].endswith(
        '…(+3091 chars), config ["http://localhost:3000/", "https://patient-dev.contoso.com/"]'
    )
    assert all(first_unsafe(line) is None for line in out)
    assert all(len(line) < 2500 for line in out)


def test_a_drift_line_shows_a_hostile_name_escaped() -> None:
    drift = Drift("A\u202eB\nC", "key", "displayName", "A\u202eB\nC", "x\x85" * 2000)
    line = str(drift)
    assert line.startswith('A\\u202eB\\nC (key): displayName: existing "A\\u202eB\\nC", config "x')
    # The JSON is '"' + 2000 * 'x\\x85' + '"' (10002 characters); its first 2000 end in half
    # an escape, cut before it: 1997 are shown.
    assert line.endswith("x\\x85x\\x85x…(+8005 chars)") and first_unsafe(line) is None


def test_a_guid_that_is_not_one_is_shown_escaped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # uuid.UUID accepts this (int() strips the line break); Graph never writes it.
    app = {**_app("fhir-server"), "appId": "\n2b9e4d71-5c3a-4f8e-b6d2-7a1c9e0f4b3"}
    apps = _write_json(tmp_path / "apps.json", [app])
    assert main(_argv(apps, tmp_path)) == 1
    assert _one_safe_line(capsys.readouterr().err) == (
        f"adopt: {apps}: [0]: appId '\\n2b9e4d71-5c3a-4f8e-b6d2-7a1c9e0f4b3' is not a GUID"
    )


# -- objects of the wrong shape ------------------------------------------------------------------


def _set(path: str, value: Any) -> Any:
    def change(app: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = app
        for key in parents:
            target = target[int(key)] if isinstance(target, list) else target[key]
        target[last] = value

    return change


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (_set("displayName", 42), "displayName: expected a string, got a number"),
        (_set("web", []), "web: expected an object or null, got a list"),
        (
            _set("spa.redirectUris", {"a": 1}),
            "spa.redirectUris: expected a list or null, got an object",
        ),
        (
            _set("passwordCredentials", "secret"),
            "passwordCredentials: expected a list or null, got a string",
        ),
        (
            _set("api.oauth2PermissionScopes", ["user_impersonation"]),
            "api.oauth2PermissionScopes[0]: expected an object, got a string",
        ),
        (
            _set("api.oauth2PermissionScopes.0.value", ["x"]),
            "api.oauth2PermissionScopes[0].value: expected a string or null, got a list",
        ),
        (
            _set("api.requestedAccessTokenVersion", True),
            "api.requestedAccessTokenVersion: expected a whole number or null, got a boolean",
        ),
        (_set("appRoles.1.isEnabled", "yes"), "appRoles[1].isEnabled: expected true or false"),
        (_set("identifierUris", [None]), "identifierUris[0]: expected a string, got null"),
        (
            _set("requiredResourceAccess", [{"resourceAccess": "x"}]),
            "requiredResourceAccess[0].resourceAccess: expected a list or null, got a string",
        ),
        (
            _set("owners", [7]),
            "owners[0]: expected an object or a string, got a number",
        ),
        (
            _set("web.implicitGrantSettings", True),
            "web.implicitGrantSettings: expected an object or null, got a boolean",
        ),
    ],
)
def test_a_key_of_the_wrong_type_is_one_line_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], change: Any, message: str
) -> None:
    server = _app("fhir-server")
    change(server)
    apps = _write_json(tmp_path / "apps.json", {"value": [server]})
    assert main(_argv(apps, tmp_path, "--write")) == 1
    assert _one_safe_line(capsys.readouterr().err).startswith(f"adopt: {apps}: value[0]: {message}")
    assert _files(tmp_path) == ["apps.json"]


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """The path of every value inside `value` (object keys and list indices)."""
    items = value.items() if isinstance(value, dict) else enumerate(value)
    found = []
    for key, inner in items:
        found.append((*prefix, key))
        if isinstance(inner, dict | list):
            found += _paths(inner, (*prefix, key))
    return found


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=6,
)
APP_NAMES = ("fhir-server", "patient-spa", "clinician-portal", "claims-ingest", "care-mobile")


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_any_json_value_anywhere_is_one_line_or_an_adoption(data: st.DataObject) -> None:
    exports = {
        "apps": [_app(name) for name in APP_NAMES],
        "sps": _page("service-principals.json"),
        "assignments": _page("app-role-assignments.json"),
        "grants": _page("oauth2-permission-grants.json"),
    }
    objects = exports[data.draw(st.sampled_from(sorted(exports)))]
    changed = data.draw(st.sampled_from(objects))
    path = data.draw(st.sampled_from(_paths(changed)))
    parent = changed
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = data.draw(json_values)
    with tempfile.TemporaryDirectory() as temp:
        files = {name: _write_json(Path(temp) / f"{name}.json", v) for name, v in exports.items()}
        try:
            export = read_export(
                [files["apps"]], files["sps"], files["assignments"], files["grants"]
            )
            adoption = plan(export, environment="dev")
        except AdoptInputError as error:
            assert first_unsafe(str(error)) is None
            return
    assert yaml.safe_load(environment_yaml(adoption)) == adoption.config()


@pytest.mark.parametrize(
    ("flag", "name", "item", "message"),
    [
        (
            "--service-principals",
            "service-principals.json",
            {"appRoleAssignmentRequired": "no"},
            "appRoleAssignmentRequired: expected true or false or null, got a string",
        ),
        (
            "--assignments",
            "app-role-assignments.json",
            {"principalDisplayName": 7},
            "principalDisplayName: expected a string or null, got a number",
        ),
        (
            "--permission-grants",
            "oauth2-permission-grants.json",
            {"scope": ["user_impersonation"]},
            "scope: expected a string or null, got a list",
        ),
    ],
)
def test_other_exports_of_the_wrong_shape(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    flag: str,
    name: str,
    item: dict[str, Any],
    message: str,
) -> None:
    objects = _page(name)
    objects[0].update(item)
    path = _write_json(tmp_path / name, {"value": objects})
    argv = _argv(FIXTURES / "application-fhir-server.json", tmp_path)
    argv[argv.index("--service-principals") : argv.index("--service-principals") + 2] = []
    assert main([*argv, flag, str(path)]) == 1
    assert _one_safe_line(capsys.readouterr().err) == f"adopt: {path}: value[0]: {message}"


def test_an_export_nested_thousands_deep_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "apps.json"
    path.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    assert main(_argv(path, tmp_path)) == 1
    line = _one_safe_line(capsys.readouterr().err)
    assert line.startswith(f"adopt: {path}: ") and "nested" in line


# -- --environment and the suggested command -----------------------------------------------------


@pytest.mark.parametrize(
    "environment",
    ["dev;id", "../x", "a/b", "-rf", "", "dev prod", "dev\n", "dev\x1b[31m", "\u202edev", "x" * 65],
)
def test_a_bad_environment_is_refused_before_anything_is_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], environment: str
) -> None:
    config = tmp_path / "config"
    # A missing export: reading it would say "cannot read", so nothing was read.
    argv = _argv(tmp_path / "missing.json", config, "--write")
    argv[argv.index("--environment") : argv.index("--environment") + 2] = []
    assert main([*argv, f"--environment={environment}"]) == 1
    line = _one_safe_line(capsys.readouterr().err)
    assert line.startswith("adopt: --environment '") and "must be a plain name" in line
    assert "letters, digits, '.', '-' and '_'" in line
    assert _files(tmp_path) == []


def test_the_suggested_check_command_is_shell_quoted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "my config;$(id)"
    config.mkdir()
    assert main(_argv(FIXTURES / "application-fhir-server.json", config, "--write")) == 0
    err = capsys.readouterr().err
    assert (
        "then run `python -m fhir_apps check --environment dev --config-dir "
        f"'{config}'` and `pulumi preview`"
    ) in err


# -- writing: whole or not at all, once ----------------------------------------------------------


@pytest.mark.parametrize("failing", ["fsync", "replace"])
def test_a_failed_write_leaves_the_previous_file_and_no_temp_file(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    failing: str,
) -> None:
    config = tmp_path / "config"
    server = FIXTURES / "application-fhir-server.json"
    assert main(_argv(server, config, "--write")) == 0
    target = config / "environments" / "dev.yaml"
    before, files = target.read_bytes(), _files(config)
    capsys.readouterr()

    def disk_full(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, failing, disk_full)
    assert main(_argv(server, config, "--write", "--force")) == 1
    assert _one_safe_line(capsys.readouterr().err) == (
        f"adopt: {target}: cannot write: No space left on device"
    )
    assert target.read_bytes() == before
    assert _files(config) == files  # no temp file left behind


def test_a_failed_first_write_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def disk_full(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", disk_full)
    config = tmp_path / "config"
    config.mkdir()
    assert main(_argv(FIXTURES / "application-fhir-server.json", config, "--write")) == 1
    assert "cannot write: No space left on device" in _one_safe_line(capsys.readouterr().err)
    assert _files(config) == ["environments"]


def test_concurrent_writes_of_one_environment_exactly_one_wins(tmp_path: Path) -> None:
    apps = [_app("fhir-server"), _app("patient-spa"), _app("clinician-portal")]
    adoptions = [
        plan(GraphExport(tuple(apps), tuple(_page("service-principals.json"))), environment="dev"),
        plan(GraphExport(tuple(apps[:1])), environment="dev"),
    ]
    for round_ in range(10):
        config = tmp_path / f"round-{round_}"
        config.mkdir()
        outcomes = _race(adoptions, config)
        winners = [index for index, outcome in outcomes if outcome == "won"]
        losers = [outcome for _, outcome in outcomes if outcome != "won"]
        assert len(winners) == 1 and len(losers) == 1, outcomes
        assert losers[0] == (
            f"{config / 'environments' / 'dev.yaml'}: exists; adopt will not overwrite it (pass "
            "--force to replace it, or print the YAML without --write and merge by hand)"
        )
        target = config / "environments" / "dev.yaml"
        assert target.read_text(encoding="utf-8") == environment_yaml(adoptions[winners[0]])
        assert _files(config) == ["base.yaml", "environments", "environments/dev.yaml"]


def _race(adoptions: list[Any], config: Path) -> list[tuple[int, str]]:
    """Each adoption written to `config` by its own thread, all let go at once."""
    start = threading.Barrier(len(adoptions))
    outcomes: list[tuple[int, str]] = []

    def run(index: int) -> None:
        start.wait()
        try:
            write_environment(adoptions[index], config, force=False)
            outcomes.append((index, "won"))
        except AdoptInputError as error:
            outcomes.append((index, str(error)))

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(adoptions))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def test_a_lone_surrogate_is_a_write_error_not_a_crash(tmp_path: Path) -> None:
    with pytest.raises(WriteError, match=r"x.yaml: cannot write: the text is not valid Unicode"):
        write_atomic(tmp_path / "x.yaml", "name: \ud800\n", exclusive=True)
    assert _files(tmp_path) == []


# -- --config-dir --------------------------------------------------------------------------------


def test_a_config_dir_that_is_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "config"
    config.write_text("not a directory\n", encoding="utf-8")
    assert main(_argv(FIXTURES / "application-fhir-server.json", config, "--write")) == 1
    assert _one_safe_line(capsys.readouterr().err) == (
        f"adopt: {config}: --config-dir is not a directory; name the config directory "
        "(default: config)"
    )
    assert config.read_text(encoding="utf-8") == "not a directory\n"


def test_a_config_dir_whose_parent_is_missing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "typo" / "config"
    server = FIXTURES / "application-fhir-server.json"
    assert main(_argv(server, config, "--write")) == 1
    line = _one_safe_line(capsys.readouterr().err)
    assert line.startswith(f"adopt: {config}: --config-dir does not exist, and neither does its")
    assert f"parent directory {tmp_path / 'typo'}: create it" in line
    assert _files(tmp_path) == []
    # The config directory itself is made, under a parent that exists.
    assert main(_argv(server, tmp_path / "config", "--write")) == 0
    made = ["config", "config/base.yaml", "config/environments", "config/environments/dev.yaml"]
    made += ["config/imports", "config/imports/dev.json"]  # the file for `pulumi import --file`
    assert _files(tmp_path) == made


@pytest.mark.parametrize("existing", [False, True])
def test_a_config_dir_that_denies_writing_simulated(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    existing: bool,
) -> None:
    """As the chmod test below, for root too (root writes into a 0o555 directory anyway)."""
    config = tmp_path / "config"
    config.mkdir()
    if existing:
        (config / "environments").mkdir()

    real_mkdir, real_mkstemp = os.mkdir, tempfile.mkstemp

    # Denied only inside the config directory: adopt's scratch copy (in the temp directory,
    # where it checks the config before writing) is elsewhere and still works.
    def mkdir(path: Any, *args: Any, **kwargs: Any) -> None:
        if Path(path).is_relative_to(config):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))
        real_mkdir(path, *args, **kwargs)

    def mkstemp(*args: Any, **kwargs: Any) -> tuple[int, str]:
        if Path(kwargs.get("dir") or "/").is_relative_to(config):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))
        return real_mkstemp(*args, **kwargs)

    monkeypatch.setattr(os, "mkdir", mkdir)
    monkeypatch.setattr("tempfile.mkstemp", mkstemp)
    assert main(_argv(FIXTURES / "application-fhir-server.json", config, "--write")) == 1
    line = _one_safe_line(capsys.readouterr().err)
    if existing:
        assert line == f"adopt: {config / 'base.yaml'}: cannot write: Permission denied"
    else:
        assert line == (
            f"adopt: {config / 'environments'}: cannot create the directory: Permission denied"
        )
    assert _files(config) == (["environments"] if existing else [])


@pytest.mark.skipif(
    hasattr(os, "geteuid") and os.geteuid() == 0,
    reason="root writes into a read-only directory regardless of its permissions",
)
@pytest.mark.parametrize("read_only", [".", "environments"])
def test_a_read_only_config_dir(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], read_only: str
) -> None:
    config = tmp_path / "config"
    (config / "environments").mkdir(parents=True)
    (config / read_only).chmod(0o555)
    try:
        assert main(_argv(FIXTURES / "application-fhir-server.json", config, "--write")) == 1
        line = _one_safe_line(capsys.readouterr().err)
        assert "cannot write: Permission denied" in line
        assert not (config / "environments" / "dev.yaml").exists()
        assert [f for f in _files(config) if f.endswith(".tmp")] == []
    finally:
        (config / read_only).chmod(0o755)


# -- a config check refuses: nothing is written ----------------------------------------------------


def test_an_adoption_that_check_would_refuse_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Two apps whose display names differ only in case: each is fine alone, together the
    # config's uniqueness rule refuses them, which only a load of the whole config can see.
    portal = _app("clinician-portal")
    twin = {
        **portal,
        "id": "11111111-2222-4333-8444-555555555555",
        "appId": "21111111-2222-4333-8444-555555555555",
        "displayName": portal["displayName"].upper(),
    }
    apps = _write_json(tmp_path / "apps.json", [_app("fhir-server"), portal, twin])
    config = tmp_path / "config"
    (config / "environments").mkdir(parents=True)
    before = {"dev.yaml": "# the previous file\n"}
    (config / "environments" / "dev.yaml").write_text(before["dev.yaml"])
    assert main(_argv(apps, config, "--write", "--force")) == 1
    line = _one_safe_line(capsys.readouterr().err)
    assert line.startswith("adopt: the adopted config would not pass check, so nothing was written")
    # The problem names the real file, not the scratch copy it was checked in.
    assert f"{config}/environments/dev.yaml: clients." in line and "case" in line
    assert _files(config) == ["environments", "environments/dev.yaml"]
    assert (config / "environments" / "dev.yaml").read_text() == before["dev.yaml"]
