"""Deterministic ids for the resource app's scopes and roles.

Entra refuses to delete an enabled scope or role, and a changed id looks like "remove one, add
another" to the provider, so ids must never churn between runs or machines. They are uuid5 over
the audience and the value (plus the kind, so a scope and a role can never collide) unless the
config pins an existing id, which is how an app registered by hand is adopted unchanged.
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


def derived_id(kind: IdKind, audience: str, value: str) -> str:
    """The uuid5 id of scope or role `value` on the API whose audience is `audience`.

    The audience is used exactly as written (case and trailing slash included): it is also
    exactly what Entra compares with the token's `aud`, so two spellings are two APIs.
    """
    return str(uuid.uuid5(NAMESPACE, f"{kind}\n{audience}\n{value}"))


def ids_for(
    kind: IdKind,
    audience: str,
    values: Iterable[str],
    pinned: Mapping[str, uuid.UUID | str] | None = None,
) -> dict[str, str]:
    """`{value: id}` for `values`, sorted by value; a pinned id wins over the derived one."""
    pinned = pinned or {}
    return {
        value: str(pinned[value]) if value in pinned else derived_id(kind, audience, value)
        for value in sorted(set(values))
    }
