"""JSON files from outside (Graph exports, saved renders, policy config), read within bounds.

`json.loads` recurses once per nesting level and has no size limit, so a file nested thousands
deep ends in RecursionError and a huge one in MemoryError; and data that parses but is nested
hundreds deep breaks every recursive walk after it. Here a file is refused, with one line
naming it, when it is larger than `max_bytes`, not UTF-8, not JSON, nested deeper than
`max_depth`, or uses NaN/Infinity (not JSON, though Python's parser accepts them).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Final

from fhir_apps.safeio.text import shown

__all__ = [
    "MAX_DEPTH",
    "MAX_JSON_BYTES",
    "JsonFileError",
    "depth",
    "json_kind",
    "parse_json",
    "read_json",
]

# A Graph export of a thousand applications is about 10 MB; a render of 100 clients about 1 MB.
MAX_JSON_BYTES: Final = 64 * 1024 * 1024
# Graph objects nest about 6 deep and renders about 10; 64 leaves room and stays far from the
# interpreter's recursion limit in every walk that follows.
MAX_DEPTH: Final = 64


class JsonFileError(ValueError):
    """The file cannot be used; `str()` is one line naming the file and the reason."""


def depth(value: Any) -> int:
    """How deeply `value` nests lists and objects (a scalar is 0), without recursing."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        level += 1
        deepest = max(deepest, level)
        stack.extend((child, level) for child in children)
    return deepest


def json_kind(value: Any) -> str:
    """The JSON name of a value's type, for messages ("got a list"); the value is never shown."""
    if value is None:
        return "null"
    if isinstance(value, bool):  # before int: a bool is an int to Python
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return f"a {type(value).__name__}"  # not from JSON: a caller's own value


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _not_json(where: str, what: str, reason: str) -> JsonFileError:
    return JsonFileError(f"{where}: not {what}: {reason}")


def _beyond_budget(where: str, limit: str, what: str) -> JsonFileError:
    # Past a budget the content is not judged at all: say which limit, not what is wrong inside.
    return JsonFileError(f"{where}: {limit}; this is not {what}")


def parse_json(text: str, where: str, *, max_depth: int = MAX_DEPTH, what: str = "JSON") -> Any:
    """Parse `text` (shown as `where` in errors) within the depth budget."""
    try:
        data = json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        position = f"{exc.msg} at line {exc.lineno}, column {exc.colno}"
        raise _not_json(where, what, position) from None
    except RecursionError:
        raise _not_json(where, what, "nested too deeply") from None
    except ValueError as exc:
        raise _not_json(where, what, shown(str(exc))) from None
    if depth(data) > max_depth:
        raise _beyond_budget(where, f"nested more than {max_depth} levels deep", what)
    return data


def read_json(
    path: Path,
    *,
    max_bytes: int = MAX_JSON_BYTES,
    max_depth: int = MAX_DEPTH,
    what: str = "JSON",
) -> Any:
    """The JSON value in the file at `path` (a UTF-8 byte-order mark is allowed)."""
    where = shown(str(path), 400)
    try:
        with open(path, "rb") as handle:
            raw = handle.read(max_bytes + 1)
    except IsADirectoryError:
        raise JsonFileError(f"{where}: cannot read: is a directory") from None
    except OSError as exc:
        raise JsonFileError(f"{where}: cannot read: {exc.strerror or exc}") from None
    if len(raw) > max_bytes:
        raise _beyond_budget(where, f"larger than {max_bytes // (1024 * 1024)} MiB", what)
    try:
        text = raw.decode("utf-8-sig")  # PowerShell writes a byte-order mark
    except UnicodeDecodeError:
        raise _not_json(where, what, "the file is not UTF-8 text") from None
    return parse_json(text, where, max_depth=max_depth, what=what)
