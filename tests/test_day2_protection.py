"""Protected environments protect clients too; `retire: true` is the reviewable way out."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from fhir_apps.cli import main
from fhir_apps.render.diff import diff_renders, format_diff
from tests.component_helpers import (
    APPLICATION,
    CREDENTIAL_TYPES,
    GRANT,
    ROLE_ASSIGNMENT,
    SERVICE_PRINCIPAL,
    Run,
    make_spec,
    run_build,
)

READERS = "5e4d3c2b-1a09-4f8e-9d7c-6b5a49382716"
WRITERS = "8a7b6c5d-4e3f-4a2b-9c1d-0e9f8a7b6c5d"
RBAC = "azure-native:authorization:RoleAssignment"
SECRET = {"type": "secret", "rotationDays": 30}
ISSUER = "https://token.actions.githubusercontent.com"
CLIENTS: dict[str, Any] = {
    "web": {
        "kind": "confidential",
        "redirectUris": ["https://web.contoso.com/signin"],
        "scopes": ["user_impersonation"],
        "adminConsent": True,
        "credential": SECRET,
    },
    "daemon": {
        "kind": "service",
        "roles": ["globalReader"],
        "credential": {"type": "federated", "issuer": ISSUER, "subject": "repo:c/d:environment:p"},
    },
    "spa": {
        "kind": "public",
        "platform": "spa",
        "redirectUris": ["https://spa.contoso.com/"],
        "scopes": ["user_impersonation"],
    },
    "exporter": {
        "kind": "service",
        "roles": ["globalReader"],
        "credential": {"type": "certificate", "certificateFile": "certs/exporter.pem"},
    },
}
PEOPLE = [{"principalId": READERS, "principalType": "Group", "roles": ["globalReader"]}]


def _spec(protected: bool, clients: dict[str, Any] = CLIENTS, **more: Any) -> Any:
    return make_spec(protected=protected, clients=clients, assignments=PEOPLE, **more)


def _protected(run: Run) -> dict[str, bool]:
    return {
        r.name: r.protect for r in run.resources.values() if not r.type.startswith("fhir-apps:")
    }


def test_a_protected_environment_protects_every_registration_and_grant() -> None:
    run = run_build(_spec(True))
    registrations = {APPLICATION, SERVICE_PRINCIPAL, ROLE_ASSIGNMENT, GRANT}
    seen = {r.type for r in run.resources.values()}
    assert registrations <= seen and set(CREDENTIAL_TYPES) <= seen
    for resource in run.resources.values():
        if resource.type in registrations:
            assert resource.protect, resource.urn
        elif resource.type in CREDENTIAL_TYPES:
            # They rotate and roll over: a protected credential could never be replaced.
            assert not resource.protect, resource.urn
    assert run.named("assignments-" + READERS + "-globalReader").protect


def test_an_unprotected_environment_protects_nothing() -> None:
    assert not any(_protected(run_build(_spec(False))).values())


def test_retire_unprotects_one_client_and_nothing_else() -> None:
    clients = {**CLIENTS, "web": {**CLIENTS["web"], "retire": True}}
    flags = _protected(run_build(_spec(True, clients)))
    assert flags["web-app"] is flags["web-sp"] is flags["web-consent"] is False
    assert flags["daemon-app"] and flags["daemon-sp"] and flags["daemon-role-globalReader"]
    assert flags["fhir-server-app"] and flags["spa-app"]


def test_retire_on_an_assignment_unprotects_only_what_no_other_entry_keeps() -> None:
    people = [
        {
            "principalId": READERS,
            "principalType": "Group",
            "roles": ["globalReader"],
            "retire": True,
        },
        {
            "principalId": WRITERS,
            "principalType": "Group",
            "roles": ["globalWriter"],
            "retire": True,
        },
        {"principalId": WRITERS, "principalType": "Group", "roles": ["globalWriter"]},
    ]
    spec = make_spec(protected=True, assignments=people)
    flags = _protected(run_build(spec))
    assert flags[f"assignments-{READERS}-globalReader"] is False
    assert flags[f"assignments-{WRITERS}-globalWriter"] is True


def test_rbac_role_assignments_are_protected_unless_retired() -> None:
    deploy = {
        "resourceGroup": "rg",
        "location": "westeurope",
        "workspace": "contoso",
        "service": "fhir",
    }
    clients = {
        "ingest": {"kind": "service", "roles": ["FHIR Data Writer"], "credential": SECRET},
        "old": {
            "kind": "service",
            "roles": ["FHIR Data Reader"],
            "credential": SECRET,
            "retire": True,
        },
    }
    people = [
        {"principalId": READERS, "principalType": "Group", "roles": ["FHIR Data Reader"]},
        {
            "principalId": WRITERS,
            "principalType": "Group",
            "roles": ["FHIR Data Writer"],
            "retire": True,
        },
    ]
    spec = make_spec(
        protected=True,
        fhirServer={"kind": "ahds", "deploy": deploy},
        clients=clients,
        assignments=people,
    )
    rbac = {r.name: r.protect for r in run_build(spec).of_type(RBAC).values()}
    assert rbac == {
        "fhir-rbac-ingest-fhir-data-writer": True,
        "fhir-rbac-old-fhir-data-reader": False,
        f"fhir-rbac-{READERS}-fhir-data-reader": True,
        f"fhir-rbac-{WRITERS}-fhir-data-writer": False,
    }


# -- the diff of removing a client --------------------------------------------------------------


def _render(spec: Any) -> dict[str, Any]:
    run = run_build(spec)
    return {
        "stack": spec.stack,
        "environment": spec.environment,
        "resources": [run.resources[urn].as_dict() for urn in sorted(run.resources)],
        "outputs": run.outputs,
    }


def test_removing_a_client_of_a_protected_environment_is_blocked_in_the_diff() -> None:
    before = _render(_spec(True))
    without = {k: v for k, v in CLIENTS.items() if k != "web"}
    diff = diff_renders(before, _render(_spec(True, without)))
    blocked = {urn.rsplit("::", 1)[1] for urn in diff.blocked}
    assert blocked == {"web-app", "web-sp", "web-consent"}
    assert f"({len(blocked)} protected)" in format_diff(diff)


def test_retire_then_remove_is_two_unblocked_releases() -> None:
    before = _render(_spec(True))
    retiring = {**CLIENTS, "web": {**CLIENTS["web"], "retire": True}}
    first = diff_renders(before, _render(_spec(True, retiring)))
    assert first.removed == () and first.blocked == ()
    changed = {urn.rsplit("::", 1)[1]: [c.path for c in cs] for urn, cs in first.changed.items()}
    assert changed == {"web-app": ["protect"], "web-sp": ["protect"], "web-consent": ["protect"]}
    without = {k: v for k, v in CLIENTS.items() if k != "web"}
    second = diff_renders(_render(_spec(True, retiring)), _render(_spec(True, without)))
    assert second.removed and second.blocked == ()


# -- the config says what retire does -------------------------------------------------------------


def _config(tmp: Path, environment: str, protected: bool) -> Path:
    (tmp / "environments").mkdir(parents=True, exist_ok=True)
    (tmp / "base.yaml").write_text(
        "tenant: {verifiedDomains: [contoso.com]}\n"
        "fhirServer: {kind: oss, url: 'https://fhir.contoso.com', appRoles: [globalReader]}\n",
        encoding="utf-8",
    )
    (tmp / "environments" / f"{environment}.yaml").write_text(
        f"protected: {'true' if protected else 'false'}\n"
        "clients:\n"
        "  old-portal:\n"
        "    kind: public\n"
        "    platform: spa\n"
        "    redirectUris: ['https://old.contoso.com/']\n"
        "    retire: true\n",
        encoding="utf-8",
    )
    return tmp


@pytest.mark.parametrize(
    ("protected", "words"),
    [
        (
            True,
            "clients.old-portal.retire: unprotected for removal: this release lifts the protection",
        ),
        (False, "clients.old-portal.retire: has no effect: the environment is not protected"),
    ],
)
def test_check_says_what_retire_does(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], protected: bool, words: str
) -> None:
    config = _config(tmp_path, "prod", protected)
    assert main(["check", "--environment", "prod", "--config-dir", str(config)]) == 0
    err = capsys.readouterr().err
    assert f"warning: {config}/environments/prod.yaml: {words}" in err


def test_configuration_and_deploy_docs_describe_protected_the_same_way() -> None:
    docs = Path(__file__).resolve().parents[1] / "docs"
    start, end = "`protected: true` (the default", "does the same for its role assignments"

    def paragraph(name: str) -> str:
        text = (docs / name).read_text(encoding="utf-8")
        return " ".join(text[text.index(start) : text.index(end)].split())

    described = paragraph("configuration.md")
    assert described == paragraph("deploy.md")
    for word in ("every", "service principal", "role assignments", "retire: true", "blocked"):
        assert word in described, word
