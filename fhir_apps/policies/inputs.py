"""Reading values out of a resource's inputs, as the policies see them.

Inputs use the engine's camelCase names, exactly as `pulumi preview` hands them to a policy pack
and as `render` records them. Values that cannot be judged are skipped, never guessed:
`[unknown]` (an output not known during preview, or in a render) and `[secret]`. During
`pulumi up` the engine runs the resource policies again with the values known by then, so a
skipped value is still checked before it reaches Entra.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, Final

from fhir_apps.resource_types import (
    APPLICATION_CERTIFICATE,
    APPLICATION_FEDERATED_IDENTITY_CREDENTIAL,
    APPLICATION_FLEXIBLE_FEDERATED_IDENTITY_CREDENTIAL,
    APPLICATION_PASSWORD,
    SECRET,
    UNKNOWN,
)

__all__ = ["CREDENTIAL_TYPES", "is_role_assignment", "known", "mapping", "strings", "truthy"]

# `azure-native:authorization:RoleAssignment`, and the API-versioned tokens older programs use
# (`azure-native:authorization/v20220401:RoleAssignment`, ...): same inputs.
_ROLE_ASSIGNMENT = re.compile(r"^azure-native:authorization(/v[0-9a-z]+)?:RoleAssignment$")

# The split resources that put a credential on an application.
CREDENTIAL_TYPES: Final = frozenset(
    {
        APPLICATION_PASSWORD,
        APPLICATION_CERTIFICATE,
        APPLICATION_FEDERATED_IDENTITY_CREDENTIAL,
        APPLICATION_FLEXIBLE_FEDERATED_IDENTITY_CREDENTIAL,
    }
)


def known(value: Any) -> bool:
    """False for a missing value and for the markers of values that cannot be judged."""
    return value is not None and value not in (UNKNOWN, SECRET)


def strings(values: Any) -> list[str]:
    """The known strings of a list input (a missing or unknown list is empty)."""
    if not isinstance(values, Sequence) or isinstance(values, str):
        return []
    return [v for v in values if isinstance(v, str) and known(v)]


def mapping(value: Any) -> Mapping[str, Any]:
    """An object input, or an empty one when it is missing, unknown or not an object."""
    return value if isinstance(value, Mapping) else {}


def truthy(value: Any) -> bool:
    # Only a real `true`: an unknown flag is judged when it is known.
    return value is True


def is_role_assignment(resource_type: str) -> bool:
    """True for azure-native's RoleAssignment under any of its type tokens."""
    return bool(_ROLE_ASSIGNMENT.match(resource_type))
