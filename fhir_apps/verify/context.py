"""What every client's checks share: the spec, the outputs, the HTTP client, the clock, and the
operator's options."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from fhir_apps.spec.model import Spec
from fhir_apps.verify.http import HttpClient
from fhir_apps.verify.jwtcheck import Claims, SigningKeys, validate_access_token
from fhir_apps.verify.model import Secret, StackOutputs
from fhir_apps.verify.retry import Clock, RetryPolicy

__all__ = ["Context", "Options"]


@dataclass(frozen=True)
class Options:
    """The operator's choices (the command line)."""

    clients: tuple[str, ...] = ()
    wait_seconds: float = 300.0
    write_check: bool = True
    secret_source: Literal["outputs", "key-vault"] = "outputs"
    certificate_keys: Mapping[str, Path] = field(default_factory=dict)
    device_code: tuple[str, ...] = ()
    authority_hosts: tuple[str, ...] = ()


@dataclass(frozen=True)
class Context:
    """One verify run. `session` is the requests Session MSAL uses; `http` wraps the same one."""

    spec: Spec
    outputs: StackOutputs
    options: Options
    session: Any
    http: HttpClient
    keys: SigningKeys
    clock: Clock
    env: Mapping[str, str]
    tell_operator: Callable[[str], None]
    read_vault: Callable[[str], Secret] | None = None

    @property
    def policy(self) -> RetryPolicy:
        return RetryPolicy(budget=self.options.wait_seconds)

    @property
    def today(self) -> dt.date:
        return self.clock.now().date()

    @property
    def fhir_url(self) -> str | None:
        return self.outputs.server.fhir_url()

    def claims_of(self, token: Secret, client_id: str) -> Claims:
        """The claims of an access token `client_id` got for this stack's FHIR server, checked
        (signature, issuer, expiry, audience, client) as the server would; raises TokenError."""
        server = self.outputs.server
        return validate_access_token(
            token.reveal(),
            self.keys,
            audience=server.audience,
            client_id=client_id,
            server_client_id=server.client_id,
            now=self.clock.now(),
        )
