"""Property: a mutated config gives a Spec or raises ConfigError, never anything else."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fhir_apps.spec.errors import ConfigError
from fhir_apps.spec.loader import load_spec_with_warnings
from fhir_apps.spec.model import Spec

EXAMPLE = Path(__file__).resolve().parent.parent / "config"
LAYERS = ("base.yaml", "environments/dev.yaml", "stacks/dev-eu.yaml")
TEXTS = {name: (EXAMPLE / name).read_text() for name in LAYERS}
DATA = {name: yaml.safe_load(text) or {} for name, text in TEXTS.items()}

KEYS = [
    "tenant",
    "verifiedDomains",
    "id",
    "naming",
    "prefix",
    "owners",
    "policy",
    "maxSecretLifetimeDays",
    "fhirServer",
    "kind",
    "url",
    "appRoles",
    "scopes",
    "accessTokenVersion",
    "ids",
    "roles",
    "deploy",
    "resourceId",
    "smart",
    "accessPolicies",
    "clients",
    "enabled",
    "displayName",
    "redirectUris",
    "adminConsent",
    "credential",
    "type",
    "rotationDays",
    "certificateFile",
    "issuer",
    "subject",
    "subjects",
    "audiences",
    "platform",
    "fallbackPublicClient",
    "assignments",
    "principalId",
    "principalType",
    "environment",
    "stack",
    "protected",
    "secretStore",
    "keyVaultId",
    "importIds",
    "roleAssignments",
    "consentGrant",
    "federatedCredentials",
    "<<",
]
WORDS = [
    "oss",
    "ahds",
    "azure-api-for-fhir",
    "confidential",
    "public",
    "service",
    "spa",
    "mobile",
    "desktop",
    "secret",
    "certificate",
    "federated",
    "Group",
    "User",
    "globalReader",
    "globalWriter",
    "GlobalReader",
    "user_impersonation",
    "patient/*.read",
    "FHIR Data Reader",
    "https://fhir.contoso.com",
    "https://x-y.fhir.azurehealthcareapis.com",
    "http://localhost",
    "https://a.contoso.com/*",
    "com.contoso.app://cb",
    "api://x",
    "certs/exporter.pem",
    "../base.yaml",
    "/dev/null",
    "5e4d3c2b-1a09-4f8e-9d7c-6b5a49382716",
    "",
    " ",
    ".x",
    "a" * 300,
    "\x00",
    "\ud800",
    "2024-13-45",
]
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**20), max_value=10**20)
    | st.floats()
    | st.text(max_size=20)
    | st.sampled_from(WORDS)
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)


def paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            found += paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += paths(value, (*prefix, index))
    return found


def mutate(data: Any, draw: Any) -> Any:
    all_paths = paths(data)
    path = draw(st.sampled_from(all_paths))
    op = draw(st.sampled_from(["replace", "delete", "insert"]))
    if not path:
        return draw(values) if op == "replace" else data
    parent = data
    for part in path[:-1]:
        parent = parent[part]
    last = path[-1]
    if op == "replace":
        parent[last] = draw(values)
    elif op == "delete":
        del parent[last]
    elif isinstance(parent[last], dict):
        parent[last][draw(st.sampled_from(KEYS))] = draw(values)
    return data


@st.composite
def configs(draw: Any) -> dict[str, str]:
    texts = dict(TEXTS)
    name = draw(st.sampled_from(LAYERS))
    if draw(st.booleans()):
        data = yaml.safe_load(yaml.safe_dump(DATA[name]))
        for _ in range(draw(st.integers(min_value=1, max_value=4))):
            data = mutate(data, draw)
        texts[name] = yaml.dump(data, allow_unicode=True)
    else:  # damage the text itself
        text = texts[name]
        at = draw(st.integers(min_value=0, max_value=len(text)))
        cut = draw(st.integers(min_value=0, max_value=20))
        insert = draw(st.text(max_size=10) | st.sampled_from([":", "- ", "\t", "{", "&a", "*a"]))
        texts[name] = text[:at] + insert + text[at + cut :]
    return texts


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(configs(), st.sampled_from([None, "dev-eu"]))
def test_loader_returns_a_spec_or_raises_config_error(texts, stack):
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "config"
        shutil.copytree(EXAMPLE / "certs", config / "certs")
        for name, text in texts.items():
            path = config / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8", errors="surrogatepass")
        try:
            spec, warnings = load_spec_with_warnings(config, environment="dev", stack=stack)
        except ConfigError as error:
            assert error.problems
            assert all(str(p).startswith((str(config), "--")) for p in error.problems)
        else:
            assert isinstance(spec, Spec)
            assert all(isinstance(w, str) for w in warnings)
