"""One verify run over a stack: the stack-wide checks, then each chosen client.

Before any credential is used, the authority every client signs in to must be a Microsoft login
host (MSAL's list of Entra clouds) or one the operator names (`--authority-host`), with this
stack's tenant as its path: the outputs carry both the secrets and the authority, and a secret
is only ever sent to the tenant's own token service.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from urllib.parse import urlsplit

from msal.authority import WELL_KNOWN_AUTHORITY_HOSTS

from fhir_apps.safeio.text import shown
from fhir_apps.spec.model import ServiceClient, Spec
from fhir_apps.verify.context import Context, Options
from fhir_apps.verify.delegated import verify_delegated_client
from fhir_apps.verify.fhir import check_metadata
from fhir_apps.verify.http import HttpClient
from fhir_apps.verify.jwtcheck import SigningKeys
from fhir_apps.verify.model import Secret, StackOutputs
from fhir_apps.verify.report import ClientReport, Report
from fhir_apps.verify.retry import Clock, Outcome, run_with_retry
from fhir_apps.verify.service import verify_service_client

__all__ = ["VerifyInputError", "authority_problem", "verify_stack"]


class VerifyInputError(ValueError):
    """The operator asked for something the stack does not have; `str()` is one line."""


def verify_stack(
    spec: Spec,
    outputs: StackOutputs,
    options: Options,
    *,
    session: object,
    clock: Clock,
    env: Mapping[str, str],
    tell_operator: Callable[[str], None],
    read_vault: Callable[[str], Secret] | None = None,
) -> Report:
    """Verify the chosen clients of the stack (all enabled ones by default)."""
    selected = _selected(spec, outputs, options)
    http = HttpClient(session)
    server = outputs.server
    report = Report(
        stack=spec.stack,
        environment=spec.environment,
        server_kind=server.kind,
        fhir_url=server.fhir_url(),
        server=ClientReport("server", server.kind),
    )
    if not _safe_authorities(outputs, selected, options, report.server):
        return report
    _stack_checks(spec, outputs, report.server)
    ctx = Context(
        spec=spec,
        outputs=outputs,
        options=options,
        session=session,
        http=http,
        keys=SigningKeys(http, server.authority, outputs.tenant_id),
        clock=clock,
        env=env,
        tell_operator=tell_operator,
        read_vault=read_vault,
    )
    _metadata(ctx, report.server)
    report.clients = [_client(ctx, key) for key in selected]
    return report


def _selected(spec: Spec, outputs: StackOutputs, options: Options) -> list[str]:
    configured = spec.enabled_clients()
    if not options.clients:
        return list(configured)
    known = set(configured) | set(outputs.clients)
    for key in options.clients:
        if key not in known:
            names = ", ".join(sorted(known)) or "none"
            raise VerifyInputError(
                f"--client {shown(key, 60)}: stack {spec.stack} has no such client in its "
                f"config or its outputs (clients: {names})"
            )
    return sorted(set(options.clients))


def authority_problem(authority: str, tenant_id: str, extra_hosts: tuple[str, ...]) -> str | None:
    """Why `authority` is not this tenant's authority on a trusted host, or None."""
    try:
        parts = urlsplit(authority)
        host = (parts.hostname or "").lower()
        netloc = parts.netloc.lower()
    except ValueError:
        return "is not a URL"
    allowed = {h.lower() for h in extra_hosts}
    if parts.scheme != "https" or not (
        host in WELL_KNOWN_AUTHORITY_HOSTS or host in allowed or netloc in allowed
    ):
        return (
            "is not on a Microsoft login host; verify sends credentials only there (name "
            "another with --authority-host HOST)"
        )
    if parts.path.strip("/").lower() != tenant_id.lower() or parts.query or parts.fragment:
        return f"is not the authority of this stack's tenant {tenant_id}"
    return None


def _safe_authorities(
    outputs: StackOutputs, selected: list[str], options: Options, server: ClientReport
) -> bool:
    named = [("server.authority", outputs.server.authority)]
    named += [
        (f"clients.{key}.authority", outputs.clients[key].authority)
        for key in selected
        if key in outputs.clients
    ]
    for where, authority in named:
        problem = authority_problem(authority, outputs.tenant_id, options.authority_hosts)
        if problem:
            server.add("authority", "fail", f"{where} {shown(authority, 120)} {problem}")
            return False
    return True


def _stack_checks(spec: Spec, outputs: StackOutputs, server: ClientReport) -> None:
    """The deployed server is the configured one; what was deployed but is no longer wanted."""
    deployed = outputs.server
    if spec.fhir_server.kind != deployed.kind:
        server.add(
            "kind",
            "fail",
            f"the stack was deployed for kind {deployed.kind} but the config says "
            f"{spec.fhir_server.kind}: run `pulumi up`, or verify the right stack",
        )
    audience = spec.audience()
    if audience is not None and audience != deployed.audience:
        server.add(
            "audience",
            "fail",
            f"the stack was deployed with audience {shown(deployed.audience, 120)} but the "
            f"config says {shown(audience, 120)}: run `pulumi up`, or verify the right stack",
        )
    if deployed.fhir_url() is None:
        server.add(
            "url",
            "fail",
            "no FHIR URL: the outputs have no server.url and server.audience is not an https "
            "URL; set fhirServer.resourceId or fhirServer.deploy",
        )
    for key in sorted(set(outputs.clients) - set(spec.enabled_clients())):
        server.add(
            "clients",
            "warn",
            f"clients.{shown(key, 60)} is deployed but not in the config: the next `pulumi up` "
            "removes it",
        )


def _metadata(ctx: Context, server: ClientReport) -> None:
    base = ctx.fhir_url
    if base is None:
        return

    def attempt() -> Outcome[tuple[bool, str]]:
        result = check_metadata(ctx.http, base, ctx.outputs.server.authority, ctx.clock.now())
        return Outcome((result.ok, result.detail), result.retry_reason, result.retry_after)

    done = run_with_retry(attempt, ctx.policy, ctx.clock)
    ok, detail = done.value
    server.add("metadata", "ok" if ok else "fail", detail)
    server.waits += done.waits
    if done.gave_up:
        server.waits.append(done.gave_up)


def _client(ctx: Context, key: str) -> ClientReport:
    client = ctx.spec.enabled_clients().get(key)
    out = ctx.outputs.clients.get(key)
    if client is None:
        report = ClientReport(key, out.kind if out else "unknown")
        report.add(
            "config",
            "fail",
            "deployed but not in the config (or enabled: false): the next `pulumi up` removes it",
        )
        return report
    if out is None:
        report = ClientReport(key, client.kind)
        report.add(
            "deployed",
            "fail",
            f"not deployed: {ctx.outputs.source} has no clients.{key}: run `pulumi up`",
        )
        return report
    if out.kind != client.kind:
        report = ClientReport(key, client.kind)
        report.add(
            "kind",
            "fail",
            f"deployed as a {out.kind} client but configured as {client.kind}: run `pulumi up`",
        )
        return report
    if isinstance(client, ServiceClient):
        return verify_service_client(ctx, client, out)
    return verify_delegated_client(ctx, client, out)
