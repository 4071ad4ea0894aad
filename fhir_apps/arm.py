"""Azure Resource Manager ids and names the program derives (pure; no Pulumi, no SDK).

RBAC role assignments need a role definition id in the subscription of their scope and a GUID
name; Key Vault secrets need the vault's resource group and name. All of it is read from ARM ids
the config names (or the deployed service reports), so no extra lookup is needed.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
import uuid
from typing import Final

from fhir_apps.fhir_constants import FHIR_RBAC_ROLES
from fhir_apps.ids import NAMESPACE

__all__ = [
    "ROLE_DEFINITIONS_PROVIDER",
    "epoch_seconds",
    "key_vault_parts",
    "key_vault_secret_id",
    "key_vault_secret_name",
    "role_assignment_name",
    "role_definition_id",
    "subscription_of",
]

ROLE_DEFINITIONS_PROVIDER: Final = "providers/Microsoft.Authorization/roleDefinitions"

_SUBSCRIPTION = re.compile(r"^/subscriptions/([^/]+)(/|$)", re.IGNORECASE)
_KEY_VAULT = re.compile(
    r"^/subscriptions/[^/]+/resourceGroups/([^/]+)/providers/Microsoft\.KeyVault/vaults/([^/]+)$",
    re.IGNORECASE,
)


def subscription_of(resource_id: str) -> str:
    """The subscription id in an ARM id (`/subscriptions/<sub>/...`); ValueError otherwise."""
    found = _SUBSCRIPTION.match(resource_id)
    if not found:
        raise ValueError(f"'{resource_id}' is not an ARM id (/subscriptions/<guid>/...)")
    return found.group(1)


def role_definition_id(scope: str, role: str) -> str:
    """The id of built-in FHIR role `role` (a FHIR_RBAC_ROLES name) in the scope's subscription.

    Built-in role definitions exist in every subscription under the same GUID; the
    subscription-qualified form is what ARM returns for an assignment, so a run after the first
    sees no difference. The subscription comes from the scope itself: a role assignment at a FHIR
    service always lives in that service's subscription.
    """
    guid = FHIR_RBAC_ROLES[role]
    return f"/subscriptions/{subscription_of(scope)}/{ROLE_DEFINITIONS_PROVIDER}/{guid}"


def role_assignment_name(scope: str, principal_id: str, role: str) -> str:
    """The GUID name of the assignment of `role` to `principal_id` at `scope`.

    uuid5 over the three (scope compared case-insensitively, as ARM does), so a re-run, another
    machine or a lost state all arrive at the same name, and ARM answers "exists" rather than
    creating a second assignment.
    """
    scope_key = scope.rstrip("/").lower()
    key = f"role-assignment\n{scope_key}\n{principal_id.lower()}\n{FHIR_RBAC_ROLES[role]}"
    return str(uuid.uuid5(NAMESPACE, key))


def key_vault_parts(key_vault_id: str) -> tuple[str, str]:
    """(resource group, vault name) of a Key Vault ARM id; ValueError otherwise."""
    found = _KEY_VAULT.match(key_vault_id.rstrip("/"))
    if not found:
        raise ValueError(
            f"'{key_vault_id}' is not a Key Vault resource id: /subscriptions/<guid>/"
            "resourceGroups/<group>/providers/Microsoft.KeyVault/vaults/<name>"
        )
    return found.group(1), found.group(2)


def key_vault_secret_name(client_key: str) -> str:
    """The secret a client's current client secret is written to: `<client>-client-secret`."""
    return f"{client_key}-client-secret"


def key_vault_secret_id(key_vault_id: str, client_key: str) -> str:
    """The ARM id of that secret (`<vault id>/secrets/<name>`)."""
    return f"{key_vault_id.rstrip('/')}/secrets/{key_vault_secret_name(client_key)}"


def epoch_seconds(day: dt.date) -> int:
    """Midnight UTC of `day` in seconds since 1970-01-01T00:00:00Z (Key Vault's `expires`)."""
    return calendar.timegm(day.timetuple())
