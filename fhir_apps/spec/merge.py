"""Merging the YAML layers: maps merge by key; lists and scalars replace; a map whose `kind` or
`type` changes replaces the earlier map; `null` removes a key. `Merged` remembers which layer (and
line) set each key path, so that every problem names the file that set the value."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from fhir_apps.spec.yamlio import Layer, Path_

__all__ = ["Merged", "merge_layer", "set_at"]


@dataclass
class Merged:
    """The layers merged so far, and which layer (and line) set each key path."""

    data: dict[str, Any] = field(default_factory=dict)
    # key path -> (layer index, line) of the layer that last set (or removed) the value there
    origin: dict[Path_, tuple[int, int | None]] = field(default_factory=dict)
    # key path -> the paths in `origin` at or below it, so that forgetting a subtree costs its
    # size, not a scan of every key of the config (which made a merge quadratic in the clients)
    below: dict[Path_, set[Path_]] = field(default_factory=dict)

    def set_origin(self, path: Path_, where: tuple[int, int | None]) -> None:
        if path not in self.origin:
            for end in range(len(path) + 1):
                self.below.setdefault(path[:end], set()).add(path)
        self.origin[path] = where

    def forget(self, path: Path_) -> None:
        """Drop the origin of `path` and of every path below it."""
        for key in self.below.pop(path, ()):
            del self.origin[key]
            for end in range(len(path)):
                self.below[key[:end]].discard(key)
            for end in range(len(path) + 1, len(key) + 1):
                self.below.pop(key[:end], None)


def merge_layer(
    merged: Merged,
    layer: Layer,
    index: int,
    path: Path_ = (),
    lines_below: dict[Path_, list[tuple[Path_, int]]] | None = None,
) -> None:
    """Merge `layer` (the `index`-th) into `merged` at `path`: maps by key, the rest replaced."""
    if lines_below is None:
        lines_below = _lines_below(layer)
    if not path and () not in merged.origin:
        merged.set_origin((), (index, None))
    into = _get(merged.data, path)
    over = _get(layer.data, path)
    for key, value in over.items():
        child = (*path, key)
        line = layer.lines.get(child)
        if value is None:
            into.pop(key, None)
            merged.forget(child)
            merged.set_origin(child, (index, line))
            continue
        current = into.get(key)
        if isinstance(value, dict) and isinstance(current, dict) and not _retyped(current, value):
            if child not in merged.origin:
                merged.set_origin(child, (index, line))
            merge_layer(merged, layer, index, child, lines_below)
            continue
        into[key] = _without_nulls(value)
        merged.forget(child)
        for sub, sub_line in lines_below.get(child, ()):
            merged.set_origin(sub, (index, sub_line))
        merged.set_origin(child, (index, line))


def _lines_below(layer: Layer) -> dict[Path_, list[tuple[Path_, int]]]:
    """Key path -> the (path, line) pairs of `layer.lines` at or below it, in file order."""
    below: dict[Path_, list[tuple[Path_, int]]] = {}
    for path, line in layer.lines.items():
        for end in range(1, len(path) + 1):
            below.setdefault(path[:end], []).append((path, line))
    return below


def _without_nulls(value: Any) -> Any:
    """A copy of `value` where mapping keys set to null are left out (null means "unset")."""
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return copy.deepcopy(value)


def _retyped(current: dict[str, Any], new: dict[str, Any]) -> bool:
    """A map whose `kind` or `type` changes replaces the earlier map instead of merging."""
    return any(
        tag in new and tag in current and new[tag] != current[tag] for tag in ("kind", "type")
    )


def _get(data: dict[str, Any], path: Path_) -> dict[str, Any]:
    """The map at `path` (which exists) in `data`."""
    target: Any = data
    for part in path:
        target = target[part]
    return target


def set_at(data: dict[str, Any], path: Path_, value: Any) -> None:
    """Set `data[path[0]][path[1]]... = value` (the path exists)."""
    target: Any = data
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
