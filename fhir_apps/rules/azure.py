"""Azure's rules for the resources around a managed FHIR service: service URLs, ARM ids, AHDS
workspace and service names, resource groups, locations, storage accounts, tags, Key Vault."""

from __future__ import annotations

import re
from typing import Final

from fhir_apps.rules.text import unsafe_text_problem
from fhir_apps.safeio.text import shown

__all__ = [
    "MAX_TAGS",
    "MAX_TAG_NAME_LENGTH",
    "MAX_TAG_VALUE_LENGTH",
    "TAG_NAME_FORBIDDEN_CHARS",
    "ahds_name_problem",
    "ahds_names",
    "ahds_service_url",
    "ahds_url_problem",
    "azure_api_for_fhir_url_problem",
    "deploy_kind_problem",
    "key_vault_id_problem",
    "key_vault_secret_name_problem",
    "location_problem",
    "resource_group_name_problem",
    "resource_id_problem",
    "storage_account_name_problem",
    "tag_problems",
]

_AHDS_URL = re.compile(
    r"^https://([a-z0-9]{3,24})-([a-z0-9]{3,24})\.fhir\.azurehealthcareapis\.com/?$"
)
_API_FOR_FHIR_URL = re.compile(
    r"^https://([a-z0-9][a-z0-9-]{1,22}[a-z0-9])\.azurehealthcareapis\.com/?$"
)
_KEY_VAULT_ID = re.compile(
    r"^/subscriptions/[0-9a-fA-F-]{36}/resourceGroups/[^/]+/providers/Microsoft\.KeyVault/vaults/[^/]+$",
    re.IGNORECASE,
)
_AHDS_FHIR_ID = re.compile(
    r"^/subscriptions/[0-9a-fA-F-]{36}/resourceGroups/[^/]+/providers/Microsoft\.HealthcareApis"
    r"/workspaces/[^/]+/fhirservices/[^/]+$",
    re.IGNORECASE,
)
# Azure Health Data Services workspace and FHIR service names: 3-24 characters, lowercase letters
# and digits only. Source: the Microsoft.HealthcareApis REST API (2024-03-31, the version the
# pinned pulumi-azure-native 3.29 `healthcareapis` module uses) and the portal's create blade, which
# both reject anything else; the two names form the host `<workspace>-<service>.fhir....`, which
# is why neither may contain '-'.
_AHDS_NAME = re.compile(r"^[a-z0-9]{3,24}$")
# Storage account names (the export destination): 3-24 lowercase letters and digits.
_STORAGE_ACCOUNT = re.compile(r"^[a-z0-9]{3,24}$")
# Resource group names (ARM): 1-90 characters: letters (Unicode), digits, '.', '_', '-', '(', ')';
# not ending with '.'.
_RESOURCE_GROUP = re.compile(r"^[-\w.()]{1,90}$")
# Azure locations: e.g. westeurope (the ARM name) or "West Europe" (the display name).
_LOCATION = re.compile(r"^[A-Za-z][A-Za-z0-9 ]{1,63}$")
# Key Vault object (secret) names: 1-127 characters, letters, digits and '-'.
_KEY_VAULT_SECRET_NAME = re.compile(r"^[0-9A-Za-z-]{1,127}$")
# Azure tags: at most 50 per resource; names up to 512 characters without < > % & \ ? /, values
# up to 256 characters.
MAX_TAGS: Final = 50
MAX_TAG_NAME_LENGTH: Final = 512
MAX_TAG_VALUE_LENGTH: Final = 256
TAG_NAME_FORBIDDEN_CHARS: Final = "<>%&\\?/"
_API_FOR_FHIR_ID = re.compile(
    r"^/subscriptions/[0-9a-fA-F-]{36}/resourceGroups/[^/]+/providers/Microsoft\.HealthcareApis"
    r"/services/[^/]+$",
    re.IGNORECASE,
)


def ahds_url_problem(url: str) -> str | None:
    """An Azure Health Data Services FHIR service URL."""
    if _AHDS_URL.fullmatch(url):
        return None
    return (
        "must be the FHIR service URL https://<workspace>-<service>.fhir.azurehealthcareapis.com "
        "(workspace and service: 3-24 lowercase letters and digits)"
    )


def azure_api_for_fhir_url_problem(url: str) -> str | None:
    """An Azure API for FHIR service URL."""
    if _API_FOR_FHIR_URL.fullmatch(url):
        return None
    return (
        "must be the Azure API for FHIR URL https://<name>.azurehealthcareapis.com "
        "(name: 3-24 lowercase letters, digits and '-')"
    )


def _arm_id_problem(value: str) -> str | None:
    """What makes an ARM id name another resource than it reads: unsafe characters, and empty,
    '.' or '..' segments (a URL path resolves them: .../rg/../other/... is another group)."""
    problem = unsafe_text_problem(value)
    if problem:
        return problem
    segments = value.split("/")[1:]
    if value.startswith("/") and any(s in ("", ".", "..") for s in segments):
        return (
            "must not have empty, '.' or '..' segments (a '//', a trailing '/', '/./' or "
            "'/../'): they make the id name another resource than it reads"
        )
    return None


def key_vault_id_problem(value: str) -> str | None:
    """The ARM id of a Key Vault."""
    problem = _arm_id_problem(value)
    if problem:
        return problem
    if _KEY_VAULT_ID.fullmatch(value):
        return None
    return (
        "must be a Key Vault resource id: /subscriptions/<guid>/resourceGroups/<group>"
        "/providers/Microsoft.KeyVault/vaults/<name>"
    )


def resource_id_problem(value: str, kind: str) -> str | None:
    """The ARM id of an existing managed FHIR service of `kind` (ahds or azure-api-for-fhir)."""
    problem = _arm_id_problem(value)
    if problem:
        return problem
    if kind == "ahds":
        if _AHDS_FHIR_ID.fullmatch(value):
            return None
        return (
            "must be a FHIR service resource id: /subscriptions/<guid>/resourceGroups/<group>"
            "/providers/Microsoft.HealthcareApis/workspaces/<workspace>/fhirservices/<service>"
        )
    if _API_FOR_FHIR_ID.fullmatch(value):
        return None
    return (
        "must be an Azure API for FHIR resource id: /subscriptions/<guid>/resourceGroups/<group>"
        "/providers/Microsoft.HealthcareApis/services/<name>"
    )


def ahds_service_url(workspace: str, service: str) -> str:
    """The URL (and default token audience) of AHDS FHIR service `service` in `workspace`."""
    return f"https://{workspace}-{service}.fhir.azurehealthcareapis.com"


def ahds_names(url: str | None, resource_id: str | None) -> tuple[str, str] | None:
    """(workspace, service) of an AHDS FHIR service, from its URL or its ARM id; None if neither
    names one."""
    if url is not None:
        match = _AHDS_URL.fullmatch(url)
        if match:
            return match.group(1), match.group(2)
    if resource_id is not None and _AHDS_FHIR_ID.fullmatch(resource_id):
        parts = resource_id.split("/")
        return parts[-3].lower(), parts[-1].lower()
    return None


def ahds_name_problem(name: str, what: str) -> str | None:
    """An AHDS workspace or FHIR service name (`what` says which)."""
    if _AHDS_NAME.fullmatch(name):
        return None
    return (
        f"'{shown(name)}' is not a valid {what} name: Azure allows 3-24 lowercase letters and "
        f"digits (no '-': the URL is https://<workspace>-<service>.fhir.azurehealthcareapis.com)"
    )


def resource_group_name_problem(name: str) -> str | None:
    """An Azure resource group name."""
    if _RESOURCE_GROUP.fullmatch(name) and not name.endswith("."):
        return None
    return (
        f"'{shown(name)}' is not a valid resource group name: 1-90 letters, digits, '.', '_', '-', "
        "'(' and ')', not ending with '.'"
    )


def location_problem(location: str) -> str | None:
    """An Azure location, e.g. westeurope."""
    if _LOCATION.fullmatch(location):
        return None
    return f"'{shown(location)}' is not an Azure location; use its name, e.g. westeurope or eastus2"


def storage_account_name_problem(name: str) -> str | None:
    """An Azure storage account name (the FHIR service's export destination)."""
    if _STORAGE_ACCOUNT.fullmatch(name):
        return None
    return f"'{shown(name)}' is not a valid storage account name: 3-24 lowercase letters and digits"


def tag_problems(tags: dict[str, str]) -> list[tuple[str | None, str]]:
    """(tag name or None for the whole map, message) for tags Azure rejects."""
    problems: list[tuple[str | None, str]] = []
    if len(tags) > MAX_TAGS:
        problems.append((None, f"has {len(tags)} tags; Azure allows at most {MAX_TAGS}"))
    for name, value in sorted(tags.items()):
        if not name or len(name) > MAX_TAG_NAME_LENGTH:
            problems.append((name, f"tag names are 1-{MAX_TAG_NAME_LENGTH} characters long"))
        bad = sorted({c for c in name if c in TAG_NAME_FORBIDDEN_CHARS})
        if bad:
            problems.append(
                (name, f"tag name must not contain {' '.join(bad)} (Azure rejects "
                 f"{' '.join(TAG_NAME_FORBIDDEN_CHARS)})")
            )  # fmt: skip
        if len(value) > MAX_TAG_VALUE_LENGTH:
            problems.append(
                (name, f"tag value is {len(value)} characters long; Azure allows at most "
                 f"{MAX_TAG_VALUE_LENGTH}")
            )  # fmt: skip
    return problems


def key_vault_secret_name_problem(name: str) -> str | None:
    """A Key Vault secret name."""
    if _KEY_VAULT_SECRET_NAME.fullmatch(name):
        return None
    return (
        f"the Key Vault secret name '{shown(name)}' is not allowed: 1-127 letters, digits and '-'"
    )


def deploy_kind_problem(kind: str) -> str | None:
    """Only an AHDS FHIR service can be deployed by the stack (`fhirServer.deploy`)."""
    if kind == "ahds":
        return None
    return (
        "applies only to kind ahds: Azure API for FHIR takes no new deployments (since "
        "2025-04-01); reference an existing service with resourceId"
    )
