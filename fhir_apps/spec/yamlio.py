"""Reading one YAML layer: plain data plus the line of every key, duplicate keys as problems.

PyYAML silently keeps the last of two equal keys; a config must not, so mappings are built here
from the composed node tree, which also gives each key path its line number.

Reading is bounded (`Limits`; the composer and builder are in `fhir_apps.spec.yamlbudget`): a
file over a bound ends in one problem naming its line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from fhir_apps.spec.errors import Problem
from fhir_apps.spec.keypath import Path_, format_path
from fhir_apps.spec.yamlbudget import Limits, YamlFileError, parse_yaml

__all__ = [
    "LAYER_LIMITS",
    "Layer",
    "Limits",
    "Path_",
    "YamlFileError",
    "format_path",
    "load_yaml",
    "parse_yaml",
    "read_layer",
    "read_text",
]

# A config of 1,000 clients (benchmarks/configs.py) has a 200 KB base layer of about 19,000
# values, nested 7 deep. 1 MiB and 100,000 values leave five times that, and a layer that
# reaches them anyway (an alias bomb) is stopped after about a tenth of a second. 32 levels are
# four times the deepest key path of the schema.
LAYER_LIMITS: Final = Limits(
    max_bytes=1024 * 1024,
    max_depth=32,
    max_nodes=100_000,
    max_alias_nodes=100_000,
    what="a config layer",
)


@dataclass
class Layer:
    """One file's content: `data` (a mapping), `lines` (key path -> 1-based line).

    `broken` is true when the file could not be read as a mapping at all (unreadable, malformed
    YAML, not a mapping, over a limit); other problems (duplicate keys, ...) leave usable data.
    """

    file: str
    data: dict[str, Any] = field(default_factory=dict)
    lines: dict[Path_, int] = field(default_factory=dict)
    broken: bool = False


def read_layer(path: Path, display: str) -> tuple[Layer, list[Problem]]:
    """Read `path` (shown as `display` in problems). A missing or unreadable file is a problem."""
    layer = Layer(display, broken=True)
    try:
        data, problems = load_yaml(path, display, LAYER_LIMITS, layer.lines)
    except YamlFileError as error:
        return layer, [error.problem]
    root_line = layer.lines.pop((), 1)
    if data is None:
        # An empty file (or a lone `null`) is an empty layer; a root value that could not be
        # built is broken, with its problem.
        layer.broken = bool(problems)
        return layer, problems
    if not isinstance(data, dict):
        problems.append(
            Problem(
                display,
                "",
                "the file must be a mapping of top-level keys (tenant, naming, owners, policy, "
                "fhirServer, clients, assignments, ...)",
                root_line,
            )
        )
        return layer, problems
    layer.broken = False
    layer.data = data
    return layer, problems


def load_yaml(
    path: Path, display: str, limits: Limits, lines: dict[Path_, int] | None = None
) -> tuple[Any, list[Problem]]:
    """The data of the YAML file at `path` (None when empty) and the problems that left parts
    of it out (duplicate keys, keys that are not text, bad values, tags).

    Raises YamlFileError when the file cannot be used at all. `lines` receives the line of each
    key path (the root's under `()`).
    """
    return parse_yaml(read_text(path, display, limits), display, limits, lines)


def read_text(path: Path, display: str, limits: Limits) -> str:
    """The UTF-8 text of the file, at most `limits.max_bytes`; raises YamlFileError."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read(limits.max_bytes + 1)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise YamlFileError(Problem(display, "", f"cannot read the file: {reason}")) from None
    if len(raw) > limits.max_bytes:
        raise YamlFileError(
            Problem(
                display,
                "",
                f"the file is larger than {limits.max_bytes // (1024 * 1024)} MiB, the most "
                f"{limits.what} may be; is it the right file?",
            )
        )
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise YamlFileError(
            Problem(
                display,
                "",
                f"cannot read the file: it is not UTF-8 text (byte 0x{raw[exc.start]:02x}); "
                "save it as UTF-8",
                line,
            )
        ) from None
