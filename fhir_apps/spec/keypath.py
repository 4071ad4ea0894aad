"""Key paths into a YAML document: the tuple form the loader keeps and the text problems show."""

from __future__ import annotations

__all__ = ["Path_", "format_path"]

# Mapping keys and list indexes from the root, e.g. ("clients", "web", "redirectUris", 0).
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
