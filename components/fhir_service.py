"""The Azure Health Data Services FHIR service a stack deploys: resource group, workspace, service.

The service's `authentication_configuration` is made from the same audience and tenant as the
registrations, so the tokens Entra issues to the clients are the tokens the service accepts.
`pulumi_azure_native` is imported in the constructor, not at module level: a stack that only
manages registrations never loads it (see docs/performance.md, "Start-up").
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from fhir_apps.endpoints import authority
from fhir_apps.rules.azure import ahds_service_url
from fhir_apps.spec.model import FhirDeploy, SmartIdentityProvider

__all__ = ["CORS_HEADERS", "CORS_METHODS", "FhirService", "FhirServiceArgs"]

TYPE = "fhir-apps:fhir_service:FhirService"

# What a browser app needs to call a FHIR API with a bearer token; origins come from the config.
CORS_HEADERS = ("Authorization", "Content-Type", "Prefer", "If-Match", "If-None-Match")
CORS_METHODS = ("DELETE", "GET", "OPTIONS", "PATCH", "POST", "PUT")
CORS_MAX_AGE_SECONDS = 1440


@dataclass(frozen=True, kw_only=True)
class FhirServiceArgs:
    """Inputs of FhirService.

    deploy: the spec's `fhirServer.deploy` (resource group, location, names, version, CORS,
        identity, export storage account, tags).
    audience: the token audience the registrations use (`Spec.audience()`): the service URL, or
        the SMART resource app's identifier URI.
    tenant_id: the tenant whose authority issues the tokens (the registrations' tenant).
    protect: Pulumi `protect` on the resource group, workspace and service: the service holds
        the FHIR data, so deleting it by a config edit must not be possible in a protected
        environment.
    smart_identity_providers: `fhirServer.smartIdentityProviders`: identity providers besides
        Entra ID (Azure AD B2C, Entra External ID) whose SMART tokens the service accepts.
    """

    deploy: FhirDeploy
    audience: str
    tenant_id: pulumi.Input[str]
    protect: bool = False
    smart_identity_providers: tuple[SmartIdentityProvider, ...] = ()


class FhirService(pulumi.ComponentResource):
    """`<name>-rg` (a ResourceGroup, unless `createResourceGroup: false`), `<name>-workspace`
    (healthcareapis Workspace) and `<name>-service` (healthcareapis FhirService).

    Outputs:
        resource_id: the FHIR service's ARM id: the scope of its RBAC role assignments.
        url: the service URL `https://<workspace>-<service>.fhir.azurehealthcareapis.com`.
        audience: the audience the service accepts (the registrations' audience).
        authority: `https://login.microsoftonline.com/<tenant>`, the registrations' authority.
    """

    resource_id: pulumi.Output[str]
    url: str
    audience: str
    authority: pulumi.Output[str]

    def __init__(
        self, name: str, args: FhirServiceArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(TYPE, name, None, opts)
        deploy = args.deploy
        self.url = ahds_service_url(deploy.workspace, deploy.service)
        self.audience = args.audience
        self.authority = pulumi.Output.from_input(args.tenant_id).apply(authority)
        self.resource_id = self._create_service(name, args)
        self.register_outputs(
            {
                "resource_id": self.resource_id,
                "url": self.url,
                "audience": self.audience,
                "authority": self.authority,
            }
        )

    def _create_service(self, name: str, args: FhirServiceArgs) -> pulumi.Output[str]:
        import pulumi_azure_native.healthcareapis as healthcareapis

        deploy = args.deploy
        tags = dict(sorted(deploy.tags.items())) or None
        # Names are passed as written (not as the parent's outputs) so that a render shows them;
        # depends_on keeps the creation order.
        depends_on: list[pulumi.Resource] = []
        if deploy.create_resource_group:
            depends_on.append(self._create_resource_group(name, args))
        workspace = healthcareapis.Workspace(
            f"{name}-workspace",
            healthcareapis.WorkspaceArgs(
                resource_group_name=deploy.resource_group,
                workspace_name=deploy.workspace,
                location=deploy.location,
                tags=tags,
            ),
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect, depends_on=depends_on),
        )
        service = healthcareapis.FhirService(
            f"{name}-service",
            healthcareapis.FhirServiceArgs(
                resource_group_name=deploy.resource_group,
                workspace_name=deploy.workspace,
                fhir_service_name=deploy.service,
                location=deploy.location,
                kind=f"fhir-{deploy.fhir_version}",
                authentication_configuration=healthcareapis.FhirServiceAuthenticationConfigurationArgs(
                    audience=args.audience,
                    authority=self.authority,
                    # The service's own SMART on FHIR proxy (Azure API for FHIR had one too) is
                    # deprecated and goes on 2026-09-21 (Microsoft Learn, "Migration strategies
                    # for moving from Azure API for FHIR"): the service applies SMART scopes and
                    # fhirUser itself when the audience is the SMART resource app, and discovery
                    # and launch context are the job of a front door (docs/smart.md).
                    smart_proxy_enabled=False,
                    smart_identity_providers=_identity_providers(args.smart_identity_providers),
                ),
                cors_configuration=_cors(deploy.cors_origins),
                export_configuration=(
                    healthcareapis.FhirServiceExportConfigurationArgs(
                        storage_account_name=deploy.export_storage_account
                    )
                    if deploy.export_storage_account is not None
                    else None
                ),
                identity=healthcareapis.ServiceManagedIdentityIdentityArgs(type=deploy.identity),
                tags=tags,
            ),
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect, depends_on=[workspace]),
        )
        return service.id

    def _create_resource_group(self, name: str, args: FhirServiceArgs) -> pulumi.Resource:
        import pulumi_azure_native.resources as resources

        deploy = args.deploy
        return resources.ResourceGroup(
            f"{name}-rg",
            resources.ResourceGroupArgs(
                resource_group_name=deploy.resource_group,
                location=deploy.location,
                tags=dict(sorted(deploy.tags.items())) or None,
            ),
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )


def _identity_providers(providers: tuple[SmartIdentityProvider, ...]) -> list[object] | None:
    """`smartIdentityProviders`, or None (left out: Entra ID only) when there are none."""
    if not providers:
        return None
    import pulumi_azure_native.healthcareapis as healthcareapis

    return [
        healthcareapis.SmartIdentityProviderConfigurationArgs(
            authority=provider.authority,
            applications=[
                healthcareapis.SmartIdentityProviderApplicationArgs(
                    client_id=application.client_id,
                    audience=application.audience,
                    allowed_data_actions=list(application.allowed_data_actions),
                )
                for application in provider.applications
            ],
        )
        for provider in providers
    ]


def _cors(origins: tuple[str, ...]) -> object | None:
    if not origins:
        return None
    import pulumi_azure_native.healthcareapis as healthcareapis

    return healthcareapis.FhirServiceCorsConfigurationArgs(
        origins=sorted(set(origins)),
        headers=list(CORS_HEADERS),
        methods=list(CORS_METHODS),
        max_age=CORS_MAX_AGE_SECONDS,
        # Bearer tokens travel in the Authorization header, never in cookies.
        allow_credentials=False,
    )
