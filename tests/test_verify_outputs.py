"""The saved stack outputs are untrusted input: typed, or refused in one line naming the file,
the key path and the fix -- never quoting a secret."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from fhir_apps.verify.credentials import secret_credential
from fhir_apps.verify.model import Secret
from fhir_apps.verify.outputs import OutputsError, read_outputs_file

TENANT = "3f2b8c9d-1e4a-4b6c-8d7e-9f0a1b2c3d4e"
AUTHORITY = f"https://login.microsoftonline.com/{TENANT}"
HINT = "save them with `pulumi stack output --stack dev --json --show-secrets > FILE`"


def _outputs() -> dict[str, Any]:
    return {
        "tenantId": TENANT,
        "server": {"kind": "oss", "audience": "https://fhir.contoso.com", "authority": AUTHORITY},
        "clients": {
            "ingest": {
                "kind": "service",
                "clientId": "0c6a2b3e-4d5f-4a6b-8c7d-9e0f1a2b3c4d",
                "authority": AUTHORITY,
                "scope": "https://fhir.contoso.com/.default",
                "redirectUris": [],
                "credentialType": "secret",
                "secretExpiresOn": "2027-01-15",
            }
        },
        "clientSecrets": {"ingest": "s3cr3t-value-never-shown"},
    }


def _write(tmp_path: Path, data: Any) -> Path:
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def _error(tmp_path: Path, data: Any) -> str:
    with pytest.raises(OutputsError) as caught:
        read_outputs_file(_write(tmp_path, data), "dev")
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_the_four_outputs_are_typed(tmp_path: Path) -> None:
    outputs = read_outputs_file(_write(tmp_path, _outputs()), "dev")
    assert outputs.tenant_id == TENANT
    assert outputs.server.fhir_url() == "https://fhir.contoso.com"
    ingest = outputs.clients["ingest"]
    assert (ingest.kind, ingest.credential_type) == ("service", "secret")
    assert ingest.secret_expires_on == dt.date(2027, 1, 15)
    assert outputs.secrets is not None
    assert outputs.secrets["ingest"].reveal() == "s3cr3t-value-never-shown"
    assert "s3cr3t" not in repr(outputs) and "s3cr3t" not in f"{outputs.secrets['ingest']}"


def test_a_missing_key_names_the_file_and_the_key_path(tmp_path: Path) -> None:
    data = _outputs()
    del data["clients"]["ingest"]["clientId"]
    message = _error(tmp_path, data)
    assert message == (
        f"{tmp_path / 'outputs.json'}: clients.ingest.clientId: missing; are these the outputs "
        f"of stack dev? {HINT}"
    )


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: d["server"].update(authority="http://login.contoso.com/x"), "server.authority"),
        (lambda d: d.update(tenantId="contoso"), "tenantId: is 'contoso', not a tenant GUID"),
        (lambda d: d["server"].update(kind="hapi"), "server.kind: is 'hapi', not one of oss"),
        (lambda d: d["clients"].update(ingest=[]), "clients.ingest: must be an object, not list"),
        (
            lambda d: d["clients"]["ingest"].update(secretExpiresOn="soon"),
            "clients.ingest.secretExpiresOn: is 'soon', not a date YYYY-MM-DD",
        ),
        (
            lambda d: d["clients"]["ingest"].update(redirectUris="https://x/"),
            "clients.ingest.redirectUris: must be a list of strings",
        ),
    ],
)
def test_a_wrong_value_is_one_line_with_its_key(tmp_path: Path, change: Any, expected: str) -> None:
    data = _outputs()
    change(data)
    message = _error(tmp_path, data)
    assert message.startswith(f"{tmp_path / 'outputs.json'}: ")
    assert expected in message
    assert HINT in message


def test_a_secret_of_the_wrong_type_is_named_but_never_quoted(tmp_path: Path) -> None:
    data = _outputs()
    data["clientSecrets"]["ingest"] = ["s3cr3t-value-never-shown"]
    message = _error(tmp_path, data)
    assert "clientSecrets.ingest: must be the secret's text" in message
    assert "s3cr3t" not in message


def test_a_hostile_key_is_shown_escaped_on_one_line(tmp_path: Path) -> None:
    data = _outputs()
    data["clients"]["evil\nkey\u202e"] = {"kind": "service"}
    message = _error(tmp_path, data)
    assert "clients.evil\\nkey\\u202e.clientId: missing" in message


def test_a_file_that_is_not_json_or_missing_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "outputs.json"
    path.write_text("Current stack outputs (4):\n    OUTPUT  VALUE\n", encoding="utf-8")
    with pytest.raises(OutputsError) as caught:
        read_outputs_file(path, "dev")
    assert str(caught.value).startswith(f"{path}: not stack outputs JSON: Expecting value")
    assert HINT in str(caught.value)
    with pytest.raises(OutputsError) as caught:
        read_outputs_file(tmp_path / "absent.json", "dev")
    assert str(caught.value).startswith(f"{tmp_path / 'absent.json'}: cannot read: No such file")


def test_outputs_saved_without_show_secrets_say_how_to_save_them(tmp_path: Path) -> None:
    data = _outputs()
    data["clientSecrets"] = "[secret]"
    outputs = read_outputs_file(_write(tmp_path, data), "dev")
    assert outputs.secrets is None
    found = secret_credential(outputs.clients["ingest"], outputs, "outputs", None)
    assert found.for_msal is None
    assert found.error == (
        f"{tmp_path / 'outputs.json'}: clientSecrets is hidden ('[secret]'): save the outputs "
        "with `pulumi stack output --json --show-secrets`"
    )


def test_a_key_vault_secret_needs_its_id_in_the_outputs(tmp_path: Path) -> None:
    outputs = read_outputs_file(_write(tmp_path, _outputs()), "dev")
    found = secret_credential(
        outputs.clients["ingest"], outputs, "key-vault", lambda _id: Secret("unused")
    )
    assert found.error is not None and found.error.startswith("no keyVaultSecretId in the outputs")


def test_a_secret_object_never_shows_its_value() -> None:
    secret = Secret("hunter2-value")
    assert (str(secret), repr(secret), f"{secret}", f"{secret!r}") == (
        "***",
        "Secret(***)",
        "***",
        "Secret(***)",
    )
    with pytest.raises(TypeError):
        import pickle

        pickle.dumps(secret)
