"""Token validation, Entra's errors in words, trusted authorities and what roles allow -- the
pieces of verify that need no server (the fake tenant covers them end to end)."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from fhir_apps.spec.model import CertificateCredential
from fhir_apps.verify import expect
from fhir_apps.verify.credentials import certificate_credential, certificate_key_variable
from fhir_apps.verify.http import Answer
from fhir_apps.verify.jwtcheck import SigningKeys, TokenError, validate_access_token
from fhir_apps.verify.runner import authority_problem
from fhir_apps.verify.tokens import explain_error

TENANT = "3f2b8c9d-1e4a-4b6c-8d7e-9f0a1b2c3d4e"
OTHER = "99999999-8888-4777-8666-555555555555"
AUTHORITY = f"https://login.microsoftonline.com/{TENANT}"
JWKS_URI = f"{AUTHORITY}/discovery/v2.0/keys"
AUDIENCE = "https://fhir.contoso.com"
CLIENT = "0c6a2b3e-4d5f-4a6b-8c7d-9e0f1a2b3c4d"
SERVER_APP = "7d1e2f3a-4b5c-4d6e-8f7a-9b0c1d2e3f4a"
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
NOW = dt.datetime.now(dt.UTC)


def _jwk(key: rsa.RSAPrivateKey, kid: str) -> dict[str, Any]:
    return {**jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key(), as_dict=True), "kid": kid}


class StubHttp:
    """The tenant's discovery document and one JWKS per fetch (the last one repeats)."""

    def __init__(self, *key_sets: list[dict[str, Any]]) -> None:
        self.key_sets = list(key_sets)
        self.fetched: list[str] = []

    def get(self, url: str, headers: dict[str, str] | None = None) -> Answer:
        self.fetched.append(url)
        if url.endswith("/.well-known/openid-configuration"):
            body = {"issuer": f"{AUTHORITY}/v2.0", "jwks_uri": JWKS_URI, "token_endpoint": "x"}
            return Answer(200, {}, body)
        keys = self.key_sets.pop(0) if len(self.key_sets) > 1 else self.key_sets[0]
        return Answer(200, {}, {"keys": keys})


def _token(key: Any = KEY, kid: str = "k1", algorithm: str = "RS256", **claims: Any) -> str:
    now = int(time.time())
    body = {
        "aud": AUDIENCE,
        "iss": f"https://sts.windows.net/{TENANT}/",
        "iat": now,
        "nbf": now,
        "exp": now + 600,
        "tid": TENANT,
        "appid": CLIENT,
        "roles": ["globalReader"],
        **claims,
    }
    return jwt.encode(body, key, algorithm=algorithm, headers={"kid": kid})


def _validate(token: str, http: StubHttp | None = None) -> Any:
    keys = SigningKeys(http or StubHttp([_jwk(KEY, "k1")]), AUTHORITY, TENANT)  # type: ignore[arg-type]
    return validate_access_token(
        token, keys, audience=AUDIENCE, client_id=CLIENT, server_client_id=SERVER_APP, now=NOW
    )


def _refused(token: str, http: StubHttp | None = None) -> str:
    with pytest.raises(TokenError) as caught:
        _validate(token, http)
    assert token not in str(caught.value)
    return str(caught.value)


def test_a_v1_and_a_v2_token_of_the_tenant_are_accepted() -> None:
    claims = _validate(_token())
    assert claims.roles == ("globalReader",)
    assert claims.audience == (AUDIENCE,)
    v2 = _validate(_token(iss=f"{AUTHORITY}/v2.0", appid=None, azp=CLIENT, scp="a b"))
    assert (v2.app_id, v2.scopes) == (CLIENT, ("a", "b"))


def test_an_issuer_of_another_tenant_is_named() -> None:
    message = _refused(_token(iss=f"https://sts.windows.net/{OTHER}/"))
    assert message == (
        f"token issuer is https://sts.windows.net/{OTHER}/, but this tenant's is "
        f"{AUTHORITY}/v2.0 or https://sts.windows.net/{TENANT}/"
    )


def test_only_rs256_is_accepted() -> None:
    assert _refused(_token(key="a-shared-secret-of-32-bytes-long!", algorithm="HS256")) == (
        "token is signed with alg HS256; Entra signs access tokens with RS256"
    )
    unsigned = jwt.encode({"aud": AUDIENCE}, None, algorithm="none")
    assert _refused(unsigned).startswith("token is signed with alg none")
    assert _refused("not-a-jwt") == "the access token is not a signed JWT"


def test_an_unknown_key_id_refetches_the_keys_once_then_refuses() -> None:
    http = StubHttp([_jwk(KEY, "k1")])
    message = _refused(_token(kid="k9"), http)
    assert message.startswith("token is signed with key k9, which this tenant does not publish")
    assert http.fetched.count(JWKS_URI) == 2


def test_a_rolled_key_is_found_on_the_refetch() -> None:
    old = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    http = StubHttp([_jwk(old, "k0")], [_jwk(old, "k0"), _jwk(KEY, "k1")])
    assert _validate(_token(kid="k1"), http).roles == ("globalReader",)
    assert http.fetched.count(JWKS_URI) == 2


def test_a_v2_audience_of_the_server_app_id_gets_a_hint() -> None:
    message = _refused(_token(aud=SERVER_APP))
    assert message.startswith(
        f"token audience is {SERVER_APP} but the server expects {AUDIENCE} (a v2 token"
    )
    assert "fhirServer.accessTokenVersion" in message


def test_a_token_issued_to_another_client_is_refused() -> None:
    assert _refused(_token(appid=SERVER_APP)) == (
        f"token was issued to client {SERVER_APP}, not to {CLIENT}"
    )


def test_a_token_from_the_future_blames_the_clock() -> None:
    later = int(time.time()) + 3600
    assert "check this machine's clock" in _refused(_token(nbf=later, iat=later))


def test_a_token_without_expiry_is_refused() -> None:
    token = jwt.encode(
        {"aud": AUDIENCE, "iss": f"https://sts.windows.net/{TENANT}/", "iat": int(time.time())},
        KEY,
        algorithm="RS256",
        headers={"kid": "k1"},
    )
    assert _refused(token) == "token lacks the claim exp"


# --- Entra's errors ---------------------------------------------------------------------------


def test_entra_errors_become_words_and_replication_ones_are_retryable() -> None:
    expired = explain_error({"error": "invalid_client", "error_codes": [7000222]})
    assert expired.error is not None and expired.error.startswith("secret expired")
    assert expired.retry_reason is None
    unknown = explain_error({"error": "unauthorized_client", "error_codes": [700016]})
    assert unknown.retry_reason is not None and "minutes to replicate" in unknown.retry_reason
    other = explain_error(
        {"error": "invalid_request", "error_codes": [50000], "error_description": "x\ny"}
    )
    assert other.error == "Entra refused the token (invalid_request AADSTS50000): x"


# --- authorities ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("authority", "hosts", "problem"),
    [
        (AUTHORITY, (), None),
        (f"https://login.microsoftonline.us/{TENANT}/", (), None),
        (f"https://127.0.0.1:8443/{TENANT}", ("127.0.0.1:8443",), None),
        (f"https://127.0.0.1:8443/{TENANT}", (), "is not on a Microsoft login host"),
        (f"https://login.evil.example/{TENANT}", (), "is not on a Microsoft login host"),
        (f"http://login.microsoftonline.com/{TENANT}", (), "is not on a Microsoft login host"),
        (f"https://login.microsoftonline.com/{OTHER}", (), "is not the authority of this"),
        (f"{AUTHORITY}?x=1", (), "is not the authority of this"),
    ],
)
def test_credentials_go_only_to_this_tenant_on_a_trusted_host(
    authority: str, hosts: tuple[str, ...], problem: str | None
) -> None:
    found = authority_problem(authority, TENANT, hosts)
    assert (found is None) if problem is None else (found is not None and problem in found)


# --- roles ------------------------------------------------------------------------------------


def test_what_roles_allow_per_kind() -> None:
    assert expect.can_read("oss", ["GlobalReader"]) and not expect.can_write(
        "oss", ["globalReader"]
    )
    assert expect.can_write("oss", ["globalAdmin"]) and not expect.can_read("oss", ["smartUser"])
    assert expect.can_read("ahds", ["FHIR Data Exporter"])
    assert not expect.can_read("ahds", ["FHIR Data Converter"])
    assert expect.can_write("azure-api-for-fhir", ["FHIR Data Contributor"])
    assert not expect.can_read("ahds", ["globalReader"])  # oss roles mean nothing to RBAC
    assert expect.missing_roles(["globalReader", "globalWriter"], ["GLOBALREADER"]) == [
        "globalWriter"
    ]


def test_a_managed_403_names_the_rbac_role_and_the_scope() -> None:
    assert expect.refused("ahds", ["FHIR Data Reader"], "/subscriptions/s/x") == (
        "role FHIR Data Reader not in effect for this client at /subscriptions/s/x (Azure "
        "RBAC; a new assignment can take minutes to apply)"
    )


# --- certificate keys -------------------------------------------------------------------------


def test_a_non_rsa_certificate_key_is_refused_with_the_reason(tmp_path: Any) -> None:
    key_file = tmp_path / "ec.pem"
    key_file.write_bytes(
        ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    credential = CertificateCredential(type="certificate", certificate_file=str(key_file))
    found = certificate_credential("job", credential, key_file, {}, NOW)
    assert found.error == (
        f"{key_file}: not an RSA key; Entra accepts only RSA keys for certificate credentials"
    )


def test_an_encrypted_or_garbled_key_is_one_line(tmp_path: Any) -> None:
    key_file = tmp_path / "locked.pem"
    key_file.write_bytes(
        KEY.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"pw"),
        )
    )
    credential = CertificateCredential(type="certificate", certificate_file=str(key_file))
    found = certificate_credential("job", credential, key_file, {}, NOW)
    assert found.error is not None and found.error.startswith(f"{key_file}: the private key is")
    variable = certificate_key_variable("care-mobile.v2")
    assert variable == "FHIR_APPS_CERTIFICATE_KEY_CARE_MOBILE_V2"
    found = certificate_credential("job", credential, None, {variable: "x"}, NOW)
    assert found.skip is not None  # the variable of another client does not count
    garbled = certificate_credential(
        "job", credential, None, {certificate_key_variable("job"): "garbage"}, NOW
    )
    assert garbled.error == "FHIR_APPS_CERTIFICATE_KEY_JOB: not a PEM private key"
