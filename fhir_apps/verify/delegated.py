"""Delegated clients (confidential web apps, SPAs, mobile and desktop apps): what can be proven
without a person, and what a person can finish.

Without a person: the redirect URIs and scopes deployed are the configured ones, and a secret
credential has not ended. For a person: the authorize URL (auth code with PKCE) to open for a
manual sign-in, and -- when the operator asks with `--device-code KEY` -- the device-code flow of
a public mobile or desktop client, whose token is then validated and shown to the FHIR server.
"""

from __future__ import annotations

from fhir_apps.endpoints import delegated_scopes
from fhir_apps.safeio.text import shown
from fhir_apps.spec.model import ConfidentialClient, PublicClient, SecretCredential
from fhir_apps.verify.context import Context
from fhir_apps.verify.credentials import secret_expiry
from fhir_apps.verify.fhir import READ, call_with_token
from fhir_apps.verify.jwtcheck import TokenError
from fhir_apps.verify.model import ClientOutputs
from fhir_apps.verify.report import ClientReport
from fhir_apps.verify.tokens import TokenResult, authorize_url, device_code_token

__all__ = ["verify_delegated_client"]

DelegatedClient = ConfidentialClient | PublicClient


def verify_delegated_client(
    ctx: Context, client: DelegatedClient, out: ClientOutputs
) -> ClientReport:
    credential = client.credential.type if client.credential is not None else None
    platform = client.platform if isinstance(client, PublicClient) else None
    report = ClientReport(out.key, client.kind, credential, platform)
    _redirect_uris(client, out, report)
    _scopes(ctx, client, out, report)
    if isinstance(client.credential, SecretCredential):
        judged = secret_expiry(out, ctx.spec.policy.secret_expiry_warning_days, ctx.today)
        if judged is not None:
            report.add("secret", *judged)
    _authorize_url(ctx, out, report)
    if out.key in ctx.options.device_code:
        _device_code(ctx, client, out, report)
    return report


def _redirect_uris(client: DelegatedClient, out: ClientOutputs, report: ClientReport) -> None:
    configured, deployed = set(client.redirect_uris), set(out.redirect_uris)
    missing, extra = sorted(configured - deployed), sorted(deployed - configured)
    if missing:
        report.add(
            "redirect URIs",
            "fail",
            f"{shown(missing[0], 200)} is configured but not registered: run `pulumi up`",
        )
    if extra:
        # A warning only: the stack may add URIs of its own (the SMART gateway's), which the
        # config does not list; a URI removed from the config goes with the next `pulumi up`.
        report.add(
            "redirect URIs",
            "warn",
            f"{shown(extra[0], 200)} is registered but not in the client's config (added by "
            "the stack, or removed from the config since the last `pulumi up`)",
        )
    if not missing and not extra:
        report.add("redirect URIs", "ok", f"{len(deployed)} registered as configured")


def _scopes(
    ctx: Context, client: DelegatedClient, out: ClientOutputs, report: ClientReport
) -> None:
    expected = set(delegated_scopes(ctx.outputs.server.audience, client.scopes).split())
    deployed = set(out.scope.split())
    if expected != deployed:
        differ = sorted(expected ^ deployed)
        report.add(
            "scopes",
            "fail",
            f"the outputs' scope differs from the config ({shown(differ[0], 120)}): run "
            "`pulumi up`",
        )
    else:
        report.add("scopes", "ok", " ".join(shown(s, 120) for s in sorted(deployed)) or "none")


def _authorize_url(ctx: Context, out: ClientOutputs, report: ClientReport) -> None:
    if not out.redirect_uris:
        report.add("sign-in", "skip", "no redirect URI: nobody can sign in to this client")
        return
    if not out.scope.strip():
        report.add("sign-in", "skip", "no scope configured: nothing to sign in for")
        return
    # An https URI reaches the deployed app; otherwise the first (a localhost one, for a dev).
    https = [uri for uri in sorted(out.redirect_uris) if uri.lower().startswith("https://")]
    redirect = (https or sorted(out.redirect_uris))[0]
    url = authorize_url(out, ctx.session, redirect)
    if isinstance(url, TokenResult):
        report.add("sign-in", "fail", url.error or "no authorize URL")
        return
    report.add("sign-in", "info", f"open to sign in by hand (auth code + PKCE): {shown(url, 2000)}")


def _device_code(
    ctx: Context, client: DelegatedClient, out: ClientOutputs, report: ClientReport
) -> None:
    if not isinstance(client, PublicClient) or client.platform == "spa":
        report.add(
            "device code",
            "fail",
            "the device-code flow is for public mobile or desktop clients, not this one",
        )
        return
    if not client.fallback_public_client:
        report.add(
            "device code",
            "fail",
            "Entra allows the device-code flow only with public client flows on: set "
            f"clients.{out.key}.fallbackPublicClient: true and run `pulumi up`",
        )
        return
    got = device_code_token(out, ctx.session, ctx.tell_operator)
    if got.token is None:
        report.add("device code", "fail", got.error or "no token")
        return
    try:
        claims = ctx.claims_of(got.token, out.client_id)
    except TokenError as problem:
        report.add("device code", "fail", str(problem))
        return
    wanted = sorted(set(client.scopes) - set(claims.scopes))
    if wanted:
        report.add(
            "device code",
            "fail",
            f"the token lacks the scope {', '.join(wanted)}: was consent given (adminConsent)?",
        )
        return
    scopes = " ".join(shown(scope, 60) for scope in claims.scopes)
    report.add("device code", "ok", f"signed in; scopes {scopes}")
    if ctx.fhir_url is not None:
        # A person's roles are their own; any answer but 401 shows the token is accepted.
        result = call_with_token(
            ctx.http,
            ctx.fhir_url,
            READ,
            got.token,
            authorized=False,
            refused="",
            now=ctx.clock.now(),
        )
        report.add("read", "ok" if result.ok else "fail", result.detail)
