"""A finding: something that exists in Entra which the config cannot express as it is.

Each one names the app (its display name), the Graph property, and what adoption changes (or
what the user must do), so nothing is ever dropped without saying so.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Finding"]


@dataclass(frozen=True, order=True)
class Finding:
    """`app`: display name; `property`: Graph property path (e.g. `web.redirectUris`)."""

    app: str
    property: str
    message: str

    def __str__(self) -> str:
        return f"{self.app}: {self.property}: {self.message}"
