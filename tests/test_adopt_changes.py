"""The adoption plan (what the first `pulumi up` changes in existing objects) against the
findings, and real-shaped exports run through adoption: nothing is lost silently.

Since Pulumi 3.174.0 an import is followed by an update in the same `up`, so every difference
between an existing object and the program's inputs is a change made in Entra. The plan is
computed from the export and the program's rendering; the findings from the export alone; both
must name the same (app, property) pairs.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from fhir_apps.adopt import (
    GraphExport,
    adoption_changes,
    environment_yaml,
    plan,
    read_export,
    render_adopted,
)
from fhir_apps.adopt.changes import (
    COMPARED_APPLICATION_PROPERTIES,
    COMPARED_SERVICE_PRINCIPAL_PROPERTIES,
)
from fhir_apps.adopt.unmanaged import (
    OUTSIDE_THE_PROVIDER,
    SERVICE_PRINCIPAL_OUTSIDE_THE_PROVIDER,
)
from fhir_apps.cli import main

FIXTURES = Path(__file__).parent / "fixtures" / "graph"
SETS = {"contoso": FIXTURES, "smart-sample": FIXTURES / "smart-sample"}
SETS["web-apps"] = FIXTURES / "web-apps"
OWNER = "0b6e2f8d-4c1a-4e73-9d25-7a8c3e1f5b90"  # owns Contoso's FHIR app and its SP
SMART_OWNER = "6f1a3c5e-7b9d-4e2f-8a4c-6e8a0c2e4f61"  # owns every app of the SMART sample
DEPLOYERS = {"contoso": OWNER, "smart-sample": SMART_OWNER, "web-apps": OWNER}


def _read(exports: Path, *, without: tuple[str, ...] = ()) -> GraphExport:
    apps = sorted(p for p in exports.glob("application-*.json") if p.stem not in without)
    return read_export(
        apps,
        exports / "service-principals.json",
        exports / "app-role-assignments.json",
        exports / "oauth2-permission-grants.json",
    )


def _plan_and_changes(
    export: GraphExport, config: Path, deployer: str | None = None
) -> tuple[Any, list[Any]]:
    adoption = plan(export, environment="dev", config_dir=config, deployer=deployer)
    rendering = render_adopted(environment_yaml(adoption), "dev", config)
    changes = adoption_changes(
        rendering,
        export.applications,
        export.service_principals,
        assignments=export.assignments,
        grants=export.grants,
        adopted_ids=[a.app["id"] for a in adoption.adopted()],
        deployer=deployer,
    )
    return adoption, changes


def _announced(adoption: Any) -> set[tuple[str, str]]:
    return {(f.app, f.property) for f in adoption.findings if f.change}


def _planned(changes: list[Any]) -> set[tuple[str, str]]:
    return {(c.app, c.property) for c in changes}


# -- variants of the Contoso tenant: each changes what the first `up` does -------------------

Export = dict[str, Any]


def _edit_app(name: str, edit: Callable[[dict[str, Any]], None]) -> Callable[[Export], None]:
    def apply(data: Export) -> None:
        edit(next(a for a in data["apps"] if a["displayName"] == name))

    return apply


def _edit_sp(app_id: str, edit: Callable[[dict[str, Any]], None]) -> Callable[[Export], None]:
    def apply(data: Export) -> None:
        edit(next(s for s in data["sps"] if s["appId"] == app_id))

    return apply


SERVER, PORTAL, SPA = (
    "Contoso FHIR Server (dev)",
    "Contoso Clinician Portal",
    "Contoso Patient App (SPA)",
)
SPA_APP_ID = "7e1c5a3f-8b4d-4e29-a6f0-3d9b1e7c5a84"
VARIANTS: dict[str, Callable[[Export], None]] = {
    "as exported": lambda data: None,
    "texts and links on a client": _edit_app(
        PORTAL,
        lambda a: (
            a.update(notes="n", description="d", serviceManagementReference="r"),
            a["info"].update(supportUrl="https://help.contoso.com", marketingUrl="https://x.io"),
            a.update(isDeviceOnlyAuthSupported=True),
        ),
    ),
    "claims on the resource app": _edit_app(
        SERVER,
        lambda a: (
            a["api"].update(acceptMappedClaims=True),
            a.update(
                groupMembershipClaims="SecurityGroup, DirectoryRole",
                optionalClaims={
                    "accessToken": [{"name": "ipaddr", "source": None, "essential": False}],
                    "idToken": [],
                    "saml2Token": [],
                },
            ),
        ),
    ),
    "resource app details": _edit_app(
        SERVER,
        lambda a: (
            a["api"].update(requestedAccessTokenVersion=2, knownClientApplications=[SPA_APP_ID]),
            a["identifierUris"].append("api://fhir-dev"),
            a["appRoles"][0].update(isEnabled=False),
            a["appRoles"][1].update(description=None),
            a["web"].update(homePageUrl="https://fhir-dev.contoso.com/home"),
            a["spa"].update(redirectUris=["https://fhir-dev.contoso.com/app"]),
        ),
    ),
    "service principals": lambda data: (
        _edit_sp(SPA_APP_ID, lambda s: s.update(accountEnabled=False, notes="x"))(data),
        _edit_sp(
            SPA_APP_ID,
            lambda s: s.update(appRoleAssignmentRequired=True, loginUrl="https://a.example/"),
        )(data),
        data["sps"].remove(next(s for s in data["sps"] if s["displayName"] == PORTAL)),
    ),
    "consent and federated credentials": lambda data: (
        data["grants"][0].update(scope="user_impersonation openid"),
        _edit_app(
            "Contoso Claims Ingest",
            lambda a: a["federatedIdentityCredentials"][0].update(
                audiences=["api://AzureADTokenExchange", "api://other"]
            ),
        )(data),
    ),
    "a federated credential without an id": _edit_app(
        "Contoso Claims Ingest",
        lambda a: a["federatedIdentityCredentials"][0].pop("id"),
    ),
    "owners exported on every object": lambda data: [
        o.update(owners=[{"id": OWNER}, {"id": "1d2e3f40-5a6b-4c7d-8e9f-0a1b2c3d4e5f"}])
        for o in (*data["apps"], *data["sps"])
    ],
    "client platforms and permissions": _edit_app(
        PORTAL,
        lambda a: (
            a["spa"].update(redirectUris=["https://portal-dev.contoso.com/spa"]),
            a.update(isFallbackPublicClient=True, signInAudience="AzureADMultipleOrgs"),
            a["requiredResourceAccess"][0]["resourceAccess"].append(
                {"id": "a4e8f2c6-1d3b-4a95-b7e0-5f9c2d6a8b21", "type": "Role"}
            ),
            a["web"]["implicitGrantSettings"].update(enableIdTokenIssuance=True),
        ),
    ),
}


def _contoso(variant: str) -> GraphExport:
    data: Export = {
        "apps": [
            json.loads(p.read_text(encoding="utf-8"))
            for p in sorted(FIXTURES.glob("application-*.json"))
        ],
        "sps": json.loads((FIXTURES / "service-principals.json").read_text())["value"],
        "assignments": json.loads((FIXTURES / "app-role-assignments.json").read_text())["value"],
        "grants": json.loads((FIXTURES / "oauth2-permission-grants.json").read_text())["value"],
    }
    VARIANTS[variant](data)
    return GraphExport(
        tuple(data["apps"]),
        tuple(data["sps"]),
        tuple(data["assignments"]),
        tuple(data["grants"]),
        has_service_principals=True,
    )


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_the_plan_is_exactly_what_the_findings_announce(variant: str, tmp_path: Path) -> None:
    adoption, changes = _plan_and_changes(_contoso(variant), tmp_path)
    assert changes, "every variant changes something (at least the deploying principal)"
    assert _planned(changes) == _announced(adoption)


@pytest.mark.parametrize("name", sorted(SETS))
def test_real_shaped_exports_plan_exactly_what_the_findings_announce(
    name: str, tmp_path: Path
) -> None:
    adoption, changes = _plan_and_changes(_read(SETS[name]), tmp_path, DEPLOYERS[name])
    assert _planned(changes) == _announced(adoption)


def test_without_service_principals_every_one_is_a_change(tmp_path: Path) -> None:
    export = dataclasses.replace(_contoso("as exported"), service_principals=())
    export = dataclasses.replace(export, has_service_principals=False)
    adoption, changes = _plan_and_changes(export, tmp_path)
    created = {c.app for c in changes if c.property == "servicePrincipal"}
    assert created == {a.display_name for a in adoption.adopted()}
    assert _planned(changes) == _announced(adoption)


def test_the_plan_shows_todays_value_and_the_configs(tmp_path: Path) -> None:
    _, changes = _plan_and_changes(_contoso("service principals"), tmp_path, OWNER)
    by = {(c.app, c.property): (c.existing, c.config) for c in changes}
    assert by[(SPA, "servicePrincipal.accountEnabled")] == (False, True)
    assert by[(SPA, "servicePrincipal.notes")] == ("x", None)
    # Assignment-required sign-in is kept as config (appRoleAssignmentRequired): no change.
    assert (SPA, "servicePrincipal.appRoleAssignmentRequired") not in by
    assert by[(SPA, "servicePrincipal.loginUrl")] == ("https://a.example/", None)
    assert by[(PORTAL, "servicePrincipal")][0] is None  # no object: created
    _, changes = _plan_and_changes(_contoso("consent and federated credentials"), tmp_path, OWNER)
    by = {(c.app, c.property): (c.existing, c.config) for c in changes}
    assert by[(PORTAL, "oauth2PermissionGrants")] == (
        ["openid", "user_impersonation"],
        ["user_impersonation"],
    )
    existing, config = by[("Contoso Claims Ingest", "federatedIdentityCredentials")]
    assert existing["audiences"] == ["api://AzureADTokenExchange", "api://other"]
    assert config["audiences"] == ["api://AzureADTokenExchange"]


def test_owners_are_a_change_until_the_deployer_is_named_and_owns_everything(
    tmp_path: Path,
) -> None:
    export = _contoso("owners exported on every object")
    owners = ("owners", "servicePrincipal.owners")
    _, unnamed = _plan_and_changes(export, tmp_path)
    unnamed = [c for c in unnamed if c.property in owners]
    # Each application and its service principal (the legacy app's changes are others).
    assert len(unnamed) == 2 * 6
    for change in unnamed:
        assert change.existing == sorted([OWNER, "1d2e3f40-5a6b-4c7d-8e9f-0a1b2c3d4e5f"])
        assert change.config == [*change.existing, "<objectId of deploying principal>"]
    _, named = _plan_and_changes(export, tmp_path, OWNER)
    assert [c for c in named if c.property in owners] == []


def test_texts_and_links_are_kept_under_about_and_the_rest_is_announced(tmp_path: Path) -> None:
    adoption, changes = _plan_and_changes(_contoso("texts and links on a client"), tmp_path)
    portal = next(c for c in adoption.clients if c.display_name == PORTAL)
    assert portal.block["about"] == {
        "notes": "n",
        "description": "d",
        "serviceManagementReference": "r",
        "marketingUrl": "https://x.io",
        "supportUrl": "https://help.contoso.com",
    }
    # The program sends them back as they are: no change, no finding.
    by = {c.property: (c.existing, c.config) for c in changes if c.app == PORTAL}
    assert not {"notes", "description", "info.supportUrl", "info.marketingUrl"} & set(by)
    # The config has no key for device-only authentication: the provider turns it off.
    assert by["isDeviceOnlyAuthSupported"] == (True, False)
    finding = next(
        f
        for f in adoption.findings
        if f.app == PORTAL and f.property == "isDeviceOnlyAuthSupported"
    )
    assert finding.change and finding.message == (
        "device-only authentication is on; the config has no key for it, and the provider writes "
        "it on every update: the first `pulumi up` turns it off"
    )


def test_a_service_principals_notes_are_cleared_and_said_so(tmp_path: Path) -> None:
    adoption, changes = _plan_and_changes(_contoso("service principals"), tmp_path)
    assert ("x", None) in [
        (c.existing, c.config) for c in changes if c.property == "servicePrincipal.notes"
    ]
    notes = next(f for f in adoption.findings if f.property == "servicePrincipal.notes")
    # Prose is not quoted (it may be long, or hold what no log should): its length is.
    assert notes.message == (
        "notes is set (1 characters); the config has no key for it, and the provider writes it "
        "on every update: the first `pulumi up` clears it"
    )


# -- real-shaped exports: every property preserved, explained, or outside the provider --------


def _paths(obj: dict[str, Any]) -> dict[str, Any]:
    """Graph property paths of an object with a value: nested one level for api, web, info."""
    found: dict[str, Any] = {}
    for key, value in obj.items():
        if key in ("api", "web", "info", "spa", "publicClient") and isinstance(value, dict):
            found |= {f"{key}.{k}": v for k, v in value.items()}
        else:
            found[key] = value
    return {k: v for k, v in found.items() if v not in (None, "", [], {}, False)}


def _outside(path: str, table: dict[str, str]) -> bool:
    return path in table or path.split(".")[0] in table


@pytest.mark.parametrize("name", sorted(SETS))
def test_every_property_is_preserved_explained_or_outside_the_provider(
    name: str, tmp_path: Path
) -> None:
    export = _read(SETS[name])
    adoption, changes = _plan_and_changes(export, tmp_path, DEPLOYERS[name])
    changed = _planned(changes)
    announced = {(f.app, f.property) for f in adoption.findings}
    sps = {sp["appId"]: sp for sp in export.service_principals}
    checked = 0
    for adopted in adoption.adopted():
        app = adopted.display_name
        objects = [(adopted.app, "", COMPARED_APPLICATION_PROPERTIES, OUTSIDE_THE_PROVIDER)]
        if adopted.app["appId"] in sps:
            objects.append(
                (
                    sps[adopted.app["appId"]],
                    "servicePrincipal.",
                    COMPARED_SERVICE_PRINCIPAL_PROPERTIES,
                    SERVICE_PRINCIPAL_OUTSIDE_THE_PROVIDER,
                )
            )
        for obj, prefix, compared, outside in objects:
            for path in _paths(obj):
                checked += 1
                prop = prefix + path
                if path in compared or path.split(".")[0] in compared:
                    # Compared: kept as it is, or changed and announced.
                    assert (app, prop) not in changed or (app, prop) in announced, (app, prop)
                else:
                    assert _outside(path, outside) or (app, prop) in announced, (
                        f"{app}: {prop} is neither compared nor outside the provider"
                    )
    assert checked > 100


def test_the_smart_samples_role_and_scope_pair_is_adopted_as_one_id(tmp_path: Path) -> None:
    adoption, _ = _plan_and_changes(_read(SETS["smart-sample"]), tmp_path, SMART_OWNER)
    block = adoption.server.block
    assert "user.all.read" in block["appRoles"] and "user.all.read" in block["scopes"]
    assert block["ids"]["roles"]["user.all.read"] == block["ids"]["scopes"]["user.all.read"]
    assert (
        block["roleDetails"]["user.all.read"]["description"]
        == block["scopeDetails"]["user.all.read"]["adminConsentDescription"]
    )


@pytest.mark.parametrize(
    ("edit", "words"),
    [
        (
            {"id": "5a03b38d-4081-4265-9558-aab5f2a18b8c"},
            "has different ids (or none) as app role and as scope",
        ),
        ({"description": "Another text."}, "the app role's description differs from the scope's"),
        ({"displayName": "Read all"}, "the app role's displayName differs from the scope's"),
    ],
)
def test_a_pair_entra_would_refuse_is_refused_with_the_rules_words(
    edit: dict[str, Any], words: str
) -> None:
    export = _read(SETS["smart-sample"])
    server = copy.deepcopy(next(a for a in export.applications if a["displayName"] == "smartfhir"))
    role = next(r for r in server["appRoles"] if r["value"] == "user.all.read")
    role.update(edit)
    apps = tuple(server if a["id"] == server["id"] else a for a in export.applications)
    from fhir_apps.adopt import AdoptInputError

    with pytest.raises(AdoptInputError) as error:
        plan(dataclasses.replace(export, applications=apps), environment="dev")
    message = str(error.value)
    assert message.startswith(f"application {server['id']} ('smartfhir'): 'user.all.read'")
    assert words in message and message.endswith("export again")


# -- the command ------------------------------------------------------------------------------


def _argv(exports: Path, config: Path, *extra: str) -> list[str]:
    return [
        "adopt",
        "--applications",
        *sorted(str(p) for p in exports.glob("application-*.json")),
        "--service-principals",
        str(exports / "service-principals.json"),
        "--assignments",
        str(exports / "app-role-assignments.json"),
        "--permission-grants",
        str(exports / "oauth2-permission-grants.json"),
        "--environment",
        "dev",
        "--config-dir",
        str(config),
        *extra,
    ]


def test_printing_the_yaml_prints_the_plan_on_stderr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = _argv(SETS["smart-sample"], tmp_path / "config", "--deployer", SMART_OWNER)
    assert main(argv) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("# yaml-language-server")
    err = captured.err.splitlines()
    assert err[0] == (
        "the first `pulumi up` changes 1 propert(ies) of existing objects and creates 4 "
        "resource(s):"
    )
    # A service client signs no one in: Microsoft Graph's User.Read leaves its request.
    assert err[1].startswith(
        "change: SMART Backend Service (smart-backend-service): requiredResourceAccess: existing "
    )
    assert (
        "create: inferno-patient-standalone: ApplicationPassword "
        "inferno-patient-standalone-credential-secret-a" in err
    )
    assert not (tmp_path / "config").exists()


def test_check_fails_on_changes_unless_they_are_accepted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "config"
    extra = ("--deployer", SMART_OWNER)
    assert main(_argv(SETS["smart-sample"], config, "--write", *extra)) == 0
    capsys.readouterr()
    assert main(_argv(SETS["smart-sample"], config, "--check", *extra)) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[-1].endswith(" finding(s), 1 drift(s)")
    accepted = _argv(SETS["smart-sample"], config, "--check", "--accept-changes", *extra)
    assert main(accepted) == 0
    assert capsys.readouterr().out.splitlines()[-1].endswith(", 1 accepted (--accept-changes)")


def test_an_app_the_config_leaves_out_is_not_accepted_as_a_change(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "config"
    exports = SETS["smart-sample"]
    assert main(_argv(exports, config, "--write", "--deployer", SMART_OWNER)) == 0
    more = tmp_path / "more"
    more.mkdir()
    for path in exports.glob("*.json"):
        (more / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    extra_app = json.loads((FIXTURES / "application-care-mobile.json").read_text())
    extra_app["requiredResourceAccess"] = json.loads(
        (exports / "application-auth-context-frontend.json").read_text()
    )["requiredResourceAccess"]
    (more / "application-zz-mobile.json").write_text(json.dumps(extra_app), encoding="utf-8")
    capsys.readouterr()
    argv = _argv(more, config, "--check", "--accept-changes", "--deployer", SMART_OWNER)
    assert main(argv) == 1
    out = capsys.readouterr().out
    assert 'drift: Contoso Care Mobile (-): (application): existing "exists ' in out


# -- findings never print Python's None -------------------------------------------------------


def test_no_finding_prints_none(tmp_path: Path) -> None:
    apps = {a["displayName"]: a for a in _contoso("as exported").applications}
    portal, ingest = copy.deepcopy(apps[PORTAL]), copy.deepcopy(apps["Contoso Claims Ingest"])
    portal["passwordCredentials"][0].update(hint=None, displayName=None, endDateTime=None)
    ingest["keyCredentials"][0].update(customKeyIdentifier=None)
    ingest["federatedIdentityCredentials"].append(
        {"issuer": "https://other.example", "subject": "x", "audiences": ["a"]}
    )
    export = dataclasses.replace(
        _contoso("as exported"),
        applications=tuple(
            {PORTAL: portal, "Contoso Claims Ingest": ingest}.get(a["displayName"], a)
            for a in apps.values()
        ),
    )
    adoption = plan(export, environment="dev")
    messages = [f"{f.property}: {f.message}" for f in adoption.findings]
    assert not [m for m in messages if re.search(r"\bNone\b", m)]
    secret = next(m for m in messages if m.startswith("passwordCredentials: client secret"))
    assert secret.startswith(
        "passwordCredentials: client secret (keyId 1e7b3d9f-5a2c-4e86-b0d4-8c6a2e4f1b37, "
        "expires never)"
    )
    assert any(
        m.startswith(
            "keyCredentials: certificate 'CN=claims-ingest-dev' (keyId "
            "3c5e7a9b-1d4f-4a26-b8e0-5a7c9e1b3d42, expires 2026-08-30)"
        )
        for m in messages
    )
    assert any(
        m.startswith("federatedIdentityCredentials: an unnamed credential (x) has no id")
        for m in messages
    )


# -- what a client signs users in with: Microsoft Graph's scopes, optional claims -------------


def _smart_export(edit: Callable[[Export], None] | None = None) -> GraphExport:
    exports = SETS["smart-sample"]
    data: Export = {
        "apps": [
            json.loads(p.read_text(encoding="utf-8"))
            for p in sorted(exports.glob("application-*.json"))
        ],
        "sps": json.loads((exports / "service-principals.json").read_text())["value"],
        "assignments": json.loads((exports / "app-role-assignments.json").read_text())["value"],
        "grants": json.loads((exports / "oauth2-permission-grants.json").read_text())["value"],
    }
    if edit is not None:
        edit(data)
    return GraphExport(
        tuple(data["apps"]),
        tuple(data["sps"]),
        tuple(data["assignments"]),
        tuple(data["grants"]),
        has_service_principals=True,
    )


INFERNO = "Inferno Patient Standalone"
GRAPH_GRANT = "pE6sU8wY0aC2eG4iK6mO8qS0uW2yA4cE6gI8kM0oQ2s"


def test_sign_in_scopes_and_claims_are_kept_with_the_graph_consents_import_id(
    tmp_path: Path,
) -> None:
    adoption, changes = _plan_and_changes(_smart_export(), tmp_path, SMART_OWNER)
    clients = {c.display_name: c.block for c in adoption.clients}
    inferno = clients[INFERNO]
    assert inferno["graphScopes"] == ["User.Read", "offline_access", "openid"]
    assert inferno["importIds"]["graphConsentGrant"] == f"/oauth2PermissionGrants/{GRAPH_GRANT}"
    assert clients["Auth Context Frontend"]["optionalClaims"] == {"idToken": ["login_hint"]}
    assert clients["Auth Context Frontend"]["graphScopes"] == ["User.Read"]
    # A service client signs no one in: its User.Read is the one change of the whole tenant.
    assert "graphScopes" not in clients["SMART Backend Service"]
    assert [(c.app, c.property) for c in changes] == [
        ("SMART Backend Service", "requiredResourceAccess")
    ]


def test_a_graph_consent_to_other_scopes_is_a_change_to_that_grant(tmp_path: Path) -> None:
    def widen(data: Export) -> None:
        grant = next(g for g in data["grants"] if g["id"] == GRAPH_GRANT)
        grant["scope"] = "openid offline_access User.Read Mail.Read"

    adoption, changes = _plan_and_changes(_smart_export(widen), tmp_path, SMART_OWNER)
    change = next(c for c in changes if c.property == "oauth2PermissionGrants (Microsoft Graph)")
    assert (change.app, change.existing, change.config) == (
        INFERNO,
        ["Mail.Read", "User.Read", "offline_access", "openid"],
        ["User.Read", "offline_access", "openid"],
    )
    assert _planned(changes) == _announced(adoption)


def test_without_graphs_grant_in_the_export_the_consent_is_created_and_said_so(
    tmp_path: Path,
) -> None:
    def drop(data: Export) -> None:
        data["grants"] = [g for g in data["grants"] if g["id"] != GRAPH_GRANT]

    adoption, changes = _plan_and_changes(_smart_export(drop), tmp_path, SMART_OWNER)
    inferno = next(c for c in adoption.clients if c.display_name == INFERNO).block
    assert "graphConsentGrant" not in inferno["importIds"]
    finding = next(
        f for f in adoption.findings if f.property == "oauth2PermissionGrants (Microsoft Graph)"
    )
    assert not finding.change  # nothing existing changes: a grant is created (or refused)
    assert "the first `pulumi up` creates one" in finding.message
    assert "stops with 'already exists'" in finding.message
    assert _planned(changes) == _announced(adoption)


def test_claims_the_config_cannot_say_are_announced_and_plain_ones_kept(tmp_path: Path) -> None:
    def claims(data: Export) -> None:
        frontend = next(a for a in data["apps"] if a["displayName"] == "Auth Context Frontend")
        frontend["optionalClaims"] = {
            "idToken": [
                {"name": "login_hint", "source": None, "essential": False},
                {"name": "email", "source": None, "essential": True},
            ],
            "accessToken": [{"name": "groups", "additionalProperties": ["sam_account_name"]}],
            "saml2Token": [{"name": "upn", "source": None, "essential": False}],
        }

    adoption, changes = _plan_and_changes(_smart_export(claims), tmp_path, SMART_OWNER)
    frontend = next(c for c in adoption.clients if c.display_name == "Auth Context Frontend")
    assert frontend.block["optionalClaims"] == {"idToken": ["login_hint"]}
    finding = next(
        f
        for f in adoption.findings
        if f.app == "Auth Context Frontend" and f.property == "optionalClaims"
    )
    assert finding.change and finding.message.startswith(
        "email (idToken), groups (accessToken), upn (saml2Token): removed by the first `pulumi up`"
    )
    assert _planned(changes) == _announced(adoption)
