"""Certificate rollover without downtime: several certificates per client, one reader, --today.

Expected names and key ids are computed here from the certificates themselves (cryptography's
own SHA-256 fingerprint and the fixed namespace), not with the code under test.
"""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from fhir_apps.certificates import CertificateFileError, read_public_certificate
from fhir_apps.cli import main
from tests.component_helpers import CERTIFICATE, make_spec, run_build

# fhir_apps.ids.NAMESPACE, written out.
NAMESPACE = uuid.UUID("39b597f1-a0de-5f32-b3de-6cf7f6035335")
OLD_END = dt.datetime(2026, 1, 1, 12, 30, tzinfo=dt.UTC)
NEW_END = dt.datetime(2027, 1, 1, tzinfo=dt.UTC)


def _certificate(
    common_name: str,
    not_after: dt.datetime,
    *,
    issuer: tuple[x509.Name, ec.EllipticCurvePrivateKey] | None = None,
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    issuer_name, signing_key = issuer or (name, key)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(dt.datetime(2025, 1, 1, tzinfo=dt.UTC))
        .not_valid_after(not_after)
        .sign(signing_key, hashes.SHA256())
    )
    return certificate, key


def _pem(*certificates: x509.Certificate) -> bytes:
    return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certificates)


def _thumbprint(certificate: x509.Certificate) -> str:
    return certificate.fingerprint(hashes.SHA256()).hex()


def _key_id(certificate: x509.Certificate) -> str:
    return str(uuid.uuid5(NAMESPACE, f"certificate\n{_thumbprint(certificate)}"))


@pytest.fixture
def rollover(tmp_path: Path) -> tuple[Path, x509.Certificate, x509.Certificate]:
    """A config directory with an old certificate (ends 2026-01-01) and its successor."""
    old, _ = _certificate("exporter-2025", OLD_END)
    new, _ = _certificate("exporter-2026", NEW_END)
    (tmp_path / "certs").mkdir()
    (tmp_path / "certs" / "old.pem").write_bytes(_pem(old))
    (tmp_path / "certs" / "new.pem").write_bytes(_pem(new))
    return tmp_path, old, new


def _service(credential: dict[str, Any]) -> dict[str, Any]:
    return {"svc": {"kind": "service", "roles": ["globalReader"], "credential": credential}}


def _certificates(config_dir: Path, credential: dict[str, Any]) -> dict[str, dict[str, Any]]:
    run = run_build(make_spec(clients=_service(credential)), config_dir=config_dir)
    return {r.name: r.inputs for r in run.of_type(CERTIFICATE).values()}


# -- the reader ------------------------------------------------------------------------------


def test_two_unrelated_certificates_in_one_file_are_refused(tmp_path: Path) -> None:
    # Before: the upload took the first and silently ignored the second.
    first, _ = _certificate("a", OLD_END)
    second, _ = _certificate("b", NEW_END)
    path = tmp_path / "both.pem"
    path.write_bytes(_pem(first, second))
    with pytest.raises(CertificateFileError) as caught:
        read_public_certificate(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: holds 2 certificates that are not one chain")
    assert "certificateFiles" in message


def test_a_chain_file_is_one_credential_its_leaf(tmp_path: Path) -> None:
    ca, ca_key = _certificate("Contoso CA", NEW_END)
    leaf, _ = _certificate("exporter", OLD_END, issuer=(ca.subject, ca_key))
    path = tmp_path / "chain.pem"
    path.write_bytes(_pem(leaf, ca))
    read = read_public_certificate(path)
    assert read.sha256 == _thumbprint(leaf)
    assert read.pem == _pem(leaf).decode("ascii")
    assert read.not_after == OLD_END


# -- several certificates per client ---------------------------------------------------------


def test_certificate_files_overlap_each_its_own_credential(rollover: Any) -> None:
    config_dir, old, new = rollover
    found = _certificates(
        config_dir,
        {
            "type": "certificate",
            "certificateFile": "certs/old.pem",
            "certificateFiles": ["certs/new.pem"],
        },
    )
    new_name = f"svc-credential-certificate-{_thumbprint(new)[:12]}"
    assert sorted(found) == sorted(["svc-credential-certificate", new_name])
    assert found["svc-credential-certificate"]["keyId"] == _key_id(old)
    assert found["svc-credential-certificate"]["endDate"] == "2026-01-01T12:30:00Z"
    assert found[new_name]["keyId"] == _key_id(new)
    assert found[new_name]["endDate"] == "2027-01-01T00:00:00Z"


def test_adding_a_successor_leaves_the_single_certificate_untouched(rollover: Any) -> None:
    # The name a single certificate always had is kept, with the same inputs: no deployed
    # stack re-creates its certificate when the second one arrives.
    config_dir, _, _ = rollover
    single = _certificates(config_dir, {"type": "certificate", "certificateFile": "certs/old.pem"})
    both = _certificates(
        config_dir,
        {
            "type": "certificate",
            "certificateFile": "certs/old.pem",
            "certificateFiles": ["certs/new.pem"],
        },
    )
    assert list(single) == ["svc-credential-certificate"]
    assert both["svc-credential-certificate"] == single["svc-credential-certificate"]


def test_removing_the_old_certificate_keeps_the_new_one_as_it_is(rollover: Any) -> None:
    config_dir, _, new = rollover
    both = _certificates(
        config_dir,
        {
            "type": "certificate",
            "certificateFile": "certs/old.pem",
            "certificateFiles": ["certs/new.pem"],
        },
    )
    after = _certificates(
        config_dir, {"type": "certificate", "certificateFiles": ["certs/new.pem"]}
    )
    name = f"svc-credential-certificate-{_thumbprint(new)[:12]}"
    assert list(after) == [name]
    assert after[name] == both[name]


def test_names_follow_the_certificate_not_the_file_or_its_position(rollover: Any) -> None:
    config_dir, old, new = rollover
    (config_dir / "certs" / "renamed.pem").write_bytes(
        (config_dir / "certs" / "new.pem").read_bytes()
    )
    first = _certificates(
        config_dir, {"type": "certificate", "certificateFiles": ["certs/new.pem", "certs/old.pem"]}
    )
    second = _certificates(
        config_dir,
        {"type": "certificate", "certificateFiles": ["certs/old.pem", "certs/renamed.pem"]},
    )
    assert first == second
    assert sorted(first) == sorted(
        f"svc-credential-certificate-{_thumbprint(c)[:12]}" for c in (old, new)
    )


# -- the config check: one reader, judged at --today -----------------------------------------


def _config(tmp: Path, credential: str) -> Path:
    (tmp / "environments").mkdir(exist_ok=True)
    (tmp / "base.yaml").write_text(
        "tenant: {verifiedDomains: [contoso.com]}\n"
        "fhirServer: {kind: oss, url: 'https://fhir.contoso.com', appRoles: [globalReader]}\n",
        encoding="utf-8",
    )
    (tmp / "environments" / "dev.yaml").write_text(
        "clients:\n"
        "  exporter:\n"
        "    kind: service\n"
        "    roles: [globalReader]\n"
        f"    credential: {credential}\n",
        encoding="utf-8",
    )
    return tmp


def _check(config_dir: Path, today: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(
        ["check", "--environment", "dev", "--config-dir", str(config_dir), "--today", today]
    )
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_expiry_is_judged_at_today(rollover: Any, capsys: pytest.CaptureFixture[str]) -> None:
    config_dir, _, _ = rollover
    _config(config_dir, "{type: certificate, certificateFile: certs/old.pem}")
    env = f"{config_dir}/environments/dev.yaml"
    key = "clients.exporter.credential.certificateFile"
    code, out = _check(config_dir, "2025-06-01", capsys)
    assert code == 0 and "warning" not in out
    code, out = _check(config_dir, "2025-12-20", capsys)
    assert code == 0
    assert f"warning: {env}: {key}: {config_dir}/certs/old.pem: the certificate expires on " in out
    assert "2026-01-01; renew it soon" in out
    code, out = _check(config_dir, "2026-01-02", capsys)
    assert code == 1
    assert f"{env}: {key}: {config_dir}/certs/old.pem: the certificate expired on 2026-01-01" in out


def test_a_configured_successor_changes_the_warning(
    rollover: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    config_dir, _, _ = rollover
    _config(
        config_dir,
        "{type: certificate, certificateFile: certs/old.pem, certificateFiles: [certs/new.pem]}",
    )
    code, out = _check(config_dir, "2025-12-20", capsys)
    assert code == 0
    assert "its successor is configured (valid until 2027-01-01)" in out
    assert "renew it soon" not in out


def test_one_certificate_listed_twice_is_refused(
    rollover: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    config_dir, _, _ = rollover
    (config_dir / "certs" / "copy.pem").write_bytes((config_dir / "certs" / "old.pem").read_bytes())
    _config(
        config_dir,
        "{type: certificate, certificateFile: certs/old.pem, certificateFiles: [certs/copy.pem]}",
    )
    code, out = _check(config_dir, "2025-06-01", capsys)
    assert code == 1
    assert (
        f"{config_dir}/environments/dev.yaml: clients.exporter.credential.certificateFiles[0]: "
        f"{config_dir}/certs/copy.pem: holds the same certificate as {config_dir}/certs/old.pem"
    ) in out


def test_a_pem_with_a_second_certificate_fails_the_check(
    rollover: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    config_dir, _, _ = rollover
    both = (config_dir / "certs" / "old.pem").read_bytes() + (
        config_dir / "certs" / "new.pem"
    ).read_bytes()
    (config_dir / "certs" / "both.pem").write_bytes(both)
    _config(config_dir, "{type: certificate, certificateFile: certs/both.pem}")
    code, out = _check(config_dir, "2025-06-01", capsys)
    assert code == 1
    assert "clients.exporter.credential.certificateFile" in out
    assert "not one chain" in out and "Traceback" not in out


def test_a_certificate_credential_needs_a_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _config(tmp_path, "{type: certificate}")
    code, out = _check(tmp_path, "2025-06-01", capsys)
    assert code == 1
    assert (
        f"{tmp_path}/environments/dev.yaml: clients.exporter.credential.certificateFile: is "
        "required"
    ) in out
