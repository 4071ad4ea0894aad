"""Reading one YAML layer: plain data plus the line of every key, duplicate keys as problems.

PyYAML silently keeps the last of two equal keys; a config must not, so mappings are built here
from the composed node tree, which also gives each key path its line number.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from fhir_apps.spec.errors import Problem

__all__ = ["Layer", "Path_", "format_path", "read_layer"]

Path_ = tuple[str | int, ...]


def format_path(path: Path_) -> str:
    """`("clients", "web", "redirectUris", 0)` -> `clients.web.redirectUris[0]`."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


@dataclass
class Layer:
    """One file's content: `data` (a mapping), `lines` (key path -> 1-based line).

    `broken` is true when the file could not be read as a mapping at all (unreadable, malformed
    YAML, not a mapping); other problems (duplicate keys, ...) leave usable data.
    """

    file: str
    data: dict[str, Any] = field(default_factory=dict)
    lines: dict[Path_, int] = field(default_factory=dict)
    broken: bool = False


# libyaml's parser when PyYAML was built with it (about ten times faster); same safe constructor.
_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BaseLoader):  # type: ignore[misc, valid-type]
    pass


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def read_layer(path: Path, display: str) -> tuple[Layer, list[Problem]]:
    """Read `path` (shown as `display` in problems). A missing or unreadable file is a problem."""
    layer = Layer(display, broken=True)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        return layer, [Problem(display, "", f"cannot read the file: {reason}")]
    try:
        loader = _Loader(text)
        try:
            root = loader.get_single_node()
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        where = f"line {line}, column {mark.column + 1}" if mark else ""
        reason = exc.problem or exc.context or "malformed YAML"
        return layer, [Problem(display, where, f"malformed YAML: {reason}", line)]
    except yaml.YAMLError as exc:
        return layer, [Problem(display, "", f"malformed YAML: {exc}")]
    except RecursionError:
        return layer, [Problem(display, "", "malformed YAML: nested too deeply")]
    layer.broken = False
    if root is None:
        return layer, []
    builder = _Builder(loader, display, layer.lines)
    try:
        data = builder.build(root, ())
    except RecursionError:
        layer.broken = True
        return layer, [Problem(display, "", "malformed YAML: nested too deeply")]
    if data is None:
        layer.broken = True
        return layer, builder.problems
    if not isinstance(data, dict):
        layer.broken = True
        builder.problems.append(
            Problem(
                display,
                "",
                "the file must be a mapping of top-level keys (tenant, naming, owners, policy, "
                "fhirServer, clients, assignments, ...)",
                _line(root),
            )
        )
        return layer, builder.problems
    layer.data = data
    return layer, builder.problems


class _Builder:
    def __init__(self, loader: _Loader, file: str, lines: dict[Path_, int]) -> None:
        self.loader = loader
        self.file = file
        self.lines = lines
        self.problems: list[Problem] = []
        self._active: set[int] = set()

    def build(self, node: yaml.Node, path: Path_) -> Any:
        if id(node) in self._active:
            self.problems.append(
                Problem(self.file, format_path(path), "recursive YAML alias", _line(node))
            )
            return None
        self._active.add(id(node))
        try:
            if isinstance(node, yaml.MappingNode):
                return self._mapping(node, path)
            if isinstance(node, yaml.SequenceNode):
                return [self._item(child, (*path, i)) for i, child in enumerate(node.value)]
            try:
                return self.loader.construct_object(node, deep=True)
            except yaml.YAMLError as exc:
                reason = getattr(exc, "problem", None) or str(exc)
                self.problems.append(Problem(self.file, format_path(path), reason, _line(node)))
                return None
            except (ValueError, TypeError, OverflowError) as exc:  # e.g. a date 2024-13-45
                self.problems.append(
                    Problem(self.file, format_path(path), f"invalid value: {exc}", _line(node))
                )
                return None
        finally:
            self._active.discard(id(node))

    def _item(self, node: yaml.Node, path: Path_) -> Any:
        self.lines.setdefault(path, _line(node))
        return self.build(node, path)

    def _mapping(self, node: yaml.MappingNode, path: Path_) -> dict[str, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self._key(key_node, path)
            if key is None:
                continue
            if key in seen:
                self.problems.append(
                    Problem(
                        self.file,
                        format_path((*path, key)),
                        f"duplicate key '{key}' on line {_line(key_node)} "
                        f"(first set on line {seen[key]}); keep one",
                        _line(key_node),
                    )
                )
            else:
                seen[key] = _line(key_node)
        try:
            self.loader.flatten_mapping(node)  # resolves `<<: *anchor` merge keys
        except yaml.YAMLError as exc:
            reason = getattr(exc, "problem", None) or str(exc)
            self.problems.append(Problem(self.file, format_path(path), reason, _line(node)))
            return {}
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = self._key(key_node, path, report=False)
            if key is None:
                continue
            child = (*path, key)
            self.lines[child] = _line(key_node)
            result[key] = self.build(value_node, child)
        return result

    def _key(self, node: yaml.Node, path: Path_, report: bool = True) -> str | None:
        if isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:str":
            return str(node.value)
        if report:
            shown = node.value if isinstance(node, yaml.ScalarNode) else "a collection"
            self.problems.append(
                Problem(
                    self.file,
                    format_path(path) or f"line {_line(node)}",
                    f"key {shown} is not text; quote it (e.g. '{shown}') or rename it",
                    _line(node),
                )
            )
        return None
