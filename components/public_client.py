"""A SPA, mobile or desktop application: it cannot keep a secret, so it never has a credential."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from components._client import ClientArgs, ClientComponent, Platform
from components.errors import StackError
from fhir_apps.endpoints import delegated_scopes
from fhir_apps.rules.credentials import public_client_credential_problem
from fhir_apps.rules.smart import smart_gateway_endpoints
from fhir_apps.spec.model import PublicClient as PublicClientSpec

__all__ = ["PublicClient", "PublicClientArgs"]

TYPE = "fhir-apps:public_client:PublicClient"
LOGIN_HINT = "login_hint"


@dataclass(frozen=True, kw_only=True)
class PublicClientArgs(ClientArgs):
    """ClientArgs plus the spec's client block.

    client: the `clients.<key>` block. `platform: spa` puts redirect URIs on the `spa` platform
        (auth code + PKCE); `mobile`/`desktop` on `publicClient`. `fallbackPublicClient` is sent
        as written (default false). A `credential` is an error. `authContextFrontend` (with
        `smart_gateway`) adds `<gateway>/auth/context/` and the login_hint ID token claim.
    """

    client: PublicClientSpec


class PublicClient(ClientComponent):
    """Application + service principal for a public client; delegated scopes only, no
    credential of any kind. Outputs: see ClientComponent (client_secret is always None)."""

    def __init__(
        self, name: str, args: PublicClientArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        client = args.client
        problem = public_client_credential_problem(client.credential is not None)
        if problem:
            # The config rules report this with file and key first; this guard keeps the
            # component safe on its own, because a secret in a browser or app is a leak.
            raise StackError(f"clients.{name}.credential: {problem}")
        is_spa = client.platform == "spa"
        redirect_uris, claims = client.redirect_uris, client.optional_claims
        if client.auth_context_frontend and args.smart_gateway is not None and is_spa:
            # The SMART sample's Auth Context Frontend: served by the gateway at /auth/context/
            # and signing users in with the login_hint the authorize request carried
            # (docs/ad-apps/auth-context-frontend-app-registration.md of the sample).
            gateway = smart_gateway_endpoints(args.smart_gateway)["authContextRedirectUri"]
            redirect_uris = tuple(dict.fromkeys((*redirect_uris, gateway)))
            claims = claims.model_copy(
                update={"id_token": tuple(dict.fromkeys((*claims.id_token, LOGIN_HINT)))}
            )
        super().__init__(
            TYPE,
            name,
            args,
            opts,
            platform=Platform(
                spa_redirect_uris=redirect_uris if is_spa else (),
                public_client_redirect_uris=() if is_spa else redirect_uris,
                fallback_public_client=client.fallback_public_client,
            ),
            scopes=client.scopes,
            admin_consent=client.admin_consent,
            scope=delegated_scopes(args.resource.audience, client.scopes),
            graph_scopes=client.graph_scopes,
            optional_claims=claims,
        )
