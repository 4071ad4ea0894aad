"""The client specs (confidential, public, service) and their credentials."""

from __future__ import annotations

from typing import Annotated, Literal, TypeAlias

from pydantic import Field

from fhir_apps.spec.base import AppInfo, Flag, GraphScope, ImportIds, SpecModel, Text, Whole

__all__ = [
    "CertificateCredential",
    "Client",
    "ClientKind",
    "ClientSpec",
    "ConfidentialClient",
    "Credential",
    "FederatedCredential",
    "OptionalClaims",
    "PublicClient",
    "SecretCredential",
    "ServiceClient",
]


ClientKind = Literal["confidential", "public", "service"]


class SecretCredential(SpecModel):
    """Two rotating client secrets (slots a and b); the current one is a secret stack output."""

    type: Literal["secret"]
    rotation_days: Whole = Field(default=90, ge=1, le=730)
    key_vault_id: Text | None = None


class CertificateCredential(SpecModel):
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


class FederatedCredential(SpecModel):
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


class OptionalClaims(SpecModel):
    """Optional claims of a client's tokens (Entra's names, e.g. login_hint). `fhirUser` in
    `idToken` is not an Entra optional claim: it assigns the fhirUser claims mapping policy to the
    client, so that its ID tokens carry the claim (SMART clients get it anyway)."""

    id_token: tuple[Text, ...] = ()
    access_token: tuple[Text, ...] = ()


class _ClientBase(SpecModel):
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
    app_role_assignment_required: Flag = Field(
        default=False,
        description="Only users and groups assigned to the client's own app (its service "
        "principal) may sign in to it.",
    )


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
    id_token_issuance: Flag = Field(
        default=False,
        description="Hybrid flow (response_type 'code id_token', e.g. ASP.NET OpenID Connect): "
        "Entra returns the ID token from the authorize endpoint. Access tokens from it stay off.",
    )


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


# Every client spec; dispatch on it with `match` and `assert_never`, so a new kind cannot fall
# through to another kind's branch.
ClientSpec: TypeAlias = ConfidentialClient | PublicClient | ServiceClient


Client = Annotated[ClientSpec, Field(discriminator="kind")]
