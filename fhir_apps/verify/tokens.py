"""Tokens from Entra with MSAL: client credentials for service clients, the device-code flow for
a public client run by an operator, and the authorize URL (with PKCE) for a manual sign-in.

Each MSAL application gets a fresh token cache: a retry after "role not yet in the token" must
ask Entra again, not reuse the token it is waiting to replace. Entra's errors are turned into
words by their AADSTS code; the replication delays among them are marked retryable.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

import msal
import requests

from fhir_apps.safeio.text import shown
from fhir_apps.verify.http import describe_network_error
from fhir_apps.verify.model import ClientOutputs, Secret

__all__ = [
    "TokenResult",
    "acquire_for_client",
    "authorize_url",
    "device_code_token",
    "explain_error",
]


@dataclass(frozen=True)
class TokenResult:
    """A token, or one line saying why not (and whether waiting may help)."""

    token: Secret | None = None
    error: str | None = None
    retry_reason: str | None = None
    code: int | None = None  # Entra's AADSTS code, when it gave one


# AADSTS code -> (retryable while Entra replicates, the words for a platform engineer).
_REPLICATING = "a fresh registration, credential or assignment can take minutes to replicate"
_ERRORS: Final[dict[int, tuple[bool, str]]] = {
    7000222: (
        False,
        "secret expired (Entra AADSTS7000222): run `pulumi up`, which rotates it, and give the "
        "consumers the new clientSecrets value",
    ),
    7000215: (
        True,
        "Entra rejects the secret (AADSTS7000215): it is not a current secret of the client; "
        "re-read clientSecrets after the last `pulumi up`",
    ),
    700016: (
        True,
        "Entra does not know this client id in the tenant (AADSTS700016): was the stack "
        "deployed to this tenant?",
    ),
    500011: (
        True,
        "the FHIR server's identifier URI is not registered in this tenant (AADSTS500011): "
        "check server.audience and the tenant",
    ),
    501051: (
        True,
        "the client holds no app role of the FHIR server, which requires one (AADSTS501051): "
        "check the client's roles and that `pulumi up` assigned them",
    ),
    70021: (
        True,
        "no federated credential of the client matches this OIDC token's issuer, subject and "
        "audience (AADSTS70021): check credential.issuer and credential.subjects",
    ),
    700027: (
        False,
        "Entra rejects the certificate assertion (AADSTS700027): the private key does not "
        "belong to a certificate registered for the client",
    ),
    700024: (
        False,
        "the client assertion is expired or not yet valid (AADSTS700024): check this "
        "machine's clock, or get a fresh OIDC token",
    ),
    7000112: (False, "the client application is disabled in the tenant (AADSTS7000112)"),
    90002: (False, "the tenant does not exist (AADSTS90002): check tenantId in the outputs"),
    70011: (False, "Entra rejects the requested scope (AADSTS70011): check the client's scope"),
    1002012: (False, "Entra rejects the requested scope (AADSTS1002012): check the scope"),
}


def explain_error(result: dict[str, Any]) -> TokenResult:
    """An MSAL error result in words; retryable for the replication delays."""
    codes = [c for c in result.get("error_codes") or () if isinstance(c, int)]
    for code in codes:
        if code in _ERRORS:
            retryable, words = _ERRORS[code]
            return TokenResult(
                error=words,
                retry_reason=f"{words} ({_REPLICATING})" if retryable else None,
                code=code,
            )
    error = shown(result.get("error") or "error", 60)
    description = str(result.get("error_description") or "").strip().splitlines()[:1]
    detail = f": {shown(description[0], 200)}" if description else ""
    aadsts = f" AADSTS{codes[0]}" if codes else ""
    return TokenResult(
        error=f"Entra refused the token ({error}{aadsts}){detail}",
        code=codes[0] if codes else None,
    )


def _app_error(error: Exception, authority: str) -> TokenResult:
    """An exception from MSAL (network, or an answer that is not OAuth) in words."""
    if isinstance(error, requests.exceptions.RequestException):
        return TokenResult(
            error=f"token service unreachable: {describe_network_error(error, authority)}"
        )
    return TokenResult(
        error=f"the authority {shown(authority, 120)} did not answer as Entra does (its OpenID "
        "configuration or token endpoint): check the tenant id and the authority in the outputs"
    )


def acquire_for_client(client: ClientOutputs, credential: Any, session: Any) -> TokenResult:
    """Client credentials for `client.scope` (`<audience>/.default`) with `credential`, in
    MSAL's `client_credential` form (a secret, a certificate dict, a client assertion)."""
    try:
        app = msal.ConfidentialClientApplication(
            client.client_id,
            client_credential=credential,
            authority=client.authority,
            http_client=session,
            # The authority is checked against Microsoft's login hosts before this (or named
            # by --authority-host); MSAL's own instance discovery would only repeat that.
            instance_discovery=False,
            token_cache=msal.TokenCache(),
        )
        result = app.acquire_token_for_client(scopes=[client.scope])
    except (requests.exceptions.RequestException, ValueError, KeyError) as error:
        return _app_error(error, client.authority)
    return _result(result)


def _result(result: Any) -> TokenResult:
    if isinstance(result, dict) and isinstance(result.get("access_token"), str):
        return TokenResult(token=Secret(result["access_token"]))
    if isinstance(result, dict):
        return explain_error(result)
    return TokenResult(error="MSAL returned no token and no error")


def _public_app(client: ClientOutputs, session: Any) -> Any:
    return msal.PublicClientApplication(
        client.client_id,
        authority=client.authority,
        http_client=session,
        instance_discovery=False,
        token_cache=msal.TokenCache(),
    )


def device_code_token(
    client: ClientOutputs, session: Any, tell_operator: Callable[[str], None]
) -> TokenResult:
    """The device-code flow: the operator signs in elsewhere with the code shown to them."""
    try:
        app = _public_app(client, session)
        flow = app.initiate_device_flow(scopes=client.scope.split())
        if "user_code" not in flow:
            return explain_error(flow)
        tell_operator(shown(flow.get("message") or "", 400))
        return _result(app.acquire_token_by_device_flow(flow))
    except (requests.exceptions.RequestException, ValueError, KeyError) as error:
        return _app_error(error, client.authority)


def authorize_url(client: ClientOutputs, session: Any, redirect_uri: str) -> str | TokenResult:
    """The authorize URL, with a PKCE challenge, for a manual sign-in as `client`.

    verify never redeems the code (that needs the person and, for a web app, its secret); the
    URL shows that Entra knows the client, the redirect URI and the scopes. The PKCE verifier is
    discarded with the flow.
    """
    try:
        app = _public_app(client, session)
        with warnings.catch_warnings():
            # MSAL recommends form_post for apps that redeem the code; this URL is not redeemed.
            warnings.simplefilter("ignore")
            flow = app.initiate_auth_code_flow(
                scopes=client.scope.split(), redirect_uri=redirect_uri, prompt="select_account"
            )
    except (requests.exceptions.RequestException, ValueError, KeyError) as error:
        return _app_error(error, client.authority)
    return str(flow["auth_uri"])
