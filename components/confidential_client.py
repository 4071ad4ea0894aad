"""A web application: authorization-code flow with a credential; implicit grant stays off."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from components._client import ClientArgs, ClientComponent, Platform
from components.credentials import CredentialContext
from fhir_apps.endpoints import delegated_scopes
from fhir_apps.spec.model import ConfidentialClient as ConfidentialClientSpec

__all__ = ["ConfidentialClient", "ConfidentialClientArgs"]

TYPE = "fhir-apps:confidential_client:ConfidentialClient"


@dataclass(frozen=True, kw_only=True)
class ConfidentialClientArgs(ClientArgs):
    """ClientArgs plus the spec's client block and what its credential needs.

    client: the `clients.<key>` block (redirect URIs on `web`, scopes, adminConsent, credential).
    credential_context: today, the secret policy and the config directory.
    """

    client: ConfidentialClientSpec
    credential_context: CredentialContext


class ConfidentialClient(ClientComponent):
    """Application + service principal with `web` redirect URIs, delegated scopes to the FHIR
    API, admin consent when asked, and its credential. Outputs: see ClientComponent."""

    def __init__(
        self, name: str, args: ConfidentialClientArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        client = args.client
        super().__init__(
            TYPE,
            name,
            args,
            opts,
            platform=Platform(
                web_redirect_uris=client.redirect_uris,
                homepage_url=client.homepage_url,
                logout_url=client.logout_url,
                id_token_issuance=client.id_token_issuance,
            ),
            scopes=client.scopes,
            admin_consent=client.admin_consent,
            credential=client.credential,
            credential_context=args.credential_context,
            scope=delegated_scopes(args.resource.audience, client.scopes),
            graph_scopes=client.graph_scopes,
            optional_claims=client.optional_claims,
        )
