"""Deterministic ids for the resource app's scopes and roles.

Entra refuses to delete an enabled scope or role, and a changed id looks like "remove one, add
another" to the provider, so ids must never churn between runs or machines. They are uuid5 over
the kind and the value only, unless the config pins an existing id, which is how an app
registered by hand is adopted unchanged.

Why not the audience (the server URL) as well: a URL changes for reasons that have nothing to do
with the roles (a new domain, a move to another host). With the URL in the id, such a change
re-keyed every scope and role, and a re-keyed role replaces every app role assignment that holds
it (`AppRoleAssignment.appRoleId` forces a new resource) and every client's API permissions. The
ids only need to be unique within one application, which the value (plus the kind, so that a
scope and a role never collide) already is.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from typing import Final, Literal

__all__ = ["NAMESPACE", "derived_id", "ids_for"]

# The namespace of every derived id. Changing it would re-key every scope and role in every
# tenant, so it is fixed forever (it is itself uuid5(NAMESPACE_URL, "urn:fhir-apps")).
NAMESPACE: Final = uuid.uuid5(uuid.NAMESPACE_URL, "urn:fhir-apps")

IdKind = Literal["scope", "role"]


def derived_id(kind: IdKind, value: str) -> str:
    """The uuid5 id of scope or role `value`: the same on every resource app, URL and run.

    The value is used exactly as written (case included): Entra compares scope and role values
    case-sensitively, so two spellings are two permissions.
    """
    return str(uuid.uuid5(NAMESPACE, f"{kind}\n{value}"))


def ids_for(
    kind: IdKind,
    values: Iterable[str],
    pinned: Mapping[str, uuid.UUID | str] | None = None,
) -> dict[str, str]:
    """`{value: id}` for `values`, sorted by value; a pinned id wins over the derived one."""
    pinned = pinned or {}
    return {
        value: str(pinned[value]) if value in pinned else derived_id(kind, value)
        for value in sorted(set(values))
    }
