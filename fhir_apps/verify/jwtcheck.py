"""An access token validated as the FHIR server validates it, with PyJWT (nothing hand-rolled).

The tenant's OpenID configuration (`<authority>/v2.0/.well-known/openid-configuration`) names its
issuer and its signing keys (`jwks_uri`). A token passes when its RS256 signature verifies
against one of those keys, its issuer is this tenant's (v2 `<authority>/v2.0`, or v1
`https://sts.windows.net/<tenant>/`, which Entra uses for `accessTokenVersion: 1`), it has not
expired, and then -- each with its own message -- when its audience is the server's, its tenant
is this one and it was issued to the client that asked for it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Final

import jwt

from fhir_apps.safeio.text import shown
from fhir_apps.verify.http import HttpClient, UnreachableError, host_of

__all__ = ["Claims", "SigningKeys", "TokenError", "validate_access_token"]

# Clock skew tolerated between this machine, Entra and the FHIR server (the OSS server's default
# ClockSkew in Microsoft.IdentityModel is 5 minutes; one minute is stricter and enough).
LEEWAY_SECONDS: Final = 60
ALGORITHM: Final = "RS256"


class TokenError(Exception):
    """The token is not what the server accepts; `str()` is one line, never the token."""


@dataclass(frozen=True)
class Claims:
    """What `verify` reads from a validated token."""

    audience: tuple[str, ...]
    issuer: str
    expires: dt.datetime
    tenant: str | None
    app_id: str | None
    roles: tuple[str, ...]
    scopes: tuple[str, ...]


class SigningKeys:
    """The tenant's issuer and signing keys, fetched once and again only for an unknown key id
    (Entra rolls its keys; a token may name one newer than the copy fetched earlier)."""

    def __init__(self, http: HttpClient, authority: str, tenant_id: str) -> None:
        self.http = http
        self.authority = authority.rstrip("/")
        self.tenant_id = tenant_id
        self._configuration: dict[str, Any] | None = None
        self._keys: jwt.PyJWKSet | None = None

    @property
    def discovery_url(self) -> str:
        return f"{self.authority}/v2.0/.well-known/openid-configuration"

    def configuration(self) -> dict[str, Any]:
        """The OpenID configuration; TokenError when it cannot be had."""
        if self._configuration is None:
            body = self._get_json(self.discovery_url, "the tenant's OpenID configuration")
            for name in ("issuer", "jwks_uri", "token_endpoint"):
                if not isinstance(body.get(name), str):
                    raise TokenError(
                        f"the OpenID configuration at {shown(host_of(self.discovery_url))} "
                        f"has no {name}: is {shown(self.authority)} an Entra authority?"
                    )
            self._configuration = body
        return self._configuration

    def issuers(self) -> frozenset[str]:
        issuer = str(self.configuration()["issuer"]).replace("{tenantid}", self.tenant_id)
        return frozenset({issuer, f"https://sts.windows.net/{self.tenant_id}/"})

    def key(self, kid: str) -> jwt.PyJWK | None:
        """The signing key `kid`, refetching the key set once when it is not in the copy."""
        for refresh in (False, True):
            if self._keys is None or refresh:
                self._keys = self._fetch_keys()
            for key in self._keys.keys:
                if key.key_id == kid:
                    return key
        return None

    def _fetch_keys(self) -> jwt.PyJWKSet:
        uri = str(self.configuration()["jwks_uri"])
        body = self._get_json(uri, "the tenant's signing keys (JWKS)")
        try:
            return jwt.PyJWKSet.from_dict(body)
        except jwt.PyJWTError:
            raise TokenError(
                f"the signing keys at {shown(host_of(uri))} hold no usable RSA key"
            ) from None

    def _get_json(self, url: str, what: str) -> dict[str, Any]:
        try:
            answer = self.http.get(url)
        except UnreachableError as error:
            raise TokenError(f"{what} cannot be read: {error}") from None
        if answer.status != 200 or not isinstance(answer.body, dict):
            problem = f"HTTP {answer.status}" if answer.status != 200 else answer.body_problem
            raise TokenError(f"{what} cannot be read from {shown(host_of(url))}: {problem}")
        return answer.body


def validate_access_token(
    token: str,
    keys: SigningKeys,
    *,
    audience: str,
    client_id: str | None,
    server_client_id: str | None,
    now: dt.datetime,
) -> Claims:
    """The token's claims when the FHIR server would accept it; TokenError otherwise."""
    key = _signing_key(token, keys)
    payload = _decode(token, key, keys, now)
    claims = _claims(payload)
    _check_audience(claims, audience, server_client_id)
    if claims.tenant is not None and claims.tenant.lower() != keys.tenant_id.lower():
        raise TokenError(
            f"token was issued by tenant {shown(claims.tenant, 60)}, not this stack's "
            f"{keys.tenant_id}"
        )
    if client_id is not None and claims.app_id is not None and claims.app_id != client_id:
        raise TokenError(
            f"token was issued to client {shown(claims.app_id, 60)}, not to {client_id}"
        )
    return claims


def _signing_key(token: str, keys: SigningKeys) -> jwt.PyJWK:
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise TokenError("the access token is not a signed JWT") from None
    algorithm = header.get("alg")
    if algorithm != ALGORITHM:
        raise TokenError(
            f"token is signed with alg {shown(algorithm, 20)}; Entra signs access tokens "
            f"with {ALGORITHM}"
        )
    kid = header.get("kid")
    if not isinstance(kid, str):
        raise TokenError("token names no signing key (kid)")
    key = keys.key(kid)
    if key is None:
        raise TokenError(
            f"token is signed with key {shown(kid, 60)}, which this tenant does not publish "
            f"({shown(host_of(str(keys.configuration()['jwks_uri'])))}): it was not issued by "
            "this tenant's authority"
        )
    return key


def _decode(token: str, key: jwt.PyJWK, keys: SigningKeys, now: dt.datetime) -> dict[str, Any]:
    issuers = keys.issuers()
    try:
        return dict(
            jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                issuer=issuers,
                leeway=LEEWAY_SECONDS,
                # The audience is compared below, so that the message can name both values.
                options={"verify_aud": False, "require": ["exp", "iat", "iss", "aud"]},
            )
        )
    except jwt.InvalidSignatureError:
        raise TokenError(
            f"token signature does not verify against the tenant's key {shown(key.key_id, 60)}:"
            " the token was altered, or not issued by this tenant's authority"
        ) from None
    except jwt.ExpiredSignatureError:
        raise TokenError(
            f"token expired at {_when(_unverified(token).get('exp'))} (this machine says "
            f"{now.strftime('%Y-%m-%dT%H:%M:%SZ')}): check this machine's clock"
        ) from None
    except jwt.ImmatureSignatureError:
        raise TokenError(
            "token is not valid yet (nbf or iat in the future): check this machine's clock"
        ) from None
    except jwt.InvalidIssuerError:
        issuer = _unverified(token).get("iss")
        raise TokenError(
            f"token issuer is {shown(issuer, 100)}, but this tenant's is "
            f"{' or '.join(sorted(issuers))}"
        ) from None
    except jwt.MissingRequiredClaimError as error:
        raise TokenError(f"token lacks the claim {shown(error.claim, 20)}") from None
    except jwt.PyJWTError as error:
        raise TokenError(f"token rejected by PyJWT ({type(error).__name__})") from None


def _unverified(token: str) -> dict[str, Any]:
    """Claims of a token whose signature already verified, to name a value in a message."""
    return dict(jwt.decode(token, options={"verify_signature": False}))


def _when(value: Any) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        moment = dt.datetime.fromtimestamp(value, dt.UTC)
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    return "an unreadable time"


def _claims(payload: dict[str, Any]) -> Claims:
    audience = payload.get("aud")
    audiences = (audience,) if isinstance(audience, str) else tuple(audience or ())
    roles = payload.get("roles")
    scopes = payload.get("scp")
    app_id = payload.get("appid") or payload.get("azp")
    return Claims(
        audience=tuple(str(a) for a in audiences),
        issuer=str(payload.get("iss")),
        expires=dt.datetime.fromtimestamp(float(payload["exp"]), dt.UTC),
        tenant=str(payload["tid"]) if payload.get("tid") is not None else None,
        app_id=str(app_id) if app_id is not None else None,
        roles=tuple(str(r) for r in roles) if isinstance(roles, list) else (),
        scopes=tuple(scopes.split()) if isinstance(scopes, str) else (),
    )


def _check_audience(claims: Claims, audience: str, server_client_id: str | None) -> None:
    if audience in claims.audience:
        return
    shown_audience = " ".join(shown(a, 100) for a in claims.audience) or "missing"
    hint = ""
    if server_client_id is not None and server_client_id in claims.audience:
        hint = (
            " (a v2 token names the app id: keep fhirServer.accessTokenVersion at 1, or make "
            "the server accept the app id)"
        )
    raise TokenError(
        f"token audience is {shown_audience} but the server expects {shown(audience, 100)}{hint}"
    )
