"""A client application's credential: rotating secrets, a certificate, or federated identities."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pulumi
import pulumi_azuread as azuread

from components.errors import StackError
from fhir_apps import rotation
from fhir_apps.certificates import PublicCertificate, read_public_certificate
from fhir_apps.ids import NAMESPACE
from fhir_apps.spec.model import (
    CertificateCredential,
    Credential,
    FederatedCredential,
    SecretCredential,
)

__all__ = [
    "ClientCredential",
    "ClientCredentialArgs",
    "CredentialContext",
    "certificate_credentials",
    "subject_slug",
]

TYPE = "fhir-apps:credentials:ClientCredential"


@dataclass(frozen=True, kw_only=True)
class CredentialContext:
    """What credentials need beyond the spec, supplied once by the program.

    today: the date secret rotation is computed from (injectable so runs are reproducible).
    max_secret_lifetime_days: the tenant policy (`policy.maxSecretLifetimeDays`).
    config_dir: the directory certificate files are relative to.
    """

    today: dt.date
    max_secret_lifetime_days: int
    config_dir: Path


@dataclass(frozen=True, kw_only=True)
class ClientCredentialArgs:
    """Inputs of ClientCredential.

    application_id: the application's resource id (`/applications/<objectId>`).
    credential: the spec's `credential` block (secret, certificate or federated).
    context: today, the secret policy and the config directory.
    import_ids: import ids of existing federated identity credentials, by subject (adoption).
    """

    application_id: pulumi.Input[str]
    credential: Credential
    context: CredentialContext
    import_ids: Mapping[str, str] = field(default_factory=dict)


class ClientCredential(pulumi.ComponentResource):
    """The credential of one confidential or service client.

    secret: two ApplicationPassword slots `<name>-secret-a` / `-b` (see fhir_apps.rotation).
    certificate: one ApplicationCertificate per certificate file: `<name>-certificate` for
        `certificateFile`, `<name>-certificate-<thumbprint>` for each of `certificateFiles`.
    federated: one ApplicationFederatedIdentityCredential `<name>-federated-<slug>` per subject;
        one adopted with an import id keeps its existing display name and description.

    Outputs:
        client_secret: the current secret's value, marked secret (secret credentials only).
        secret_expires_on: end date (YYYY-MM-DD) of the current secret (secret credentials only).
    """

    client_secret: pulumi.Output[str] | None
    secret_expires_on: str | None

    def __init__(
        self, name: str, args: ClientCredentialArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(TYPE, name, None, opts)
        self.client_secret = None
        self.secret_expires_on = None
        credential = args.credential
        if isinstance(credential, SecretCredential):
            self._create_secret_slots(name, args.application_id, credential, args.context)
        elif isinstance(credential, CertificateCredential):
            self._create_certificate(name, args.application_id, credential, args.context)
        elif isinstance(credential, FederatedCredential):
            self._create_federated(name, args.application_id, credential, args.import_ids)
        else:  # pragma: no cover - the spec's discriminated union allows nothing else
            raise TypeError(f"unknown credential type {type(credential).__name__}")
        self.register_outputs(
            {"client_secret": self.client_secret, "secret_expires_on": self.secret_expires_on}
        )

    def _create_secret_slots(
        self,
        name: str,
        application_id: pulumi.Input[str],
        credential: SecretCredential,
        context: CredentialContext,
    ) -> None:
        try:
            windows = rotation.secret_windows(
                context.today, credential.rotation_days, context.max_secret_lifetime_days
            )
        except rotation.DayOutOfRangeError as err:
            raise StackError(str(err)) from None  # names fhir-apps:today and the range
        current = rotation.current_slot(windows)
        for window in windows:
            password = azuread.ApplicationPassword(
                f"{name}-secret-{window.slot}",
                azuread.ApplicationPasswordInitArgs(
                    application_id=application_id,
                    display_name=f"slot {window.slot} {window.start.isoformat()}",
                    end_date=rotation.rfc3339(window.end),
                    # No start_date: the password is valid from its creation, which is never
                    # before the window starts; Entra need not accept a start in the past.
                    # The window in the keepers replaces this slot exactly when it rolls over.
                    rotate_when_changed=window.keepers(),
                ),
                # Create-before-delete (the default) is what we want: the other slot covers the
                # moment of replacement either way, and nothing about a password must be unique.
                opts=pulumi.ResourceOptions(parent=self),
            )
            if window is current:
                # Mocks (and older engines) do not apply additional_secret_outputs: mark it.
                self.client_secret = pulumi.Output.secret(password.value)
                self.secret_expires_on = window.end.isoformat()

    def _create_certificate(
        self,
        name: str,
        application_id: pulumi.Input[str],
        credential: CertificateCredential,
        context: CredentialContext,
    ) -> None:
        for resource_name, certificate in certificate_credentials(
            name, credential, context.config_dir
        ):
            azuread.ApplicationCertificate(
                resource_name,
                azuread.ApplicationCertificateArgs(
                    application_id=application_id,
                    value=certificate.pem,
                    encoding="pem",
                    type="AsymmetricX509Cert",
                    start_date=_rfc3339(certificate.not_before),
                    end_date=_rfc3339(certificate.not_after),
                    # Stable per certificate, so a re-run never adds the same certificate twice
                    # and a new certificate is added before the old one is removed.
                    key_id=str(uuid.uuid5(NAMESPACE, f"certificate\n{certificate.sha256}")),
                ),
                # Never protected, also in a protected environment: removing the old
                # certificate at the end of a rollover is a normal change.
                opts=pulumi.ResourceOptions(parent=self),
            )

    def _create_federated(
        self,
        name: str,
        application_id: pulumi.Input[str],
        credential: FederatedCredential,
        import_ids: Mapping[str, str],
    ) -> None:
        for subject in credential.all_subjects():
            slug = subject_slug(subject)
            import_id = import_ids.get(subject)
            # The config does not carry an adopted credential's name and description, and the
            # name cannot change without a replacement (the engine imports and then updates in
            # one run since Pulumi 3.174.0): an imported one keeps both as they are.
            ignored = ["display_name", "description"] if import_id is not None else None
            azuread.ApplicationFederatedIdentityCredential(
                f"{name}-federated-{slug}",
                azuread.ApplicationFederatedIdentityCredentialArgs(
                    application_id=application_id,
                    display_name=slug,
                    description=f"{credential.issuer} {subject}",
                    issuer=credential.issuer,
                    subject=subject,
                    audiences=sorted(set(credential.audiences)),
                ),
                opts=pulumi.ResourceOptions(parent=self, import_=import_id, ignore_changes=ignored),
            )


def certificate_credentials(
    name: str, credential: CertificateCredential, config_dir: Path
) -> list[tuple[str, PublicCertificate]]:
    """(resource name, certificate) of each certificate file of a credential, in file order.

    `certificateFile` keeps the name a single certificate always had, `<name>-certificate`, so
    no deployed stack re-creates its certificate; each file of `certificateFiles` is named after
    its certificate, `<name>-certificate-<first 12 hex of the SHA-256 thumbprint>`, which stays
    the same whatever the file is called, wherever it sits in the list and whatever is added or
    removed beside it: old and new overlap during a rollover, and removing the old one later
    deletes exactly that credential.
    """
    named: list[tuple[str, PublicCertificate]] = []
    if credential.certificate_file is not None:
        certificate = read_public_certificate(config_dir / credential.certificate_file)
        named.append((f"{name}-certificate", certificate))
    for file in credential.certificate_files:
        certificate = read_public_certificate(config_dir / file)
        named.append((f"{name}-certificate-{certificate.sha256[:12]}", certificate))
    return named


def subject_slug(subject: str) -> str:
    """A stable, readable name for a federated subject: `[a-z0-9-]`, at most 64 characters.

    Different subjects can read alike once punctuation is gone (`a:b` and `a/b`), so a short
    hash of the exact subject keeps every slug distinct; the slug never depends on list order.
    """
    readable = re.sub(r"[^a-z0-9]+", "-", subject.lower()).strip("-")[:55].rstrip("-")
    digest = hashlib.sha256(subject.encode("utf-8")).hexdigest()[:8]
    return f"{readable}-{digest}" if readable else digest


def _rfc3339(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
