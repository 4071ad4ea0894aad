"""A finding: something that exists in Entra which the config cannot express as it is.

Each one names the app (its display name), the Graph property, and what adoption changes (or
what the user must do), so nothing is ever dropped without saying so.

A message is written as a YAML comment and printed to the terminal, and it quotes values read
from Graph. Whoever builds it passes each such value through `shown` (escaped and bounded);
in case one is forgotten, a finding also escapes any character left that would end a comment
line or hide intent (`one_line`), so no message can ever span two lines.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from fhir_apps.safeio.text import is_line_safe, shown

__all__ = ["Add", "Finding", "one_line"]


def one_line(text: str) -> str:
    """`text` with every line break, control or bidi character escaped, and nothing else.

    Unlike `shown`, backslashes and length are left alone: this is for text whose foreign parts
    were already shown, so escaping them again would double their backslashes.
    """
    if is_line_safe(text):
        return text
    return "".join(char if is_line_safe(char) else shown(char) for char in text)


@dataclass(frozen=True, order=True)
class Finding:
    """`app`: display name; `property`: Graph property path (e.g. `web.redirectUris`).

    `change`: the finding announces a change that the first `pulumi up` makes to this property
    of an existing object (the adoption plan, `changes.adoption_changes`, lists the same app and
    property); otherwise it reports what is left as it is, not adopted, or needs a step.
    """

    app: str
    property: str
    message: str
    change: bool = False

    def __post_init__(self) -> None:
        # Frozen: set through object.__setattr__, once, before anyone can see the finding.
        object.__setattr__(self, "message", one_line(self.message))
        object.__setattr__(self, "property", one_line(self.property))

    def __str__(self) -> str:
        return f"{shown(self.app)}: {self.property}: {self.message}"


class Add(Protocol):
    """Records one finding: `add(app or display name, Graph property, message, change=...)`."""

    def __call__(
        self, app: dict[str, Any] | str, prop: str, message: str, *, change: bool = False
    ) -> None: ...
