"""The config error: every problem found in the layers, each naming its file and key path."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["ConfigError", "Problem"]


@dataclass(frozen=True, order=True)
class Problem:
    """One problem: the layer file that set the value, the camelCase key path, what is allowed.

    `line` is the 1-based line in `file` where known. `str()` is `<file>: <path>: <message>`; a
    problem with no key path (e.g. malformed YAML) reads `<file>: line <n>: <message>`.
    """

    file: str
    path: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = self.path or (f"line {self.line}" if self.line else "")
        return f"{self.file}: {where}: {self.message}" if where else f"{self.file}: {self.message}"


class ConfigError(Exception):
    """The config cannot be loaded; `problems` lists every problem found, one line each."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)
