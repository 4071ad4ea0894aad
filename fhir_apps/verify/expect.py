"""What a client's configured roles should let it do on the FHIR server.

oss: the open-source server's default roles.json (microsoft/fhir-server): globalReader reads
(and may $validate), globalExporter reads and exports, globalWriter and globalAdmin may do
everything; it matches the `roles` claim case-insensitively. Managed kinds: the built-in Azure
RBAC roles of the FHIR data plane, which never appear in the token.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

__all__ = ["can_read", "can_write", "missing_roles", "refused"]

_OSS_READ: Final = frozenset({"globalreader", "globalexporter", "globalwriter", "globaladmin"})
_OSS_WRITE: Final = frozenset({"globalwriter", "globaladmin"})
_RBAC_READ: Final = frozenset(
    {"fhir data reader", "fhir data writer", "fhir data contributor", "fhir data exporter"}
)
_RBAC_WRITE: Final = frozenset({"fhir data writer", "fhir data contributor"})


def _folded(roles: Iterable[str]) -> set[str]:
    return {role.casefold() for role in roles}


def can_read(kind: str, roles: Iterable[str]) -> bool:
    """Whether `roles` allow a search such as `GET /Patient?_count=1`."""
    return bool(_folded(roles) & (_OSS_READ if kind == "oss" else _RBAC_READ))


def can_write(kind: str, roles: Iterable[str]) -> bool:
    """Whether `roles` include a writing role (checked with the harmless `$validate`)."""
    return bool(_folded(roles) & (_OSS_WRITE if kind == "oss" else _RBAC_WRITE))


def missing_roles(expected: Iterable[str], in_token: Iterable[str]) -> list[str]:
    """The configured roles the token lacks, compared as the OSS server does (ignoring case)."""
    have = _folded(in_token)
    return sorted(role for role in expected if role.casefold() not in have)


def refused(kind: str, roles: Iterable[str], resource_id: str | None) -> str:
    """What a 403 means for a client that should be allowed, in words."""
    names = ", ".join(sorted(roles)) or "none"
    if kind == "oss":
        return (
            f"the server grants the token's roles ({names}) no access: check the FHIR "
            "server's roles.json"
        )
    where = f"at {resource_id}" if resource_id else "at the FHIR service"
    return (
        f"role {names} not in effect for this client {where} (Azure RBAC; a new assignment "
        "can take minutes to apply)"
    )
