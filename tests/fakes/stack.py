"""A "deployed" stack on the fakes: its config directory, its saved outputs (as `pulumi stack
output --json --show-secrets` writes them) and the fake tenant's registrations to match."""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import trustme
import yaml

from tests.fakes.fhir import FakeFhir
from tests.fakes.idp import FakeClient, FakeIdp

STACK = "fake"


@dataclass
class ClientDef:
    """One client: its YAML, how the fake tenant treats it, and output overrides."""

    config: dict[str, Any]
    fake: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)


@dataclass
class Deployed:
    config_dir: Path
    outputs_file: Path
    outputs: dict[str, Any]
    idp: FakeIdp
    fhir_url: str
    client_ids: dict[str, str]
    secrets: dict[str, str]
    key_files: dict[str, Path]

    def args(self, *extra: str) -> list[str]:
        """`verify` arguments for this stack (the fake IdP's host trusted)."""
        return [
            "verify",
            "--stack",
            STACK,
            "--environment",
            STACK,
            "--config-dir",
            str(self.config_dir),
            "--outputs",
            str(self.outputs_file),
            "--authority-host",
            self.idp.host,
            *extra,
        ]


@dataclass
class Servers:
    ca: trustme.CA
    ca_file: Path
    idp: FakeIdp
    fhir: FakeFhir


def start_servers(workdir: Path) -> Iterator[Servers]:
    """The fake tenant and FHIR server, started once for a test module."""
    ca = trustme.CA()
    ca_file = workdir / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    idp = FakeIdp(ca)
    fhir = FakeFhir(ca, idp)
    idp.server.start()
    fhir.server.start()
    try:
        yield Servers(ca, ca_file, idp, fhir)
    finally:
        fhir.server.stop()
        idp.server.stop()


def deploy(
    workdir: Path,
    servers: Servers,
    clients: dict[str, ClientDef],
    *,
    fhir_url: str | None = None,
) -> Deployed:
    """Write the config and the outputs for `clients`, and register them in the fake tenant."""
    idp = servers.idp
    url = fhir_url or servers.fhir.url
    config_dir = workdir / "config"
    (config_dir / "environments").mkdir(parents=True)
    (config_dir / "certs").mkdir()
    client_ids: dict[str, str] = {}
    client_secrets: dict[str, str] = {}
    key_files: dict[str, Path] = {}
    outputs_clients: dict[str, Any] = {}
    for key, definition in clients.items():
        client_id = str(uuid.uuid4())
        client_ids[key] = client_id
        credential = definition.config.get("credential") or {}
        fake = FakeClient(client_id, **definition.fake)
        if credential.get("type") == "secret":
            client_secrets[key] = f"fake-secret-{key}-{secrets.token_hex(8)}"
            fake.secret = client_secrets[key]
        if credential.get("type") == "certificate":
            # Entra takes RSA certificates only (trustme's default is ECDSA).
            leaf = servers.ca.issue_cert(f"{key}.fhir-apps.test", key_type=trustme.KeyType.RSA)
            cert_pem = leaf.cert_chain_pems[0].bytes()
            (config_dir / "certs" / f"{key}.pem").write_bytes(cert_pem)
            key_files[key] = workdir / f"{key}-key.pem"
            key_files[key].write_bytes(leaf.private_key_pem.bytes())
            fake.certificate_pem = cert_pem
        if credential.get("type") == "federated":
            fake.subjects = tuple(credential.get("subjects", ()))
        idp.add(fake)
        outputs_clients[key] = _client_outputs(key, definition, client_id, idp, url)
    (config_dir / "base.yaml").write_text(yaml.safe_dump(_base(idp, url)), encoding="utf-8")
    environment = {"clients": {key: d.config for key, d in clients.items()}}
    (config_dir / "environments" / f"{STACK}.yaml").write_text(
        yaml.safe_dump(environment), encoding="utf-8"
    )
    outputs = {
        "tenantId": idp.tenant_id,
        "server": {
            "kind": "oss",
            "audience": url,
            "authority": idp.authority,
            "clientId": str(uuid.uuid4()),
            "servicePrincipalObjectId": str(uuid.uuid4()),
            "scopeIds": {},
            "roleIds": {},
        },
        "clients": outputs_clients,
        "clientSecrets": client_secrets,
    }
    outputs_file = workdir / "outputs.json"
    outputs_file.write_text(json.dumps(outputs, indent=2), encoding="utf-8")
    return Deployed(
        config_dir, outputs_file, outputs, idp, url, client_ids, client_secrets, key_files
    )


def _base(idp: FakeIdp, url: str) -> dict[str, Any]:
    return {
        "tenant": {"id": idp.tenant_id, "verifiedDomains": ["127.0.0.1"]},
        "fhirServer": {
            "kind": "oss",
            "url": url,
            "appRoles": ["globalReader", "globalWriter"],
            "scopes": ["user_impersonation", "patient.all.read"],
        },
    }


def _client_outputs(
    key: str, definition: ClientDef, client_id: str, idp: FakeIdp, url: str
) -> dict[str, Any]:
    config = definition.config
    credential = config.get("credential") or {}
    if config["kind"] == "service":
        scope = f"{url}/.default"
    else:
        scope = " ".join(f"{url}/{value}" for value in sorted(config.get("scopes", [])))
    outputs: dict[str, Any] = {
        "kind": config["kind"],
        "clientId": client_id,
        "tenantId": idp.tenant_id,
        "authority": idp.authority,
        "tokenEndpoint": idp.token_endpoint,
        "scope": scope,
        "redirectUris": sorted(config.get("redirectUris", [])),
        "credentialType": credential.get("type"),
    }
    if credential.get("type") == "secret":
        outputs["secretExpiresOn"] = "2099-01-01"
    outputs.update(definition.outputs)
    return outputs
