"""Facts about FHIR servers on Azure that the code relies on, each with its source, and the few
names the project itself gives that several layers must agree on."""

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

# The FHIR RBAC role that runs $export, which writes to the service's export storage account.
EXPORTER_ROLE: Final = "FHIR Data Exporter"

# The one delegated scope of the managed services' first-party resource app, which every resource
# app this project creates exposes too: "call the FHIR server as the signed-in user".
USER_IMPERSONATION: Final = "user_impersonation"

# The YAML key and Pulumi resource name of the FHIR resource app (components.stack builds it under
# this name; the config reserves it, so no client may take it; adopt writes its import ids here).
RESOURCE_APP_KEY: Final = "fhir-server"

# Audience that workload identity federation tokens must carry for Entra to exchange them.
FEDERATED_AUDIENCE: Final = "api://AzureADTokenExchange"

AUTHORITY_HOST: Final = "https://login.microsoftonline.com"

# --- SMART on FHIR on Azure Health Data Services ----------------------------------------------

# The FHIR RBAC role that makes the FHIR service apply SMART scopes and the fhirUser compartment
# (microsoft/fhir-server SmartClinicalScopesMiddleware: the `Smart` data action).
SMART_USER_ROLE: Final = "FHIR SMART User"

# The claim the FHIR service reads the signed-in user's FHIR identity from
# (microsoft/fhir-server AuthorizationConfiguration.FhirUserClaim), and the name of the directory
# extension property on the SMART resource app that holds it per user.
FHIR_USER_CLAIM: Final = "fhirUser"
FHIR_USER_EXTENSION: Final = "fhirUser"
# FhirUserClaimParser accepts only these resource types in a fhirUser value.
FHIR_USER_RESOURCE_TYPES: Final = ("Patient", "Practitioner")

# Microsoft Graph: the application every tenant has, and the ids of its OpenID Connect scopes
# (the same in every tenant; Microsoft Graph permissions reference).
MICROSOFT_GRAPH_APP_ID: Final = "00000003-0000-0000-c000-000000000000"
GRAPH_DELEGATED_SCOPES: Final[dict[str, str]] = {
    "email": "64a6cdd6-aab1-4aaf-94b8-3cc8405e90d0",
    "offline_access": "7427e0e9-2fba-42fe-b0c0-848c9e6a8182",
    "openid": "37f7f235-527c-4136-accd-4a02d197296e",
    "profile": "14dad69e-099b-42c9-810b-d002981feec1",
    # Not OpenID Connect, but what every portal-made app asks for to read the signed-in user.
    "User.Read": "e1fd296f-fa3a-4e5d-a1e8-e64e11dc18a9",
}

# The resource types of the US Core profiles the SMART samples expose scopes for
# (Azure-Samples/azure-health-data-and-ai-samples, smartonfhir-smart-v2,
# scripts/manifest-json-contents/oauth2-permissions.json).
US_CORE_RESOURCE_TYPES: Final = (
    "AllergyIntolerance",
    "CarePlan",
    "CareTeam",
    "Condition",
    "Coverage",
    "Device",
    "DiagnosticReport",
    "DocumentReference",
    "Encounter",
    "Goal",
    "Immunization",
    "Location",
    "Medication",
    "MedicationDispense",
    "MedicationRequest",
    "Observation",
    "Organization",
    "Patient",
    "Practitioner",
    "PractitionerRole",
    "Procedure",
    "Provenance",
    "RelatedPerson",
    "ServiceRequest",
    "Specimen",
)

# Launch context and identity scopes, in Entra's form ('.' for '/'): the same in v1 and v2.
SMART_CONTEXT_SCOPES: Final = ("launch", "launch.patient", "fhirUser", "online_access")

# SMART v2 granular scopes the sample exposes: search by category, the category's system with
# '/' written as %2f (Entra forbids '/'; the FHIR service decodes %2f before matching).
_OBSERVATION_CATEGORY = "http:%2f%2fterminology.hl7.org%2fCodeSystem%2fobservation-category"
_CONDITION_CATEGORY = "http:%2f%2fterminology.hl7.org%2fCodeSystem%2fcondition-category"
_US_CORE_CATEGORY = "http:%2f%2fhl7.org%2ffhir%2fus%2fcore%2fCodeSystem"
SMART_V2_GRANULAR_SCOPES: Final = (
    f"patient.Condition.rs?category={_CONDITION_CATEGORY}|encounter-diagnosis",
    f"patient.Condition.rs?category={_CONDITION_CATEGORY}|problem-list-item",
    f"patient.Condition.rs?category={_US_CORE_CATEGORY}%2fcondition-category|health-concern",
    f"patient.Observation.rs?category={_OBSERVATION_CATEGORY}|laboratory",
    f"patient.Observation.rs?category={_OBSERVATION_CATEGORY}|social-history",
    f"patient.Observation.rs?category={_OBSERVATION_CATEGORY}|survey",
    f"patient.Observation.rs?category={_OBSERVATION_CATEGORY}|vital-signs",
    f"patient.Observation.rs?category={_US_CORE_CATEGORY}%2fus-core-category|sdoh",
)


def _clinical(level: str) -> tuple[str, ...]:
    return (
        f"patient.all.{level}",
        f"user.all.{level}",
        *(
            f"{who}.{kind}.{level}"
            for who in ("patient", "user")
            for kind in US_CORE_RESOURCE_TYPES
        ),
    )


# `fhirServer.scopePresets`: scope catalogues the SMART resource app exposes in addition to
# `fhirServer.scopes`. v1: `.read` per type and for all; v2: `.rs` per type and for all, `.cruds`
# for all (the FHIR SMART User role grants read and search only: Microsoft Learn, "SMART on FHIR"),
# and the granular category scopes.
SCOPE_PRESETS: Final[dict[str, tuple[str, ...]]] = {
    "smart-v1": (*SMART_CONTEXT_SCOPES, *_clinical("read")),
    "smart-v2": (
        *SMART_CONTEXT_SCOPES,
        *_clinical("rs"),
        "patient.all.cruds",
        "user.all.cruds",
        *SMART_V2_GRANULAR_SCOPES,
    ),
}
