"""The spec: typed, frozen description of one stack, loaded from the layered YAML."""

from fhir_apps.spec.model import *  # noqa: F403
from fhir_apps.spec.model import __all__  # noqa: F401
