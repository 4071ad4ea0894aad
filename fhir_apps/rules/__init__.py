"""Entra's (and Azure's) rules for app registrations, as pure functions over plain values.

One home per rule, so that the config check (`fhir_apps.spec.semantics`), the components, the
policy pack and `adopt` word each rule once. Nothing here knows about the spec, pydantic or
Pulumi: arguments are strings, numbers and sequences; results are messages that say what is
allowed (None or empty when all is well). The modules, by subject:

- `text`: unsafe characters, URLs that hide their target, display names, repeated values;
- `urls`: redirect URIs, identifier URIs and verified domains, token version, CORS origins;
- `permissions`: scope and app role values and texts, FHIR RBAC roles, object ids;
- `credentials`: secret lifetimes and rotation, federated credentials;
- `azure`: managed FHIR service URLs, ARM ids and Azure resource names;
- `smart`: SMART on FHIR scopes, fhirUser, the front door and other identity providers.

Import a rule from the module that owns it; the package also re-exports every public name of
those modules (`from fhir_apps import rules`, `rules.<name>`), for the callers written that way.
"""

from fhir_apps.rules import azure, credentials, permissions, smart, text, urls
from fhir_apps.rules.azure import *  # noqa: F403
from fhir_apps.rules.credentials import *  # noqa: F403
from fhir_apps.rules.permissions import *  # noqa: F403
from fhir_apps.rules.smart import *  # noqa: F403
from fhir_apps.rules.text import *  # noqa: F403
from fhir_apps.rules.urls import *  # noqa: F403

__all__ = [
    *text.__all__,
    *urls.__all__,
    *permissions.__all__,
    *credentials.__all__,
    *azure.__all__,
    *smart.__all__,
]
