"""Entra's rules for what an app exposes and who holds it: scope and app role values, their
texts and member types, a value that is both, FHIR RBAC role names, principals' object ids."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Final
from uuid import UUID

from fhir_apps.fhir_constants import FHIR_RBAC_ROLES
from fhir_apps.rules.text import joined
from fhir_apps.safeio.text import shown

__all__ = [
    "ALLOWED_MEMBER_TYPES",
    "MAX_PERMISSION_VALUE_LENGTH",
    "NIL_GUID",
    "allowed_member_types_problem",
    "app_role_text_problem",
    "assignable_problem",
    "fhir_rbac_role_problem",
    "object_id_problem",
    "permission_value_problems",
    "role_scope_pair_problem",
    "roles_and_scopes_overlap",
    "service_client_scopes_problem",
    "undefined_value_problem",
]

MAX_PERMISSION_VALUE_LENGTH: Final = 120
# Who an app role may be assigned to: applications (service principals), users (and groups).
ALLOWED_MEMBER_TYPES: Final = ("Application", "User")
NIL_GUID: Final = "00000000-0000-0000-0000-000000000000"


def permission_value_problems(value: str, what: str = "scope") -> list[str]:
    """What Entra rejects in the value of a delegated scope or an app role (`what` names it)."""
    problems: list[str] = []
    if not value:
        return [f"{what} value must not be empty"]
    if len(value) > MAX_PERMISSION_VALUE_LENGTH:
        problems.append(
            f"{what} value is {len(value)} characters long; Entra allows at most "
            f"{MAX_PERMISSION_VALUE_LENGTH}"
        )
    if any(c.isspace() for c in value):
        problems.append(f"{what} value must not contain spaces")
    if value.startswith("."):
        problems.append(f"{what} value must not start with '.'")
    if "/" in value:
        dotted = value.replace("/", ".").replace("*", "all")
        problems.append(
            f"{what} value must not contain '/'; write SMART scopes with dots, e.g. '{dotted}' "
            "(patient.Observation.read for patient/Observation.read)"
        )
    others = sorted({c for c in value if not (" " < c <= "~") and not c.isspace()})
    if others:
        problems.append(
            f"{what} value must use printable ASCII characters only; found {' '.join(others)}"
        )
    return problems


def allowed_member_types_problem(types: Sequence[str]) -> str | None:
    """What Entra rejects in an app role's `allowedMemberTypes`: none, or an unknown one."""
    unknown = sorted({t for t in types if t not in ALLOWED_MEMBER_TYPES})
    if unknown:
        return f"unknown member type {joined(unknown)}; allowed: {joined(ALLOWED_MEMBER_TYPES)}"
    if not types:
        return (
            f"must name at least one of {joined(ALLOWED_MEMBER_TYPES)}: Entra assigns a role to "
            "applications, to users and groups, or to both"
        )
    return None


def assignable_problem(role: str, allowed: Sequence[str], principal_type: str) -> str | None:
    """Entra assigns a role to a user or group only if it allows `User`, to a service principal
    only if it allows `Application`."""
    needed = "Application" if principal_type == "ServicePrincipal" else "User"
    if needed in allowed:
        return None
    holder = "a service principal" if needed == "Application" else f"a {principal_type.lower()}"
    return (
        f"role '{shown(role)}' cannot be assigned to {holder}: its allowedMemberTypes "
        f"(fhirServer.roleDetails.{role}) are {joined(sorted(set(allowed))) or 'none'}; add "
        f"{needed}"
    )


def app_role_text_problem(text: str) -> str | None:
    """An app role's display name and description are required by Entra (unlike scope texts)."""
    if not text.strip():
        return (
            "must not be empty: Entra requires an app role's displayName and description; "
            "leave the key out for fhir-apps' text"
        )
    return None


def roles_and_scopes_overlap(roles: Iterable[str], scopes: Iterable[str]) -> list[str]:
    """Values that are both an app role and a delegated scope (Entra rejects the pair), sorted."""
    return sorted(set(roles) & set(scopes))


def fhir_rbac_role_problem(name: str) -> str | None:
    """Roles on a managed FHIR service are Azure RBAC role names."""
    if name in FHIR_RBAC_ROLES:
        return None
    return f"'{shown(name)}' is not a FHIR RBAC role; allowed: {joined(FHIR_RBAC_ROLES)}"


def object_id_problem(value: str) -> str | None:
    """Owners and principals are Entra object ids (GUIDs), never the nil GUID."""
    try:
        parsed = UUID(value)
    except (ValueError, TypeError, AttributeError):
        return (
            f"'{shown(value)}' is not an object id; use the GUID of a user or service principal, "
            "e.g. 00000000-0000-0000-0000-000000000000"
        )
    if parsed.int == 0:
        return (
            f"{NIL_GUID} is the nil GUID, a placeholder that names no user, group or service "
            "principal; use the object id of the one meant"
        )
    return None


def role_scope_pair_problem(role: dict[str, object], scope: dict[str, object]) -> str | None:
    """What Entra refuses in an app role and a delegated scope that share one value: anything but
    the same id, the role's displayName and description equal to the scope's admin consent
    texts, and both enabled or both disabled (terraform-provider-azuread #971; Microsoft's SMART
    sample pairs user.all.read this way). Keys are the provider's input names."""
    if role.get("id") is None or role.get("id") != scope.get("id"):
        return (
            "has different ids (or none) as app role and as scope; Entra accepts one value as "
            "both only with the same id"
        )
    for role_key, scope_key in (
        ("displayName", "adminConsentDisplayName"),
        ("description", "adminConsentDescription"),
    ):
        if role.get(role_key) != scope.get(scope_key):
            return (
                f"the app role's {role_key} differs from the scope's {scope_key}; Entra accepts "
                "one value as both only with matching texts"
            )
    if bool(role.get("enabled", True)) != bool(scope.get("enabled", True)):
        return "is enabled as one and disabled as the other; Entra refuses the pair"
    return None


def service_client_scopes_problem(scopes: Sequence[str]) -> str | None:
    """A service client (client-credentials flow) acts as itself: app roles, never scopes."""
    if not scopes:
        return None
    return (
        "a service client gets application permissions, never delegated scopes; use roles instead"
    )


def undefined_value_problem(what: str, value: str, source: str, defined: Sequence[str]) -> str:
    """A scope or role a client or an assignment asks for that the resource app (`source`, e.g.
    `fhirServer.scopes`) does not define. Worded once: the config check says it with the file,
    and the components say the same for a spec made without the check."""
    listed = ", ".join(defined) if defined else "(none defined)"
    return f"{what} '{value}' is not defined by {source}; allowed: {listed}"
