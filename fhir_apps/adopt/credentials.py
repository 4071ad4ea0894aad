"""A client's credential in the config, from the credentials its app has in Entra.

Federated identity credentials carry over (issuer and subjects, and their import ids); a
certificate does when its public PEM is in the config directory (Graph never returns the key);
otherwise the config plans the two-slot rotating secret. Passwords can never be imported: they
are reported, with what happens to them, and so is every credential the config does not carry.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from fhir_apps.adopt.findings import Add
from fhir_apps.adopt.importids import federated_credential_import_id
from fhir_apps.fhir_constants import FEDERATED_AUDIENCE
from fhir_apps.safeio.text import shown

__all__ = ["credential", "describe_key", "describe_secret", "federated_import_ids", "left_alone"]

App = dict[str, Any]


def credential(app: App, key: str, config_dir: Path | None, add: Add) -> dict[str, Any]:
    federated_credentials = []
    for credential_ in app.get("federatedIdentityCredentials") or []:
        subject = credential_.get("subject")
        if isinstance(subject, str) and subject.strip():
            federated_credentials.append(credential_)
        else:
            # A flexible credential (claimsMatchingExpression) or a malformed export: the
            # config names credentials by subject, so there is nothing to carry over.
            add(
                app,
                "federatedIdentityCredentials",
                f"{_label(credential_)} has no subject (a flexible federated credential, or a "
                "malformed export): it is not in the config and is left as it is",
            )
    if federated_credentials:
        return federated(app, key, federated_credentials, add)
    certificate_file = f"certs/{key}.pem"
    has_file = config_dir is not None and (config_dir / certificate_file).is_file()
    for cert in app.get("keyCredentials") or []:
        if has_file:
            message = (
                f"{describe_key(cert)}: the config uses {certificate_file}; Graph never "
                "returns a key, so check that the file holds this certificate"
            )
        else:
            message = (
                f"{describe_key(cert)} cannot be read from Graph (it never returns the "
                f"key): save its public certificate (PEM) as {certificate_file} in the "
                "config directory and run adopt again to use it; until then the config "
                "plans secrets and the certificate is left as it is"
            )
        add(app, "keyCredentials", message)
    passwords(app, key, add)
    if has_file:
        return {"type": "certificate", "certificateFile": certificate_file}
    if not app.get("passwordCredentials") and not app.get("keyCredentials"):
        add(
            app,
            "passwordCredentials",
            "the app has no credential; the config plans two rotating secrets (credential "
            f"type secret): the current one is the stack output clientSecrets.{key}",
        )
    return {"type": "secret"}


def passwords(app: App, key: str, add: Add) -> None:
    for secret in app.get("passwordCredentials") or []:
        add(
            app,
            "passwordCredentials",
            f"{describe_secret(secret)} cannot be imported (no one can read a secret's "
            "value back): the config plans two new rotating secrets (credential type "
            f"secret; the current one is the stack output clientSecrets.{key}). The "
            "existing secret is not deleted and keeps working until it expires: move the "
            "app to the new secret before then, then delete the old one",
        )


def federated(
    app: App, key: str, credentials: Sequence[dict[str, Any]], add: Add
) -> dict[str, Any]:
    by_issuer: dict[str, list[dict[str, Any]]] = {}
    for credential in credentials:
        by_issuer.setdefault(str(credential.get("issuer")), []).append(credential)
    # One issuer per client in the config: keep the one with the most subjects.
    issuer = max(sorted(by_issuer), key=lambda i: len(by_issuer[i]))
    for other in sorted(set(by_issuer) - {issuer}):
        for credential in by_issuer[other]:
            add(
                app,
                "federatedIdentityCredentials",
                f"{_label(credential)} ({shown(other)}) is not in the config (one issuer per "
                f"client; {shown(issuer)} is kept): it is left as it is",
            )
    chosen = by_issuer[issuer]
    audiences = sorted({a for c in chosen for a in c.get("audiences") or []})
    if len(audiences) != 1:
        add(
            app,
            "federatedIdentityCredentials",
            f"audiences {', '.join(shown(a) for a in audiences) or '(none)'}: the config takes "
            f"exactly one, and adoption uses {FEDERATED_AUDIENCE}: the first `pulumi up` sets "
            "the audiences of each of these credentials to it (tokens issued for the other "
            "audiences stop being accepted)",
            change=True,
        )
        audiences = [FEDERATED_AUDIENCE]
    for cert in app.get("keyCredentials") or []:
        add(
            app,
            "keyCredentials",
            f"{describe_key(cert)} is left as it is and keeps working until it expires: "
            "the config's credential is the federated one",
        )
    for secret in app.get("passwordCredentials") or []:
        add(
            app,
            "passwordCredentials",
            f"{describe_secret(secret)} is left as it is and keeps working until it "
            "expires: the config's credential is the federated one; delete it when unused",
        )
    block: dict[str, Any] = {
        "type": "federated",
        "issuer": issuer,
        "subjects": sorted({str(c.get("subject")) for c in chosen}),
    }
    if audiences != [FEDERATED_AUDIENCE]:
        block["audiences"] = audiences
    return block


def federated_import_ids(app: App, block: dict[str, Any], add: Add) -> dict[str, str]:
    """`{subject: import id}` of the existing credentials a federated `block` carries over.

    Entra refuses a second credential with the same issuer and subject, so each one the config
    names is imported; one without an id in the export cannot be, and is reported.
    """
    if block.get("type") != "federated":
        return {}
    ids: dict[str, str] = {}
    for credential in app.get("federatedIdentityCredentials") or []:
        subject = credential.get("subject")
        if credential.get("issuer") != block["issuer"] or subject not in block["subjects"]:
            continue
        credential_id = credential.get("id")
        if not isinstance(credential_id, str) or not credential_id:
            add(
                app,
                "federatedIdentityCredentials",
                f"{_label(credential)} ({shown(subject)}) has no id in the export, "
                "so it cannot be imported: the first `pulumi up` creates it again and stops "
                "when Entra refuses a second credential with the same issuer and subject; export "
                "it with its id (az ad app federated-credential list) and run adopt again",
                change=True,
            )
            continue
        ids[str(subject)] = federated_credential_import_id(app["id"], credential_id)
    return dict(sorted(ids.items()))


def left_alone(app: App, why: str, add: Add) -> None:
    for secret in app.get("passwordCredentials") or []:
        add(
            app,
            "passwordCredentials",
            f"{describe_secret(secret)}: {why}; fhir-apps does not delete it and it keeps "
            "working until it expires: delete it in the portal",
        )
    for cert in app.get("keyCredentials") or []:
        add(
            app,
            "keyCredentials",
            f"{describe_key(cert)}: {why}; it is left as it is until it expires",
        )


# -- consent, assignments, owners, ids ---------------------------------------------------


def _date(value: Any) -> str:
    return str(value)[:10] if value else "never"


def _label(credential: dict[str, Any]) -> str:
    """A federated credential as a finding names it: its name, else its id, else "unnamed"."""
    name = credential.get("name") or credential.get("id")
    return f"'{shown(name)}'" if name else "an unnamed credential"


def _optional(label: str, value: Any) -> str:
    """`, <label> <value>` for a value Graph has, nothing for its null (never "None")."""
    return f", {label} {shown(value)}" if value not in (None, "") else ""


def describe_secret(secret: dict[str, Any]) -> str:
    name = f" '{shown(secret['displayName'])}'" if secret.get("displayName") else ""
    return (
        f"client secret{name} (keyId {shown(secret.get('keyId'))}"
        f"{_optional('hint', secret.get('hint'))}, expires "
        f"{_date(secret.get('endDateTime'))})"
    )


def describe_key(cert: dict[str, Any]) -> str:
    name = f" '{shown(cert['displayName'])}'" if cert.get("displayName") else ""
    return (
        f"certificate{name} (keyId {shown(cert.get('keyId'))}"
        f"{_optional('thumbprint', cert.get('customKeyIdentifier'))}, expires "
        f"{_date(cert.get('endDateTime'))})"
    )
