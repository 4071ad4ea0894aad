"""config/schema.json is the model's schema, and it accepts every (partial) layer we ship."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from fhir_apps.spec.schema import layer_schema, layer_schema_json

REPO = Path(__file__).resolve().parent.parent
SCHEMA = REPO / "config" / "schema.json"


def test_committed_schema_is_in_sync_with_the_model():
    assert SCHEMA.read_text() == layer_schema_json(), (
        "config/schema.json is stale: run `python -m fhir_apps schema > config/schema.json`"
    )


def test_schema_command_prints_the_schema():
    result = subprocess.run(
        [sys.executable, "-m", "fhir_apps", "schema"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == layer_schema_json()
    assert result.stderr == ""


def test_schema_suits_partial_layers():
    schema = layer_schema()
    text = json.dumps(schema)
    assert '"required"' not in text
    assert '"oneOf"' not in text
    assert "environment" not in schema["properties"]
    assert "stack" not in schema["properties"]
    client = schema["$defs"]["ConfidentialClient"]
    assert client["additionalProperties"] is False
    assert "redirectUris" in client["properties"]


def test_example_layers_validate_against_the_schema():
    jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is not a project pin")
    validator = jsonschema.Draft202012Validator(layer_schema())
    for path in sorted((REPO / "config").rglob("*.yaml")):
        errors = list(validator.iter_errors(yaml.safe_load(path.read_text()) or {}))
        assert errors == [], (path, [e.message for e in errors])
    bad = {"fhirServer": {"appRole": ["x"]}}
    assert list(validator.iter_errors(bad))


def test_null_unsets_a_key_in_every_layer_and_the_schema_accepts_it():
    jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is not a project pin")
    validator = jsonschema.Draft202012Validator(layer_schema())
    # What the loader accepts (null unsets a key at any depth; see test_spec_loader)...
    unsets = {
        "naming": None,
        "fhirServer": {"displayName": None, "ids": {"scopes": None}, "deploy": None},
        "clients": {"portal": {"logoutUrl": None, "credential": None}, "old": None},
    }
    assert list(validator.iter_errors(unsets)) == []
    # ...and still nothing else of the wrong type.
    for bad in (
        {"fhirServer": {"displayName": 5}},
        {"clients": {"portal": {"redirectUris": "https://one"}}},
        {"clients": {"portal": {"kind": "confidential", "nope": None}}},
        {"clients": {"portal": {"redirectUris": [None]}}},
    ):
        assert list(validator.iter_errors(bad)), bad
