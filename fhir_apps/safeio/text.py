"""Characters that break a line or hide intent, and how a string from outside is shown.

A string from a Graph export, a YAML layer or the command line may carry line breaks (which
would start a new line in a comment or a log), C0/C1 control characters (terminal escapes) or
Unicode bidi controls (which reorder what a reviewer reads, "Trojan Source", CVE-2021-42574).
This module is the one place that says which characters those are: the config rules refuse
them, and everything printed or written as a comment goes through `shown`.
"""

from __future__ import annotations

import unicodedata
from typing import Final

__all__ = ["MAX_SHOWN", "first_unsafe", "is_line_safe", "shown"]

# Bidi embedding/override/isolate controls and marks (Unicode TR9), plus the zero-width and BOM
# characters that make two different strings look equal.
_BIDI_AND_INVISIBLE: Final = frozenset(
    "\u061c\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
    "\u2060\u2066\u2067\u2068\u2069\ufeff"
)
# YAML 1.1 (PyYAML) and str.splitlines() also break lines at these, not only at \n and \r.
_LINE_BREAKS: Final = frozenset("\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")

# Longest foreign string printed whole; longer ones are cut with the count of what was left out.
MAX_SHOWN: Final = 120


def _unsafe(char: str) -> bool:
    return (
        char in _BIDI_AND_INVISIBLE
        or char in _LINE_BREAKS
        or unicodedata.category(char) in ("Cc", "Cs", "Zl", "Zp")
    )


def first_unsafe(text: str) -> str | None:
    """`U+000A` for the first line break, control or bidi character in `text`, else None."""
    for char in text:
        if _unsafe(char):
            return f"U+{ord(char):04X}"
    return None


def is_line_safe(text: str) -> bool:
    """True when `text` stays on one line and shows what it holds (see `first_unsafe`)."""
    return first_unsafe(text) is None


def shown(text: object, limit: int = MAX_SHOWN) -> str:
    """`text` made safe for one line of a terminal, a log or a YAML comment.

    Unsafe characters become escapes (`\\n`, `\\u202e`), a backslash is doubled so an escape
    cannot be forged, and a string longer than `limit` is cut with the number left out.
    """
    value = text if isinstance(text, str) else repr(text)
    out: list[str] = []
    for char in value:
        if char == "\\":
            out.append("\\\\")
        elif char == "\n":
            out.append("\\n")
        elif char == "\r":
            out.append("\\r")
        elif char == "\t":
            out.append("\\t")
        elif _unsafe(char):
            code = ord(char)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        else:
            out.append(char)
    result = "".join(out)
    if len(result) > limit:
        cut = result[:limit]
        # Never end on half an escape: drop a trailing partial `\...` sequence.
        backslash = cut.rfind("\\", max(0, limit - 6))
        if backslash != -1:
            cut = cut[:backslash]
        return f"{cut}…(+{len(result) - len(cut)} chars)"
    return result
