"""`python -m fhir_apps adopt`: print, --write (and refuse to overwrite), --check, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fhir_apps.cli import main

FIXTURES = Path(__file__).parent / "fixtures" / "graph"
CLEAN = ["fhir-server", "clinician-portal", "patient-spa", "care-mobile", "claims-ingest"]


# The deploying principal, as an owner of everything in `_owned` exports.
DEPLOYER = "0b6e2f8d-4c1a-4e73-9d25-7a8c3e1f5b90"


def _args(
    tmp_path: Path, *apps: str, extra: tuple[str, ...] = (), exports: Path = FIXTURES
) -> list[str]:
    return [
        "adopt",
        "--applications",
        *(str(exports / f"application-{name}.json") for name in apps),
        "--service-principals",
        str(exports / "service-principals.json"),
        "--assignments",
        str(FIXTURES / "app-role-assignments.json"),
        "--permission-grants",
        str(FIXTURES / "oauth2-permission-grants.json"),
        "--environment",
        "dev",
        "--config-dir",
        str(tmp_path),
        *extra,
    ]


def test_prints_the_yaml_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(_args(tmp_path, *CLEAN)) == 0
    out = capsys.readouterr().out
    assert out.startswith("# yaml-language-server: $schema=../schema.json\n")
    assert "  contoso-clinician-portal:\n    kind: confidential\n" in out
    assert list(tmp_path.iterdir()) == []


def test_write_then_check_passes_and_a_second_write_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(_args(tmp_path, *CLEAN, extra=("--write",))) == 0
    err = capsys.readouterr().err
    target = tmp_path / "environments" / "dev.yaml"
    assert err.splitlines()[:2] == [f"wrote {tmp_path / 'base.yaml'}", f"wrote {target}"]
    assert main(["check", "--environment", "dev", "--config-dir", str(tmp_path)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "ok",
        "dev (stack dev): oss server https://fhir-dev.contoso.com; 4 clients (1 confidential, "
        "2 public, 1 service); 1 assignment",
    ]
    before = target.read_text()
    assert main(_args(tmp_path, *CLEAN, extra=("--write",))) == 1
    assert capsys.readouterr().err == (
        f"adopt: {target}: exists; adopt will not overwrite it (pass --force to replace it, or "
        "print the YAML without --write and merge by hand)\n"
    )
    assert target.read_text() == before
    assert main(_args(tmp_path, "fhir-server", extra=("--write", "--force"))) == 0
    assert "clients:" not in target.read_text()


def _owned(tmp_path: Path) -> Path:
    """The fixtures exported with owners ($expand=owners): the deploying principal owns every
    application and service principal, so adoption changes no owner."""
    exports = tmp_path / "owned"
    exports.mkdir()
    for path in FIXTURES.glob("*.json"):
        data = json.loads(path.read_text(encoding="utf-8"))
        if path.name.startswith("application-"):
            data["owners"] = [{"id": DEPLOYER}]
        elif path.name == "service-principals.json":
            for sp in data["value"]:
                sp["owners"] = [{"id": DEPLOYER}]
        (exports / path.name).write_text(json.dumps(data), encoding="utf-8")
    return exports


def test_check_without_drift_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    owned = _owned(tmp_path)
    extra = ("--deployer", DEPLOYER)
    assert main(_args(tmp_path, *CLEAN, extra=("--write", *extra), exports=owned)) == 0
    capsys.readouterr()
    assert main(_args(tmp_path, *CLEAN, extra=("--check", *extra), exports=owned)) == 0
    out = capsys.readouterr().out.splitlines()
    assert all(line.startswith("finding: ") for line in out[:-1])
    assert out[-1].endswith(" finding(s), 0 drift(s)")
    # Without --deployer the plan cannot know the deploying principal owns everything already.
    assert main(_args(tmp_path, *CLEAN, extra=("--check",), exports=owned)) == 1
    drift = [line for line in capsys.readouterr().out.splitlines() if line.startswith("drift: ")]
    assert len(drift) == 2 * len(CLEAN)  # each application and its service principal
    assert all(
        line.endswith(
            f'owners: existing ["{DEPLOYER}"], config ["{DEPLOYER}", '
            '"<objectId of deploying principal>"]'
        )
        for line in drift
    ), drift


def test_check_reports_drift_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    apps, owned = ("fhir-server", "legacy-reporting"), _owned(tmp_path)
    extra = ("--deployer", DEPLOYER)
    assert main(_args(tmp_path, *apps, extra=("--write", *extra), exports=owned)) == 0
    capsys.readouterr()
    assert main(_args(tmp_path, *apps, extra=("--check", *extra), exports=owned)) == 1
    drift = [line for line in capsys.readouterr().out.splitlines() if line.startswith("drift: ")]
    assert drift == [
        "drift: Contoso Legacy Reporting (contoso-legacy-reporting): requiredResourceAccess: "
        'existing [{"resourceAccess": [{"id": "311a71cc-e848-46a1-bdf8-97ff7156d8e6", "type": '
        '"Scope"}], "resourceAppId": "00000002-0000-0000-c000-000000000000"}, {"resourceAccess": '
        '[{"id": "e1fd296f-fa3a-4e5d-a1e8-e64e11dc18a9", "type": "Scope"}], "resourceAppId": '
        '"00000003-0000-0000-c000-000000000000"}, {"resourceAccess": [{"id": '
        '"5f3d8b2a-9c1e-4d74-b6a0-8e2f4c6a9d17", "type": "Scope"}], "resourceAppId": '
        # Azure AD Graph goes; Microsoft Graph's User.Read stays (graphScopes).
        '"2b9e4d71-5c3a-4f8e-b6d2-7a1c9e0f4b35"}], config [{"resourceAccess": [{"id": '
        '"e1fd296f-fa3a-4e5d-a1e8-e64e11dc18a9", "type": "Scope"}], "resourceAppId": '
        '"00000003-0000-0000-c000-000000000000"}, {"resourceAccess": [{"id": '
        '"5f3d8b2a-9c1e-4d74-b6a0-8e2f4c6a9d17", "type": "Scope"}], "resourceAppId": '
        '"2b9e4d71-5c3a-4f8e-b6d2-7a1c9e0f4b35"}]',
        "drift: Contoso Legacy Reporting (contoso-legacy-reporting): web.implicitGrantSettings: "
        # ID tokens (hybrid flow) stay, as idTokenIssuance: true; access tokens go.
        'existing {"enableAccessTokenIssuance": true, "enableIdTokenIssuance": true}, config '
        '{"enableAccessTokenIssuance": false, "enableIdTokenIssuance": true}',
        "drift: Contoso Legacy Reporting (contoso-legacy-reporting): web.redirectUris: existing "
        '["http://reports-dev.contoso.com/auth/callback", '
        '"https://*.reports-dev.contoso.com/auth/callback", '
        '"https://reports-dev.contoso.com/auth/callback"], config '
        '["https://reports-dev.contoso.com/auth/callback"]',
        # Not a managed property of the manifest, but the provider writes it on every update.
        "drift: Contoso Legacy Reporting (contoso-legacy-reporting): groupMembershipClaims: "
        'existing ["SecurityGroup"], config []',
    ]
    # The changes are accepted, printed all the same.
    assert (
        main(_args(tmp_path, *apps, extra=("--check", "--accept-changes", *extra), exports=owned))
        == 0
    )
    out = capsys.readouterr().out.splitlines()
    assert len([line for line in out if line.startswith("drift: ")]) == 4
    assert out[-1].endswith(" finding(s), 4 drift(s), 4 accepted (--accept-changes)")


def test_check_reports_a_portal_edit_and_an_unadopted_client(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    owned, extra = _owned(tmp_path), ("--deployer", DEPLOYER)
    argv = _args(tmp_path, "fhir-server", "patient-spa", extra=("--write", *extra), exports=owned)
    assert main(argv) == 0
    edited = json.loads((owned / "application-patient-spa.json").read_text())
    edited["spa"]["redirectUris"].append("https://patient-dev.contoso.com/new")
    edited_path = tmp_path / "spa-now.json"
    edited_path.write_text(json.dumps(edited))
    capsys.readouterr()
    argv = _args(tmp_path, "fhir-server", "care-mobile", extra=("--check", *extra), exports=owned)
    argv[argv.index("--applications") + 1 : argv.index("--applications") + 1] = [str(edited_path)]
    assert main(argv) == 1
    drift = [line for line in capsys.readouterr().out.splitlines() if line.startswith("drift: ")]
    assert drift == [
        'drift: Contoso Care Mobile (-): (application): existing "exists '
        '(d5f9b3c1-2a6e-4d80-b7c2-9e4a6f8b0d15)", config "not in the config (run adopt to take '
        'it over)"',
        "drift: Contoso Patient App (SPA) (contoso-patient-app-spa): spa.redirectUris: existing "
        '["http://localhost:3000/", "https://patient-dev.contoso.com/", '
        '"https://patient-dev.contoso.com/new"], config ["http://localhost:3000/", '
        '"https://patient-dev.contoso.com/"]',
    ]


def test_check_without_a_config(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(_args(tmp_path, *CLEAN, extra=("--check",))) == 1
    assert capsys.readouterr().err.splitlines() == [
        f"{tmp_path / 'environments' / 'dev.yaml'}: environment 'dev' has no file; available "
        f"environments: none (files in {tmp_path / 'environments'})",
        f"{tmp_path / 'base.yaml'}: the file does not exist; every config needs a base",
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json", "not JSON: Expecting value at line 1, column 1"),
        ('{"foo": 1}', "not Graph applications: expected a Graph page"),
    ],
)
def test_bad_input_is_one_message_and_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, message: str
) -> None:
    path = tmp_path / "apps.json"
    path.write_text(content)
    assert main(["adopt", "--applications", str(path), "--environment", "dev"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert len(captured.err.splitlines()) == 1
    assert captured.err.startswith(f"adopt: {path}: {message}")


def test_two_apps_claiming_the_audience_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = json.loads((FIXTURES / "application-fhir-server.json").read_text())
    copy["id"] = "11111111-2222-4333-8444-555555555555"
    path = tmp_path / "copy.json"
    path.write_text(json.dumps(copy))
    argv = [
        "adopt",
        "--applications",
        str(FIXTURES / "application-fhir-server.json"),
        str(path),
        "--environment",
        "dev",
        "--audience",
        "https://fhir-dev.contoso.com",
    ]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.startswith("adopt: two apps claim the audience https://fhir-dev.contoso.com: ")
    assert len(err.splitlines()) == 1


def test_no_resource_app_exit_1(capsys: pytest.CaptureFixture[str]) -> None:
    argv = [
        "adopt",
        "--applications",
        str(FIXTURES / "application-patient-spa.json"),
        "--environment",
        "dev",
    ]
    assert main(argv) == 1
    assert capsys.readouterr().err.startswith("adopt: no resource app found: ")


def test_environment_must_be_a_plain_name(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["adopt", "--applications", str(FIXTURES / "application-fhir-server.json")]
    assert main([*argv, "--environment", "../prod"]) == 1
    assert capsys.readouterr().err.startswith("adopt: --environment '../prod' must be a plain name")


def test_write_and_check_are_exclusive(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(_args(tmp_path, "fhir-server", extra=("--write", "--check")))
    assert exit_.value.code == 2
