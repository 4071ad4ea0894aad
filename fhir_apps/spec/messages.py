"""How the loader words a problem: pydantic's errors as messages that say what is allowed, values
that are not plain YAML, and keys and messages kept to one escaped line.

Separate from the loader (which reads, merges and validates) so that the wording of every
problem lives in one place; `walk` maps pydantic's error location back to the camelCase key path
the user wrote.
"""

from __future__ import annotations

import datetime as dt
import difflib
import types
import typing
from typing import Any, Literal

from pydantic import BaseModel
from pydantic.alias_generators import to_camel

from fhir_apps.safeio.text import first_unsafe, shown
from fhir_apps.spec.model import Spec
from fhir_apps.spec.yamlio import Path_, format_path

__all__ = [
    "RESERVED_KEYS",
    "foreign_message",
    "foreign_values",
    "key_path",
    "one_line",
    "pydantic_message",
    "show",
    "tags",
    "unknown_key",
    "walk",
]


# Keys whose value is chosen at load time (by `--environment`/`--stack`), never written in a layer.
RESERVED_KEYS = {"environment": "--environment", "stack": "--stack"}


def _unwrap(tp: Any) -> Any:
    while True:
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            tp = typing.get_args(tp)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(tp) if a is not type(None)]
            if len(args) != 1:
                return tp
            tp = args[0]
        else:
            return tp


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _aliases(model: type[BaseModel]) -> dict[str, Any]:
    return {(f.alias or name): f for name, f in model.model_fields.items()}


def walk(loc: tuple[Any, ...]) -> tuple[Path_, Any, type[BaseModel] | None]:
    """The data path of a pydantic `loc` without discriminator tags, its type, its parent model."""
    path: list[str | int] = []
    tp: Any = Spec
    parent: type[BaseModel] | None = None
    for part in loc:
        tp = _unwrap(tp) if tp is not None else None
        if tp is not None and typing.get_origin(tp) in (typing.Union, types.UnionType):
            member = next(
                (m for m in typing.get_args(tp) if _is_model(m) and part in _literals(m)), None
            )
            if member is not None:
                tp = member
                continue
        path.append(part)
        if _is_model(tp):
            parent = tp
            found = _aliases(tp).get(part)
            tp = found.annotation if found is not None else None
        elif typing.get_origin(tp) in (tuple, list):
            tp = typing.get_args(tp)[0]
        elif typing.get_origin(tp) is dict:
            tp = typing.get_args(tp)[1]
        else:
            tp = None
    return tuple(path), tp, parent


def _literals(model: type[BaseModel]) -> tuple[Any, ...]:
    for name in ("kind", "type"):
        found = model.model_fields.get(name)
        if found is not None and typing.get_origin(found.annotation) is Literal:
            return typing.get_args(found.annotation)
    return ()


def tags(tp: Any) -> str:
    tp = _unwrap(tp) if tp is not None else None
    values: list[Any] = []
    if tp is not None:
        for member in typing.get_args(tp):
            if _is_model(member):
                values.extend(_literals(member))
    return ", ".join(f"'{v}'" for v in values) or "(unknown)"


# Keys that belong elsewhere: a more useful answer than the closest spelling.
_KEY_HINTS = {
    "roles": "confidential and public clients act for a signed-in user and get delegated scopes; "
    "give users roles with assignments, or use kind service for application permissions",
    "platform": "only public clients have a platform (spa, mobile or desktop)",
}


def unknown_key(key: str, parent: type[BaseModel] | None) -> str:
    message = _unknown_key_message(key, parent)
    return message.replace(f"'{key}'", f"'{shown(key)}'", 1)


def _unknown_key_message(key: str, parent: type[BaseModel] | None) -> str:
    allowed = sorted(_aliases(parent)) if parent is not None else []
    if parent is Spec:
        allowed = [key for key in allowed if key not in RESERVED_KEYS]
    if parent is not None and key in _KEY_HINTS and parent.__name__.endswith("Client"):
        return f"unknown key '{key}'; {_KEY_HINTS[key]}"
    if to_camel(key) in allowed:
        return f"unknown key '{key}'; did you mean '{to_camel(key)}'? (keys are camelCase)"
    close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
    if close:
        return f"unknown key '{key}'; did you mean '{close[0]}'?"
    if allowed:
        return f"unknown key '{key}'; allowed: {', '.join(allowed)}"
    return f"unknown key '{key}'"


def show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, str):
        return f"'{shown(value)}'"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, bytes):
        return "!!binary data"
    return shown(str(value))


# What YAML 1.1 (and pydantic's lax mode) read as booleans: quoted, they are text that a reader
# takes for a flag.
_FLAG_WORDS = {
    **dict.fromkeys(("true", "yes", "y", "on", "1"), "true"),
    **dict.fromkeys(("false", "no", "n", "off", "0"), "false"),
}


def _quoted_hint(kind: str, value: Any) -> str:
    """`the string '30' ...; write 30 without quotes` for a quoted value that reads as meant."""
    if kind == "bool" and isinstance(value, str) and value.strip().lower() in _FLAG_WORDS:
        meant = _FLAG_WORDS[value.strip().lower()]
        return f" (a string, in quotes); write {meant} without quotes if {meant} is meant"
    if kind == "int" and isinstance(value, str) and value.strip().lstrip("+-").isdigit():
        return f" (a string, in quotes); write {int(value)} without quotes"
    if kind == "int" and isinstance(value, float) and value.is_integer():
        return f"; write {int(value)}"
    if kind == "bool" and isinstance(value, int) and not isinstance(value, bool):
        return " (a number)"
    return ""


def pydantic_message(
    kind: str, value: Any, ctx: dict[str, Any], tp: Any, msg: str, path: Path_
) -> str:
    got = show(value)
    literal = _unwrap(tp) if tp is not None else None
    choices = ""
    if typing.get_origin(literal) is Literal:
        choices = ", ".join(show(v) for v in typing.get_args(literal))
    if kind == "missing":
        return f"is required; one of {choices}" if choices else "is required"
    if kind == "literal_error":
        return f"must be one of {choices or ctx.get('expected')}; got {got}"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return f"must be a whole number; got {got}{_quoted_hint('int', value)}"
    if kind in ("bool_type", "bool_parsing"):
        return f"must be true or false; got {got}{_quoted_hint('bool', value)}"
    if kind == "string_type":
        return f"must be text; got {got}"
    if kind in ("uuid_type", "uuid_parsing", "uuid_version"):
        return f"must be a GUID such as 00000000-0000-0000-0000-000000000000; got {got}"
    if kind in ("tuple_type", "list_type"):
        return f"must be a list; got {got}"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return f"must be a mapping of keys; got {got}"
    if kind == "greater_than_equal":
        return f"must be at least {ctx.get('ge')}; got {got}"
    if kind == "less_than_equal":
        extra = ""
        if path and path[-1] == "maxSecretLifetimeDays":
            extra = " (Entra's ceiling for a client secret: 24 months)"
        return f"must be at most {ctx.get('le')}{extra}; got {got}"
    if kind == "string_too_short":
        return f"must be at least {ctx.get('min_length')} characters long"
    if kind == "string_too_long":
        return f"must be at most {ctx.get('max_length')} characters long"
    if kind in ("value_error", "assertion_error"):
        return str(msg).removeprefix("Value error, ").removeprefix("Assertion failed, ")
    return str(msg)


# -- values that are not plain YAML -----------------------------------------------------------

# What PyYAML's safe loader makes of plain scalars, mappings and sequences; anything else came
# from a tag (`!!binary`, `!!set`, `!!omap`, `!!pairs`, `!!timestamp`) or an unquoted date.
_PLAIN = (str, int, float, bool, type(None), dict, list)


def foreign_values(data: dict[str, Any]) -> list[tuple[Path_, Any]]:
    """(key path, value) of every value in `data` that is not plain YAML, in document order."""
    found: list[tuple[Path_, Any]] = []
    stack: list[tuple[Path_, Any]] = [((), data)]
    while stack:  # iterative: the layers were read within a depth budget, but stay safe
        path, value = stack.pop()
        if isinstance(value, dict):
            children: list[tuple[Path_, Any]] = [((*path, k), v) for k, v in value.items()]
        elif isinstance(value, list):
            children = [((*path, i), v) for i, v in enumerate(value)]
        else:
            if not isinstance(value, _PLAIN):
                found.append((path, value))
            continue
        stack.extend(reversed(children))
    return found


def foreign_message(value: Any) -> str:
    plain = "fhir-apps reads plain YAML values only (text, numbers, true/false, lists, mappings)"
    if isinstance(value, dt.date):  # also datetime
        text = str(value)
        return (
            f"got the date {text}: YAML reads an unquoted date as a date, not as text; quote it "
            f"('{text}')"
        )
    if isinstance(value, bytes):
        return f"got !!binary data; {plain}: write the value itself, not its base64"
    if isinstance(value, set | frozenset):
        return f"got a !!set; {plain}: write a list"
    if isinstance(value, tuple):
        return f"got an !!omap or !!pairs entry; {plain}: write a mapping"
    return f"got a YAML {type(value).__name__}; {plain}"


# -- showing keys and messages -----------------------------------------------------------------

_MAX_PATH_SHOWN = 300
_MAX_MESSAGE_SHOWN = 2000


def one_line(text: str, limit: int = _MAX_MESSAGE_SHOWN) -> str:
    """`text` as it is when it is one safe line of reasonable length, else escaped and bounded:
    a key or value echoed from a layer must not break or reorder the line a problem prints as."""
    if first_unsafe(text) is None and len(text) <= limit:
        return text
    return shown(text, limit)


def key_path(path: Path_) -> str:
    return one_line(format_path(path), _MAX_PATH_SHOWN)
