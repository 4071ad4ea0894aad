"""Adoption: from app registrations made by hand (Microsoft Graph JSON) to config, unchanged.

Modules, one job each: `graphjson` reads and validates the exports; `classify` finds the FHIR
resource app and each client's kind; `plan` decides the config and the findings; `importids`
holds the provider's import id formats; `emit` writes the YAML; `drift` compares existing
objects with a rendering of the config.
"""

from fhir_apps.adopt.classify import ClientKind, client_kind, find_resource_app
from fhir_apps.adopt.drift import MANAGED_PROPERTIES, Drift, compare, managed_properties
from fhir_apps.adopt.emit import SCHEMA_LINE, environment_yaml, write_environment
from fhir_apps.adopt.findings import Finding
from fhir_apps.adopt.graphjson import AdoptInputError, GraphExport, read_export, read_objects
from fhir_apps.adopt.importids import application_import_id, service_principal_import_id
from fhir_apps.adopt.plan import AdoptedApp, Adoption, client_key, plan

__all__ = [
    "MANAGED_PROPERTIES",
    "SCHEMA_LINE",
    "AdoptInputError",
    "AdoptedApp",
    "Adoption",
    "ClientKind",
    "Drift",
    "Finding",
    "GraphExport",
    "application_import_id",
    "client_key",
    "client_kind",
    "compare",
    "environment_yaml",
    "find_resource_app",
    "managed_properties",
    "plan",
    "read_export",
    "read_objects",
    "service_principal_import_id",
    "write_environment",
]
