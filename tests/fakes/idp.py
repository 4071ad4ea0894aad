"""A fake Entra tenant: OIDC discovery, JWKS, the v2.0 token endpoint (client credentials with a
secret, a certificate assertion or a federated token; the device-code grant), a GitHub Actions
OIDC endpoint and a Key Vault secret.

Each registered client can be told to misbehave the way a real tenant (or a broken deployment)
does: the wrong audience, no roles (for the first N tokens or always), a signature by a key the
tenant does not publish, an expired token, an expired secret.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import jwt
import trustme
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.fakes.https import HttpsServer, Request, Response

KID = "fake-signing-key"
GITHUB_ISSUER = "https://token.actions.githubusercontent.com"
EXCHANGE_AUDIENCE = "api://AzureADTokenExchange"
GITHUB_REQUEST_TOKEN = "gh-request-token-0d2c9b"
VAULT_TOKEN = "vault-access-token-51c0"


def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass
class FakeClient:
    """A registration in the fake tenant and how its tokens come out."""

    client_id: str
    secret: str | None = None
    certificate_pem: bytes | None = None
    subjects: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()
    audience: str | None = None  # issue this aud instead of the requested resource
    roles_missing_for: int = 0  # the first N tokens carry no roles (replication)
    rogue_signature: bool = False  # signed by a key the tenant does not publish, same kid
    expired: bool = False
    secret_expired: bool = False
    issued: int = 0


@dataclass
class FakeIdp:
    ca: trustme.CA
    tenant_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    clients: dict[str, FakeClient] = field(default_factory=dict)
    vault_secrets: dict[str, str] = field(default_factory=dict)
    github_subject: str = "repo:contoso/fhir-apps:environment:fake"
    issued_tokens: list[str] = field(default_factory=list)
    device_scopes: dict[str, str] = field(default_factory=dict)  # device code -> scope asked

    def __post_init__(self) -> None:
        self.key = rsa_key()
        self.rogue_key = rsa_key()
        self.github_key = rsa_key()
        self.server = HttpsServer(self.ca, self.handle)

    # --- addresses -----------------------------------------------------------------------------

    @property
    def authority(self) -> str:
        return f"{self.server.url}/{self.tenant_id}"

    @property
    def host(self) -> str:
        return self.server.url.removeprefix("https://")

    @property
    def token_endpoint(self) -> str:
        return f"{self.authority}/oauth2/v2.0/token"

    @property
    def issuer_v1(self) -> str:
        return f"https://sts.windows.net/{self.tenant_id}/"

    def github_request_url(self) -> str:
        return f"{self.server.url}/github/token?api-version=2.0"

    def vault_url(self, vault: str) -> str:
        return f"{self.server.url}/vault/{vault}"

    def jwks(self) -> dict[str, Any]:
        public = jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
        return {"keys": [{**public, "kid": KID, "use": "sig", "alg": "RS256"}]}

    def add(self, client: FakeClient) -> FakeClient:
        self.clients[client.client_id] = client
        return client

    # --- requests ------------------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        prefix = f"/{self.tenant_id}"
        path = request.path
        if path == f"{prefix}/v2.0/.well-known/openid-configuration":
            return Response(200, self._discovery())
        if path == f"{prefix}/discovery/v2.0/keys":
            return Response(200, self.jwks())
        if path == f"{prefix}/oauth2/v2.0/token" and request.method == "POST":
            return self._token(request.form())
        if path == f"{prefix}/oauth2/v2.0/devicecode" and request.method == "POST":
            return self._device_code(request.form())
        if path == "/github/token":
            return self._github(request)
        if path.startswith("/vault/"):
            return self._vault(request)
        return Response(404, {"error": "not_found"})

    def _discovery(self) -> dict[str, Any]:
        base = self.authority
        return {
            "issuer": f"{base}/v2.0",
            "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
            "token_endpoint": self.token_endpoint,
            "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
            "jwks_uri": f"{base}/discovery/v2.0/keys",
            "response_types_supported": ["code", "id_token", "code id_token"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
        }

    def _token(self, form: dict[str, str]) -> Response:
        grant = form.get("grant_type")
        if grant == "urn:ietf:params:oauth:grant-type:device_code":
            return self._device_token(form)
        client = self.clients.get(form.get("client_id", ""))
        if client is None:
            return _error(400, "unauthorized_client", 700016, "Application not found")
        refused = self._authenticate(client, form)
        if refused is not None:
            return refused
        scope = form.get("scope", "")
        if not scope.endswith("/.default"):
            return _error(400, "invalid_scope", 1002012, "The provided value for scope is invalid")
        resource = scope.removesuffix("/.default")
        claims: dict[str, Any] = {"appid": client.client_id}
        client.issued += 1
        if client.roles and client.issued > client.roles_missing_for:
            claims["roles"] = list(client.roles)
        return self._issue(client, resource, claims)

    def _authenticate(self, client: FakeClient, form: dict[str, str]) -> Response | None:
        if "client_secret" in form:
            if client.secret_expired:
                return _error(
                    401, "invalid_client", 7000222, "The provided client secret keys are expired"
                )
            if form["client_secret"] != client.secret:
                return _error(401, "invalid_client", 7000215, "Invalid client secret provided")
            return None
        assertion = form.get("client_assertion")
        if not assertion:
            return _error(401, "invalid_client", 7000216, "client_assertion is required")
        if client.subjects:
            return self._federated(client, assertion)
        return self._certificate(client, assertion)

    def _certificate(self, client: FakeClient, assertion: str) -> Response | None:
        if client.certificate_pem is None:
            return _error(401, "invalid_client", 700027, "No certificate registered")
        public = x509.load_pem_x509_certificate(client.certificate_pem).public_key()
        try:
            jwt.decode(
                assertion,
                public,  # type: ignore[arg-type]
                algorithms=["PS256", "RS256"],
                audience=self.token_endpoint,
                issuer=client.client_id,
            )
        except jwt.PyJWTError:
            return _error(401, "invalid_client", 700027, "Client assertion failed signature")
        return None

    def _federated(self, client: FakeClient, assertion: str) -> Response | None:
        try:
            claims = jwt.decode(
                assertion,
                self.github_key.public_key(),
                algorithms=["RS256"],
                audience=EXCHANGE_AUDIENCE,
                issuer=GITHUB_ISSUER,
            )
        except jwt.PyJWTError:
            return _error(401, "invalid_client", 700024, "Client assertion is not valid")
        if claims.get("sub") not in client.subjects:
            return _error(400, "invalid_request", 70021, "No matching federated identity record")
        return None

    def _issue(self, client: FakeClient, resource: str, extra: dict[str, Any]) -> Response:
        now = int(time.time())
        lifetime = -3600 if client.expired else 3600
        claims = {
            "aud": client.audience or resource,
            "iss": self.issuer_v1,
            "iat": now - 5 if not client.expired else now - 7200,
            "nbf": now - 5 if not client.expired else now - 7200,
            "exp": now + lifetime,
            "tid": self.tenant_id,
            "ver": "1.0",
            **extra,
        }
        key = self.rogue_key if client.rogue_signature else self.key
        token = jwt.encode(claims, key, algorithm="RS256", headers={"kid": KID})
        self.issued_tokens.append(token)
        return Response(
            200,
            {
                "token_type": "Bearer",
                "expires_in": 3599,
                "ext_expires_in": 3599,
                "access_token": token,
            },
        )

    def _device_code(self, form: dict[str, str]) -> Response:
        if form.get("client_id") not in self.clients:
            return _error(400, "unauthorized_client", 700016, "Application not found")
        device_code = f"device-{form['client_id']}"
        self.device_scopes[device_code] = form.get("scope", "")
        return Response(
            200,
            {
                "device_code": device_code,
                "user_code": "FAKE-CODE",
                "verification_uri": "https://microsoft.com/devicelogin",
                "expires_in": 900,
                "interval": 1,
                "message": "To sign in, open https://microsoft.com/devicelogin and enter FAKE-CODE",
            },
        )

    def _device_token(self, form: dict[str, str]) -> Response:
        """The operator has already signed in: the first poll gets the token."""
        device_code = form.get("device_code", "")
        client = self.clients.get(device_code.removeprefix("device-"))
        if client is None or device_code not in self.device_scopes:
            return _error(400, "invalid_grant", 70000, "Unknown device code")
        # Resource scopes only (`<audience>/<value>`); MSAL adds openid, profile, offline_access.
        requested = [s for s in self.device_scopes[device_code].split() if "/" in s]
        resource = requested[0].rsplit("/", 1)[0] if requested else ""
        scopes = " ".join(s.rsplit("/", 1)[1] for s in requested)
        return self._issue(client, resource, {"appid": client.client_id, "scp": scopes})

    def _github(self, request: Request) -> Response:
        if request.bearer() != GITHUB_REQUEST_TOKEN:
            return Response(401, {"message": "bad request token"})
        now = int(time.time())
        claims = {
            "iss": GITHUB_ISSUER,
            "aud": request.query.get("audience", ""),
            "sub": self.github_subject,
            "iat": now,
            "nbf": now,
            "exp": now + 300,
        }
        return Response(200, {"value": jwt.encode(claims, self.github_key, algorithm="RS256")})

    def _vault(self, request: Request) -> Response:
        if request.bearer() != VAULT_TOKEN:
            return Response(401, {"error": {"code": "Unauthorized"}})
        name = request.path.rsplit("/", 1)[-1]
        if name not in self.vault_secrets:
            return Response(404, {"error": {"code": "SecretNotFound"}})
        return Response(200, {"value": self.vault_secrets[name], "id": request.path})


def _error(status: int, error: str, code: int, text: str) -> Response:
    return Response(
        status,
        {
            "error": error,
            "error_description": f"AADSTS{code}: {text}. Trace ID: 0000 Timestamp: now",
            "error_codes": [code],
        },
    )
