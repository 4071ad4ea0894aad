"""Where a service client's credential comes from when `verify` signs in as it.

- secret: `clientSecrets.<key>` from the outputs, or (`--secret-source key-vault`) the copy in
  Key Vault that the applications read;
- certificate: a private key the operator points to, `--certificate-key KEY=PATH` or the PEM in
  `FHIR_APPS_CERTIFICATE_KEY_<KEY>` (never stored), matched to one of the client's certificates
  from the config by its public key;
- federated: a GitHub Actions OIDC token, when running in Actions and its subject is one the
  client trusts.

When verify cannot have the credential here (no key given, not in Actions) the client is
skipped with the reason, which is not a failure; a credential that is there but wrong is one.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from fhir_apps.safeio.text import shown
from fhir_apps.spec.model import CertificateCredential, FederatedCredential
from fhir_apps.verify.http import HttpClient, UnreachableError
from fhir_apps.verify.keyvault import KeyVaultError, read_vault_secret
from fhir_apps.verify.model import ClientOutputs, Secret, StackOutputs

__all__ = [
    "GITHUB_ISSUER",
    "CredentialSource",
    "certificate_credential",
    "certificate_key_variable",
    "federated_credential",
    "secret_credential",
    "secret_expiry",
    "vault_reader",
]

GITHUB_ISSUER: Final = "https://token.actions.githubusercontent.com"
MAX_KEY_BYTES: Final = 256 * 1024


@dataclass(frozen=True)
class CredentialSource:
    """What MSAL takes as `client_credential`, or why there is none.

    `for_msal` returns the credential (the one place a secret is revealed); `described` says
    which credential was used, without any part of it.
    """

    for_msal: Callable[[], Any] | None = None
    described: str = ""
    skip: str | None = None
    error: str | None = None


def secret_credential(
    client: ClientOutputs,
    outputs: StackOutputs,
    source: str,
    read_vault: Callable[[str], Secret] | None,
) -> CredentialSource:
    """The client's current secret, from the outputs or from Key Vault."""
    if source == "key-vault":
        return _vault_secret(client, read_vault)
    if outputs.secrets is None:
        return CredentialSource(
            error=f"{outputs.source}: clientSecrets is hidden ('[secret]'): save the outputs "
            "with `pulumi stack output --json --show-secrets`"
        )
    secret = outputs.secrets.get(client.key)
    if secret is None:
        return CredentialSource(
            error=f"{outputs.source}: no clientSecrets.{client.key} for this secret "
            "credential: run `pulumi up`"
        )
    return CredentialSource(for_msal=secret.reveal, described="secret from the stack outputs")


def _vault_secret(
    client: ClientOutputs, read_vault: Callable[[str], Secret] | None
) -> CredentialSource:
    if client.key_vault_secret_id is None or read_vault is None:
        return CredentialSource(
            error="no keyVaultSecretId in the outputs: set credential.keyVaultId (or "
            "secretStore.keyVaultId), or use --secret-source outputs"
        )
    try:
        secret = read_vault(client.key_vault_secret_id)
    except KeyVaultError as error:
        return CredentialSource(error=str(error))
    return CredentialSource(for_msal=secret.reveal, described="secret from Key Vault")


def vault_reader(
    http: HttpClient, token: Callable[[], Secret], vault_url: Callable[[str], str]
) -> Callable[[str], Secret]:
    """`read_vault_secret` bound to one HTTP client, token source and vault URL scheme."""
    return lambda secret_id: read_vault_secret(secret_id, http, token, vault_url)


def certificate_key_variable(key: str) -> str:
    """The environment variable that may hold the PEM private key of client `key`."""
    return "FHIR_APPS_CERTIFICATE_KEY_" + re.sub(r"[^A-Za-z0-9]", "_", key).upper()


def certificate_credential(
    key: str,
    credential: CertificateCredential,
    key_path: Path | None,
    env: Mapping[str, str],
    now: dt.datetime,
) -> CredentialSource:
    """The private key the operator points to, with the client's certificate it belongs to."""
    variable = certificate_key_variable(key)
    if key_path is not None:
        pem, where = _read_key_file(key_path), shown(str(key_path), 200)
        if isinstance(pem, CredentialSource):
            return pem
    elif env.get(variable):
        pem, where = env[variable].encode("utf-8"), variable
    else:
        return CredentialSource(
            skip=f"certificate credential: no private key given; pass --certificate-key "
            f"{key}=PATH or set {variable} (it is never stored)"
        )
    try:
        private_key = serialization.load_pem_private_key(pem, password=None)
    except TypeError:
        return CredentialSource(
            error=f"{where}: the private key is encrypted; give it unencrypted (e.g. from "
            "`openssl pkey`) in a file only you can read"
        )
    except ValueError:
        return CredentialSource(error=f"{where}: not a PEM private key")
    if not isinstance(private_key, rsa.RSAPrivateKey):
        return CredentialSource(
            error=f"{where}: not an RSA key; Entra accepts only RSA keys for certificate "
            "credentials"
        )
    certificate = _matching_certificate(private_key, pem, credential)
    if certificate is None:
        return CredentialSource(
            error=f"{where}: the private key belongs to none of the client's certificates "
            "(credential.certificateFile/certificateFiles); Entra would refuse it"
        )
    return _certificate_source(private_key, certificate, now)


def _read_key_file(path: Path) -> bytes | CredentialSource:
    where = shown(str(path), 200)
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_KEY_BYTES + 1)
    except OSError as error:
        return CredentialSource(error=f"{where}: cannot read: {error.strerror or 'error'}")
    if len(data) > MAX_KEY_BYTES:
        return CredentialSource(error=f"{where}: larger than a PEM private key can be")
    return data


def _matching_certificate(
    private_key: Any, pem: bytes, credential: CertificateCredential
) -> x509.Certificate | None:
    """The certificate (in the key's PEM, else among the config's) of the key's public key."""
    wanted = _spki(private_key.public_key())
    candidates = _certificates(pem)
    for path in credential.all_files():
        try:
            candidates += _certificates(Path(path).read_bytes())
        except OSError:
            continue  # the loader already checked these files; a race is not a match
    for certificate in candidates:
        if _spki(certificate.public_key()) == wanted:
            return certificate
    return None


def _certificates(pem: bytes) -> list[x509.Certificate]:
    try:
        return list(x509.load_pem_x509_certificates(pem))
    except ValueError:
        return []


def _spki(public_key: Any) -> bytes:
    return bytes(
        public_key.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )


def _certificate_source(
    private_key: Any, certificate: x509.Certificate, now: dt.datetime
) -> CredentialSource:
    # The SHA-1 thumbprint: how the portal and Graph name a certificate credential.
    thumbprint = certificate.fingerprint(hashes.SHA1()).hex().upper()
    ends = certificate.not_valid_after_utc
    if ends <= now:
        return CredentialSource(
            error=f"certificate {thumbprint} expired on {ends.date().isoformat()}: add a new "
            "one to credential.certificateFiles and run `pulumi up`"
        )
    key_pem = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")
    certificate_pem = certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")
    return CredentialSource(
        for_msal=lambda: {"private_key": key_pem, "public_certificate": certificate_pem},
        described=f"certificate {thumbprint}",
    )


def federated_credential(
    credential: FederatedCredential, env: Mapping[str, str], http: HttpClient
) -> CredentialSource:
    """A GitHub Actions OIDC token for the credential's audience, if its subject is trusted."""
    if credential.issuer.rstrip("/") != GITHUB_ISSUER:
        return CredentialSource(
            skip=f"federated credential from {shown(credential.issuer, 100)}: verify can "
            "present only a GitHub Actions OIDC token; run the client's own sign-in there"
        )
    url = env.get("ACTIONS_ID_TOKEN_REQUEST_URL")
    request_token = env.get("ACTIONS_ID_TOKEN_REQUEST_TOKEN")
    if not url or not request_token:
        return CredentialSource(
            skip="federated credential (GitHub Actions OIDC): checked only inside a GitHub "
            "Actions job with `permissions: id-token: write`"
        )
    audience = credential.audiences[0] if credential.audiences else "api://AzureADTokenExchange"
    token = _actions_token(url, Secret(request_token), audience, http)
    if isinstance(token, CredentialSource):
        return token
    subject = _subject(token)
    subjects = credential.all_subjects()
    if subject not in subjects:
        return CredentialSource(
            skip=f"federated credential: this job's OIDC subject {shown(subject, 120)} is not "
            f"one the client trusts ({', '.join(shown(s, 120) for s in subjects)}); verify it "
            "from a job with one of those subjects"
        )
    return CredentialSource(
        # A callable, as MSAL asks: it may need the assertion again for another request.
        for_msal=lambda: {"client_assertion": token.reveal},
        described=f"GitHub Actions OIDC token ({shown(subject, 120)})",
    )


def _actions_token(
    url: str, request_token: Secret, audience: str, http: HttpClient
) -> Secret | CredentialSource:
    joiner = "&" if "?" in url else "?"
    headers = {"Authorization": f"Bearer {request_token.reveal()}"}
    try:
        answer = http.get(f"{url}{joiner}audience={audience}", headers)
    except UnreachableError as error:
        return CredentialSource(error=f"GitHub Actions OIDC token: {error}")
    value = answer.body.get("value") if isinstance(answer.body, dict) else None
    if answer.status != 200 or not isinstance(value, str) or not value:
        return CredentialSource(
            error=f"GitHub Actions did not issue an OIDC token (HTTP {answer.status}): does "
            "the job have `permissions: id-token: write`?"
        )
    return Secret(value)


def _subject(token: Secret) -> str:
    """The `sub` claim of the job's OIDC token, to compare with the configured subjects.

    Not verified here: Entra verifies the token; this only decides whether to try.
    """
    try:
        claims = jwt.decode(token.reveal(), options={"verify_signature": False})
    except jwt.PyJWTError:
        return "(unreadable)"
    return str(claims.get("sub", "(none)"))


def secret_expiry(
    client: ClientOutputs, warn_days: int, today: dt.date
) -> tuple[Literal["ok", "fail", "warn"], str] | None:
    """The current secret's end date from the outputs, judged; None without a secret."""
    ends = client.secret_expires_on
    if client.credential_type != "secret" or ends is None:
        return None
    if ends <= today:
        return (
            "fail",
            f"secret expired on {ends.isoformat()}: run `pulumi up`, which rotates it, and give "
            "the consumers the new clientSecrets value",
        )
    left = (ends - today).days
    if warn_days and left <= warn_days:
        return (
            "warn",
            f"secret ends on {ends.isoformat()} (in {left} days): run `pulumi up` before then",
        )
    return "ok", f"ends on {ends.isoformat()} (in {left} days)"
