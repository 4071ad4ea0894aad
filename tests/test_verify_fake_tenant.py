"""`verify` end to end against a fake tenant and a fake FHIR server on 127.0.0.1 over HTTPS.

The real MSAL, requests and PyJWT code runs: discovery, client credentials (secret, certificate,
federated), the device-code flow, JWKS, token validation and the FHIR calls. The servers start
once for the module; each test resets what it relies on. The retry clock is a fake that records
its sleeps, so backoff and Retry-After are asserted without waiting.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from fhir_apps.cli import main
from fhir_apps.commands import verify as verify_command
from fhir_apps.verify.context import Options
from fhir_apps.verify.model import Secret
from fhir_apps.verify.report import Report
from tests.fakes.clock import FakeClock
from tests.fakes.https import Response
from tests.fakes.idp import GITHUB_REQUEST_TOKEN, VAULT_TOKEN
from tests.fakes.stack import ClientDef, Deployed, Servers, deploy, start_servers

SECRET = {"type": "secret"}
READER = {"kind": "service", "roles": ["globalReader"], "credential": SECRET}
READS = {"roles": ("globalReader",)}
FED_SUBJECT = "repo:contoso/fhir-apps:environment:fake"
VAULT_SECRET_ID = (
    "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/"
    "Microsoft.KeyVault/vaults/kv-fake/secrets/vaulted-client-secret"
)

CLIENTS = {
    "reader": ClientDef(READER, READS),
    "writer": ClientDef(
        {"kind": "service", "roles": ["globalWriter"], "credential": SECRET},
        {"roles": ("globalWriter",)},
    ),
    "wrong-aud": ClientDef(READER, {**READS, "audience": "api://fhir-wrong"}),
    "no-role": ClientDef(READER, {"roles": ()}),
    "late-role": ClientDef(READER, {**READS, "roles_missing_for": 2}),
    "bad-sig": ClientDef(READER, {**READS, "rogue_signature": True}),
    "expired": ClientDef(READER, {**READS, "expired": True}),
    "refused": ClientDef(READER, READS),
    "forbidden-once": ClientDef(READER, READS),
    "throttled": ClientDef(READER, READS),
    "old-secret": ClientDef(READER, {**READS, "secret_expired": True}),
    "outdated": ClientDef(READER, READS, {"secretExpiresOn": "2020-01-01"}),
    "vaulted": ClientDef(READER, READS, {"keyVaultSecretId": VAULT_SECRET_ID}),
    "cert-job": ClientDef(
        {
            "kind": "service",
            "roles": ["globalReader"],
            "credential": {"type": "certificate", "certificateFile": "certs/cert-job.pem"},
        },
        READS,
    ),
    "fed-job": ClientDef(
        {
            "kind": "service",
            "roles": ["globalReader"],
            "credential": {
                "type": "federated",
                "issuer": "https://token.actions.githubusercontent.com",
                "subjects": [FED_SUBJECT],
            },
        },
        READS,
    ),
    "web": ClientDef(
        {
            "kind": "confidential",
            "redirectUris": [
                "https://web.contoso.test/signin-oidc",
                "http://localhost:5000/signin-oidc",
            ],
            "scopes": ["user_impersonation"],
            "credential": SECRET,
        }
    ),
    "spa": ClientDef(
        {
            "kind": "public",
            "platform": "spa",
            "redirectUris": ["http://localhost:3000/"],
            "scopes": ["patient.all.read"],
        }
    ),
    "mobile": ClientDef(
        {
            "kind": "public",
            "platform": "mobile",
            "fallbackPublicClient": True,
            "redirectUris": ["msauth.com.contoso.fake://auth"],
            "scopes": ["user_impersonation"],
        }
    ),
}


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    yield from start_servers(tmp_path_factory.mktemp("fakes"))


@pytest.fixture(scope="module")
def deployed(servers: Servers, tmp_path_factory: pytest.TempPathFactory) -> Deployed:
    return deploy(tmp_path_factory.mktemp("stack"), servers, CLIENTS)


@pytest.fixture
def clock(servers: Servers, deployed: Deployed, monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    """A fresh fake clock, the CA trusted, no Actions variables, the fakes' scripts reset."""
    fake = FakeClock()
    monkeypatch.setattr(verify_command, "CLOCK", fake)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(servers.ca_file))
    for name in ("ACTIONS_ID_TOKEN_REQUEST_URL", "ACTIONS_ID_TOKEN_REQUEST_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    for key, variable in (("cert-job", "FHIR_APPS_CERTIFICATE_KEY_CERT_JOB"),):
        monkeypatch.delenv(variable, raising=False)
        assert key in deployed.client_ids
    for client in servers.idp.clients.values():
        client.issued = 0
    ids = deployed.client_ids
    fhir = servers.fhir
    fhir.authority = None
    fhir.calls.clear()
    fhir.always = {ids["refused"]: Response(401, None, _challenge("IDX10214 audience"))}
    fhir.script = {
        ids["forbidden-once"]: [Response(403, {"resourceType": "OperationOutcome"})],
        ids["throttled"]: [Response(429, None, {"Retry-After": "7"})],
    }
    servers.idp.github_subject = FED_SUBJECT
    servers.idp.vault_secrets = {"vaulted-client-secret": deployed.secrets["vaulted"]}
    return fake


def _challenge(why: str) -> dict[str, str]:
    return {"WWW-Authenticate": f'Bearer error="invalid_token", error_description="{why}"'}


def _run(
    deployed: Deployed, capsys: pytest.CaptureFixture[str], *extra: str
) -> tuple[int, str, str]:
    code = main(deployed.args(*extra))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _failures(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("verify: ")]


def _token_requests(servers: Servers, client_id: str) -> int:
    return sum(
        1
        for request in servers.idp.server.requests
        if request.path.endswith("/oauth2/v2.0/token")
        and request.form().get("client_id") == client_id
    )


# --- service clients: success -------------------------------------------------------------------


def test_a_reader_gets_a_valid_token_and_reads(
    deployed: Deployed, servers: Servers, clock: FakeClock, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(deployed, capsys, "--client", "reader")
    assert code == 0, out + err
    assert "  reader (service, secret)" in out
    assert "ok    token: secret from the stack outputs; signature, issuer and expiry valid" in out
    assert f"ok    audience: {deployed.fhir_url}" in out
    assert "ok    roles: globalReader" in out
    assert "ok    read: GET /Patient?_count=1 → 200" in out
    assert "ok    metadata: GET /metadata → 200; its OAuth endpoints are this tenant's" in out
    assert out.rstrip().endswith("OK: 1 client(s): 1 ok, 0 failed, 0 skipped")
    assert _failures(err) == []
    assert ("GET", "/Patient", deployed.client_ids["reader"]) in servers.fhir.calls
    assert clock.sleeps == []


def test_a_writer_is_probed_with_validate_which_a_flag_skips(
    deployed: Deployed, servers: Servers, clock: FakeClock, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _run(deployed, capsys, "--client", "writer")
    assert code == 0
    assert "ok    validate: POST /Patient/$validate → 200" in out
    writer = deployed.client_ids["writer"]
    assert ("POST", "/Patient/$validate", writer) in servers.fhir.calls

    servers.fhir.calls.clear()
    code, out, _ = _run(deployed, capsys, "--client", "writer", "--no-validate")
    assert code == 0
    assert "skip  validate: the writer probe is off (--no-validate)" in out
    assert ("POST", "/Patient/$validate", writer) not in servers.fhir.calls


# --- service clients: the token is wrong ---------------------------------------------------------


def test_a_wrong_audience_names_both_audiences_and_never_calls_fhir(
    deployed: Deployed, servers: Servers, clock: FakeClock, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _run(deployed, capsys, "--client", "wrong-aud")
    assert code == 1
    assert _failures(err) == [
        f"verify: wrong-aud: token audience is api://fhir-wrong but the server expects "
        f"{deployed.fhir_url}"
    ]
    assert all(client != deployed.client_ids["wrong-aud"] for _, _, client in servers.fhir.calls)


def test_a_missing_role_is_named_and_not_retried_with_no_wait(
    deployed: Deployed, clock: FakeClock, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _run(deployed, capsys, "--client", "no-role", "--wait", "0")
    assert code == 1
    (line,) = _failures(err)
    assert line.startswith(
        "verify: no-role: role globalReader not in the token (it has no roles): check that "
        "`pulumi up` assigned it"
    )
    assert clock.sleeps == []


def test_a_missing_role_is_retried_with_backoff_up_to_the_bound(
    deployed: Deployed, servers: Servers, clock: FakeClock, capsys: pytest.CaptureFixture[str]
) -> None:
    before = _token_requests(servers, deployed.client_ids["no-role"])
    code, out, err = _run(deployed, capsys, "--client", "no-role", "--wait", "60")
    assert code == 1
    assert clock.sleeps == [5, 10, 20]  # the next, 40 s, would pass the 60 s bound
    assert _token_requests(servers, deployed.client_ids["no-role"]) - before == 4
    assert "still so after 35 s of retries" in _failures(err)[0]
    assert "wait  gave up after waiting up to 60 s (--wait)" in out


def test_a_role_that_reaches_the_token_late_passes_after_retries(
    deployed: Deployed, clock: FakeClock, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(deployed, capsys, "--client", "late-role")
    assert code == 0, out + err
    assert clock.sleeps == [5, 10]
    assert (
        "    wait  waited 5 s: role globalReader not yet in the token (a fresh role assignment "
        "can take minutes to reach tokens)\n"
        "    wait  waited 10 s: role globalReader not yet in the token"
    ) in out
    assert "ok    roles: globalReader" in out


def test_a_signature_by_another_key_is_refused(
    deployed: Deployed, servers: Servers, clock: FakeClock, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _run(deployed, capsys, "--client", "bad-sig")
    assert code == 1
    (line,) = _failures(err)
    assert line.startswith(
        "verify: bad-sig: token signature does not verify against the tenant's key fake-signing-key"
    )
    assert all(client != deployed.client_ids["bad-sig"] for _, _, client in servers.fhir.calls)


def test_an_expired_token_is_refused(
    deployed: Deployed, clock: FakeClock, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _run(deployed, capsys, "--client", "expired")
    assert code == 1
    (line,) = _failures(err)
    assert re.match(
        r"verify: expired: token expired at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(this machine says "
        r".*\): check this machine's clock$",
        line,
    ), line


# --- service clients: the FHIR server answers ------------------------------------------------


def test_a_401_from_fhir_is_reported_with_the_server_s_reason_and_not_retried(
    deployed: Deployed, servers: Servers, clock: FakeClock, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _run(deployed, capsys, "--client", "refused")
    assert code == 1
    assert _failures(err) == [
        "verify: refused: 401 from FHIR on GET /Patient?_count=1: the server refused the token "
        "(IDX10214 audience); its audience or authority setting differs from this stack's "
        "server.audience and tenant"
    ]
    refused = deployed.client_ids["refused"]
    assert [c for c in servers.fhir.calls if c[2] == refused] == [("GET", "/Patient", refused)]
    assert clock.sleeps == []


def test_a_403_then_200_passes_after_one_retry_and_says_so(
    deployed: Deployed, clock: FakeClock, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(deployed, capsys, "--client", "forbidden-once")
    assert code == 0, out + err
    assert clock.sleeps == [5]
    assert "wait  waited 5 s: 403 from FHIR on GET /Patient?_count=1: the server grants" in out
    assert "ok    read: GET /Patient?_count=1 → 200" in out


def test_a_429_is_retried_after_exactly_its_retry_after(
    deployed: Deployed, clock: FakeClock, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(deployed, capsys, "--client", "throttled")
    assert code == 0, out + err
    assert clock.sleeps == [7]
    assert "wait  waited 7 s (Retry-After): 429 from FHIR on GET /Patient?_count=1" in out


def test_a_retry_after_beyond_the_bound_fails_without_waiting(
    deployed: Deployed, clock: FakeClock, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _run(deployed, capsys, "--client", "throttled", "--wait", "5")
    assert code == 1
    assert clock.sleeps == []
    (line,) = _failures(err)
    assert line.startswith("verify: throttled: 429 from FHIR on GET /Patient?_count=1")
    assert "still so after 0 s of retries" in line


def test_an_unreachable_fhir_server_is_one_line_per_check(
    servers: Servers,
    clock: FakeClock,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    closed = _closed_port_url()
    elsewhere = deploy(tmp_path, servers, {"reader": ClientDef(READER, READS)}, fhir_url=closed)
    code, _, err = _run(elsewhere, capsys)
    assert code == 1
    host = closed.removeprefix("https://")
    assert _failures(err) == [
        f"verify: server: FHIR server unreachable: cannot connect to {host} (refused, "
        "unresolvable or unreachable)",
        f"verify: reader: FHIR server unreachable: cannot connect to {host} (refused, "
        "unresolvable or unreachable)",
    ]


def _closed_port_url() -> str:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"https://127.0.0.1:{port}"


# --- secrets -------------------------------------------------------------------------------------


def test_a_secret_entra_says_expired_is_named_so(
    deployed: Deployed, clock: FakeClock, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _run(deployed, capsys, "--client", "old-secret")
    assert code == 1
    assert _failures(err) == [
        "verify: old-secret: secret expired (Entra AADSTS7000222): run `pulumi up`, which "
        "rotates it, and give the consumers the new clientSecrets value"
    ]
    assert clock.sleeps == []


def test_a_secret_past_its_end_date_fails_before_it_is_sent(
    deployed: Deployed, servers: Servers, clock: FakeClock, capsys: pytest.CaptureFixture[str]
) -> None:
    before = _token_requests(servers, deployed.client_ids["outdated"])
    code, _, err = _run(deployed, capsys, "--client", "outdated")
    assert code == 1
    assert _failures(err) == [
        "verify: outdated: secret expired on 2020-01-01: run `pulumi up`, which rotates it, "
        "and give the consumers the new clientSecrets value"
    ]
    assert _token_requests(servers, deployed.client_ids["outdated"]) == before


def test_no_secret_is_sent_to_an_authority_that_is_not_trusted(
    deployed: Deployed, servers: Servers, clock: FakeClock, capsys: pytest.CaptureFixture[str]
) -> None:
    args = deployed.args("--client", "reader")
    args = args[: args.index("--authority-host")] + args[args.index("--authority-host") + 2 :]
    before = len(servers.idp.server.requests)
    code = main(args)
    err = capsys.readouterr().err
    assert code == 1
    (line,) = _failures(err)
    assert line.startswith(f"verify: server: server.authority {deployed.idp.authority} is not on")
    assert "--authority-host HOST" in line
    assert len(servers.idp.server.requests) == before


def _verify_from_vault(deployed: Deployed, token: str) -> Report:
    from fhir_apps.spec.loader import load_spec
    from fhir_apps.verify.credentials import vault_reader
    from fhir_apps.verify.http import HttpClient, make_session
    from fhir_apps.verify.outputs import read_outputs_file
    from fhir_apps.verify.runner import verify_stack

    with make_session() as session:
        return verify_stack(
            load_spec(deployed.config_dir, "fake", "fake"),
            read_outputs_file(deployed.outputs_file, "fake"),
            Options(
                clients=("vaulted",),
                secret_source="key-vault",
                wait_seconds=0,
                authority_hosts=(deployed.idp.host,),
            ),
            session=session,
            clock=FakeClock(),
            env={},
            tell_operator=print,
            read_vault=vault_reader(
                HttpClient(session), lambda: Secret(token), deployed.idp.vault_url
            ),
        )


def test_a_secret_is_read_from_key_vault_when_asked(
    deployed: Deployed, servers: Servers, clock: FakeClock
) -> None:
    report = _verify_from_vault(deployed, VAULT_TOKEN)
    assert report.failures() == []
    (client,) = report.clients
    assert client.checks[1].detail == ("secret from Key Vault; signature, issuer and expiry valid")
    # It is the vault's copy that signs in: a stale one there fails, whatever the outputs say.
    servers.idp.vault_secrets["vaulted-client-secret"] = "stale"
    assert _verify_from_vault(deployed, VAULT_TOKEN).failures() == [
        "vaulted: Entra rejects the secret (AADSTS7000215): it is not a current secret of the "
        "client; re-read clientSecrets after the last `pulumi up` (still so after 0 s of retries)"
    ]


def test_key_vault_refusing_the_reader_names_the_role_it_needs(
    deployed: Deployed, clock: FakeClock
) -> None:
    assert _verify_from_vault(deployed, "not-the-vault-token").failures() == [
        "vaulted: Key Vault kv-fake refused to read secret vaulted-client-secret (HTTP 401): the "
        "signed-in identity needs a data-plane role such as Key Vault Secrets User"
    ]


def test_key_vault_without_the_azure_cli_says_so(
    deployed: Deployed,
    clock: FakeClock,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no `az`
    code, _, err = _run(deployed, capsys, "--client", "vaulted", "--secret-source", "key-vault")
    assert code == 1
    assert _failures(err) == [
        "verify: vaulted: the Azure CLI (az) is not on PATH, so Key Vault cannot be read: sign "
        "in with `az login`, or use --secret-source outputs"
    ]


# --- certificates and federation ---------------------------------------------------------------


def test_a_certificate_key_from_a_file_or_the_environment_signs_in(
    deployed: Deployed,
    clock: FakeClock,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    key_file = deployed.key_files["cert-job"]
    code, out, err = _run(
        deployed, capsys, "--client", "cert-job", "--certificate-key", f"cert-job={key_file}"
    )
    assert code == 0, out + err
    assert re.search(r"ok    token: certificate [0-9A-F]{40}; signature", out), out

    monkeypatch.setenv("FHIR_APPS_CERTIFICATE_KEY_CERT_JOB", key_file.read_text())
    code, out, err = _run(deployed, capsys, "--client", "cert-job")
    assert code == 0, out + err
    assert "ok    read: GET /Patient?_count=1 → 200" in out


def test_a_certificate_without_a_key_is_skipped_with_how_to_give_one(
    deployed: Deployed, clock: FakeClock, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(deployed, capsys, "--client", "cert-job")
    assert code == 0
    assert (
        "skip  credential: certificate credential: no private key given; pass "
        "--certificate-key cert-job=PATH or set FHIR_APPS_CERTIFICATE_KEY_CERT_JOB"
    ) in out
    assert "0 ok, 0 failed, 1 skipped" in out
    assert _failures(err) == []


def test_a_key_of_another_certificate_fails_before_signing_in(
    deployed: Deployed, clock: FakeClock, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from cryptography.hazmat.primitives import serialization

    from tests.fakes.idp import rsa_key

    other = tmp_path / "other.pem"
    other.write_bytes(
        rsa_key().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    code, _, err = _run(
        deployed, capsys, "--client", "cert-job", "--certificate-key", f"cert-job={other}"
    )
    assert code == 1
    (line,) = _failures(err)
    assert line == (
        f"verify: cert-job: {other}: the private key belongs to none of the client's "
        "certificates (credential.certificateFile/certificateFiles); Entra would refuse it"
    )


def test_a_federated_client_signs_in_with_the_actions_oidc_token(
    deployed: Deployed,
    servers: Servers,
    clock: FakeClock,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    code, out, _ = _run(deployed, capsys, "--client", "fed-job")
    assert code == 0
    assert "skip  credential: federated credential (GitHub Actions OIDC): checked only" in out

    monkeypatch.setenv("ACTIONS_ID_TOKEN_REQUEST_URL", servers.idp.github_request_url())
    monkeypatch.setenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN", GITHUB_REQUEST_TOKEN)
    code, out, err = _run(deployed, capsys, "--client", "fed-job")
    assert code == 0, out + err
    assert f"ok    token: GitHub Actions OIDC token ({FED_SUBJECT}); signature" in out
    assert "ok    read: GET /Patient?_count=1 → 200" in out

    servers.idp.github_subject = "repo:contoso/other:ref:refs/heads/main"
    code, out, _ = _run(deployed, capsys, "--client", "fed-job")
    assert code == 0
    assert (
        "skip  credential: federated credential: this job's OIDC subject "
        "repo:contoso/other:ref:refs/heads/main is not one the client trusts"
    ) in out


# --- delegated clients -------------------------------------------------------------------------


def test_delegated_clients_get_redirect_uris_scopes_and_an_authorize_url(
    deployed: Deployed, clock: FakeClock, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(deployed, capsys, "--client", "web", "--client", "spa")
    assert code == 0, out + err
    assert "  web (confidential, secret)" in out
    assert "ok    redirect URIs: 2 registered as configured" in out
    assert f"ok    scopes: {deployed.fhir_url}/user_impersonation" in out
    assert "ok    secret: ends on 2099-01-01" in out
    urls = re.findall(r"info  sign-in: open to sign in by hand \(auth code \+ PKCE\): (\S+)", out)
    assert len(urls) == 2
    web = next(u for u in urls if deployed.client_ids["web"] in u)
    assert web.startswith(f"{deployed.idp.authority}/oauth2/v2.0/authorize?")
    assert "code_challenge_method=S256" in web and "code_challenge=" in web
    assert "redirect_uri=https%3A%2F%2Fweb.contoso.test%2Fsignin-oidc" in web
    assert "code_verifier" not in out


def test_a_configured_redirect_uri_not_registered_fails_and_an_extra_one_warns(
    deployed: Deployed, clock: FakeClock, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outputs = json.loads(deployed.outputs_file.read_text())
    outputs["clients"]["web"]["redirectUris"] = [
        "https://web.contoso.test/signin-oidc",
        "https://old.contoso.test/signin-oidc",
    ]
    changed = tmp_path / "outputs.json"
    changed.write_text(json.dumps(outputs), encoding="utf-8")
    args = deployed.args("--client", "web")
    args[args.index("--outputs") + 1] = str(changed)
    code = main(args)
    captured = capsys.readouterr()
    assert code == 1
    assert _failures(captured.err) == [
        "verify: web: http://localhost:5000/signin-oidc is configured but not registered: run "
        "`pulumi up`"
    ]
    assert (
        "warn  redirect URIs: https://old.contoso.test/signin-oidc is registered but not in the "
        "client's config"
    ) in captured.out


def test_the_device_code_flow_signs_in_a_mobile_client(
    deployed: Deployed, clock: FakeClock, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(deployed, capsys, "--client", "mobile", "--device-code", "mobile")
    assert code == 0, out + err
    assert "enter FAKE-CODE" in err  # the operator's instruction
    assert "ok    device code: signed in; scopes user_impersonation" in out
    # The fake signed-in person has no role: 403, which still proves the token is accepted.
    assert "ok    read: GET /Patient?_count=1 → 403: token accepted" in out


def test_the_device_code_flow_is_refused_for_a_spa(
    deployed: Deployed, clock: FakeClock, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _run(deployed, capsys, "--client", "spa", "--device-code", "spa")
    assert code == 1
    assert _failures(err) == [
        "verify: spa: the device-code flow is for public mobile or desktop clients, not this one"
    ]


# --- the server, JSON, and secrets never shown ---------------------------------------------------


def test_a_server_trusting_another_authority_fails_metadata(
    deployed: Deployed, servers: Servers, clock: FakeClock, capsys: pytest.CaptureFixture[str]
) -> None:
    other = "https://login.microsoftonline.com/00000000-0000-4000-8000-000000000000"
    servers.fhir.authority = other
    code, _, err = _run(deployed, capsys, "--client", "reader")
    assert code == 1
    assert _failures(err) == [
        f"verify: server: the FHIR server's OAuth endpoints point at {other}/oauth2/authorize, "
        f"not this tenant's authority {deployed.idp.authority}: set the server's authority to it"
    ]


def test_json_report_lists_every_client_and_the_same_failures(
    deployed: Deployed, clock: FakeClock, capsys: pytest.CaptureFixture[str]
) -> None:
    chosen = ["reader", "wrong-aud", "cert-job", "web"]
    extra = [arg for key in chosen for arg in ("--client", key)]
    code, out, err = _run(deployed, capsys, "--format", "json", *extra)
    assert code == 1
    document = json.loads(out)
    assert document["ok"] is False
    assert document["stack"] == "fake"
    assert document["server"]["url"] == deployed.fhir_url
    status = {client["key"]: client["status"] for client in document["clients"]}
    assert status == {"cert-job": "skipped", "reader": "ok", "web": "ok", "wrong-aud": "failed"}
    assert [f"verify: {line}" for line in document["failures"]] == _failures(err)
    assert len(document["failures"]) == 1


def test_no_secret_or_token_appears_in_any_output_or_log(
    deployed: Deployed,
    servers: Servers,
    clock: FakeClock,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import logging

    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("ACTIONS_ID_TOKEN_REQUEST_URL", servers.idp.github_request_url())
    monkeypatch.setenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN", GITHUB_REQUEST_TOKEN)
    key_file = deployed.key_files["cert-job"]
    texts: list[str] = []
    for fmt in ("text", "json"):
        servers.idp.issued_tokens.clear()
        code, out, err = _run(
            deployed,
            capsys,
            "--format",
            fmt,
            "--wait",
            "30",
            "--certificate-key",
            f"cert-job={key_file}",
            "--device-code",
            "mobile",
        )
        assert code == 1  # the failing scenarios are in the run, too
        texts += [out, err]
        tokens = list(servers.idp.issued_tokens)
        assert len(tokens) > 10
    texts.append(caplog.text)
    everything = "\n".join(texts)
    assert "fake-secret-" not in everything
    for secret in deployed.secrets.values():
        assert secret not in everything
    for token in tokens:
        assert token not in everything
        assert token.split(".")[2] not in everything  # not even the signature part
    assert GITHUB_REQUEST_TOKEN not in everything
    assert "PRIVATE KEY" not in everything
