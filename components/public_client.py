"""A SPA, mobile or desktop application: it cannot keep a secret, so it never has a credential."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from components._client import ClientArgs, ClientComponent, Platform
from fhir_apps.endpoints import delegated_scopes
from fhir_apps.spec.errors import StackError
from fhir_apps.spec.model import PublicClient as PublicClientSpec

__all__ = ["PublicClient", "PublicClientArgs"]

TYPE = "fhir-apps:public_client:PublicClient"


@dataclass(frozen=True, kw_only=True)
class PublicClientArgs(ClientArgs):
    """ClientArgs plus the spec's client block.

    client: the `clients.<key>` block. `platform: spa` puts redirect URIs on the `spa` platform
        (auth code + PKCE); `mobile`/`desktop` on `publicClient`. `fallbackPublicClient` is sent
        as written (default false). A `credential` is an error.
    """

    client: PublicClientSpec


class PublicClient(ClientComponent):
    """Application + service principal for a public client; delegated scopes only, no
    credential of any kind. Outputs: see ClientComponent (client_secret is always None)."""

    def __init__(
        self, name: str, args: PublicClientArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        client = args.client
        if client.credential is not None:
            # The config rules report this with file and key first; this guard keeps the
            # component safe on its own, because a secret in a browser or app is a leak.
            raise StackError(
                f"clients.{name}.credential: public clients cannot keep a credential; remove it "
                "(or make the client confidential)"
            )
        is_spa = client.platform == "spa"
        super().__init__(
            TYPE,
            name,
            args,
            opts,
            platform=Platform(
                spa_redirect_uris=client.redirect_uris if is_spa else (),
                public_client_redirect_uris=() if is_spa else client.redirect_uris,
                fallback_public_client=client.fallback_public_client,
            ),
            scopes=client.scopes,
            admin_consent=client.admin_consent,
            scope=delegated_scopes(args.resource.audience, client.scopes),
        )
