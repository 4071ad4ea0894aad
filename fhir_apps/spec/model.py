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
    `consentGrant` (the admin consent of `adminConsent: true`), `federatedCredentials` by subject
    (the credential of each subject of a federated credential).
    """

    application: Text | None = None
    service_principal: Text | None = None
    role_assignments: dict[Text, Text] = Field(default_factory=dict)
    consent_grant: Text | None = None
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


class AccessPolicies(_Model):
    """Object ids granted data-plane access on an Azure API for FHIR service (legacy)."""

    object_ids: tuple[Text, ...] = ()


class FhirServer(_Model):
    """The FHIR server whose tokens these registrations secure."""

    kind: FhirServerKind
    url: Text | None = Field(default=None, description="Identifier URI and token audience.")
    display_name: Text | None = None
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


class _ClientBase(_Model):
    enabled: Flag = True
    retire: Flag = Field(
        default=False,
        description="In a protected environment: lift the protection of this client's "
        "registration for one release, so that the next one may remove it.",
    )
    display_name: Text | None = None
    owners: tuple[Text, ...] = ()
    import_ids: ImportIds = Field(default_factory=ImportIds)


class ConfidentialClient(_ClientBase):
    """A web app: authorization-code flow with a credential; implicit grant stays off."""

    kind: Literal["confidential"]
    redirect_uris: tuple[Text, ...] = ()
    logout_url: Text | None = None
    homepage_url: Text | None = None
    scopes: tuple[Text, ...] = ()
    admin_consent: Flag = False
    credential: Credential | None = None


class PublicClient(_ClientBase):
    """A SPA, mobile or desktop app: no credential of any kind."""

    kind: Literal["public"]
    platform: Literal["spa", "mobile", "desktop"]
    redirect_uris: tuple[Text, ...] = ()
    scopes: tuple[Text, ...] = ()
    admin_consent: Flag = False
    fallback_public_client: Flag = False
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
