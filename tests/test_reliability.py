"""Reliability of the render: reproducible, leak-free, and total over mutated configs.

- Every example stack renders identically twice in one process and under two Python hash seeds
  (`python -m fhir_apps render --format json` in subprocesses, byte for byte).
- No secret value reaches a render (json, yaml, --graph), a log line or an exception message:
  the mocks hand out `MOCKSECRET-...` password values, recorded here and scanned for.
- Config fuzz on the render path: valid example configs mutated with hypothesis and written to
  temporary directories either fail with a clean ConfigError (every problem `file: path: msg`),
  or load; loaded ones render, and the render passes every mandatory policy (the config rules
  and the resource rules agree). The loader path takes 2,000 examples; the full render path
  (~0.4 s a render on 2 cores) takes 150, so the file stays well under the time budget.
"""

from __future__ import annotations

import copy
import json
import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from fhir_apps import cli
from fhir_apps.fhir_constants import OSS_ROLE_NAMES
from fhir_apps.policies import has_mandatory, policy_config_for_spec, run_policies
from fhir_apps.render.engine import RenderError, Rendering, render
from fhir_apps.render.graph import manifests
from fhir_apps.render.mocks import MOCK_SECRET_PREFIX, PlaceholderMocks
from fhir_apps.spec.errors import ConfigError
from fhir_apps.spec.loader import load_spec
from fhir_apps.spec.pulumifiles import stack_environment

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "config"
TODAY = date(2025, 6, 1)


def _example_stacks() -> list[tuple[str, str]]:
    """(environment, stack) of every Pulumi.<stack>.yaml and every environment file."""
    pairs = {(env.stem, env.stem) for env in (CONFIG / "environments").glob("*.yaml")}
    for path in ROOT.glob("Pulumi.*.yaml"):
        stack = path.name.removeprefix("Pulumi.").removesuffix(".yaml")
        pairs.add((stack_environment(ROOT, stack), stack))
    return sorted(pairs)


EXAMPLES = _example_stacks()


class SecretRecordingMocks(PlaceholderMocks):
    """The placeholder mocks, remembering every secret value they hand to the program."""

    def __init__(self) -> None:
        super().__init__()
        self.secrets: list[str] = []

    def new_resource(self, args: Any) -> tuple[str, dict[str, Any]]:
        resource_id, outputs = super().new_resource(args)
        value = outputs.get("value")
        if isinstance(value, str) and value.startswith(MOCK_SECRET_PREFIX):
            self.secrets.append(value)
        return resource_id, outputs


def assert_no_secret(text: str, secrets: list[str], where: str) -> None:
    assert MOCK_SECRET_PREFIX not in text, f"{where}: a mock secret value is printed"
    for secret in secrets:
        # Also the bare digest, in case something strips or re-encodes the prefix.
        digest = secret.removeprefix(MOCK_SECRET_PREFIX)
        assert digest not in text, f"{where}: secret {secret[:14]}... is printed"


def _dumps(rendering: Rendering) -> dict[str, str]:
    data = rendering.as_dict()
    return {
        "json": json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False),
        "yaml": yaml.safe_dump(data, sort_keys=True, allow_unicode=True, width=1000),
        "graph": json.dumps(manifests(rendering), indent=2, sort_keys=True),
    }


# --- idempotence ------------------------------------------------------------------------------


@pytest.mark.parametrize(("environment", "stack"), EXAMPLES)
def test_render_is_idempotent_in_process(environment: str, stack: str) -> None:
    first = render(environment=environment, stack=stack, config_dir=CONFIG, today=TODAY)
    second = render(environment=environment, stack=stack, config_dir=CONFIG, today=TODAY)
    assert first.resources, f"{environment}/{stack}: nothing rendered"
    assert _dumps(first) == _dumps(second)


def _cli_render(environment: str, stack: str, seed: str, *extra: str) -> bytes:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    result = subprocess.run(
        [sys.executable, "-m", "fhir_apps", "render", "--environment", environment,
         "--stack", stack, "--today", TODAY.isoformat(), *extra],
        cwd=ROOT, env=env, capture_output=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    assert MOCK_SECRET_PREFIX.encode() not in result.stdout + result.stderr
    return result.stdout


@pytest.mark.parametrize(("environment", "stack"), EXAMPLES)
def test_render_is_identical_across_hash_seeds(environment: str, stack: str) -> None:
    one = _cli_render(environment, stack, "1", "--format", "json")
    two = _cli_render(environment, stack, "2", "--format", "json")
    assert one == two
    in_process = render(environment=environment, stack=stack, config_dir=CONFIG, today=TODAY)
    assert json.loads(one) == json.loads(json.dumps(in_process.as_dict()))


@pytest.mark.parametrize(("environment", "stack"), EXAMPLES)
def test_lost_state_cannot_create_duplicate_applications(environment: str, stack: str) -> None:
    # If the state is lost, `pulumi up` would create every application again; with
    # preventDuplicateNames Entra refuses the copy (display names are unique per environment),
    # so the run fails loudly and the registrations are adopted with `import` instead.
    rendering = render(environment=environment, stack=stack, config_dir=CONFIG, today=TODAY)
    apps = [r for r in rendering.resources if r.type == "azuread:index/application:Application"]
    assert apps
    for app in apps:
        assert app.inputs.get("preventDuplicateNames") is True, app.urn
    names = [app.inputs["displayName"] for app in apps]
    assert len(names) == len(set(names)), names


# --- no secret in any render, log line or exception -------------------------------------------


@pytest.mark.parametrize(("environment", "stack"), EXAMPLES)
def test_no_secret_in_render_or_logs(
    environment: str,
    stack: str,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    mocks = SecretRecordingMocks()
    with caplog.at_level(logging.DEBUG):
        rendering = render(
            environment=environment, stack=stack, config_dir=CONFIG, today=TODAY, mocks=mocks
        )
    if environment == "dev":
        # The check can fail: dev has secret credentials, so secrets did exist during the run.
        assert mocks.secrets, "the dev stack's secret slots produced no mock secret"
    for fmt, text in _dumps(rendering).items():
        assert_no_secret(text, mocks.secrets, f"{environment}/{stack} {fmt}")
    assert_no_secret(caplog.text, mocks.secrets, "log records")
    out, err = capfd.readouterr()
    assert_no_secret(out + err, mocks.secrets, "stdout/stderr")
    # Every example stack has secret credentials, so `clientSecrets` holds values: the whole
    # output is marked secret, not only each value (its keys name the clients with a secret).
    outputs = rendering.as_dict()["outputs"]
    secrets_out = [(k, v) for k, v in _flatten(outputs) if k.split(".")[0] == "clientSecrets"]
    assert secrets_out == [("clientSecrets", "[secret]")]


def _flatten(node: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _flatten(value, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _flatten(value, f"{prefix}[{index}]")
    else:
        yield prefix, node


@pytest.mark.parametrize("fmt", [["--format", "json"], ["--format", "yaml"], ["--graph"]])
@pytest.mark.parametrize(("environment", "stack"), EXAMPLES)
def test_no_secret_in_render_command_output(
    environment: str,
    stack: str,
    fmt: list[str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    argv = ["render", "--environment", environment, "--stack", stack, "--today", "2025-06-01"]
    monkeypatch.chdir(ROOT)  # the command's --config-dir default is relative: config
    assert cli.main([*argv, *fmt]) == 0
    out, err = capsys.readouterr()
    assert out.strip(), "nothing printed"
    assert_no_secret(out + err, [], f"render {' '.join(fmt)}")


def test_no_secret_in_exception_of_a_failing_render(caplog: pytest.LogCaptureFixture) -> None:
    # The provider refuses a password after others exist (registration order is concurrent, so
    # count instead of naming one): the failure travels while secret values are in flight.
    class Failing(SecretRecordingMocks):
        def new_resource(self, args: Any) -> tuple[str, dict[str, Any]]:
            resource_id, outputs = super().new_resource(args)
            if len(self.secrets) >= 2:
                raise RuntimeError(f"provider refused {args.name}")
            return resource_id, outputs

    mocks = Failing()
    with caplog.at_level(logging.DEBUG), pytest.raises(Exception) as caught:
        render(environment="dev", config_dir=CONFIG, today=TODAY, mocks=mocks)
    assert "provider refused" in str(caught.value)
    assert len(mocks.secrets) >= 2, "no secret existed at the failure: the test proves nothing"
    assert_no_secret(f"{caught.value!s} {caught.value!r}", mocks.secrets, "exception")
    assert_no_secret(caplog.text, mocks.secrets, "log records")


# --- config fuzz through the loader and the render --------------------------------------------

LAYERS = ("base.yaml", "environments/dev.yaml", "stacks/dev-eu.yaml")
TEXTS = {name: (CONFIG / name).read_text(encoding="utf-8") for name in LAYERS}
DATA = {name: yaml.safe_load(text) or {} for name, text in TEXTS.items()}
CLIENT_KEYS = sorted({key for data in DATA.values() for key in (data.get("clients") or {})})

GUIDS = ["5e4d3c2b-1a09-4f8e-9d7c-6b5a49382716", "3c2b1a09-8f7e-4d6c-b5a4-938271605f4e", "nope"]
REDIRECTS = [
    "https://app.contoso.com/signin-oidc",
    "https://app.contoso.com/other",
    "http://localhost:5000/cb",
    "http://127.0.0.1/",
    "https://*.contoso.com/cb",
    "http://app.contoso.com/cb",
    "com.contoso.app://cb",
    "msauth.com.contoso.x://auth",
    "https://app.contoso.com/(x)",
    "https://app.contoso.com/" + "a" * 240,
    "javascript://x",
    "https://app.contoso.com/#frag",
    "",
]
URLS = [
    "https://fhir.contoso.com",
    "https://fhir-x.eu.contoso.com",
    "https://fhir.example.org",
    "http://fhir.contoso.com",
    "https://contoso.onmicrosoft.com/fhir",
    "api://fhir",
]
SCOPES = [
    "user_impersonation",
    "launch",
    "fhirUser",
    "patient.all.read",
    "user.all.read",
    "patient/*.read",
    "global Reader",
    ".x",
    "globalReader",
    "a" * 121,
]
ROLES = [*OSS_ROLE_NAMES, "GlobalReader", "launch", "custom.role", "FHIR Data Reader"]
NEW_KEYS = ["new", "web2", "spa-2", "daemon", "Bad Key", "k" * 70]
DOMAINS = ["contoso.com", "eu.contoso.com", "example.org", "contoso.onmicrosoft.com"]

credentials = st.one_of(
    st.none(),
    st.fixed_dictionaries(
        {"type": st.just("secret")},
        optional={"rotationDays": st.integers(min_value=-1, max_value=800)},
    ),
    st.fixed_dictionaries(
        {
            "type": st.just("certificate"),
            "certificateFile": st.sampled_from(["certs/exporter.pem", "certs/missing.pem"]),
        }
    ),
    st.fixed_dictionaries(
        {
            "type": st.just("federated"),
            "issuer": st.sampled_from(
                ["https://token.actions.githubusercontent.com", "http://issuer", ""]
            ),
            "subjects": st.lists(
                st.sampled_from(["repo:contoso/x:environment:dev", "repo:contoso/y:ref:main", ""]),
                max_size=3,
            ),
        }
    ),
)
# field -> values; drawn for a client (new or existing) in one layer.
CLIENT_FIELDS: dict[str, st.SearchStrategy[Any]] = {
    "kind": st.sampled_from(["confidential", "public", "service", "daemon"]),
    "platform": st.sampled_from(["spa", "mobile", "desktop", "web"]),
    "enabled": st.booleans(),
    "redirectUris": st.lists(st.sampled_from(REDIRECTS), max_size=3),
    "scopes": st.lists(st.sampled_from(SCOPES), max_size=3),
    "roles": st.lists(st.sampled_from(ROLES), max_size=3),
    "fallbackPublicClient": st.booleans(),
    "adminConsent": st.booleans(),
    "owners": st.lists(st.sampled_from(GUIDS), max_size=2),
    "displayName": st.sampled_from(["Clinical dashboard", "fhir-dev-dashboard", "", "x" * 130]),
    "credential": credentials,
}
SERVER_FIELDS: dict[str, st.SearchStrategy[Any]] = {
    "url": st.sampled_from(URLS),
    "accessTokenVersion": st.sampled_from([1, 2, 3]),
    "appRoles": st.lists(st.sampled_from(ROLES), max_size=4),
    "scopes": st.lists(st.sampled_from(SCOPES), max_size=4),
    "smart": st.booleans(),
    "kind": st.sampled_from(["oss", "ahds", "azure-api-for-fhir"]),
}
scalars = st.none() | st.booleans() | st.integers(-5, 5) | st.text(max_size=6) | st.just([])


def _client(data: dict[str, Any], key: str) -> dict[str, Any]:
    clients = data.get("clients")
    if not isinstance(clients, dict):
        clients = data["clients"] = {}
    if not isinstance(clients.get(key), dict):
        clients[key] = {}
    return clients[key]


@st.composite
def mutated_layers(draw: st.DrawFn) -> dict[str, str]:
    """The example layers with 1-3 domain-aware edits (most keep the config plausible)."""
    layers: dict[str, Any] = {}
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        name = draw(st.sampled_from(LAYERS))
        data = layers.setdefault(name, copy.deepcopy(DATA[name]))
        op = draw(
            st.sampled_from(
                ["client", "client", "client", "new-client", "drop-client", "server", "policy",
                 "domains", "owners", "type-confusion"]
            )
        )  # fmt: skip
        if op == "client":
            name = draw(st.sampled_from(sorted(CLIENT_FIELDS)))
            _client(data, draw(st.sampled_from(CLIENT_KEYS)))[name] = draw(CLIENT_FIELDS[name])
        elif op == "new-client":
            key = draw(st.sampled_from(NEW_KEYS))
            client = _client(data, key)
            client["kind"] = draw(CLIENT_FIELDS["kind"])
            for name in draw(st.lists(st.sampled_from(sorted(CLIENT_FIELDS)), max_size=4)):
                client[name] = draw(CLIENT_FIELDS[name])
        elif op == "drop-client" and isinstance(data.get("clients"), dict) and data["clients"]:
            del data["clients"][draw(st.sampled_from(sorted(data["clients"])))]
        elif op == "server":
            if not isinstance(data.get("fhirServer"), dict):
                data["fhirServer"] = {}
            server = data["fhirServer"]
            name = draw(st.sampled_from(sorted(SERVER_FIELDS)))
            server[name] = draw(SERVER_FIELDS[name])
        elif op == "policy":
            data["policy"] = {"maxSecretLifetimeDays": draw(st.integers(-1, 800))}
        elif op == "domains":
            data["tenant"] = {
                "verifiedDomains": draw(st.lists(st.sampled_from(DOMAINS), max_size=2))
            }
        elif op == "owners":
            data["owners"] = draw(st.lists(st.sampled_from(GUIDS), max_size=2))
        elif op == "type-confusion":
            key = draw(st.sampled_from(["clients", "fhirServer", "tenant", "owners", "policy"]))
            data[key] = draw(scalars)
    # Unchanged layers keep their original text (comments and all); dumping is the slow part.
    return {
        name: yaml.safe_dump(layers[name], allow_unicode=True) if name in layers else TEXTS[name]
        for name in LAYERS
    }


@pytest.fixture(scope="module")
def fuzz_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One config directory for every example (each overwrites all layers): fast, and safe
    because hypothesis runs the examples of a test one after another.
    """
    config = tmp_path_factory.mktemp("fuzz") / "config"
    shutil.copytree(CONFIG / "certs", config / "certs")
    for name in LAYERS:
        (config / name).parent.mkdir(parents=True, exist_ok=True)
    return config


def _write(texts: dict[str, str], config: Path) -> Path:
    for name, text in texts.items():
        (config / name).write_text(text, encoding="utf-8")
    return config


def _load(config: Path, stack: str | None) -> tuple[Any, ConfigError | None]:
    try:
        spec = load_spec(config, environment="dev", stack=stack)
    except ConfigError as error:
        event("config: invalid")
        assert error.problems, "ConfigError without problems"
        for problem in error.problems:
            text = str(problem)
            assert text.startswith(str(config)), text
            assert "Traceback" not in text, text
        return None, error
    event("config: valid")
    return spec, None


@settings(
    max_examples=2000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(mutated_layers(), st.sampled_from([None, "dev-eu"]))
def test_mutated_config_loads_or_fails_cleanly(
    fuzz_dir: Path, texts: dict[str, str], stack: str | None
) -> None:
    _load(_write(texts, fuzz_dir), stack)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(mutated_layers(), st.sampled_from([None, "dev-eu"]))
def test_mutated_config_renders_or_fails_cleanly(
    fuzz_dir: Path, texts: dict[str, str], stack: str | None
) -> None:
    config = _write(texts, fuzz_dir)
    spec, error = _load(config, stack)
    mocks = SecretRecordingMocks()
    if error is not None:
        # The program refuses the same config with the loader's message, nothing else.
        with pytest.raises(RenderError) as caught:
            render(environment="dev", stack=stack, config_dir=config, today=TODAY, mocks=mocks)
        assert str(caught.value) == str(error)
        return
    rendering = render(environment="dev", stack=stack, config_dir=config, today=TODAY, mocks=mocks)
    for fmt, text in _dumps(rendering).items():
        assert_no_secret(text, mocks.secrets, fmt)
    violations = run_policies(rendering.as_dict(), policy_config_for_spec(spec), today=TODAY)
    assert not has_mandatory(violations), "\n".join(map(str, violations))
