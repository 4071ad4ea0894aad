"""Read the public part of a client certificate from a PEM file (pure; no Pulumi).

Only the certificate goes to Entra. A private key in the file is refused rather than ignored:
a key in the config repository is a leak, and the remedy is to remove it from the file.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from pathlib import Path

__all__ = ["CertificateFileError", "PublicCertificate", "read_public_certificate"]


class CertificateFileError(ValueError):
    """The certificate file is missing, holds no certificate, or holds a private key."""


@dataclass(frozen=True, kw_only=True)
class PublicCertificate:
    """One X.509 certificate: its PEM text, validity and SHA-256 thumbprint (hex)."""

    pem: str
    not_before: dt.datetime
    not_after: dt.datetime
    sha256: str


def read_public_certificate(path: Path) -> PublicCertificate:
    """The (first) certificate in the PEM file at `path`.

    Raises CertificateFileError naming the file when it cannot be read, contains a private key,
    or contains no certificate.
    """
    # Imported here: cryptography costs ~50 ms of start-up, and only certificate credentials use it.
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    try:
        data = path.read_bytes()
    except OSError as err:
        raise CertificateFileError(
            f"{path}: cannot read the certificate file: {err.strerror}"
        ) from None
    if b"PRIVATE KEY-----" in data:
        raise CertificateFileError(
            f"{path}: contains a private key; keep only the certificate (the public part) in "
            "the config repository and store the key where the application reads it"
        )
    try:
        certificates = x509.load_pem_x509_certificates(data)
    except ValueError:
        raise CertificateFileError(f"{path}: holds no PEM certificate") from None
    # A chain file lists the leaf first (RFC 5246 order); the leaf is the client's certificate.
    certificate = certificates[0]
    der = certificate.public_bytes(serialization.Encoding.DER)
    return PublicCertificate(
        # Re-encoded from the parsed certificate so comments or stray text never reach Entra.
        pem=certificate.public_bytes(serialization.Encoding.PEM).decode("ascii"),
        not_before=certificate.not_valid_before_utc,
        not_after=certificate.not_valid_after_utc,
        sha256=hashlib.sha256(der).hexdigest(),
    )
