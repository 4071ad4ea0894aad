"""A client's credential in the config, from the credentials its app has in Entra.

Federated identity credentials carry over (issuer and subjects); a certificate does when its
public PEM is in the config directory (Graph never returns the key); otherwise the config plans
the two-slot rotating secret. Passwords can never be imported: they are reported, with what
happens to them, and so is every credential the config does not carry.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from fhir_apps.adopt.unmanaged import Add
from fhir_apps.fhir_constants import FEDERATED_AUDIENCE

__all__ = ["credential", "describe_key", "describe_secret", "left_alone"]

App = dict[str, Any]


def credential(app: App, key: str, config_dir: Path | None, add: Add) -> dict[str, Any]:
    federated_credentials = app.get("federatedIdentityCredentials") or []
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
                f"'{credential.get('name')}' ({other}) is not in the config (one issuer per "
                f"client; {issuer} is kept): it is left as it is",
            )
    chosen = by_issuer[issuer]
    audiences = sorted({a for c in chosen for a in c.get("audiences") or []})
    if len(audiences) != 1:
        add(
            app,
            "federatedIdentityCredentials",
            f"audiences {', '.join(audiences) or '(none)'}: the config takes exactly one; "
            f"adoption uses {FEDERATED_AUDIENCE}",
        )
        audiences = [FEDERATED_AUDIENCE]
    for credential in chosen:
        add(
            app,
            "federatedIdentityCredentials",
            f"'{credential.get('name')}' ({credential.get('subject')}) is in the config, "
            "but credentials have no import id there and Entra refuses a second credential "
            "with the same issuer and subject: before the first `pulumi up`, import it "
            "(pulumi import azuread:index/applicationFederatedIdentityCredential:"
            f"ApplicationFederatedIdentityCredential {key}-credential-federated-<slug> "
            f"{app['id']}/federatedIdentityCredential/{credential.get('id')}, names as "
            "`render` shows them) or delete it and let `pulumi up` recreate it",
        )
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


def describe_secret(secret: dict[str, Any]) -> str:
    name = f" '{secret['displayName']}'" if secret.get("displayName") else ""
    return (
        f"client secret{name} (keyId {secret.get('keyId')}, hint {secret.get('hint')}, expires "
        f"{_date(secret.get('endDateTime'))})"
    )


def describe_key(cert: dict[str, Any]) -> str:
    name = f" '{cert['displayName']}'" if cert.get("displayName") else ""
    return (
        f"certificate{name} (keyId {cert.get('keyId')}, thumbprint "
        f"{cert.get('customKeyIdentifier')}, expires {_date(cert.get('endDateTime'))})"
    )
