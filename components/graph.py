"""Microsoft Graph calls of the dynamic providers, made as the identity `pulumi up` deploys with.

The azuread provider has no resource for a directory extension property or for a user's
extension value, so two dynamic providers (`components.extension_property`) call Graph
themselves. They sign in exactly like the azuread provider: its `ARM_*` variables (or the stack's
`azuread:*` settings), else the Azure CLI (`deployer_credential`), through azure-identity.

`GraphClient` is small on purpose: JSON in and out, retries on throttling (429) and on a
service that is briefly unavailable (503, 504), honouring `Retry-After` as Graph's throttling
guidance asks, and one-line errors that name the request and Graph's error code. The base URL,
the credential, the TLS trust and the sleep are injectable so that tests drive it against a fake
Graph server on the loopback interface. Tokens are never logged and never part of an error.
"""

from __future__ import annotations

import email.utils
import os
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Protocol

from fhir_apps.fhir_constants import FEDERATED_AUDIENCE
from fhir_apps.safeio.text import shown

if TYPE_CHECKING:
    import requests

__all__ = [
    "ARM_SCOPE",
    "ARM_URL",
    "GRAPH_SCOPE",
    "GRAPH_URL",
    "GraphClient",
    "GraphError",
    "Reply",
    "TokenCredential",
    "credential_settings",
    "deployer_credential",
]

GRAPH_URL: Final = "https://graph.microsoft.com/v1.0"
GRAPH_SCOPE: Final = "https://graph.microsoft.com/.default"
# Azure Resource Manager, for the FHIR service's authentication settings (same identity).
ARM_URL: Final = "https://management.azure.com"
ARM_SCOPE: Final = "https://management.azure.com/.default"
# Throttled, or briefly unavailable: Graph asks clients to wait (Retry-After) and try again.
RETRY_STATUSES: Final = frozenset({429, 503, 504})
MAX_ATTEMPTS: Final = 5
# A Retry-After longer than this is cut to it: a deployment should fail, not hang for an hour.
MAX_WAIT_SECONDS: Final = 60.0
TIMEOUT_SECONDS: Final = 30.0
# How much of Graph's own error message goes into ours (it may quote the request).
_MESSAGE_LIMIT: Final = 300


class TokenCredential(Protocol):
    """What azure-identity's credentials offer (azure.core.credentials.TokenCredential)."""

    def get_token(self, *scopes: str, **kwargs: Any) -> Any: ...


class GraphError(Exception):
    """A Graph request that failed for good: one line with the method, the path, the status and
    Graph's error code and message (escaped and shortened), never a token or a header."""

    def __init__(self, method: str, path: str, status: int | None, code: str, message: str):
        self.method = method
        self.path = path
        self.status = status
        self.code = code
        where = f"Microsoft Graph {method} {shown(path, 200)}"
        what = f"{status} {shown(code, 80)}" if status is not None else shown(code, 80)
        super().__init__(f"{where}: {what}: {shown(message, _MESSAGE_LIMIT)}")


@dataclass(frozen=True)
class Reply:
    """A Graph answer: the status, the JSON body (`{}` when there is none) and the ETag."""

    status: int
    body: dict[str, Any]
    etag: str | None = None

    def error_message(self) -> str:
        """Graph's `error.message`, or '' when the body has none."""
        error = self.body.get("error")
        return str(error.get("message", "")) if isinstance(error, dict) else ""


class GraphClient:
    """JSON requests to Microsoft Graph (or another Microsoft API: `base_url` and `scope`).

    credential: gives the bearer token (`get_token(scope).token`), fetched for each request
        (azure-identity caches it).
    verify: requests' TLS setting: True (the system's trust), or a CA bundle path (tests).
    sleep: how to wait before a retry (tests pass a recorder).
    """

    def __init__(
        self,
        credential: TokenCredential,
        *,
        base_url: str = GRAPH_URL,
        scope: str = GRAPH_SCOPE,
        verify: bool | str = True,
        sleep: Callable[[float], None] = time.sleep,
        max_attempts: int = MAX_ATTEMPTS,
        max_wait: float = MAX_WAIT_SECONDS,
        timeout: float = TIMEOUT_SECONDS,
    ) -> None:
        if not base_url.startswith("https://"):
            # A bearer token for the directory must never travel in clear text.
            raise ValueError(f"the Graph base URL must be https, got {shown(base_url)}")
        self.base_url = base_url.rstrip("/")
        self.scope = scope
        self._credential = credential
        self._verify = verify
        self._sleep = sleep
        self._max_attempts = max_attempts
        self._max_wait = max_wait
        self._timeout = timeout

    def call(
        self,
        method: str,
        path: str,
        body: Mapping[str, Any] | None = None,
        *,
        allow: Collection[int] = (),
        headers: Mapping[str, str] | None = None,
    ) -> Reply:
        """Send `method path` with a JSON `body` (and extra `headers`, e.g. If-Match); return the
        reply of a 2xx status or of one in `allow` (e.g. 404 where "gone" is an answer); raise
        GraphError for any other, after retrying throttled and unavailable answers up to
        `max_attempts` times in all."""
        for attempt in range(1, self._max_attempts + 1):
            reply = self._send(method, path, body, headers or {})
            if reply.status < 300 or reply.status in allow:
                return reply
            if reply.status not in RETRY_STATUSES or attempt == self._max_attempts:
                break
            self._sleep(self._wait(reply, attempt))
        code, message = _error(reply.body)
        if reply.status in RETRY_STATUSES:
            message = f"{message} (still {reply.status} after {self._max_attempts} attempts)"
        raise GraphError(method, path, reply.status, code, message)

    def _send(
        self,
        method: str,
        path: str,
        body: Mapping[str, Any] | None,
        headers: Mapping[str, str],
    ) -> _Answer:
        import requests  # here, not at start-up: only `pulumi up` of a SMART stack calls Graph

        token = self._credential.get_token(self.scope).token
        try:
            response = requests.request(
                method,
                f"{self.base_url}{path}",
                json=dict(body) if body is not None else None,
                headers={
                    **headers,
                    "Authorization": f"Bearer {token}",
                    "Accept": "application/json",
                },
                verify=self._verify,
                timeout=self._timeout,
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            # The exception text never holds the headers; its class says what went wrong.
            raise GraphError(method, path, None, type(exc).__name__, "no answer") from None
        return _Answer(
            response.status_code,
            _json(response),
            etag=response.headers.get("ETag"),
            retry_after=response.headers.get("Retry-After"),
        )

    def _wait(self, reply: _Answer, attempt: int) -> float:
        """Seconds before the next attempt: Retry-After (seconds or an HTTP date), else an
        exponential backoff; never more than `max_wait`."""
        wait = _retry_after(reply.retry_after)
        if wait is None:
            wait = float(2 ** (attempt - 1))
        return max(0.0, min(wait, self._max_wait))


@dataclass(frozen=True)
class _Answer(Reply):
    retry_after: str | None = None


def _json(response: requests.Response) -> dict[str, Any]:
    if not response.content:
        return {}
    try:
        data = response.json()
    except ValueError:
        return {"error": {"code": "notJson", "message": response.text[:_MESSAGE_LIMIT]}}
    return data if isinstance(data, dict) else {"value": data}


def _error(body: Mapping[str, Any]) -> tuple[str, str]:
    error = body.get("error")
    if isinstance(error, dict):
        return str(error.get("code", "unknown")), str(error.get("message", ""))
    return "unknown", ""


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return when.timestamp() - time.time()


# --- the deploying identity -------------------------------------------------------------------


@dataclass(frozen=True)
class CredentialSettings:
    """How the deploying identity signs in, as the azuread provider reads it (no secret here:
    a secret is read from the environment only when the credential is made)."""

    kind: str  # secret | certificate | oidc | msi | cli
    tenant_id: str | None
    client_id: str | None


def _setting(env: Mapping[str, str], config: Mapping[str, Any], variable: str, key: str) -> str:
    value = env.get(variable) or config.get(f"azuread:{key}") or ""
    return str(value).strip()


def _flag(env: Mapping[str, str], config: Mapping[str, Any], variable: str, key: str) -> bool:
    return _setting(env, config, variable, key).lower() in ("1", "true", "yes")


def credential_settings(
    env: Mapping[str, str] | None = None, config: Mapping[str, Any] | None = None
) -> CredentialSettings:
    """Which sign-in the azuread provider would use with these `ARM_*` variables and `azuread:*`
    settings: a client secret, a client certificate, OIDC (workload identity federation, e.g.
    GitHub Actions), a managed identity, or else the Azure CLI's signed-in account."""
    env = os.environ if env is None else env
    config = config or {}
    tenant = _setting(env, config, "ARM_TENANT_ID", "tenantId") or None
    client = _setting(env, config, "ARM_CLIENT_ID", "clientId") or None
    if _flag(env, config, "ARM_USE_OIDC", "useOidc") and client:
        kind = "oidc"
    elif _flag(env, config, "ARM_USE_MSI", "useMsi"):
        kind = "msi"
    elif client and _setting(env, config, "ARM_CLIENT_SECRET", "clientSecret"):
        kind = "secret"
    elif client and _setting(env, config, "ARM_CLIENT_CERTIFICATE_PATH", "clientCertificatePath"):
        kind = "certificate"
    else:
        kind = "cli"
    return CredentialSettings(kind=kind, tenant_id=tenant, client_id=client)


def deployer_credential(
    env: Mapping[str, str] | None = None, config: Mapping[str, Any] | None = None
) -> TokenCredential:
    """The azure-identity credential of the deploying identity (`credential_settings`)."""
    from azure import identity  # imported when a provider first calls Graph, not at render

    env = os.environ if env is None else env
    config = config or {}
    settings = credential_settings(env, config)
    tenant, client = settings.tenant_id, settings.client_id
    if settings.kind == "oidc" and tenant and client:
        return identity.ClientAssertionCredential(tenant, client, lambda: _oidc_token(env, config))
    if settings.kind == "msi":
        return identity.ManagedIdentityCredential(client_id=client)
    if settings.kind == "secret" and tenant and client:
        secret = _setting(env, config, "ARM_CLIENT_SECRET", "clientSecret")
        return identity.ClientSecretCredential(tenant, client, secret)
    if settings.kind == "certificate" and tenant and client:
        return identity.CertificateCredential(
            tenant,
            client,
            certificate_path=_setting(
                env, config, "ARM_CLIENT_CERTIFICATE_PATH", "clientCertificatePath"
            ),
            password=_setting(
                env, config, "ARM_CLIENT_CERTIFICATE_PASSWORD", "clientCertificatePassword"
            )
            or None,
        )
    return identity.AzureCliCredential(tenant_id=tenant or "")  # "": the CLI's own tenant


def _oidc_token(env: Mapping[str, str], config: Mapping[str, Any]) -> str:
    """The workload's OIDC token, where the azuread provider looks for it: ARM_OIDC_TOKEN,
    ARM_OIDC_TOKEN_FILE_PATH, or GitHub Actions' token endpoint (ACTIONS_ID_TOKEN_REQUEST_*,
    or ARM_OIDC_REQUEST_*) with the audience Entra exchanges."""
    token = _setting(env, config, "ARM_OIDC_TOKEN", "oidcToken")
    if token:
        return token
    path = _setting(env, config, "ARM_OIDC_TOKEN_FILE_PATH", "oidcTokenFilePath")
    if path:
        with open(path, encoding="utf-8") as handle:
            return handle.read().strip()
    url = env.get("ARM_OIDC_REQUEST_URL") or env.get("ACTIONS_ID_TOKEN_REQUEST_URL")
    bearer = env.get("ARM_OIDC_REQUEST_TOKEN") or env.get("ACTIONS_ID_TOKEN_REQUEST_TOKEN")
    if not url or not bearer:
        raise GraphError(
            "POST",
            "/oauth2/v2.0/token",
            None,
            "noOidcToken",
            "ARM_USE_OIDC is set but no OIDC token was found: set ARM_OIDC_TOKEN, or run in "
            "GitHub Actions with permissions id-token: write",
        )
    import requests

    response = requests.get(
        url,
        params={"audience": FEDERATED_AUDIENCE},
        headers={"Authorization": f"Bearer {bearer}"},
        timeout=TIMEOUT_SECONDS,
    )
    response.raise_for_status()
    return str(response.json()["value"])
