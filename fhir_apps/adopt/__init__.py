"""Adoption: from app registrations made by hand (Microsoft Graph JSON) to config, unchanged.

Modules, one job each: `graphjson` reads and validates the exports; `classify` finds the FHIR
resource app and each client's kind; `plan` decides the config and the findings, through
`server`, `clients`, `grants`, `owners`, `platforms`, `credentials` and `unmanaged` (sharing one
`context`); `importids` holds the provider's import id formats; `emit` writes the YAML;
`staging` loads and renders the adopted config in a scratch copy; `importfile` turns that
rendering into the file `pulumi import --file` takes; `drift` and `changes` compare existing
objects with a rendering of the config (the adoption plan: what the first `pulumi up` changes).
"""

from fhir_apps.adopt.changes import Creation, adoption_changes, creations
from fhir_apps.adopt.classify import ClientKind, client_kind, find_resource_app
from fhir_apps.adopt.drift import MANAGED_PROPERTIES, Drift, compare, managed_properties
from fhir_apps.adopt.emit import SCHEMA_LINE, environment_yaml, write_environment
from fhir_apps.adopt.findings import Finding
from fhir_apps.adopt.graphjson import AdoptInputError, GraphExport, read_export, read_objects
from fhir_apps.adopt.importfile import import_file, import_file_path, import_file_text
from fhir_apps.adopt.importids import application_import_id, service_principal_import_id
from fhir_apps.adopt.plan import AdoptedApp, Adoption, client_key, plan
from fhir_apps.adopt.staging import render_adopted

__all__ = [
    "MANAGED_PROPERTIES",
    "SCHEMA_LINE",
    "AdoptInputError",
    "AdoptedApp",
    "Adoption",
    "ClientKind",
    "Creation",
    "Drift",
    "Finding",
    "GraphExport",
    "adoption_changes",
    "application_import_id",
    "client_key",
    "client_kind",
    "compare",
    "creations",
    "environment_yaml",
    "find_resource_app",
    "import_file",
    "import_file_path",
    "import_file_text",
    "managed_properties",
    "plan",
    "read_export",
    "read_objects",
    "render_adopted",
    "service_principal_import_id",
    "write_environment",
]
