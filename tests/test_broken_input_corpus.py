"""Every command over a corpus of broken inputs: one clear line per problem, never a traceback.

Each case runs `python -m fhir_apps ...` in a subprocess (with FHIR_APPS_DEBUG=1, so that an
unexpected exception ends in its traceback instead of the CLI's one-line safety net), in a fresh
workspace holding a copy of the example config, the stack files and the Graph fixtures. For each
case: the exit code is the one expected; nothing says "Traceback"; on failure stderr is not empty
and every line of it starts with the file or the command at fault (or `warning: `), stays on one
line and shows no control or bidi character; no secret (a mock secret of the render, or a
password planted in an input) is printed.

Cases stay cheap (well under a second each): most fail before the Pulumi program runs; only a
few render for real. Large inputs are made in the workspace (a sparse file for "huge"), never
committed.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from fhir_apps.cli import DEBUG_VARIABLE
from fhir_apps.render.mocks import MOCK_SECRET_PREFIX
from fhir_apps.safeio.text import first_unsafe

REPO = Path(__file__).resolve().parent.parent
GRAPH = REPO / "tests" / "fixtures" / "graph"
TIMEOUT = 60  # seconds per case; a bomb that is not stopped ends here, as a failure

# A password planted in inputs (a Graph export, a render): it must never be printed.
PLANTED = "Qx8Q~plantedSecretValue-0123456789abcdefgh"

# Nine lines, 9**9 values once expanded: the "billion laughs".
BOMB = b"".join(
    [b'a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n']
    + [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]\n".encode() for i in range(1, 9)]
)
# The same through merge keys: each level merges the one before ten times.
MERGE_BOMB = b"".join(
    [b"m0: &m0 {k0: 0, k1: 1, k2: 2, k3: 3, k4: 4, k5: 5, k6: 6, k7: 7, k8: 8, k9: 9}\n"]
    + [f"m{i}: &m{i} {{<<: [{', '.join([f'*m{i - 1}'] * 10)}]}}\n".encode() for i in range(1, 9)]
)
# Each anchor nests 20 deep around the one before: little text, far too deep once expanded.
DEEP_ALIASES = b"".join(
    f"d{i}: &d{i} {'[' * 20}{f'*d{i - 1}' if i else '0'}{']' * 20}\n".encode() for i in range(4)
)
DEEP_FLOW = b"a: " + b"[" * 100_000 + b"]" * 100_000 + b"\n"
DEEP_BLOCK = b"- " * 100_000 + b"x\n"
DEEP_JSON = b"[" * 100_000 + b"]" * 100_000
GARBAGE = random.Random(1).randbytes(4096)

URN = "urn:pulumi:dev::fhir-apps::azuread:index/application:Application::{name}"


def _render(*resources: object, outputs: object = None) -> bytes:
    return json.dumps(
        {"resources": list(resources), "outputs": {} if outputs is None else outputs}
    ).encode()


def _resource(name: str, **inputs: object) -> dict[str, object]:
    return {
        "urn": URN.format(name=name),
        "type": "azuread:index/application:Application",
        "name": name,
        "inputs": inputs,
    }


GOOD_RENDER = _render(_resource("web-app", displayName="web"))
# Control and bidi characters in a URN, a key and a value: printed escaped, exit 0.
HOSTILE_RENDER = _render(
    _resource("web-app", displayName="x\u2028y\u202e", **{"k\x1b[2J": 1}),
    _resource("web\u202eppa-\x1b[31m", secret=PLANTED),
)


def _huge(size: int) -> Callable[[Path], None]:
    def make(path: Path) -> None:
        with open(path, "wb") as handle:
            handle.truncate(size)  # sparse: costs nothing to make

    return make


def _directory(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True)


def _one_line(size: int, prefix: bytes = b"a: ") -> Callable[[Path], None]:
    def make(path: Path) -> None:
        path.write_bytes(prefix + b"x" * size)

    return make


Content = bytes | Callable[[Path], None]


@dataclass(frozen=True)
class Case:
    """`args` run in the workspace; `files` (path -> bytes, or a function that makes it) are
    written there first; `words` must all appear in stderr (in stdout when `exit` is 0)."""

    args: tuple[str, ...]
    files: dict[str, Content] = field(default_factory=dict)
    exit: int = 1
    words: tuple[str, ...] = ()
    usage: bool = False  # an argparse usage error: exit 2, its own `usage:` lines


def _adopt(
    *extra: str, apps: tuple[str, ...] = ("graph/application-fhir-server.json",)
) -> tuple[str, ...]:
    return ("adopt", "--applications", *apps, "--environment", "dev", *extra)


CHECK = ("check", "--environment", "dev")
POLICIES = ("check", "--environment", "dev", "--policies", "--policy-config", "policy.json")
DIFF2 = ("render", "--diff", "old.json", "new.json")

CASES: dict[str, Case] = {
    # --- YAML layers: check, render, adopt --check ------------------------------------------
    "check-alias-bomb-in-stack": Case(
        (*CHECK, "--stack", "bomb"),
        {"config/stacks/bomb.yaml": BOMB},
        words=("config/stacks/bomb.yaml: line ", "aliases"),
    ),
    "check-merge-key-bomb": Case(
        (*CHECK, "--stack", "bomb"),
        {"config/stacks/bomb.yaml": MERGE_BOMB},
        words=("config/stacks/bomb.yaml: line ", "values"),
    ),
    "check-deep-through-aliases": Case(
        (*CHECK, "--stack", "deep"),
        {"config/stacks/deep.yaml": DEEP_ALIASES},
        words=("config/stacks/deep.yaml: line 2: ", "once its aliases"),
    ),
    "check-deep-flow-yaml": Case(
        CHECK,
        {"config/base.yaml": DEEP_FLOW},
        words=("config/base.yaml: line 1: nested more than 32 levels",),
    ),
    "check-deep-block-yaml": Case(
        CHECK,
        {"config/environments/dev.yaml": DEEP_BLOCK},
        words=("config/environments/dev.yaml: line 1: nested more than 32 levels",),
    ),
    "check-recursive-alias": Case(
        CHECK,
        {"config/environments/dev.yaml": b"clients: &c {x: *c}\n"},
        words=("config/environments/dev.yaml: line 1, column ", "inside the node it names"),
    ),
    "check-undefined-alias": Case(
        CHECK,
        {"config/environments/dev.yaml": b"clients: *nowhere\n"},
        words=("config/environments/dev.yaml: line 1, column 10: ", "undefined alias"),
    ),
    "check-not-utf8": Case(
        CHECK,
        {"config/base.yaml": b"tenant:\n  id: \xff\xfe\n"},
        words=("config/base.yaml: line 2: ", "not UTF-8"),
    ),
    "check-binary-garbage": Case(CHECK, {"config/base.yaml": GARBAGE}, words=("config/base.yaml",)),
    "check-nul-character": Case(
        CHECK,
        {"config/environments/dev.yaml": b"clients: {}\nnaming: \x00\n"},
        words=("config/environments/dev.yaml: line 2: ", "U+0000"),
    ),
    "check-empty-base": Case(CHECK, {"config/base.yaml": b""}, words=("config/",)),
    "check-not-a-mapping": Case(
        CHECK,
        {"config/environments/dev.yaml": b"- a\n- b\n"},
        words=("config/environments/dev.yaml: line 1: the file must be a mapping",),
    ),
    "check-base-is-a-directory": Case(
        CHECK, {"config/base.yaml": _directory}, words=("config/base.yaml",)
    ),
    "check-python-object-tag": Case(
        CHECK,
        {"config/environments/dev.yaml": b"naming: !!python/object/apply:os.system [id]\n"},
        words=("config/environments/dev.yaml: naming: ", "not allowed"),
    ),
    "check-binary-tag": Case(
        CHECK,
        {"config/environments/dev.yaml": b"naming: {prefix: !!binary aGk=}\n"},
        words=("config/environments/dev.yaml: naming.prefix: binary values",),
    ),
    "check-huge-layer": Case(
        CHECK,
        {"config/environments/dev.yaml": _huge(64 * 1024 * 1024)},
        words=("config/environments/dev.yaml: the file is larger than 1 MiB",),
    ),
    "check-10mb-single-line": Case(
        CHECK,
        {"config/base.yaml": _one_line(10 * 1024 * 1024)},
        words=("config/base.yaml: the file is larger than 1 MiB",),
    ),
    "check-config-dir-is-a-file": Case(
        ("check", "--environment", "dev", "--config-dir", "config/base.yaml"),
        words=("config/base.yaml: --config-dir must be a directory",),
    ),
    "check-config-dir-missing": Case(
        ("check", "--environment", "dev", "--config-dir", "nowhere"),
        words=("nowhere: the config directory does not exist",),
    ),
    "check-environment-semicolon": Case(
        ("check", "--environment", "dev;id"), words=("--environment: ", "not a valid name")
    ),
    "check-environment-dotdot": Case(
        ("check", "--environment", "../x"), words=("--environment: ", "not a valid name")
    ),
    "check-environment-control-chars": Case(
        ("check", "--environment", "dev\x1b[2J\nx\u202e"),
        words=("--environment: ", "not a valid name"),
    ),
    "check-stack-slash": Case(
        ("check", "--environment", "dev", "--stack", "../../etc/passwd"),
        words=("--stack: ", "not a valid name"),
    ),
    "check-stack-file-deep": Case(
        ("check", "--stack", "deep"),
        {"Pulumi.deep.yaml": b"config:\n  fhir-apps:environment: " + b"[" * 100_000 + b"\n"},
        words=("Pulumi.deep.yaml: line 2: nested more than 32 levels deep",),
    ),
    "check-stack-file-alias-bomb": Case(
        ("check", "--stack", "bomb"),
        {"Pulumi.bomb.yaml": BOMB},
        words=("Pulumi.bomb.yaml: line 6: aliases here expand",),
    ),
    "check-today-after-range": Case(
        (*CHECK, "--today", "9999-12-31"), exit=2, usage=True, words=("outside",)
    ),
    "check-policies-today-before-range": Case(
        (*CHECK, "--policies", "--today", "0001-01-01"), exit=2, usage=True, words=("outside",)
    ),
    "check-today-not-a-date": Case(
        (*CHECK, "--today", "2025-13-45\x1b"), exit=2, usage=True, words=("YYYY-MM-DD",)
    ),
    # --- check --policies --policy-config: exit 2, before anything is rendered -----------------
    "policy-config-not-an-object": Case(
        POLICIES,
        {"policy.json": b"[1, 2]"},
        exit=2,
        words=("check: --policy-config: policy.json:",),
    ),
    "policy-config-deep": Case(
        POLICIES, {"policy.json": DEEP_JSON}, exit=2, words=("policy.json: ", "nested")
    ),
    "policy-config-nan": Case(
        POLICIES, {"policy.json": b'{"all": NaN}'}, exit=2, words=("NaN is not JSON",)
    ),
    "policy-config-entry-not-an-object": Case(
        POLICIES,
        {"policy.json": b'{"entra-redirect-uris": [1]}'},
        exit=2,
        words=("entra-redirect-uris: must be a level or an object",),
    ),
    "policy-config-level-not-a-string": Case(
        POLICIES,
        {"policy.json": b'{"entra-redirect-uris": {"enforcementLevel": {"a": [1]}}}'},
        exit=2,
        words=("entra-redirect-uris.enforcementLevel: must be one of",),
    ),
    "policy-config-lifetime-bool": Case(
        POLICIES,
        {"policy.json": b'{"entra-secret-max-lifetime": {"maxSecretLifetimeDays": true}}'},
        exit=2,
        words=("maxSecretLifetimeDays: must be an integer",),
    ),
    "policy-config-lifetime-huge": Case(
        POLICIES,
        {
            "policy.json": b'{"entra-secret-max-lifetime": {"maxSecretLifetimeDays": 1'
            + b"0" * 4000
            + b"}}"
        },
        exit=2,
        words=("maxSecretLifetimeDays: must be between 1 and 730",),
    ),
    "policy-config-lifetime-nested-list": Case(
        POLICIES,
        {"policy.json": b'{"entra-secret-max-lifetime": {"maxSecretLifetimeDays": [[["x"]]]}}'},
        exit=2,
        words=("maxSecretLifetimeDays: must be an integer",),
    ),
    "policy-config-unknown-policy-control-chars": Case(
        POLICIES,
        {"policy.json": b'{"evil\\u001b[2J\\u202e": "mandatory"}'},
        exit=2,
        words=("unknown policy evil\\x1b[2J\\u202e",),
    ),
    "policy-config-not-utf8": Case(
        POLICIES, {"policy.json": b"\xff\xfe{}"}, exit=2, words=("not UTF-8",)
    ),
    "policy-config-missing": Case(POLICIES, exit=2, words=("policy.json: cannot read",)),
    "policy-config-is-a-directory": Case(
        POLICIES, {"policy.json": _directory}, exit=2, words=("policy.json: cannot read",)
    ),
    # --- render (the few that run the program are marked in their id) --------------------------
    "render-alias-bomb-in-stack": Case(
        ("render", "--environment", "dev", "--stack", "bomb"),
        {"config/stacks/bomb.yaml": BOMB},
        words=("config/stacks/bomb.yaml: line ", "aliases"),
    ),
    "render-graph-deep-yaml": Case(
        ("render", "--graph", "--environment", "dev"),
        {"config/base.yaml": DEEP_BLOCK},
        words=("config/base.yaml: line 1: nested",),
    ),
    "render-config-dir-is-a-file": Case(
        ("render", "--environment", "dev", "--config-dir", "Pulumi.dev.yaml"),
        words=("Pulumi.dev.yaml: --config-dir must be a directory",),
    ),
    "render-today-after-range": Case(
        ("render", "--environment", "dev", "--today", "9999-12-31"),
        exit=2,
        usage=True,
        words=("outside",),
    ),
    "render-today-before-range": Case(
        ("render", "--environment", "dev", "--today", "0001-01-01"),
        exit=2,
        usage=True,
        words=("outside",),
    ),
    "render-output-is-a-directory": Case(
        ("render", "--environment", "dev", "--output", "config"),
        words=("render: config: --output is a directory",),
    ),
    "render-output-in-a-missing-directory": Case(
        ("render", "--environment", "dev", "--output", "nowhere/out.yaml"),
        words=("render: nowhere/out.yaml: cannot write: the directory nowhere does not exist",),
    ),
    "render-runs-diff-against-a-saved-render": Case(
        ("render", "--environment", "dev", "--today", "2025-01-01", "--diff", "old.json"),
        {"old.json": GOOD_RENDER},
        exit=0,
        words=("**Render diff:**", "to delete"),
    ),
    # --- render --diff ------------------------------------------------------------------------
    "diff-alias-bomb-yaml": Case(
        DIFF2,
        {"old.json": BOMB, "new.json": GOOD_RENDER},
        words=("render: old.json: line ", "aliases"),
    ),
    "diff-deep-json": Case(
        DIFF2,
        {"old.json": GOOD_RENDER, "new.json": DEEP_JSON},
        words=("render: new.json: line 1: nested more than 64 levels",),
    ),
    "diff-deep-yaml": Case(
        DIFF2, {"old.json": DEEP_BLOCK, "new.json": GOOD_RENDER}, words=("render: old.json: ",)
    ),
    "diff-one-file-missing": Case(
        ("render", "--diff", "gone.json", "--environment", "dev"),
        words=("render: gone.json: cannot read",),
    ),
    "diff-directory": Case(("render", "--diff", "config"), words=("render: config: cannot read",)),
    "diff-not-utf8": Case(
        DIFF2, {"old.json": b"\xff\xfe\x00", "new.json": GOOD_RENDER}, words=("not UTF-8",)
    ),
    "diff-empty-file": Case(
        DIFF2,
        {"old.json": b"", "new.json": GOOD_RENDER},
        words=("render: old.json: not a render: expected an object",),
    ),
    "diff-binary-garbage": Case(
        DIFF2, {"old.json": GOOD_RENDER, "new.json": GARBAGE}, words=("render: new.json: ",)
    ),
    "diff-huge-file": Case(
        DIFF2,
        {"old.json": _huge(64 * 1024 * 1024 + 1), "new.json": GOOD_RENDER},
        words=("render: old.json: ", "64 MiB"),
    ),
    "diff-10mb-single-line": Case(
        DIFF2,
        {"old.json": _one_line(10 * 1024 * 1024, b""), "new.json": GOOD_RENDER},
        words=("render: old.json: not a render",),
    ),
    "diff-nan": Case(
        DIFF2,
        {"old.json": b'{"resources": [], "outputs": NaN}', "new.json": GOOD_RENDER},
        words=("render: old.json: outputs: must be an object",),
    ),
    "diff-not-a-mapping": Case(
        DIFF2, {"old.json": b"[1, 2]", "new.json": GOOD_RENDER}, words=("not a render",)
    ),
    "diff-resource-not-an-object": Case(
        DIFF2,
        {"old.json": _render(_resource("a"), 3), "new.json": GOOD_RENDER},
        words=("render: old.json: resources[1]: must be an object",),
    ),
    "diff-resource-without-urn": Case(
        DIFF2,
        {"old.json": _render({"inputs": {}}), "new.json": GOOD_RENDER},
        words=("render: old.json: resources[0]: has no 'urn'",),
    ),
    "diff-urn-not-a-string": Case(
        DIFF2,
        {"old.json": _render({"urn": ["x"]}), "new.json": GOOD_RENDER},
        words=("resources[0].urn: must be a string",),
    ),
    "diff-urn-malformed": Case(
        DIFF2,
        {"old.json": _render({"urn": "urn:x\x1b[2J"}), "new.json": GOOD_RENDER},
        words=("resources[0].urn: 'urn:x\\x1b[2J' is not a URN",),
    ),
    "diff-inputs-not-an-object": Case(
        DIFF2,
        {"old.json": GOOD_RENDER, "new.json": _render({**_resource("a"), "inputs": [PLANTED]})},
        words=("render: new.json: resources[0].inputs: must be an object",),
    ),
    "diff-duplicate-urns": Case(
        DIFF2,
        {
            "old.json": _render(_resource("a"), _resource("b"), _resource("a")),
            "new.json": GOOD_RENDER,
        },
        words=("resources[2].urn: the same URN as resources[0]",),
    ),
    "diff-outputs-not-an-object": Case(
        DIFF2,
        {"old.json": GOOD_RENDER, "new.json": _render(outputs=[1])},
        words=("render: new.json: outputs: must be an object",),
    ),
    "diff-python-tag-yaml": Case(
        DIFF2,
        {"old.json": b"resources: !!python/object/apply:os.system [id]\n", "new.json": GOOD_RENDER},
        words=("render: old.json: resources: ", "not allowed"),
    ),
    "diff-three-files": Case(
        ("render", "--diff", "a", "b", "c"), exit=2, words=("render: --diff takes",)
    ),
    "diff-control-chars-are-escaped": Case(
        DIFF2,
        {"old.json": GOOD_RENDER, "new.json": HOSTILE_RENDER},
        exit=0,
        words=("web\\u202eppa-\\x1b[31m", '"x\\u2028y\\u202e"', "`inputs.k\\x1b[2J`"),
    ),
    # --- adopt ----------------------------------------------------------------------------------
    "adopt-applications-missing": Case(
        _adopt(apps=("gone.json",)), words=("adopt: gone.json: cannot read",)
    ),
    "adopt-applications-directory": Case(
        _adopt(apps=("graph",)), words=("adopt: graph: cannot read",)
    ),
    "adopt-applications-deep-json": Case(
        _adopt(apps=("apps.json",)), {"apps.json": DEEP_JSON}, words=("adopt: apps.json: ",)
    ),
    "adopt-applications-nan": Case(
        _adopt(apps=("apps.json",)), {"apps.json": b'{"value": [NaN]}'}, words=("NaN",)
    ),
    "adopt-applications-huge": Case(
        _adopt(apps=("apps.json",)),
        {"apps.json": _huge(64 * 1024 * 1024 + 1)},
        words=("adopt: apps.json: ", "64 MiB"),
    ),
    "adopt-applications-garbage": Case(
        _adopt(apps=("apps.json",)), {"apps.json": GARBAGE}, words=("adopt: apps.json: ",)
    ),
    "adopt-secret-text-is-not-printed": Case(
        _adopt(apps=("apps.json",)),
        {
            "apps.json": json.dumps(
                {"value": [{"id": 1, "passwordCredentials": [{"secretText": PLANTED}]}]}
            ).encode()
        },
        words=("adopt: apps.json: ",),
    ),
    "adopt-environment-dotdot": Case(
        ("adopt", "--applications", "graph/application-fhir-server.json", "--environment", "../x"),
        words=("adopt: --environment", "plain name"),
    ),
    "adopt-check-alias-bomb-in-config": Case(
        _adopt("--check"),
        {"config/environments/dev.yaml": BOMB},
        words=("config/environments/dev.yaml: line ", "aliases"),
    ),
    "adopt-write-config-dir-is-a-file": Case(
        _adopt("--write", "--force", "--config-dir", "Pulumi.dev.yaml"),
        words=("adopt: ",),
    ),
    # --- secrets (offline, like check) ---------------------------------------------------------
    "secrets-today-after-range": Case(
        ("secrets", "--environment", "dev", "--today", "9999-12-31"),
        exit=2,
        usage=True,
        words=("outside",),
    ),
    "secrets-alias-bomb-in-stack": Case(
        ("secrets", "--environment", "dev", "--stack", "bomb"),
        {"config/stacks/bomb.yaml": BOMB},
        words=("config/stacks/bomb.yaml: line ", "aliases"),
    ),
    # --- schema ---------------------------------------------------------------------------------
    "schema-extra-argument": Case(("schema", "extra"), exit=2, usage=True, words=("extra",)),
}

# Cases that expose a traceback (or a line that breaks the rules) in a file another engineer
# owns: marked here, one by one, for the lead to route.
XFAIL: dict[str, str] = {}


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A project-like directory: the example config, the stack files and the Graph fixtures."""
    shutil.copytree(REPO / "config", tmp_path / "config")
    for stack_file in REPO.glob("Pulumi.*.yaml"):
        shutil.copy(stack_file, tmp_path / stack_file.name)
    shutil.copytree(GRAPH, tmp_path / "graph")
    return tmp_path


def _write(workspace: Path, files: dict[str, Content]) -> None:
    for relative, content in files.items():
        path = workspace / relative
        if path.is_dir() and content is not _directory:
            shutil.rmtree(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            if path.is_file():
                path.unlink()
            content(path)


def _run(workspace: Path, args: tuple[str, ...]) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), DEBUG_VARIABLE: "1"}
    return subprocess.run(
        [sys.executable, "-m", "fhir_apps", *args],
        cwd=workspace,
        env=env,
        capture_output=True,
        text=True,
        errors="backslashreplace",  # a stray byte must show up in the assertion, not crash it
        timeout=TIMEOUT,
        check=False,
    )


# What a line of stderr may start with: a config file or flag, a command, or a warning.
PREFIXES = (
    "config/",
    "nowhere:",
    "Pulumi.dev.yaml:",
    "--environment: ",
    "--stack: ",
    "check: ",
    "render: ",
    "adopt: ",
    "warning: ",
    "wrote ",
)


def _params() -> list[object]:
    params = []
    for name, case in CASES.items():
        marks = [pytest.mark.xfail(strict=True, reason=XFAIL[name])] if name in XFAIL else []
        params.append(pytest.param(case, id=name, marks=marks))
    return params


@pytest.mark.parametrize("case", _params())
def test_broken_input_ends_in_clear_lines(workspace: Path, case: Case) -> None:
    _write(workspace, case.files)
    result = _run(workspace, case.args)
    output = result.stdout + result.stderr
    assert "Traceback" not in output, result.stderr[-3000:]
    assert result.returncode == case.exit, (result.returncode, result.stderr[-2000:])
    assert MOCK_SECRET_PREFIX not in output
    assert PLANTED not in output
    lines = result.stderr.splitlines()
    if case.usage:
        assert lines and lines[-1].startswith("python -m fhir_apps"), lines
        assert ": error: " in lines[-1]
        lines = lines[-1:]
    elif case.exit != 0:
        assert lines, "failed without saying why"
        for line in lines:
            # The loader names a stack file by its absolute path.
            assert line.startswith((*PREFIXES, f"{workspace}/")), line
    for line in lines:
        assert first_unsafe(line) is None, f"{first_unsafe(line)} in {line!r}"
    shown_text = result.stdout if case.exit == 0 else result.stderr
    for word in case.words:
        assert word in shown_text, (word, shown_text[-2000:])


def test_the_corpus_is_large_and_covers_every_command() -> None:
    assert len(CASES) >= 40
    assert {case.args[0] for case in CASES.values()} >= {"check", "render", "adopt", "schema"}
    flags = {flag for case in CASES.values() for flag in case.args}
    for flag in ("--policies", "--graph", "--diff", "--check", "--write", "--output"):
        assert flag in flags, flag
