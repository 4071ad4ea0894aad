"""ClientCredential under mocks: secret slots, certificates from PEM files, federated subjects."""

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

from components.credentials import subject_slug
from components.errors import StackError
from fhir_apps.certificates import CertificateFileError, read_public_certificate
from tests.component_helpers import (
    CERTIFICATE,
    FEDERATED,
    PASSWORD,
    make_spec,
    run_build,
    urn_msg,
)

NOT_BEFORE = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
NOT_AFTER = dt.datetime(2026, 1, 1, 12, 30, tzinfo=dt.UTC)
ISSUER = "https://token.actions.githubusercontent.com"
# fhir_apps.ids.NAMESPACE, written out: the tests derive expected ids without the program.
FHIR_APPS_NAMESPACE = uuid.UUID("39b597f1-a0de-5f32-b3de-6cf7f6035335")


def _certificate() -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "exporter.contoso.com")])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(NOT_BEFORE)
        .not_valid_after(NOT_AFTER)
        .sign(key, hashes.SHA256())
    )
    return certificate, key


@pytest.fixture
def cert_dir(tmp_path: Path) -> Path:
    certificate, _ = _certificate()
    pem = certificate.public_bytes(serialization.Encoding.PEM)
    (tmp_path / "certs").mkdir()
    (tmp_path / "certs" / "client.pem").write_bytes(b"# comment before the block\n" + pem)
    return tmp_path


def _service(credential: dict[str, Any]) -> dict[str, Any]:
    return {"svc": {"kind": "service", "roles": ["globalReader"], "credential": credential}}


def test_secret_credential_is_two_slots_with_exact_inputs() -> None:
    spec = make_spec(clients=_service({"type": "secret", "rotationDays": 90}))
    run = run_build(spec, today=dt.date(2025, 6, 1))
    slots = {r.name: r for r in run.of_type(PASSWORD).values()}
    assert sorted(slots) == ["svc-credential-secret-a", "svc-credential-secret-b"]
    a, b = slots["svc-credential-secret-a"], slots["svc-credential-secret-b"]
    assert a.inputs == {
        "applicationId": "/applications/<objectId of svc>",
        "displayName": "slot a 2024-12-26",
        "endDate": "2025-06-24T00:00:00Z",
        "rotateWhenChanged": {"slot": "a", "start": "2024-12-26", "end": "2025-06-24"},
    }, urn_msg(a)
    assert b.inputs == {
        "applicationId": "/applications/<objectId of svc>",
        "displayName": "slot b 2025-03-26",
        "endDate": "2025-09-22T00:00:00Z",
        "rotateWhenChanged": {"slot": "b", "start": "2025-03-26", "end": "2025-09-22"},
    }, urn_msg(b)
    # Create-before-delete: the new password exists before the old one goes.
    assert not run.delete_before_replace[a.urn], urn_msg(a)
    assert run.outputs["clients"]["svc"]["secretExpiresOn"] == "2025-09-22"


def test_the_same_day_gives_identical_slots_and_a_later_day_renews_one() -> None:
    spec = make_spec(clients=_service({"type": "secret", "rotationDays": 90}))

    def slots(day: dt.date) -> dict[str, Any]:
        return {r.name: r.inputs for r in run_build(spec, today=day).of_type(PASSWORD).values()}

    assert slots(dt.date(2025, 6, 1)) == slots(dt.date(2025, 6, 1))
    before, after = slots(dt.date(2025, 6, 23)), slots(dt.date(2025, 6, 24))
    assert before["svc-credential-secret-b"] == after["svc-credential-secret-b"]
    assert before["svc-credential-secret-a"] != after["svc-credential-secret-a"]
    assert after["svc-credential-secret-a"]["rotateWhenChanged"]["start"] == "2025-06-24"


def test_the_current_secret_is_exported_as_a_secret_only() -> None:
    spec = make_spec(clients=_service({"type": "secret"}))
    run = run_build(spec)
    assert run.outputs["clientSecrets"] == "[secret]"
    wrapped = run.raw_outputs["clientSecrets"]
    assert wrapped["value"]["svc"].startswith("MOCKSECRET-")
    assert "MOCKSECRET-" not in run.text()


def test_a_rotation_beyond_the_policy_is_refused() -> None:
    spec = make_spec(
        policy={"maxSecretLifetimeDays": 100},
        clients=_service({"type": "secret", "rotationDays": 60}),
    )
    with pytest.raises(ValueError, match=r"rotation_days \(60\) \* 2 exceeds"):
        run_build(spec)


@pytest.mark.parametrize("day", [dt.date(1999, 12, 31), dt.date(9001, 1, 1)])
def test_a_day_outside_the_rotation_range_stops_the_stack_cleanly(day: dt.date) -> None:
    # A StackError is what the program reports as one line without a traceback.
    spec = make_spec(clients=_service({"type": "secret"}))
    with pytest.raises(StackError, match=rf"^fhir-apps:today: {day.isoformat()} is outside"):
        run_build(spec, today=day)


def test_certificate_credential_uploads_the_public_pem(cert_dir: Path) -> None:
    spec = make_spec(
        clients=_service({"type": "certificate", "certificateFile": "certs/client.pem"})
    )
    run = run_build(spec, config_dir=cert_dir)
    (cert,) = run.of_type(CERTIFICATE).values()
    expected = read_public_certificate(cert_dir / "certs" / "client.pem")
    assert cert.name == "svc-credential-certificate", urn_msg(cert)
    assert cert.inputs == {
        "applicationId": "/applications/<objectId of svc>",
        "encoding": "pem",
        "type": "AsymmetricX509Cert",
        "startDate": "2025-01-01T00:00:00Z",
        "endDate": "2026-01-01T12:30:00Z",
        "keyId": _expected_key_id(cert_dir / "certs" / "client.pem"),
        "value": "[secret]",  # the SDK marks `value` secret although it is the public part
    }, urn_msg(cert)
    assert expected.pem.startswith("-----BEGIN CERTIFICATE-----\n")
    assert "comment" not in expected.pem
    again = run_build(spec, config_dir=cert_dir)
    assert next(iter(again.of_type(CERTIFICATE).values())).inputs == cert.inputs
    assert run.of_type(PASSWORD) == {}
    assert run.raw_outputs["clientSecrets"]["value"] == {}


def _expected_key_id(pem_file: Path) -> str:
    """uuid5 over the certificate's SHA-256 thumbprint, computed here without the program: the
    fixed namespace, and cryptography's own fingerprint of the certificate in the file."""
    certificate = x509.load_pem_x509_certificates(pem_file.read_bytes())[0]
    thumbprint = certificate.fingerprint(hashes.SHA256()).hex()
    return str(uuid.uuid5(FHIR_APPS_NAMESPACE, f"certificate\n{thumbprint}"))


def test_certificate_key_ids_are_golden_and_follow_the_certificate(cert_dir: Path) -> None:
    # Golden: the example certificate's keyId. A change would add every certificate a second
    # time (a new keyId) and delete the old one.
    spec = make_spec(
        clients=_service({"type": "certificate", "certificateFile": "certs/exporter.pem"})
    )
    (example,) = run_build(spec).of_type(CERTIFICATE).values()
    assert example.inputs["keyId"] == "a2c81b24-000a-5957-bdec-fc3b71f6b170", urn_msg(example)
    # Another certificate (the generated one) gets another keyId.
    other = make_spec(
        clients=_service({"type": "certificate", "certificateFile": "certs/client.pem"})
    )
    (generated,) = run_build(other, config_dir=cert_dir).of_type(CERTIFICATE).values()
    assert generated.inputs["keyId"] != example.inputs["keyId"], urn_msg(generated)


def test_a_certificate_file_with_a_private_key_is_refused(tmp_path: Path) -> None:
    certificate, key = _certificate()
    path = tmp_path / "bundle.pem"
    path.write_bytes(
        certificate.public_bytes(serialization.Encoding.PEM)
        + key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    with pytest.raises(CertificateFileError, match="contains a private key"):
        read_public_certificate(path)


@pytest.mark.parametrize(
    ("content", "message"),
    [(None, "cannot read the certificate file"), (b"not a pem", "holds no PEM certificate")],
)
def test_unusable_certificate_files_are_refused(
    tmp_path: Path, content: bytes | None, message: str
) -> None:
    path = tmp_path / "client.pem"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(CertificateFileError, match=f"^{path}: {message}"):
        read_public_certificate(path)


def test_federated_credential_is_one_per_subject_named_by_slug() -> None:
    subjects = ["repo:contoso/a:environment:dev", "repo:contoso/a:ref:refs/heads/main"]
    credential = {"type": "federated", "issuer": ISSUER, "subjects": subjects}
    run = run_build(make_spec(clients=_service(credential)))
    creds = {r.inputs["subject"]: r for r in run.of_type(FEDERATED).values()}
    assert sorted(creds) == subjects
    # Golden slugs: a change renames (replaces) every federated credential of every stack.
    slugs = {
        subjects[0]: "repo-contoso-a-environment-dev-0061d7cf",
        subjects[1]: "repo-contoso-a-ref-refs-heads-main-07d50493",
    }
    for subject, cred in creds.items():
        slug = slugs[subject]
        assert cred.name == f"svc-credential-federated-{slug}", urn_msg(cred)
        assert cred.inputs == {
            "applicationId": "/applications/<objectId of svc>",
            "audiences": ["api://AzureADTokenExchange"],
            "displayName": slug,
            "description": f"{ISSUER} {subject}",
            "issuer": ISSUER,
            "subject": subject,
        }, urn_msg(cred)
    # Removing one subject leaves the other's logical name (and so the resource) unchanged.
    fewer = {**credential, "subjects": subjects[:1]}
    names = {
        r.name for r in run_build(make_spec(clients=_service(fewer))).of_type(FEDERATED).values()
    }
    assert names == {creds[subjects[0]].name}


@pytest.mark.parametrize(
    ("subject", "slug"),
    [
        # The example config's subjects: the names of existing credentials.
        (
            "repo:contoso/fhir-ingest:environment:dev",
            "repo-contoso-fhir-ingest-environment-dev-2229375e",
        ),
        (
            "repo:contoso/fhir-ingest:ref:refs/heads/main",
            "repo-contoso-fhir-ingest-ref-refs-heads-main-a88d357b",
        ),
        (
            "repo:contoso/fhir-ingest:environment:dev-eu",
            "repo-contoso-fhir-ingest-environment-dev-eu-e6779d48",
        ),
        ("s", "s-043a7187"),
        # Nothing readable: the hash alone.
        ("::", "71546855"),
        ("//", "a2c23396"),
        # Cut to 55 readable characters, so with the hash at most 64.
        ("x" * 500, "x" * 55 + "-c38c2bf3"),
        ("Repo:Ünïcode/Ω", "repo-n-code-8e86085c"),
    ],
    ids=["dev", "main", "dev-eu", "one-letter", "colons", "slashes", "long", "unicode"],
)
def test_subject_slugs_are_golden(subject: str, slug: str) -> None:
    # Golden: the slug is each credential's logical name and display name; a change would
    # replace every federated credential of every stack.
    assert subject_slug(subject) == slug


def test_subjects_that_read_alike_get_distinct_slugs() -> None:
    # Punctuation-only subjects have no readable part at all; subjects differing only in
    # punctuation or case have the same readable part. The hash of the exact subject tells
    # them apart, so two credentials of one client never share a name.
    alike = ["::", "//", ":", "-", "a:b", "a/b", "a-b", "A:B", "a:b:"]
    slugs = [subject_slug(subject) for subject in alike]
    assert len(set(slugs)) == len(alike), slugs
    for slug in slugs:
        assert slug, "an empty slug would name the credential '<client>-credential-federated-'"
        assert all(c in "abcdefghijklmnopqrstuvwxyz0123456789-" for c in slug), slug
        assert not slug.startswith("-") and len(slug) <= 64, slug


def test_punctuation_only_subjects_are_two_credentials() -> None:
    credential = {"type": "federated", "issuer": ISSUER, "subjects": ["::", "//"]}
    run = run_build(make_spec(clients=_service(credential)))
    assert not run.duplicates
    names = sorted(r.name for r in run.of_type(FEDERATED).values())
    assert names == [
        "svc-credential-federated-71546855",
        "svc-credential-federated-a2c23396",
    ]
