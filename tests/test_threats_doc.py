"""docs/threats.md names the test that proves each defence: every name it cites must exist."""

from __future__ import annotations

import re
from pathlib import Path

DOC = Path(__file__).resolve().parent.parent / "docs" / "threats.md"
# `tests/x.py::test_a` names a file; a following `::test_b` (or `[...]` case) is in the same file.
REFERENCE = re.compile(r"`(tests/[\w/]+\.py)?::(\w+)")


def _references() -> list[tuple[str, str]]:
    found, current = [], None
    for match in REFERENCE.finditer(DOC.read_text(encoding="utf-8")):
        current = match.group(1) or current
        assert current is not None, f"'::{match.group(2)}' cited before any test file"
        found.append((current, match.group(2)))
    return found


def test_every_cited_test_exists() -> None:
    references = _references()
    assert len(references) > 50  # the table cites tests for every class; an empty parse is a bug
    root = DOC.parent.parent
    missing = [
        f"{path}::{name}"
        for path, name in references
        if not re.search(rf"^\s*(async )?def {name}\(", (root / path).read_text(), re.MULTILINE)
    ]
    assert missing == []
