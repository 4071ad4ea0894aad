"""Read the public part of a client certificate from a PEM file (pure; no Pulumi).

Only the certificate goes to Entra. A private key in the file is refused rather than ignored:
a key in the config repository is a leak, and the remedy is to remove it from the file.

This is the one reader: the config check (`fhir_apps.spec.loader`) and the upload
(`components.credentials`) both use it, so what `check` accepts is what `pulumi up` uploads.
A certificate file is named relative to the config directory and must stay inside it
(`certificate_path`): an absolute path, a `..` or a symbolic link could otherwise make a
config upload any file the deploying machine can read.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from fhir_apps.safeio.text import first_unsafe, shown

__all__ = [
    "MAX_CERTIFICATE_BYTES",
    "CertificateFileError",
    "PublicCertificate",
    "certificate_path",
    "read_public_certificate",
]

# A PEM chain of a few certificates is a few KiB; anything this large is not a certificate file.
MAX_CERTIFICATE_BYTES: Final = 1024 * 1024


class CertificateFileError(ValueError):
    """The certificate file is missing, holds no certificate, or holds a private key.

    `str()` is `<path>: <reason>`; `reason` alone says what is wrong and the fix.
    """

    def __init__(self, path: Path | str, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{shown(self.path, 400)}: {reason}")


@dataclass(frozen=True, kw_only=True)
class PublicCertificate:
    """One X.509 certificate: its PEM text, validity and SHA-256 thumbprint (hex).

    `warnings` are what the parser objected to without refusing the certificate (e.g. a
    negative serial number, which RFC 5280 forbids and a future `cryptography` will refuse),
    one line each, for the config check to show.
    """

    pem: str
    not_before: dt.datetime
    not_after: dt.datetime
    sha256: str
    warnings: tuple[str, ...] = ()


def certificate_path(config_dir: Path, value: str) -> Path:
    """The file `value` names, relative to `config_dir`, resolved; it must stay inside it.

    Raises CertificateFileError (naming `config_dir / value`) for an absolute path, a path
    that leaves the directory through `..` or a symbolic link, or a file that does not exist.
    """
    given = config_dir / value
    code = first_unsafe(value)
    if code is not None:
        raise CertificateFileError(
            given, f"the path contains {code} (a line-break, control or bidi character); remove it"
        )
    if not value.strip():
        raise CertificateFileError(
            given, "certificateFile is empty; name a PEM file, e.g. certs/client.pem"
        )
    if Path(value).is_absolute():
        raise CertificateFileError(
            given,
            f"is an absolute path; name the file relative to the config directory "
            f"({config_dir}), e.g. certs/client.pem",
        )
    try:
        resolved = given.resolve()
        inside = resolved.is_relative_to(config_dir.resolve())
        exists = resolved.is_file()
    except RuntimeError:  # a symbolic link loop (an OSError from Python 3.13 on)
        raise CertificateFileError(given, "cannot be resolved: a symbolic link loops") from None
    except OSError as err:
        raise CertificateFileError(given, f"cannot be resolved: {err.strerror or err}") from None
    if not inside:
        raise CertificateFileError(
            given,
            f"leads out of the config directory ({config_dir}) through '..' or a symbolic "
            "link; keep certificates inside it, e.g. certs/client.pem",
        )
    if not exists:
        raise CertificateFileError(
            given, f"does not exist; paths are relative to the config directory ({config_dir})"
        )
    return resolved


def read_public_certificate(path: Path) -> PublicCertificate:
    """The client certificate in the PEM file at `path`: its only one, or the leaf of a chain.

    One file is one client certificate, so a file never means one thing to `check` and another
    to `pulumi up`: several certificates are accepted only as a chain (the leaf first, each
    next one the issuer of the one before, RFC 5246 order), whose leaf is the credential; the
    issuers are not uploaded (a CA's certificate as a credential would let its key sign in).
    Unrelated certificates in one file (e.g. a new one appended for a rollover) are refused:
    a rollover lists each certificate's file under `certificateFiles`.

    Raises CertificateFileError naming the file when it cannot be read, contains a private key,
    contains no certificate, or several that are not one chain.
    """
    # Imported here: cryptography costs ~50 ms of start-up, and only certificate credentials use it.
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    data = _read(path)
    if b"PRIVATE KEY-----" in data:
        raise CertificateFileError(
            path,
            "contains a private key; commit only the public certificate "
            "(-----BEGIN CERTIFICATE-----) and keep the private key out of the repository",
        )
    if b"-----BEGIN CERTIFICATE-----" not in data:
        raise CertificateFileError(path, "holds no PEM certificate (-----BEGIN CERTIFICATE-----)")
    # The parser reports what it tolerates (a negative serial number, a non-canonical encoding)
    # as Python warnings, which would print as a file:line traceback fragment; they become lines
    # of the result instead, shown by the config check.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            certificates = x509.load_pem_x509_certificates(data)
        except ValueError as exc:
            raise CertificateFileError(
                path, f"holds a PEM block that is not a valid certificate: {shown(exc)}"
            ) from None
        broken = _chain_break(certificates)
        if broken is not None:
            raise CertificateFileError(
                path,
                f"holds {len(certificates)} certificates that are not one chain (certificate "
                f"{broken + 1} did not issue certificate {broken}); a file holds one client "
                "certificate (or its chain, leaf first): to roll over to a new certificate, "
                "put it in a file of its own and list both files under certificateFiles",
            )
        # A chain file lists the leaf first (RFC 5246 order); the leaf is the client's certificate.
        certificate = certificates[0]
        der = certificate.public_bytes(serialization.Encoding.DER)
        # Re-encoded from the parsed certificate so comments or stray text never reach Entra.
        pem = certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")
        not_before = certificate.not_valid_before_utc
        not_after = certificate.not_valid_after_utc
    return PublicCertificate(
        pem=pem,
        not_before=not_before,
        not_after=not_after,
        sha256=hashlib.sha256(der).hexdigest(),
        warnings=tuple(dict.fromkeys(shown(str(w.message), 300) for w in caught)),
    )


def _chain_break(certificates: list[Any]) -> int | None:
    """The 1-based position of the first certificate whose successor did not issue it, or None
    when each certificate after the first is the issuer of the one before (by name)."""
    for index in range(len(certificates) - 1):
        if certificates[index].issuer != certificates[index + 1].subject:
            return index + 1
    return None


def _read(path: Path) -> bytes:
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_CERTIFICATE_BYTES + 1)
    except OSError as err:
        raise CertificateFileError(
            path, f"cannot read the certificate file: {err.strerror or err}"
        ) from None
    if len(data) > MAX_CERTIFICATE_BYTES:
        raise CertificateFileError(
            path,
            f"is larger than {MAX_CERTIFICATE_BYTES // 1024} KiB; a certificate file holds a "
            "few PEM certificates",
        )
    return data
