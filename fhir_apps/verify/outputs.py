"""The deployed stack's outputs: a saved `pulumi stack output --json --show-secrets` file (the
tested path) or, without one, the Automation API (which needs the Pulumi CLI).

The outputs are untrusted input: the file is read within a size and depth budget, each value is
checked for its type, and a problem is one line naming the source and the key path. The
authority and the FHIR URL must be https; the secrets become `Secret`s at once.
"""

from __future__ import annotations

import datetime as dt
import shutil
import uuid
from pathlib import Path
from typing import Any, Final, NoReturn

from fhir_apps.resource_types import SECRET
from fhir_apps.safeio.jsonfile import JsonFileError, read_json
from fhir_apps.safeio.text import shown
from fhir_apps.verify.model import ClientOutputs, Secret, ServerOutputs, StackOutputs

__all__ = ["HIDDEN", "OutputsError", "parse_outputs", "read_outputs_file", "read_stack_outputs"]

# What `pulumi stack output --json` prints for a secret without --show-secrets.
# How `pulumi stack output --json` shows a secret output without --show-secrets: the same
# marker a render records.
HIDDEN: Final = SECRET
# The four outputs are a few kB per client; a thousand clients stay far below this.
MAX_OUTPUTS_BYTES: Final = 16 * 1024 * 1024
_SAVE_HINT = "save them with `pulumi stack output --stack {stack} --json --show-secrets > FILE`"


class OutputsError(ValueError):
    """The outputs cannot be used; `str()` is one line naming the source, the key and the fix."""


def read_outputs_file(path: Path, stack: str) -> StackOutputs:
    """The outputs saved in `path` (`pulumi stack output --json --show-secrets`)."""
    try:
        data = read_json(path, max_bytes=MAX_OUTPUTS_BYTES, what="stack outputs JSON")
    except JsonFileError as error:
        raise OutputsError(f"{error}; {_SAVE_HINT.format(stack=shown(stack, 60))}") from None
    return parse_outputs(data, shown(str(path), 400), stack)


def read_stack_outputs(stack: str, work_dir: Path) -> StackOutputs:
    """The outputs of `stack` through the Automation API (`pulumi stack output` underneath)."""
    if shutil.which("pulumi") is None:
        raise OutputsError(
            "the pulumi CLI is not on PATH, so the stack outputs cannot be read; "
            + _SAVE_HINT.format(stack=shown(stack, 60))
            + " and pass --outputs FILE"
        )
    from pulumi import automation as auto  # only on this path: the CLI is there

    try:
        selected = auto.select_stack(stack_name=stack, work_dir=str(work_dir))
        values = {name: output.value for name, output in selected.outputs().items()}
    except auto.errors.CommandError as error:
        last = (getattr(error, "stderr", "") or "").strip().splitlines()[-1:] or ["no message"]
        raise OutputsError(
            f"stack {shown(stack, 60)}: pulumi could not read its outputs "
            f"({shown(last[0], 200)}); check PULUMI_BACKEND_URL and the sign-in, or pass "
            "--outputs FILE"
        ) from None
    return parse_outputs(values, f"stack {shown(stack, 60)} outputs", stack)


def parse_outputs(data: Any, source: str, stack: str) -> StackOutputs:
    """Check the shape of the four outputs (components/stack.py) and type them."""
    reader = _Reader(source, stack)
    top = reader.mapping(data, "")
    tenant_id = reader.guid(top.get("tenantId"), "tenantId")
    server = _server(reader, reader.mapping(top.get("server"), "server"))
    clients_data = reader.mapping(top.get("clients"), "clients")
    clients = {
        str(key): _client(reader, str(key), reader.mapping(value, f"clients.{key}"))
        for key, value in sorted(clients_data.items())
    }
    return StackOutputs(
        source=source,
        tenant_id=tenant_id,
        server=server,
        clients=clients,
        secrets=_secrets(reader, top.get("clientSecrets")),
    )


def _server(reader: _Reader, data: dict[str, Any]) -> ServerOutputs:
    return ServerOutputs(
        kind=reader.choice(data.get("kind"), "server.kind", ("oss", "ahds", "azure-api-for-fhir")),
        audience=reader.text(data.get("audience"), "server.audience"),
        authority=reader.https(data.get("authority"), "server.authority"),
        client_id=reader.optional_text(data.get("clientId"), "server.clientId"),
        url=reader.optional_https(data.get("url"), "server.url"),
        resource_id=reader.optional_text(data.get("resourceId"), "server.resourceId"),
    )


def _client(reader: _Reader, key: str, data: dict[str, Any]) -> ClientOutputs:
    at = f"clients.{key}"
    return ClientOutputs(
        key=key,
        kind=reader.choice(data.get("kind"), f"{at}.kind", ("confidential", "public", "service")),
        client_id=reader.text(data.get("clientId"), f"{at}.clientId"),
        authority=reader.https(data.get("authority"), f"{at}.authority"),
        scope=reader.text(data.get("scope"), f"{at}.scope"),
        redirect_uris=reader.texts(data.get("redirectUris"), f"{at}.redirectUris"),
        credential_type=reader.optional_text(data.get("credentialType"), f"{at}.credentialType"),
        token_endpoint=reader.optional_https(data.get("tokenEndpoint"), f"{at}.tokenEndpoint"),
        secret_expires_on=reader.optional_date(
            data.get("secretExpiresOn"), f"{at}.secretExpiresOn"
        ),
        key_vault_secret_id=reader.optional_text(
            data.get("keyVaultSecretId"), f"{at}.keyVaultSecretId"
        ),
    )


def _secrets(reader: _Reader, data: Any) -> dict[str, Secret] | None:
    if data is None:
        return {}
    if data == HIDDEN:
        return None  # the file was saved without --show-secrets; said per client that needs one
    mapping = reader.mapping(data, "clientSecrets")
    secrets: dict[str, Secret] = {}
    for key, value in mapping.items():
        if value == HIDDEN:
            return None
        if not isinstance(value, str) or not value:
            # Never quote the value: it is (or should have been) a secret.
            reader.fail(f"clientSecrets.{key}", "must be the secret's text")
        secrets[str(key)] = Secret(value)
    return secrets


class _Reader:
    """Typed reads of one outputs document; each problem names `source` and the key path."""

    def __init__(self, source: str, stack: str) -> None:
        self.source = source
        self.stack = stack

    def fail(self, path: str, problem: str) -> NoReturn:
        where = f"{self.source}: {shown(path, 200)}" if path else self.source
        raise OutputsError(
            f"{where}: {problem}; are these the outputs of stack {shown(self.stack, 60)}? "
            + _SAVE_HINT.format(stack=shown(self.stack, 60))
        )

    def mapping(self, value: Any, path: str) -> dict[str, Any]:
        if value is None:
            self.fail(path, "missing")
        if not isinstance(value, dict):
            self.fail(path, f"must be an object, not {type(value).__name__}")
        return value

    def text(self, value: Any, path: str) -> str:
        if value is None:
            self.fail(path, "missing")
        if not isinstance(value, str) or not value.strip():
            self.fail(path, "must be a non-empty string")
        return str(value)

    def optional_text(self, value: Any, path: str) -> str | None:
        return None if value is None else self.text(value, path)

    def texts(self, value: Any, path: str) -> tuple[str, ...]:
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            self.fail(path, "must be a list of strings")
        return tuple(value)

    def choice(self, value: Any, path: str, allowed: tuple[str, ...]) -> str:
        text = self.text(value, path)
        if text not in allowed:
            self.fail(path, f"is '{shown(text, 60)}', not one of {', '.join(allowed)}")
        return text

    def guid(self, value: Any, path: str) -> str:
        text = self.text(value, path)
        try:
            return str(uuid.UUID(text))
        except ValueError:
            self.fail(path, f"is '{shown(text, 60)}', not a tenant GUID")

    def https(self, value: Any, path: str) -> str:
        text = self.text(value, path)
        if not text.lower().startswith("https://") or len(text) <= len("https://"):
            self.fail(path, f"is '{shown(text, 120)}', not an https URL")
        return text

    def optional_https(self, value: Any, path: str) -> str | None:
        return None if value is None else self.https(value, path)

    def optional_date(self, value: Any, path: str) -> dt.date | None:
        if value is None:
            return None
        text = self.text(value, path)
        try:
            return dt.date.fromisoformat(text[:10])
        except ValueError:
            self.fail(path, f"is '{shown(text, 40)}', not a date YYYY-MM-DD")
