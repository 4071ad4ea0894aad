"""The typed, frozen spec: what one stack's merged YAML says, after structural validation.

Pydantic checks types, required keys and unknown keys here; the Entra rules that need more than
one field (identifier URI vs verified domains, roles the server defines, ...) live in
`fhir_apps.spec.semantics`, which reports every problem with its key path. Components consume
these objects directly and never read `pulumi.Config()`.

YAML keys are camelCase (like Azure's own); Python attributes are snake_case.
"""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from fhir_apps.rules.entra import ahds_service_url, smart_audience

__all__ = [
    "AccessPolicies",
    "Assignment",
    "CertificateCredential",
    "Client",
    "ClientKind",
    "ConfidentialClient",
    "Credential",
    "FederatedCredential",
    "FhirDeploy",
    "FhirServer",
    "FhirServerKind",
    "ImportIds",
    "Naming",
    "PinnedIds",
    "Policy",
    "PublicClient",
    "RoleDetails",
    "ScopeDetails",
    "SecretCredential",
    "SecretStore",
    "ServiceClient",
    "Spec",
    "Tenant",
]


class _Model(BaseModel):
    """Base for every spec object: frozen, camelCase keys in YAML, unknown keys rejected."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        alias_generator=to_camel,
        populate_by_name=True,
        str_strip_whitespace=False,
        validate_default=True,
    )


FhirServerKind = Literal["oss", "ahds", "azure-api-for-fhir"]
ClientKind = Literal["confidential", "public", "service"]
PrincipalType = Literal["User", "Group", "ServicePrincipal"]


class Tenant(_Model):
    """The Entra tenant. `id` is optional: without it the deploying principal's tenant is used."""

    id: UUID | None = None
    verified_domains: tuple[str, ...] = Field(
        default=(),
        description="Domains verified in the tenant; https identifier URIs must sit under one.",
    )


class Naming(_Model):
    """Display names are `<prefix>-<environment>-<key>` unless a client sets displayName."""

    prefix: str = Field(default="fhir", min_length=1, max_length=40)


class Policy(_Model):
    """The tenant's credential policy. Entra's hard ceiling for a secret is 730 days (24 months)."""

    max_secret_lifetime_days: int = Field(default=365, ge=1, le=730)


class ImportIds(_Model):
    """Ids of objects that already exist in Entra, adopted with Pulumi's `import` option.

    `application` is the Application import id `/applications/<objectId>`; `servicePrincipal` is
    the service principal's import id (see `fhir_apps.adopt.importids` for the formats this
    provider takes). The rest are a client's child objects, keyed by what names them in the
    config: `roleAssignments` by role value (a service client's app role assignments),
    `consentGrant` (the admin consent of `adminConsent: true`), `federatedCredentials` by subject
    (the credential of each subject of a federated credential).
    """

    application: str | None = None
    service_principal: str | None = None
    role_assignments: dict[str, str] = Field(default_factory=dict)
    consent_grant: str | None = None
    federated_credentials: dict[str, str] = Field(default_factory=dict)


class PinnedIds(_Model):
    """Role and scope ids pinned to existing values (adoption); others are uuid5-derived."""

    roles: dict[str, UUID] = Field(default_factory=dict)
    scopes: dict[str, UUID] = Field(default_factory=dict)


class ScopeDetails(_Model):
    """How Entra shows one delegated scope of the resource app (adoption keeps existing ones).

    A text left out is fhir-apps' own (it names the server and its audience); `""` means no text
    (Graph's null), which only a scope may have. `type: Admin` needs an administrator's consent.
    """

    type: Literal["User", "Admin"] = "User"
    admin_consent_display_name: str | None = None
    admin_consent_description: str | None = None
    user_consent_display_name: str | None = None
    user_consent_description: str | None = None


AllowedMemberType = Literal["Application", "User"]


class RoleDetails(_Model):
    """How Entra shows one app role of the resource app, and who may hold it.

    A text left out is fhir-apps' own; `allowedMemberTypes` says whether applications (daemons'
    service principals), users and groups (`User`), or both may be assigned the role.
    """

    display_name: str | None = None
    description: str | None = None
    allowed_member_types: tuple[AllowedMemberType, ...] = ("Application", "User")


class FhirDeploy(_Model):
    """An Azure Health Data Services FHIR service that this stack deploys (kind `ahds` only)."""

    resource_group: str
    create_resource_group: bool = True
    location: str
    workspace: str
    service: str
    fhir_version: Literal["R4", "Stu3"] = "R4"
    cors_origins: tuple[str, ...] = ()
    identity: Literal["SystemAssigned", "None"] = "SystemAssigned"
    export_storage_account: str | None = None
    tags: dict[str, str] = Field(default_factory=dict)


class AccessPolicies(_Model):
    """Object ids granted data-plane access on an Azure API for FHIR service (legacy)."""

    object_ids: tuple[str, ...] = ()


class FhirServer(_Model):
    """The FHIR server whose tokens these registrations secure."""

    kind: FhirServerKind
    url: str | None = Field(default=None, description="Identifier URI and token audience.")
    display_name: str | None = None
    app_roles: tuple[str, ...] = ()
    scopes: tuple[str, ...] = ("user_impersonation",)
    access_token_version: Literal[1, 2] = 1
    ids: PinnedIds = Field(default_factory=PinnedIds)
    scope_details: dict[str, ScopeDetails] = Field(
        default_factory=dict,
        description="Consent texts and type of scopes, by value; the rest get fhir-apps' own.",
    )
    role_details: dict[str, RoleDetails] = Field(
        default_factory=dict,
        description="Texts and allowed member types of app roles, by value (oss only).",
    )
    app_role_assignment_required: bool = Field(
        default=True,
        description="oss only: Entra issues tokens for the FHIR server only to principals "
        "holding one of its app roles.",
    )
    owners: tuple[str, ...] = ()
    import_ids: ImportIds = Field(default_factory=ImportIds)
    resource_id: str | None = Field(
        default=None, description="ARM id of an existing managed FHIR service."
    )
    deploy: FhirDeploy | None = None
    smart: bool = False
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

    def smart_app(self) -> bool:
        """True when the stack creates a SMART on FHIR resource app (ahds, deploy, smart)."""
        return self.kind == "ahds" and self.smart and self.deploy is not None


class SecretCredential(_Model):
    """Two rotating client secrets (slots a and b); the current one is a secret stack output."""

    type: Literal["secret"]
    rotation_days: int = Field(default=90, ge=1, le=730)
    key_vault_id: str | None = None


class CertificateCredential(_Model):
    """A certificate's public part, read from a PEM file relative to the config directory.

    In YAML the path is relative to the config directory; `load_spec` checks that the file holds
    only public certificates and replaces the value with the file's absolute path.
    """

    type: Literal["certificate"]
    certificate_file: str


class FederatedCredential(_Model):
    """Workload identity federation (e.g. GitHub Actions OIDC): one credential per subject."""

    type: Literal["federated"]
    issuer: str
    subject: str | None = None
    subjects: tuple[str, ...] = ()
    audiences: tuple[str, ...] = ("api://AzureADTokenExchange",)

    def all_subjects(self) -> tuple[str, ...]:
        """`subject` and `subjects` together, sorted and without repeats."""
        merged = set(self.subjects)
        if self.subject is not None:
            merged.add(self.subject)
        return tuple(sorted(merged))


Credential = Annotated[
    SecretCredential | CertificateCredential | FederatedCredential,
    Field(discriminator="type"),
]


class _ClientBase(_Model):
    enabled: bool = True
    display_name: str | None = None
    owners: tuple[str, ...] = ()
    import_ids: ImportIds = Field(default_factory=ImportIds)


class ConfidentialClient(_ClientBase):
    """A web app: authorization-code flow with a credential; implicit grant stays off."""

    kind: Literal["confidential"]
    redirect_uris: tuple[str, ...] = ()
    logout_url: str | None = None
    homepage_url: str | None = None
    scopes: tuple[str, ...] = ()
    admin_consent: bool = False
    credential: Credential | None = None


class PublicClient(_ClientBase):
    """A SPA, mobile or desktop app: no credential of any kind."""

    kind: Literal["public"]
    platform: Literal["spa", "mobile", "desktop"]
    redirect_uris: tuple[str, ...] = ()
    scopes: tuple[str, ...] = ()
    admin_consent: bool = False
    fallback_public_client: bool = False
    # Present only so that a credential on a public client is reported with a clear message
    # (`semantics` rejects any value) instead of pydantic's generic "extra field" error.
    credential: Credential | None = None


class ServiceClient(_ClientBase):
    """A daemon: client-credentials flow, application permissions (roles) only."""

    kind: Literal["service"]
    roles: tuple[str, ...] = ()
    credential: Credential | None = None
    # As for PublicClient.credential: accepted structurally so the rule can name the remedy.
    redirect_uris: tuple[str, ...] = ()
    scopes: tuple[str, ...] = ()


Client = Annotated[
    ConfidentialClient | PublicClient | ServiceClient,
    Field(discriminator="kind"),
]


class Assignment(_Model):
    """Roles for a person, group or service principal: app roles (oss) or FHIR RBAC (ahds)."""

    principal_id: UUID
    principal_type: PrincipalType
    roles: tuple[str, ...]
    description: str | None = None
    import_ids: dict[str, str] = Field(
        default_factory=dict,
        description="Import ids of existing app role assignments, by role (adoption).",
    )


class SecretStore(_Model):
    """Where client secrets are written for applications to read (an existing Key Vault)."""

    key_vault_id: str | None = None


class Spec(_Model):
    """One stack's desired state: the merged layers for an environment (and stack), validated."""

    environment: str
    stack: str
    protected: bool = False
    tenant: Tenant = Field(default_factory=Tenant)
    naming: Naming = Field(default_factory=Naming)
    owners: tuple[str, ...] = ()
    policy: Policy = Field(default_factory=Policy)
    fhir_server: FhirServer
    clients: dict[str, Client] = Field(default_factory=dict)
    assignments: tuple[Assignment, ...] = ()
    secret_store: SecretStore = Field(default_factory=SecretStore)

    def audience(self) -> str | None:
        """The token audience every registration and the FHIR service agree on.

        `fhirServer.audience()` (the server URL), except for a deployed AHDS service with
        `smart: true`: there the audience is the SMART resource app's identifier URI
        `api://<tenant.id>/<workspace>-<service>` (see `rules.entra.smart_audience`).
        """
        server = self.fhir_server
        if server.smart_app() and server.deploy is not None:
            if self.tenant.id is None:
                return None  # the config rules require tenant.id here, naming the key
            deploy = server.deploy
            return smart_audience(str(self.tenant.id), deploy.workspace, deploy.service)
        return server.audience()

    def enabled_clients(self) -> dict[str, ConfidentialClient | PublicClient | ServiceClient]:
        """Clients not switched off with `enabled: false`, in key order (deterministic)."""
        return {key: c for key, c in sorted(self.clients.items()) if c.enabled}

    def display_name(self, key: str) -> str:
        """The display name of client `key`: its own, or `<prefix>-<environment>-<key>`."""
        client = self.clients[key]
        return client.display_name or f"{self.naming.prefix}-{self.environment}-{key}"
