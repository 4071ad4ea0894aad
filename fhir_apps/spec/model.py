"""The typed, frozen spec: what one stack's merged YAML says, after structural validation.

Pydantic checks types, required keys and unknown keys here; the Entra rules that need more than
one field (identifier URI vs verified domains, roles the server defines, ...) live in
`fhir_apps.spec.semantics`, which reports every problem with its key path. Components consume
these objects directly and never read `pulumi.Config()`.

YAML keys are camelCase (like Azure's own); Python attributes are snake_case.
"""

from __future__ import annotations

from typing import Annotated, Final, Literal
from uuid import UUID

from pydantic import BeforeValidator, Field

from fhir_apps.fhir_constants import RESOURCE_APP_KEY, SCOPE_PRESETS, USER_IMPERSONATION
from fhir_apps.rules.azure import ahds_names, ahds_service_url
from fhir_apps.rules.smart import smart_audience
from fhir_apps.spec.base import (
    AppInfo,
    Flag,
    ImportIds,
    SpecModel,
    Text,
    Whole,
    exactly_int,
)
from fhir_apps.spec.client_model import (
    CertificateCredential,
    Client,
    ClientKind,
    ClientSpec,
    ConfidentialClient,
    Credential,
    FederatedCredential,
    OptionalClaims,
    PublicClient,
    SecretCredential,
    ServiceClient,
)

__all__ = [
    "MANAGED_KINDS",
    "AccessPolicies",
    "AppInfo",
    "Assignment",
    "CertificateCredential",
    "Client",
    "ClientKind",
    "ClientSpec",
    "ConfidentialClient",
    "Credential",
    "FederatedCredential",
    "FhirDeploy",
    "FhirServer",
    "FhirServerKind",
    "FhirUser",
    "ImportIds",
    "Naming",
    "OptionalClaims",
    "PinnedIds",
    "Policy",
    "PublicClient",
    "RoleDetails",
    "ScopeDetails",
    "SecretCredential",
    "SecretStore",
    "ServiceClient",
    "SmartIdentityProvider",
    "SmartIdentityProviderApplication",
    "Spec",
    "Tenant",
]


FhirServerKind = Literal["oss", "ahds", "azure-api-for-fhir"]


# The managed FHIR services (Azure Health Data Services, Azure API for FHIR): Microsoft's
# first-party resource app issues their tokens and Azure RBAC grants their roles. `oss` is the
# open-source server, whose resource app and app roles the stack creates. Ask
# `FhirServer.is_managed()` rather than comparing kinds.
MANAGED_KINDS: Final[tuple[FhirServerKind, ...]] = ("ahds", "azure-api-for-fhir")


PrincipalType = Literal["User", "Group", "ServicePrincipal"]


class Tenant(SpecModel):
    """The Entra tenant. `id` is optional: without it the deploying principal's tenant is used."""

    id: UUID | None = None
    verified_domains: tuple[Text, ...] = Field(
        default=(),
        description="Domains verified in the tenant; https identifier URIs must sit under one.",
    )


class Naming(SpecModel):
    """Display names are `<prefix>-<environment>-<key>` unless a client sets displayName."""

    prefix: Text = Field(default="fhir", min_length=1, max_length=40)


class Policy(SpecModel):
    """The tenant's credential policy. Entra's hard ceiling for a secret is 730 days (24 months)."""

    max_secret_lifetime_days: Whole = Field(default=365, ge=1, le=730)
    secret_expiry_warning_days: Whole = Field(
        default=14,
        ge=0,
        le=730,
        description="check and render warn when a client's current secret ends within this "
        "many days (0: never); `--warn-days` overrides it for one run.",
    )


class PinnedIds(SpecModel):
    """Role and scope ids pinned to existing values (adoption); others are uuid5-derived."""

    roles: dict[Text, UUID] = Field(default_factory=dict)
    scopes: dict[Text, UUID] = Field(default_factory=dict)


class ScopeDetails(SpecModel):
    """How Entra shows one delegated scope of the resource app (adoption keeps existing ones).

    A text left out is fhir-apps' own (it names the server and its audience); `""` means no text
    (Graph's null), which only a scope may have. `type: Admin` needs an administrator's consent.
    """

    type: Literal["User", "Admin"] = "User"
    admin_consent_display_name: Text | None = None
    admin_consent_description: Text | None = None
    user_consent_display_name: Text | None = None
    user_consent_description: Text | None = None


AllowedMemberType = Literal["Application", "User"]


class RoleDetails(SpecModel):
    """How Entra shows one app role of the resource app, and who may hold it.

    A text left out is fhir-apps' own; `allowedMemberTypes` says whether applications (daemons'
    service principals), users and groups (`User`), or both may be assigned the role.
    """

    display_name: Text | None = None
    description: Text | None = None
    allowed_member_types: tuple[AllowedMemberType, ...] = ("Application", "User")


class FhirDeploy(SpecModel):
    """An Azure Health Data Services FHIR service that this stack deploys (kind `ahds` only)."""

    resource_group: Text
    create_resource_group: Flag = True
    location: Text
    workspace: Text
    service: Text
    fhir_version: Literal["R4", "Stu3"] = "R4"
    cors_origins: tuple[Text, ...] = ()
    identity: Literal["SystemAssigned", "None"] = "SystemAssigned"
    export_storage_account: Text | None = None
    tags: dict[Text, Text] = Field(default_factory=dict)


ScopePreset = Literal["smart-v1", "smart-v2"]


class SmartIdentityProviderApplication(SpecModel):
    """A resource application of another identity provider whose tokens the FHIR service takes."""

    client_id: Text
    audience: Text
    allowed_data_actions: tuple[Text, ...] = ("Read",)


class SmartIdentityProvider(SpecModel):
    """An identity provider besides Microsoft Entra ID (Azure AD B2C, Entra External ID) whose
    SMART tokens the FHIR service accepts (`authenticationConfiguration.smartIdentityProviders`)."""

    authority: Text
    applications: tuple[SmartIdentityProviderApplication, ...] = ()


class FhirUser(SpecModel):
    """A user's FHIR identity, written to their fhirUser directory extension through Graph."""

    user_id: UUID = Field(description="Object id of the Entra user.")
    fhir_user: Text = Field(
        description="Patient/<id> or Practitioner/<id> (relative to the FHIR service URL), or "
        "the full URL of such a resource."
    )
    description: Text | None = None


class AccessPolicies(SpecModel):
    """Object ids granted data-plane access on an Azure API for FHIR service (legacy)."""

    object_ids: tuple[Text, ...] = ()


class FhirServer(SpecModel):
    """The FHIR server whose tokens these registrations secure."""

    kind: FhirServerKind
    url: Text | None = Field(default=None, description="Identifier URI and token audience.")
    display_name: Text | None = None
    about: AppInfo = Field(default_factory=AppInfo)
    app_roles: tuple[Text, ...] = ()
    scopes: tuple[Text, ...] = (USER_IMPERSONATION,)
    access_token_version: Annotated[Literal[1, 2], BeforeValidator(exactly_int)] = 1
    ids: PinnedIds = Field(default_factory=PinnedIds)
    scope_details: dict[Text, ScopeDetails] = Field(
        default_factory=dict,
        description="Consent texts and type of scopes, by value; the rest get fhir-apps' own.",
    )
    role_details: dict[Text, RoleDetails] = Field(
        default_factory=dict,
        description="Texts and allowed member types of app roles, by value (oss only).",
    )
    app_role_assignment_required: Flag = Field(
        default=True,
        description="oss only: Entra issues tokens for the FHIR server only to principals "
        "holding one of its app roles.",
    )
    owners: tuple[Text, ...] = ()
    import_ids: ImportIds = Field(default_factory=ImportIds)
    resource_id: Text | None = Field(
        default=None, description="ARM id of an existing managed FHIR service."
    )
    deploy: FhirDeploy | None = None
    smart: Flag = False
    accept_mapped_claims: Flag = Field(
        default=False,
        description="The resource app accepts claims mapping policies without a custom signing "
        "key (api.acceptMappedClaims); always on for the SMART app. For an adopted app that has "
        "it on.",
    )
    smart_audience: Text | None = Field(
        default=None,
        description="Identifier URI of the SMART resource app (the token audience): https on a "
        "verified domain. Default: https://<first of tenant.verifiedDomains>/"
        "<workspace>-<service>.",
    )
    scope_presets: tuple[ScopePreset, ...] = Field(
        default=(),
        description="Scope catalogues the resource app exposes besides `scopes`: smart-v1 "
        "(.read), smart-v2 (.rs, .cruds, granular ?category=).",
    )
    fhir_users: tuple[FhirUser, ...] = Field(
        default=(), description="Users and their FHIR identity (the fhirUser claim); SMART only."
    )
    smart_identity_providers: tuple[SmartIdentityProvider, ...] = Field(
        default=(),
        description="Up to two identity providers besides Entra ID (B2C, External ID); SMART only.",
    )
    smart_gateway: Text | None = Field(
        default=None,
        description="Base URL of the SMART front door (API Management of Microsoft's SMART "
        "sample), e.g. https://contoso-apim.azure-api.net.",
    )
    access_policies: AccessPolicies | None = None

    def audience(self) -> str | None:
        """The server's URL: `url`, or for a deployed AHDS service the URL it will have.

        This is the token audience too, except for a deployed AHDS service with `smart: true`,
        whose audience is the SMART resource app's identifier URI (`Spec.audience()`).
        """
        if self.url is not None:
            return self.url
        if self.deploy is not None:
            return ahds_service_url(self.deploy.workspace, self.deploy.service)
        return None

    def is_managed(self) -> bool:
        """A managed service (`MANAGED_KINDS`): RBAC roles, Microsoft's resource app."""
        return self.kind in MANAGED_KINDS

    def creates_resource_app(self) -> bool:
        """The stack creates the FHIR resource app: for kind oss, or the SMART resource app."""
        return not self.is_managed() or self.smart_app()

    def smart_app(self) -> bool:
        """True when the stack creates a SMART on FHIR resource app: kind ahds with `smart`, on
        a service it deploys or one it names (`resourceId`)."""
        return (
            self.kind == "ahds"
            and self.smart
            and (self.deploy is not None or self.resource_id is not None)
        )

    def exposed_scopes(self) -> tuple[str, ...]:
        """`scopes`, then the scopes of `scopePresets` not listed yet, in order: every delegated
        scope of the resource app this stack creates."""
        seen = dict.fromkeys(self.scopes)
        for preset in self.scope_presets:
            seen.update(dict.fromkeys(SCOPE_PRESETS[preset]))
        return tuple(seen)

    def ahds_names(self) -> tuple[str, str] | None:
        """(workspace, service) of an AHDS service: from `deploy`, else `url` or `resourceId`."""
        if self.kind != "ahds":
            return None
        if self.deploy is not None:
            return self.deploy.workspace, self.deploy.service
        return ahds_names(self.url, self.resource_id)


class Assignment(SpecModel):
    """Roles for a person, group or service principal: app roles (oss) or FHIR RBAC (ahds)."""

    principal_id: UUID
    principal_type: PrincipalType
    roles: tuple[Text, ...]
    description: Text | None = None
    retire: Flag = Field(
        default=False,
        description="In a protected environment: lift the protection of these role "
        "assignments for one release, so that the next one may remove them.",
    )
    import_ids: dict[Text, Text] = Field(
        default_factory=dict,
        description="Import ids of existing app role assignments, by role (adoption).",
    )


class SecretStore(SpecModel):
    """Where client secrets are written for applications to read (an existing Key Vault)."""

    key_vault_id: Text | None = None


class Spec(SpecModel):
    """One stack's desired state: the merged layers for an environment (and stack), validated."""

    environment: Text
    stack: Text
    protected: Flag = False
    tenant: Tenant = Field(default_factory=Tenant)
    naming: Naming = Field(default_factory=Naming)
    owners: tuple[Text, ...] = ()
    policy: Policy = Field(default_factory=Policy)
    fhir_server: FhirServer
    clients: dict[Text, Client] = Field(default_factory=dict)
    assignments: tuple[Assignment, ...] = ()
    secret_store: SecretStore = Field(default_factory=SecretStore)

    def audience(self) -> str | None:
        """The token audience every registration and the FHIR service agree on.

        `fhirServer.audience()` (the server URL), except for an AHDS service with `smart: true`:
        there it is the SMART resource app's identifier URI, `fhirServer.smartAudience` or
        `https://<first verified domain>/<workspace>-<service>` (`rules.smart.smart_audience`);
        None when neither can be made (the config rules name the key).
        """
        server = self.fhir_server
        if not server.smart_app():
            return server.audience()
        if server.smart_audience is not None:
            return server.smart_audience
        names = server.ahds_names()
        if names is None or not self.tenant.verified_domains:
            return None
        return smart_audience(self.tenant.verified_domains[0], *names)

    def enabled_clients(self) -> dict[str, ClientSpec]:
        """Clients not switched off with `enabled: false`, in key order (deterministic)."""
        return {key: c for key, c in sorted(self.clients.items()) if c.enabled}

    def is_protected(self, client_key: str | None = None, *, retired: bool = False) -> bool:
        """Whether a registration is `protect`ed: in a protected environment, unless retired.

        client_key: a client, whose own `retire` counts; retired: the retire flag of whatever
        else is asked about (an assignment).
        """
        if not self.protected or retired:
            return False
        return client_key is None or not self.clients[client_key].retire

    def server_display_name(self) -> str:
        """The FHIR resource app's display name: its own, or `<prefix>-<environment>-<key>`."""
        own = self.fhir_server.display_name
        return own or f"{self.naming.prefix}-{self.environment}-{RESOURCE_APP_KEY}"

    def display_name(self, key: str) -> str:
        """The display name of client `key`: its own, or `<prefix>-<environment>-<key>`."""
        client = self.clients[key]
        return client.display_name or f"{self.naming.prefix}-{self.environment}-{key}"
