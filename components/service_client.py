"""A daemon: client-credentials flow, application permissions (app roles) only."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from components._client import ClientArgs, ClientComponent, Platform
from components.credentials import CredentialContext
from components.errors import StackError
from fhir_apps.endpoints import default_scope
from fhir_apps.rules.permissions import service_client_scopes_problem
from fhir_apps.rules.urls import service_client_redirect_uris_problem
from fhir_apps.spec.model import ServiceClient as ServiceClientSpec

__all__ = ["ServiceClient", "ServiceClientArgs"]

TYPE = "fhir-apps:service_client:ServiceClient"


@dataclass(frozen=True, kw_only=True)
class ServiceClientArgs(ClientArgs):
    """ClientArgs plus the spec's client block and what its credential needs.

    client: the `clients.<key>` block (roles, credential). Redirect URIs or scopes are errors.
    credential_context: today, the secret policy and the config directory.
    """

    client: ServiceClientSpec
    credential_context: CredentialContext


class ServiceClient(ClientComponent):
    """Application + service principal with no redirect URIs, app role permissions and, for the
    open-source server, an AppRoleAssignment `<name>-role-<role>` per role on the resource
    app's service principal (the admin consent of an application permission). For managed FHIR
    services the roles are Azure RBAC roles, granted at the FHIR service scope by the RBAC
    component, not here. Outputs: see ClientComponent; `scope` is `<audience>/.default`."""

    def __init__(
        self, name: str, args: ServiceClientArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        client = args.client
        # The config rules report these with file and key first; the component stays safe alone.
        for key, problem in (
            ("redirectUris", service_client_redirect_uris_problem(client.redirect_uris)),
            ("scopes", service_client_scopes_problem(client.scopes)),
        ):
            if problem:
                raise StackError(f"clients.{name}.{key}: {problem}")
        super().__init__(
            TYPE,
            name,
            args,
            opts,
            platform=Platform(),
            roles=client.roles,
            credential=client.credential,
            credential_context=args.credential_context,
            scope=default_scope(args.resource.audience),
        )
