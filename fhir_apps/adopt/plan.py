"""What the config says about each adopted object, and a finding for all it cannot say.

`plan(export, ...)` turns the Graph export into the environment layer's content (plain data with
the YAML's camelCase keys) plus findings. The Entra rules are those of `fhir_apps.rules`, the
same the config check applies, so what adoption writes is exactly what `check` accepts: a value
those rules reject is left out of the config and reported, never written and never dropped
silently. The parts are decided in their own modules (`server`, `clients`, `grants`, `owners`,
`platforms`, `unmanaged`, `credentials`), all through one `Context`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fhir_apps import rules
from fhir_apps.adopt.classify import find_resource_app
from fhir_apps.adopt.clients import client_blocks, client_key
from fhir_apps.adopt.context import App, Context, refuse, refuse_surrogates
from fhir_apps.adopt.findings import Finding
from fhir_apps.adopt.grants import people_assignments
from fhir_apps.adopt.graphjson import GraphExport
from fhir_apps.adopt.owners import SERVER_KEY
from fhir_apps.adopt.server import server_block

__all__ = [
    "SERVER_KEY",
    "AdoptedApp",
    "Adoption",
    "client_key",
    "plan",
]


@dataclass(frozen=True)
class AdoptedApp:
    """One adopted application: its YAML key, the Graph object, the config block for it."""

    key: str
    app: App
    block: dict[str, Any]

    @property
    def display_name(self) -> str:
        return str(self.app["displayName"])


@dataclass(frozen=True)
class Adoption:
    """The whole plan: the environment layer's content and what it could not express."""

    environment: str
    audience: str
    server: AdoptedApp
    clients: tuple[AdoptedApp, ...]
    assignments: tuple[dict[str, Any], ...]
    tenant: dict[str, Any] | None
    findings: tuple[Finding, ...]
    # (display name, reason) of exported apps that are not clients of the FHIR server.
    ignored: tuple[tuple[str, str], ...] = ()

    def adopted(self) -> tuple[AdoptedApp, ...]:
        """The resource app, then the clients in key order."""
        return (self.server, *self.clients)

    def config(self) -> dict[str, Any]:
        """The environment layer as plain data (camelCase keys, ready for YAML)."""
        data: dict[str, Any] = {}
        if self.tenant:
            data["tenant"] = self.tenant
        data["fhirServer"] = self.server.block
        if self.clients:
            data["clients"] = {client.key: client.block for client in self.clients}
        if self.assignments:
            data["assignments"] = list(self.assignments)
        return data


def plan(
    export: GraphExport,
    *,
    environment: str,
    audience: str | None = None,
    config_dir: Path | str | None = None,
    deployer: str | None = None,
) -> Adoption:
    """Decide what the environment layer says; raises AdoptInputError for unusable input.

    deployer: the object id of the identity `pulumi up` signs in as, when known: the program
    makes it an owner of everything, so the owner findings can tell whether that changes.
    """
    resource, url = find_resource_app(export.applications, audience)
    refuse(resource, "displayName", rules.display_name_problem(str(resource["displayName"])))
    ctx = Context(export, environment, Path(config_dir) if config_dir else None, resource, deployer)
    server = AdoptedApp(SERVER_KEY, resource, server_block(ctx, resource, url))
    blocks, ignored = client_blocks(ctx)
    clients = tuple(AdoptedApp(key, app, block) for key, app, block in blocks)
    assignments = people_assignments(ctx, {c.app["appId"] for c in clients})
    if not export.has_service_principals:
        ctx.add(
            "(every adopted app)",
            "servicePrincipals",
            "no --service-principals export, so no service principal has an import id: "
            "`pulumi up` tries to create one per app and stops with 'already exists' for "
            "each app that has one; export them (az ad sp list --all, or GET "
            "/servicePrincipals) and run adopt again",
        )
    tenant = _tenant(ctx, url)
    domains = tenant["verifiedDomains"] if tenant else ctx.base_list("tenant", "verifiedDomains")
    problem = rules.identifier_uri_problem(url, domains)
    # Not echoed: user information in it may be a password (the problem says what is wrong).
    refuse(resource, "identifier URI (the server URL)", problem)
    adoption = Adoption(
        environment=environment,
        audience=url,
        server=server,
        clients=clients,
        assignments=tuple(assignments),
        tenant=tenant,
        findings=tuple(sorted(set(ctx.findings))),
        ignored=tuple(ignored),
    )
    refuse_surrogates(adoption.config())
    return adoption


def _tenant(ctx: Context, audience: str) -> dict[str, Any] | None:
    """`tenant.verifiedDomains` when base.yaml does not already cover the server URL.

    Entra checks new identifier URIs against the tenant's verified domains, and so does the
    config check; the existing URI was accepted, so its domain (the app's publisher domain when
    the host sits under it, else the host itself) is one the tenant had verified.
    """
    base = ctx.base_list("tenant", "verifiedDomains")
    if rules.identifier_uri_problem(audience, base) is None:
        return None
    try:
        host = (urlsplit(audience).hostname or "").lower()
    except ValueError:  # `https://[x`: the identifier URI check after this refuses it
        return None
    publisher = str(ctx.resource.get("publisherDomain") or "").lower()
    domain = (
        publisher if publisher and (host == publisher or host.endswith("." + publisher)) else host
    )
    return {"verifiedDomains": sorted({*base, domain})}
