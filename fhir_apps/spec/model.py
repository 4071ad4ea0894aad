"""The typed, frozen spec: what one stack's merged YAML says, after structural validation.

Pydantic checks types, required keys and unknown keys here; the Entra rules that need more than
one field (identifier URI vs verified domains, roles the server defines, ...) live in
`fhir_apps.spec.semantics`, which reports every problem with its key path. Components consume
these objects directly and never read `pulumi.Config()`.

YAML keys are camelCase (like Azure's own); Python attributes are snake_case.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, Strict
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

from fhir_apps.fhir_constants import SCOPE_PRESETS
from fhir_apps.rules.entra import ahds_names, ahds_service_url, smart_audience

__all__ = [
    "AccessPolicies",
    "AppInfo",
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


# Strict scalars: no coercion. YAML already gives every plain scalar its type, so a value of
# another type is a mistake whose coerced meaning is not what the author sees: the quoted
# "no" would be False and "0" False, `rotationDays: true` would be 1 day and 30.0 would be 30,
# and bytes from a `!!binary` tag would become a name.
Text = Annotated[str, Strict()]
Flag = Annotated[bool, Strict()]
Whole = Annotated[int, Strict()]


def _exactly_int(value: Any) -> Any:
    """Strict for a Literal of numbers, which pydantic cannot make strict: true is not 1."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise PydanticCustomError("literal_error", "Input should be 1 or 2", {"expected": "1 or 2"})


FhirServerKind = Literal["oss", "ahds", "azure-api-for-fhir"]
ClientKind = Literal["confidential", "public", "service"]
PrincipalType = Literal["User", "Group", "ServicePrincipal"]


class Tenant(_Model):
    """The Entra tenant. `id` is optional: without it the deploying principal's tenant is used."""

    id: UUID | None = None
    verified_domains: tuple[Text, ...] = Field(
        default=(),
        description="Domains verified in the tenant; https identifier URIs must sit under one.",
    )


class Naming(_Model):
    """Display names are `<prefix>-<environment>-<key>` unless a client sets displayName."""

    prefix: Text = Field(default="fhir", min_length=1, max_length=40)


class Policy(_Model):
    """The tenant's credential policy. Entra's hard ceiling for a secret is 730 days (24 months)."""

    max_secret_lifetime_days: Whole = Field(default=365, ge=1, le=730)
    secret_expiry_warning_days: Whole = Field(
        default=14,
        ge=0,
        le=730,
        description="check and render warn when a client's current secret ends within this "
        "many days (0: never); `--warn-days` overrides it for one run.",
    )


class ImportIds(_Model):
    """Ids of objects that already exist in Entra, adopted with Pulumi's `import` option.

    `application` is the Application import id `/applications/<objectId>`; `servicePrincipal` is
    the service principal's import id (see `fhir_apps.adopt.importids` for the formats this
    provider takes). The rest are a client's child objects, keyed by what names them in the
    config: `roleAssignments` by role value (a service client's app role assignments),
    `consentGrant` (the admin consent of `adminConsent: true`), `graphConsentGrant` (its admin
    consent to `graphScopes` on Microsoft Graph), `federatedCredentials` by subject (the
    credential of each subject of a federated credential).
    """

    application: Text | None = None
    service_principal: Text | None = None
    role_assignments: dict[Text, Text] = Field(default_factory=dict)
    consent_grant: Text | None = None
    graph_consent_grant: Text | None = None
    federated_credentials: dict[Text, Text] = Field(default_factory=dict)


class PinnedIds(_Model):
    """Role and scope ids pinned to existing values (adoption); others are uuid5-derived."""

    roles: dict[Text, UUID] = Field(default_factory=dict)
    scopes: dict[Text, UUID] = Field(default_factory=dict)


class ScopeDetails(_Model):
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


class RoleDetails(_Model):
    """How Entra shows one app role of the resource app, and who may hold it.

    A text left out is fhir-apps' own; `allowedMemberTypes` says whether applications (daemons'
    service principals), users and groups (`User`), or both may be assigned the role.
    """

    display_name: Text | None = None
    description: Text | None = None
    allowed_member_types: tuple[AllowedMemberType, ...] = ("Application", "User")


class FhirDeploy(_Model):
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
# User.Read too: the portal adds it to every new app, and web apps read the signed-in profile.
GraphScope = Literal["openid", "offline_access", "profile", "email", "User.Read"]


class SmartIdentityProviderApplication(_Model):
    """A resource application of another identity provider whose tokens the FHIR service takes."""

    client_id: Text
    audience: Text
    allowed_data_actions: tuple[Text, ...] = ("Read",)


class SmartIdentityProvider(_Model):
    """An identity provider besides Microsoft Entra ID (Azure AD B2C, Entra External ID) whose
    SMART tokens the FHIR service accepts (`authenticationConfiguration.smartIdentityProviders`)."""

    authority: Text
    applications: tuple[SmartIdentityProviderApplication, ...] = ()


class FhirUser(_Model):
    """A user's FHIR identity, written to their fhirUser directory extension through Graph."""

    user_id: UUID = Field(description="Object id of the Entra user.")
    fhir_user: Text = Field(
        description="Patient/<id> or Practitioner/<id> (relative to the FHIR service URL), or "
        "the full URL of such a resource."
    )
    description: Text | None = None


class AppInfo(_Model):
    """What Entra shows about an application besides its permissions (`about:`): notes, a
    description, the service management reference and Graph's `info` links. The provider
    clears each one the program does not set, so an adopted app keeps its own here."""

    notes: Text | None = None
    description: Text | None = None
    service_management_reference: Text | None = None
    marketing_url: Text | None = None
    privacy_statement_url: Text | None = None
    support_url: Text | None = None
    terms_of_service_url: Text | None = None

    def application_args(self) -> dict[str, str]:
        """The set ones as `azuread.ApplicationArgs` keywords (the same names, snake_case)."""
        return {name: value for name, value in self if value is not None}


class AccessPolicies(_Model):
    """Object ids granted data-plane access on an Azure API for FHIR service (legacy)."""

    object_ids: tuple[Text, ...] = ()


class FhirServer(_Model):
    """The FHIR server whose tokens these registrations secure."""

    kind: FhirServerKind
    url: Text | None = Field(default=None, description="Identifier URI and token audience.")
    display_name: Text | None = None
    about: AppInfo = Field(default_factory=AppInfo)
    app_roles: tuple[Text, ...] = ()
    scopes: tuple[Text, ...] = ("user_impersonation",)
    access_token_version: Annotated[Literal[1, 2], BeforeValidator(_exactly_int)] = 1
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


class SecretCredential(_Model):
    """Two rotating client secrets (slots a and b); the current one is a secret stack output."""

    type: Literal["secret"]
    rotation_days: Whole = Field(default=90, ge=1, le=730)
    key_vault_id: Text | None = None


class CertificateCredential(_Model):
    """Certificates' public parts, read from PEM files relative to the config directory.

    `certificateFile` is one certificate; `certificateFiles` adds more, so that during a
    rollover the old and the new certificate are both valid (each is its own credential, named
    after its thumbprint). In YAML the paths are relative to the config directory; `load_spec`
    checks each file (one client certificate: a chain file uploads its leaf) and replaces each
    value with the file's absolute path.
    """

    type: Literal["certificate"]
    certificate_file: Text | None = Field(default=None, min_length=1)
    certificate_files: tuple[Text, ...] = Field(
        default=(),
        description="More certificate files (a rollover: add the new one here, remove the old "
        "one once every app uses the new).",
    )

    def all_files(self) -> tuple[str, ...]:
        """`certificateFile` first (when set), then `certificateFiles`, as written."""
        first = (self.certificate_file,) if self.certificate_file is not None else ()
        return (*first, *self.certificate_files)


class FederatedCredential(_Model):
    """Workload identity federation (e.g. GitHub Actions OIDC): one credential per subject."""

    type: Literal["federated"]
    issuer: Text
    subject: Text | None = None
    subjects: tuple[Text, ...] = ()
    audiences: tuple[Text, ...] = ("api://AzureADTokenExchange",)

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


class OptionalClaims(_Model):
    """Optional claims of a client's tokens (Entra's names, e.g. login_hint). `fhirUser` in
    `idToken` is not an Entra optional claim: it assigns the fhirUser claims mapping policy to the
    client, so that its ID tokens carry the claim (SMART clients get it anyway)."""

    id_token: tuple[Text, ...] = ()
    access_token: tuple[Text, ...] = ()


class _ClientBase(_Model):
    enabled: Flag = True
    retire: Flag = Field(
        default=False,
        description="In a protected environment: lift the protection of this client's "
        "registration for one release, so that the next one may remove it.",
    )
    display_name: Text | None = None
    about: AppInfo = Field(default_factory=AppInfo)
    owners: tuple[Text, ...] = ()
    import_ids: ImportIds = Field(default_factory=ImportIds)


class ConfidentialClient(_ClientBase):
    """A web app: authorization-code flow with a credential; implicit grant stays off."""

    kind: Literal["confidential"]
    redirect_uris: tuple[Text, ...] = ()
    logout_url: Text | None = None
    homepage_url: Text | None = None
    scopes: tuple[Text, ...] = ()
    graph_scopes: tuple[GraphScope, ...] = Field(
        default=(), description="Microsoft Graph's OpenID Connect scopes the client requests."
    )
    optional_claims: OptionalClaims = Field(default_factory=OptionalClaims)
    admin_consent: Flag = False
    credential: Credential | None = None


class PublicClient(_ClientBase):
    """A SPA, mobile or desktop app: no credential of any kind."""

    kind: Literal["public"]
    platform: Literal["spa", "mobile", "desktop"]
    redirect_uris: tuple[Text, ...] = ()
    scopes: tuple[Text, ...] = ()
    graph_scopes: tuple[GraphScope, ...] = Field(
        default=(), description="Microsoft Graph's OpenID Connect scopes the client requests."
    )
    optional_claims: OptionalClaims = Field(default_factory=OptionalClaims)
    admin_consent: Flag = False
    fallback_public_client: Flag = False
    auth_context_frontend: Flag = Field(
        default=False,
        description="The SMART sample's Auth Context Frontend SPA: adds "
        "<smartGateway>/auth/context/ to its redirect URIs and the login_hint optional claim to "
        "its ID tokens.",
    )
    # Present only so that a credential on a public client is reported with a clear message
    # (`semantics` rejects any value) instead of pydantic's generic "extra field" error.
    credential: Credential | None = None


class ServiceClient(_ClientBase):
    """A daemon: client-credentials flow, application permissions (roles) only."""

    kind: Literal["service"]
    roles: tuple[Text, ...] = ()
    credential: Credential | None = None
    # As for PublicClient.credential: accepted structurally so the rule can name the remedy.
    redirect_uris: tuple[Text, ...] = ()
    scopes: tuple[Text, ...] = ()


Client = Annotated[
    ConfidentialClient | PublicClient | ServiceClient,
    Field(discriminator="kind"),
]


class Assignment(_Model):
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


class SecretStore(_Model):
    """Where client secrets are written for applications to read (an existing Key Vault)."""

    key_vault_id: Text | None = None


class Spec(_Model):
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
        `https://<first verified domain>/<workspace>-<service>` (`rules.entra.smart_audience`);
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

    def enabled_clients(self) -> dict[str, ConfidentialClient | PublicClient | ServiceClient]:
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

    def display_name(self, key: str) -> str:
        """The display name of client `key`: its own, or `<prefix>-<environment>-<key>`."""
        client = self.clients[key]
        return client.display_name or f"{self.naming.prefix}-{self.environment}-{key}"
