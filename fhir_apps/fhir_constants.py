"""Facts about FHIR servers on Azure that the code relies on (see DESIGN.md for sources)."""

from __future__ import annotations

from typing import Final

# The first-party "Azure Healthcare APIs" application that Entra already holds for the managed
# FHIR services (AHDS and Azure API for FHIR). Its scope ids differ per tenant: look them up.
AZURE_HEALTHCARE_APIS_APP_ID: Final = "4f6778d8-5aef-43dc-a1ff-b073724b9495"

# Role names the open-source FHIR server's default roles.json defines; it matches the `roles`
# claim case-insensitively, so a config must not define two names that differ only in case.
OSS_ROLE_NAMES: Final = (
    "globalReader",
    "globalExporter",
    "globalConverter",
    "globalImporter",
    "globalWriter",
    "globalAdmin",
    "smartUser",
)

# Built-in Azure RBAC role definitions for the FHIR data plane (AHDS and Azure API for FHIR).
FHIR_RBAC_ROLES: Final[dict[str, str]] = {
    "FHIR Data Reader": "4c8d0bbc-75d3-4935-991f-5f3c56d81508",
    "FHIR Data Writer": "3f88fce4-5892-4214-ae73-ba5294559913",
    "FHIR Data Contributor": "5a1fc7df-4bf1-4951-a576-89034ee01acd",
    "FHIR Data Exporter": "3db33094-8700-4567-8da5-1501d4e7e843",
    "FHIR Data Importer": "4465e953-8ced-4406-a58e-0f6e3f3b530b",
    "FHIR Data Converter": "a1705bd2-3a8f-45a5-8683-466fcfd5cc24",
    "FHIR SMART User": "4ba50f17-9666-485c-a643-ff00808643f0",
    "FHIR Data Bulk Operator": "804db8d3-32c7-4ad4-a975-3f6f90d5f5f5",
}

# Audience that workload identity federation tokens must carry for Entra to exchange them.
FEDERATED_AUDIENCE: Final = "api://AzureADTokenExchange"

AUTHORITY_HOST: Final = "https://login.microsoftonline.com"
