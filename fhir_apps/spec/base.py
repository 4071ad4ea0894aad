"""The spec's building blocks: the base model (frozen, camelCase, no unknown keys), strict
scalars, and the small objects both the FHIR server and the clients hold (`about`, `importIds`)."""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypedDict, cast

from pydantic import BaseModel, ConfigDict, Field, Strict
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

__all__ = [
    "AppInfo",
    "ApplicationNotes",
    "Flag",
    "GraphScope",
    "ImportIds",
    "SpecModel",
    "Text",
    "Whole",
    "exactly_int",
]


class SpecModel(BaseModel):
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


def exactly_int(value: Any) -> Any:
    """Strict for a Literal of numbers, which pydantic cannot make strict: true is not 1."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise PydanticCustomError("literal_error", "Input should be 1 or 2", {"expected": "1 or 2"})


class ImportIds(SpecModel):
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


# User.Read too: the portal adds it to every new app, and web apps read the signed-in profile.
GraphScope = Literal["openid", "offline_access", "profile", "email", "User.Read"]


class ApplicationNotes(TypedDict, total=False):
    """`AppInfo`'s fields that are set, as keyword arguments of `azuread.ApplicationArgs`."""

    notes: str
    description: str
    service_management_reference: str
    marketing_url: str
    privacy_statement_url: str
    support_url: str
    terms_of_service_url: str


class AppInfo(SpecModel):
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

    def application_args(self) -> ApplicationNotes:
        """The set ones as `azuread.ApplicationArgs` keywords (the same names, snake_case)."""
        # The field names are ApplicationNotes' keys; a comprehension cannot show it to mypy.
        return cast(ApplicationNotes, {name: value for name, value in self if value is not None})
