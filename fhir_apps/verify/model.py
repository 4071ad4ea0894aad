"""The deployed stack, as `verify` reads it from the stack outputs (see components/stack.py)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import NoReturn

__all__ = ["ClientOutputs", "Secret", "ServerOutputs", "StackOutputs"]


class Secret:
    """A credential that must never be shown: its text, repr and format are `***`.

    The value is read only by `reveal()`, at the one place it is handed to MSAL or sent as a
    header, so an f-string, a log record or an exception that quotes it cannot leak it.
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret(***)"

    def __str__(self) -> str:
        return "***"

    def __format__(self, spec: str) -> str:
        return "***"

    def __reduce__(self) -> NoReturn:
        raise TypeError("a Secret is not pickled")


@dataclass(frozen=True)
class ServerOutputs:
    """`server`: the FHIR resource app as deployed."""

    kind: str
    audience: str
    authority: str
    client_id: str | None = None
    url: str | None = None
    resource_id: str | None = None

    def fhir_url(self) -> str | None:
        """Where the FHIR API answers: `url` when exported, else the audience when it is an
        https URL (oss, and managed services without SMART: the audience is the service URL)."""
        if self.url:
            return self.url.rstrip("/")
        if self.audience.lower().startswith("https://"):
            return self.audience.rstrip("/")
        return None


@dataclass(frozen=True)
class ClientOutputs:
    """`clients.<key>`: what MSAL needs for one client, as deployed."""

    key: str
    kind: str
    client_id: str
    authority: str
    scope: str
    redirect_uris: tuple[str, ...] = ()
    credential_type: str | None = None
    token_endpoint: str | None = None
    secret_expires_on: dt.date | None = None
    key_vault_secret_id: str | None = None


@dataclass(frozen=True)
class StackOutputs:
    """All four outputs. `secrets` is None when the file hides them (`[secret]`)."""

    source: str
    tenant_id: str
    server: ServerOutputs
    clients: dict[str, ClientOutputs] = field(default_factory=dict)
    secrets: dict[str, Secret] | None = None
