"""A service client (client credentials) proven end to end.

Its credential signs in with MSAL; the token is validated (signature, issuer, expiry, audience,
tenant, client) and, for kind oss, must carry the roles the config grants; then the FHIR server
must accept it: a read for a client with a reading role (200), and the harmless `$validate` for
one with a writing role. One attempt runs all of that with a fresh token; the retry policy
repeats it while the failure is one that time mends (replication, 403, 429, 5xx).
"""

from __future__ import annotations

from fhir_apps.endpoints import default_scope
from fhir_apps.safeio.text import shown
from fhir_apps.spec.model import (
    CertificateCredential,
    FederatedCredential,
    SecretCredential,
    ServiceClient,
)
from fhir_apps.verify import expect
from fhir_apps.verify.context import Context
from fhir_apps.verify.credentials import (
    CredentialSource,
    certificate_credential,
    federated_credential,
    secret_credential,
    secret_expiry,
)
from fhir_apps.verify.fhir import READ, VALIDATE, call_with_token
from fhir_apps.verify.jwtcheck import Claims, TokenError
from fhir_apps.verify.model import ClientOutputs, Secret
from fhir_apps.verify.report import Check, ClientReport
from fhir_apps.verify.retry import Outcome, run_with_retry
from fhir_apps.verify.tokens import acquire_for_client

__all__ = ["verify_service_client"]

_ROLE_REPLICATION = "a fresh role assignment can take minutes to reach tokens"
# AADSTS501051: the client holds no app role of the server. Waiting helps only if it should.
_NO_ROLE = 501051


def verify_service_client(ctx: Context, client: ServiceClient, out: ClientOutputs) -> ClientReport:
    credential_type = client.credential.type if client.credential is not None else None
    report = ClientReport(out.key, "service", credential_type)
    if not _preflight(ctx, client, out, report):
        return report
    source = _credential(ctx, client, out)
    if source.skip is not None:
        report.add("credential", "skip", source.skip)
        return report
    if source.error is not None or source.for_msal is None:
        report.add("credential", "fail", source.error or "no credential")
        return report
    result = run_with_retry(lambda: _attempt(ctx, client, out, source), ctx.policy, ctx.clock)
    report.checks += result.value
    report.waits += result.waits
    if not result.final:
        _note_gave_up(report, result.gave_up, result.waited)
    return report


def _preflight(
    ctx: Context, client: ServiceClient, out: ClientOutputs, report: ClientReport
) -> bool:
    """Checks that need no sign-in: the scope requested and the secret's end date."""
    audience = ctx.outputs.server.audience
    if out.scope != default_scope(audience):
        report.add(
            "scope",
            "fail",
            f"the outputs' scope is {shown(out.scope, 120)}, but a service client requests "
            f"{shown(default_scope(audience), 120)}: run `pulumi up`",
        )
        return False
    if isinstance(client.credential, SecretCredential):
        judged = secret_expiry(out, ctx.spec.policy.secret_expiry_warning_days, ctx.today)
        if judged is not None:
            report.add("secret", *judged)
            if judged[0] == "fail":
                return False
    return True


def _credential(ctx: Context, client: ServiceClient, out: ClientOutputs) -> CredentialSource:
    credential = client.credential
    if isinstance(credential, SecretCredential):
        return secret_credential(out, ctx.outputs, ctx.options.secret_source, ctx.read_vault)
    if isinstance(credential, CertificateCredential):
        path = ctx.options.certificate_keys.get(out.key)
        return certificate_credential(out.key, credential, path, ctx.env, ctx.clock.now())
    if isinstance(credential, FederatedCredential):
        return federated_credential(credential, ctx.env, ctx.http)
    return CredentialSource(skip="no credential configured: nothing can sign in as this client")


def _attempt(
    ctx: Context, client: ServiceClient, out: ClientOutputs, source: CredentialSource
) -> Outcome[list[Check]]:
    """Token, claims, FHIR: the checks of one try, stopping at the first failure."""
    assert source.for_msal is not None
    got = acquire_for_client(out, source.for_msal(), ctx.session)
    if got.token is None:
        retry = got.retry_reason if (got.code != _NO_ROLE or client.roles) else None
        return Outcome([Check("token", "fail", got.error or "no token")], retry)
    server = ctx.outputs.server
    try:
        claims = ctx.claims_of(got.token, out.client_id)
    except TokenError as problem:
        return Outcome([Check("token", "fail", str(problem))])
    checks = [
        Check("token", "ok", f"{source.described}; signature, issuer and expiry valid"),
        Check("audience", "ok", shown(server.audience, 120)),
    ]
    roles, retry = _roles(server.kind, client, claims)
    checks.append(roles)
    if roles.status == "fail":
        return Outcome(checks, retry)
    return _fhir(ctx, client, got.token, checks)


def _roles(kind: str, client: ServiceClient, claims: Claims) -> tuple[Check, str | None]:
    """The roles check, and the reason to retry when a configured role is missing."""
    if kind != "oss":
        held = ", ".join(client.roles) or "none"
        return Check("roles", "info", f"Azure RBAC, not in the token: {held}"), None
    missing = ", ".join(expect.missing_roles(client.roles, claims.roles))
    if missing:
        have = ", ".join(shown(r, 60) for r in claims.roles) or "no roles"
        check = Check(
            "roles",
            "fail",
            f"role {missing} not in the token (it has {have}): check that `pulumi up` assigned it",
        )
        return check, f"role {missing} not yet in the token ({_ROLE_REPLICATION})"
    return Check("roles", "ok", ", ".join(client.roles) or "none configured, none needed"), None


def _fhir(
    ctx: Context, client: ServiceClient, token: Secret, checks: list[Check]
) -> Outcome[list[Check]]:
    base = ctx.fhir_url
    if base is None:
        checks.append(Check("read", "skip", "no FHIR URL in the outputs"))
        return Outcome(checks)
    server = ctx.outputs.server
    refused = expect.refused(server.kind, client.roles, server.resource_id)
    calls = [("read", READ, expect.can_read(server.kind, client.roles))]
    if expect.can_write(server.kind, client.roles):
        if ctx.options.write_check:
            calls.append(("validate", VALIDATE, True))
        else:
            checks.append(Check("validate", "skip", "the writer probe is off (--no-validate)"))
    for name, call, authorized in calls:
        result = call_with_token(
            ctx.http,
            base,
            call,
            token,
            authorized=authorized,
            refused=refused,
            now=ctx.clock.now(),
        )
        checks.append(Check(name, "ok" if result.ok else "fail", result.detail))
        if not result.ok:
            return Outcome(checks, result.retry_reason, result.retry_after)
    return Outcome(checks)


def _note_gave_up(report: ClientReport, why: str | None, waited: float) -> None:
    """The last failure stays the cause; say that waiting did not mend it."""
    for index in range(len(report.checks) - 1, -1, -1):
        check = report.checks[index]
        if check.status == "fail":
            report.checks[index] = Check(
                check.name, "fail", f"{check.detail} (still so after {waited:g} s of retries)"
            )
            break
    if why:
        report.waits.append(why)
