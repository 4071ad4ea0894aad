"""Entra's rules for app registrations as pure functions (see `fhir_apps.rules.entra`).

Shared by the config check and the policy pack; independent of the spec, pydantic and Pulumi.
"""

from fhir_apps.rules.entra import *  # noqa: F403
from fhir_apps.rules.entra import __all__  # noqa: F401
