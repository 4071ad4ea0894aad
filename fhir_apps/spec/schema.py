"""The JSON Schema of one config layer, generated from the model (committed as config/schema.json).

Editors (e.g. the YAML language server) use it to complete and underline keys in every layer file.
A layer is usually partial (an environment may set only `fhirServer.url`), so the schema marks no
key as required and lets a client or credential omit its `kind`/`type`; `check` enforces required
keys on the merged layers. Every key also accepts null, which unsets it in the merge.
`environment` and `stack` come from the command line, not from YAML.
"""

from __future__ import annotations

import json
from typing import Any

from fhir_apps.spec.model import Spec

__all__ = ["layer_schema", "layer_schema_json"]


def layer_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) for a config layer file."""
    schema = Spec.model_json_schema(by_alias=True, mode="validation")
    for key in ("environment", "stack"):
        schema["properties"].pop(key, None)
    schema = _relax(schema)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "fhir-apps config layer",
        "description": (
            "One layer of the fhir-apps config (base.yaml, environments/<env>.yaml or "
            "stacks/<stack>.yaml). Layers merge: maps by key, lists replace. "
            "Reference: docs/configuration.md."
        ),
        **{k: v for k, v in schema.items() if k not in ("title", "description")},
    }


def layer_schema_json() -> str:
    """`layer_schema()` as the text committed in config/schema.json (ends with a newline)."""
    return json.dumps(layer_schema(), indent=2, ensure_ascii=False) + "\n"


def _relax(node: Any) -> Any:
    """Drop `required`, turn `oneOf` into `anyOf` and allow null for every key, so partial
    layers validate."""
    if isinstance(node, list):
        return [_relax(item) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "required" and isinstance(value, list):
            continue
        if key == "discriminator":
            continue  # an OpenAPI keyword; JSON Schema validators ignore or misread it
        relaxed = _relax(value)
        if key == "properties" and isinstance(relaxed, dict):
            relaxed = {name: _nullable(schema) for name, schema in relaxed.items()}
        elif key == "additionalProperties" and isinstance(relaxed, dict):
            relaxed = _nullable(relaxed)
        out["anyOf" if key == "oneOf" else key] = relaxed
    return out


_NULL = {"type": "null"}
# Kept on the outside of the anyOf, where editors look for them when they show a key.
_ANNOTATIONS = ("title", "description", "default")


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """`schema` or null: in any layer, a key set to null is unset (back to its default)."""
    if schema == _NULL or _NULL in schema.get("anyOf", ()):
        return schema
    outer = {k: schema[k] for k in _ANNOTATIONS if k in schema}
    inner = {k: v for k, v in schema.items() if k not in _ANNOTATIONS}
    return {**outer, "anyOf": [inner, _NULL]}
