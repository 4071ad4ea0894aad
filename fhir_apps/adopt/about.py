"""An app's notes, description, service management reference and `info` links, which the
config keeps under `about:` (the provider would clear each one the program does not set)."""

from __future__ import annotations

from typing import Any, Final

from fhir_apps.adopt.context import App

__all__ = ["about_block", "kept_paths"]

# Graph path -> the key under `about:` (fhir_apps.spec.model.AppInfo).
_KEYS: Final = {
    "notes": "notes",
    "description": "description",
    "serviceManagementReference": "serviceManagementReference",
    "info.marketingUrl": "marketingUrl",
    "info.privacyStatementUrl": "privacyStatementUrl",
    "info.supportUrl": "supportUrl",
    "info.termsOfServiceUrl": "termsOfServiceUrl",
}


def _get(app: App, path: str) -> Any:
    value: Any = app
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def about_block(app: App) -> dict[str, str]:
    """`about:` for `app`: each of its texts and links that is set, exactly as it is."""
    return {key: _get(app, path) for path, key in _KEYS.items() if _get(app, path)}


def kept_paths(block: dict[str, str]) -> frozenset[str]:
    """The Graph paths an `about:` block carries (no finding says they are cleared)."""
    return frozenset(path for path, key in _KEYS.items() if key in block)
