"""Bounded parsers: the YAML budget, saved renders for `--diff`, `--today`, `--policy-config`,
`--output` and `--config-dir`. Each hostile input ends in one line naming the file and key.

(The same inputs through every command, in subprocesses: tests/test_broken_input_corpus.py.)
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import tempfile
import threading
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from fhir_apps.cli import main
from fhir_apps.commands._target import iso_date
from fhir_apps.policies import LEVELS, POLICIES, PolicyConfigError, resolve_config
from fhir_apps.render.diff import diff_renders, format_diff, render_problem
from fhir_apps.rotation import FIRST_DAY, LAST_DAY, DayOutOfRangeError, secret_windows
from fhir_apps.spec.yamlio import LAYER_LIMITS, read_layer

REPO = Path(__file__).resolve().parent.parent
CONFIG = REPO / "config"

BOMB = "".join(
    ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n']
    + [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]\n" for i in range(1, 9)]
)


def _layer(tmp_path: Path, text: str | bytes) -> tuple[Any, list[str], bool]:
    path = tmp_path / "layer.yaml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    layer, problems = read_layer(path, "layer.yaml")
    return layer.data, [str(p) for p in problems], layer.broken


# --- the YAML budget -------------------------------------------------------------------------


def test_alias_bomb_stops_at_the_alias_line_in_little_memory(tmp_path: Path) -> None:
    tracemalloc.start()
    try:
        _, problems, broken = _layer(tmp_path, BOMB)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # a5 holds 9**5 + ... values: the budget of 100,000 runs out inside its aliases, line 6.
    assert problems == [
        "layer.yaml: line 6: aliases here expand to more than 100,000 values (aliases of "
        "aliases); a config layer needs far fewer, so the file is refused"
    ]
    assert broken
    assert peak < 64 * 1024 * 1024, f"peak {peak / 1e6:.0f} MB"


def test_merge_keys_do_not_escape_the_budget(tmp_path: Path) -> None:
    lines = ["m0: &m0 {k0: 0, k1: 1, k2: 2, k3: 3, k4: 4, k5: 5, k6: 6, k7: 7, k8: 8, k9: 9}"]
    lines += [f"m{i}: &m{i} {{<<: [{', '.join([f'*m{i - 1}'] * 10)}]}}" for i in range(1, 12)]
    _, problems, broken = _layer(tmp_path, "\n".join(lines) + "\n")
    assert broken
    assert len(problems) == 1
    assert problems[0].startswith("layer.yaml: line ")
    assert "more than 100,000 values" in problems[0]


def test_a_file_of_many_plain_values_is_bounded_too(tmp_path: Path) -> None:
    text = "a: [" + "1," * 120_000 + "1]\n"  # 240 KB, under the size limit
    _, problems, _ = _layer(tmp_path, text)
    assert problems == [
        "layer.yaml: line 1: the file holds more than 100,000 values; a config layer needs far "
        "fewer, so the file is refused"
    ]


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("a: " + "[" * 100_000 + "]" * 100_000 + "\n", id="flow"),
        pytest.param("- " * 100_000 + "x\n", id="block-one-line"),
        pytest.param("a:\n" + "".join(" " * i + "b:\n" for i in range(1, 40)), id="block"),
    ],
)
def test_deep_nesting_is_refused_without_crashing(tmp_path: Path, text: str) -> None:
    # libyaml's own composer dies of a stack overflow (SIGSEGV) on the first two.
    _, problems, broken = _layer(tmp_path, text)
    assert broken
    assert len(problems) == 1
    assert problems[0].startswith("layer.yaml: line ")
    assert f"nested more than {LAYER_LIMITS.max_depth} levels deep" in problems[0]


def test_nesting_through_aliases_counts(tmp_path: Path) -> None:
    text = "".join(
        f"d{i}: &d{i} {'[' * 20}{f'*d{i - 1}' if i else '0'}{']' * 20}\n" for i in range(3)
    )
    _, problems, _ = _layer(tmp_path, text)
    assert problems == [
        "layer.yaml: line 2: nested more than 32 levels deep once its aliases and merge keys "
        "are expanded; a config layer nests far less, so the file is refused"
    ]


def test_a_layer_over_the_size_limit_is_refused(tmp_path: Path) -> None:
    _, problems, broken = _layer(tmp_path, "# " + "x" * (1024 * 1024) + "\n")
    assert broken
    assert problems == [
        "layer.yaml: the file is larger than 1 MiB, the most a config layer may be; is it the "
        "right file?"
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "a: &a [*a]\n",
            "layer.yaml: line 1, column 8: malformed YAML: the alias *a is used inside the node "
            "it names, which would contain itself",
            id="recursive-alias",
        ),
        pytest.param(
            "a: *x\n",
            "layer.yaml: line 1, column 4: malformed YAML: found undefined alias 'x'",
            id="undefined-alias",
        ),
        pytest.param(
            "a: &x 1\nb: &x 2\n",
            "layer.yaml: line 2, column 4: malformed YAML: second occurrence",
            id="duplicate-anchor",
        ),
        pytest.param(
            "a: 1\n---\nb: 2\n",
            "layer.yaml: line 2, column 1: malformed YAML: but found another document",
            id="two-documents",
        ),
        pytest.param(
            "a: 1\nb: \x00\n",
            "layer.yaml: line 2: malformed YAML: the character U+0000 is not allowed in YAML; "
            "remove it",
            id="nul",
        ),
        pytest.param(
            "a: é\nb: \x07\n",  # libyaml counts bytes; the line must still be right
            "layer.yaml: line 2: malformed YAML: the character U+0007 is not allowed in YAML; "
            "remove it",
            id="control-after-non-ascii",
        ),
        pytest.param(
            b"a: 1\nb: \xff\n",
            "layer.yaml: line 2: cannot read the file: it is not UTF-8 text (byte 0xff); save it "
            "as UTF-8",
            id="not-utf8",
        ),
    ],
)
def test_unusable_files_end_in_one_line_with_the_line(
    tmp_path: Path, text: str | bytes, expected: str
) -> None:
    _, problems, broken = _layer(tmp_path, text)
    assert broken
    assert problems == [expected]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "a: !!binary aGk=\n",
            "layer.yaml: a: binary values (!!binary) are not allowed; write text",
            id="binary",
        ),
        pytest.param(
            "a: !!python/object/apply:os.system [id]\n",
            "layer.yaml: a: the tag tag:yaml.org,2002:python/object/apply:os.system is not "
            "allowed; remove it",
            id="python-object-on-a-list",
        ),
        pytest.param(
            "a: !!python/name:os.system ''\n",
            "layer.yaml: a: could not determine a constructor for the tag "
            "'tag:yaml.org,2002:python/name:os.system'",
            id="python-name-on-a-scalar",
        ),
        pytest.param("a: !!bool maybe\n", "layer.yaml: a: invalid value: 'maybe'", id="bool-maybe"),
        pytest.param(
            "a: !!timestamp x\n",
            "layer.yaml: a: invalid value: 'NoneType' object has no attribute 'groupdict'",
            id="timestamp-x",
        ),
        pytest.param(
            "a: {<<: 3}\n",
            "layer.yaml: a: expected a mapping or list of mappings for merging, but found scalar",
            id="merge-of-a-scalar",
        ),
    ],
)
def test_bad_values_are_problems_of_their_key(tmp_path: Path, text: str, expected: str) -> None:
    data, problems, _ = _layer(tmp_path, text)
    assert problems == [expected]
    assert data["a"] in (None, {})


@pytest.mark.parametrize("text", ["", "# only a comment\n", "~\n", "null\n"])
def test_an_empty_layer_is_empty_not_broken(tmp_path: Path, text: str) -> None:
    assert _layer(tmp_path, text) == ({}, [], False)


def test_merge_keys_resolve_as_pyyaml_does(tmp_path: Path) -> None:
    text = (
        "base: &base {kind: confidential, scopes: [a], credential: {type: secret}}\n"
        "other: &other {kind: public, platform: spa, extra: 1}\n"
        "web:\n"
        "  <<: [*base, *other]\n"  # the first source wins: kind confidential
        "  scopes: [b]\n"  # the mapping's own keys win over both
        "chain: &chain {<<: *base, level: 2}\n"
        "top: {<<: *chain, level: 3}\n"
    )
    data, problems, _ = _layer(tmp_path, text)
    assert problems == []
    assert data == yaml.safe_load(text)
    assert data["web"] == {
        "kind": "confidential",
        "platform": "spa",
        "extra": 1,
        "scopes": ["b"],
        "credential": {"type": "secret"},
    }
    assert data["top"]["level"] == 3


keys = st.sampled_from(["a", "b", "c", "kind", "x-y"])
leaves = st.none() | st.booleans() | st.integers(-1000, 1000) | st.text(max_size=8)
trees = st.recursive(
    leaves,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(keys, inner, max_size=3),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None)
@given(shared=st.dictionaries(keys, trees, min_size=1, max_size=3), top=st.lists(keys, max_size=4))
def test_shared_values_read_back_equal(tmp_path_factory: Any, shared: Any, top: list[str]) -> None:
    # safe_dump writes an object used twice as an anchor and aliases: the reader's own composer
    # and builder must give back exactly what PyYAML's loader gives.
    document = {key: shared for key in top} | {"own": shared, "list": [shared, shared]}
    text = yaml.safe_dump(document, sort_keys=False)
    path = tmp_path_factory.mktemp("y") / "layer.yaml"
    path.write_text(text, encoding="utf-8")
    layer, problems = read_layer(path, "layer.yaml")
    assert problems == []
    assert layer.data == yaml.safe_load(text) == document


# --- saved renders for --diff ------------------------------------------------------------------

URN = "urn:pulumi:dev::fhir-apps::azuread:index/application:Application::"


def _resource(key: str, **inputs: Any) -> dict[str, Any]:
    return {"urn": URN + key, "inputs": inputs}


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ([], "not a render: expected an object with a 'resources' list"),
        ({"resources": {}}, "not a render: expected an object with a 'resources' list"),
        ({"resources": [], "outputs": [1]}, "outputs: must be an object, got a list"),
        ({"resources": [_resource("a"), "x"]}, "resources[1]: must be an object, got a string"),
        ({"resources": [{"inputs": {}}]}, "resources[0]: has no 'urn'"),
        ({"resources": [{"urn": 5}]}, "resources[0].urn: must be a string, got a number"),
        ({"resources": [{"urn": "urn:pulumi:dev::p::t"}]}, "resources[0].urn: 'urn:pulumi:dev"),
        ({"resources": [{"urn": "x::p::t::n"}]}, "resources[0].urn: 'x::p::t::n' is not a URN"),
        ({"resources": [{"urn": "urn:pulumi:::p::t::n"}]}, "resources[0].urn: "),
        ({"resources": [{"urn": "urn:x\u202e"}]}, "resources[0].urn: 'urn:x\\u202e' is not"),
        (
            {"resources": [{**_resource("a"), "inputs": None}]},
            "resources[0].inputs: must be an object, got null",
        ),
        (
            {"resources": [_resource("a"), _resource("b"), _resource("a")]},
            "resources[2].urn: the same URN as resources[0]",
        ),
    ],
)
def test_render_problem_names_the_index_and_key(data: Any, expected: str) -> None:
    problem = render_problem(data)
    assert problem is not None
    assert problem.startswith(expected)


def test_a_valid_render_has_no_problem() -> None:
    assert render_problem({"resources": [_resource("a"), _resource("b")], "outputs": {}}) is None


def test_the_diff_escapes_urns_keys_and_values() -> None:
    old = {"resources": [_resource("a", name="x")], "outputs": {}}
    new = {
        "resources": [_resource("a", name="x\u202ey\nz", **{"k\x1b": 1}), _resource("b\u2067")],
        "outputs": {"o\u2028": 1},
    }
    text = format_diff(diff_renders(old, new))
    assert "`+ azuread:index/application:Application b\\u2067`" in text
    assert '`inputs.name`: "x" → "x\\u202ey\\nz"' in text
    assert "`inputs.k\\x1b`: (none) → 1" in text
    assert "`outputs.o\\u2028`: (none) → 1" in text
    for char in "\u202e\u2067\u2028\x1b":
        assert char not in text


def test_a_long_value_is_shown_whole() -> None:
    old = {"resources": [_resource("a", uri="https://x/" + "a" * 3000)]}
    new = {"resources": [_resource("a", uri="https://x/" + "a" * 3000 + "b")]}
    assert "a" * 3000 + 'b"' in format_diff(diff_renders(old, new))


def test_diff_reads_a_yaml_render_against_a_json_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    render = {"resources": [_resource("a", displayName="a")], "outputs": {}}
    (tmp_path / "old.yaml").write_text(yaml.safe_dump(render), encoding="utf-8")
    render["resources"][0]["inputs"]["displayName"] = "b"
    (tmp_path / "new.json").write_text(json.dumps(render), encoding="utf-8")
    assert main(["render", "--diff", str(tmp_path / "old.yaml"), str(tmp_path / "new.json")]) == 0
    assert '`inputs.displayName`: "a" → "b"' in capsys.readouterr().out


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        pytest.param(
            b"[" * 100_000 + b"]" * 100_000,
            "line 1: nested more than 64 levels deep; a render nests far less",
            id="deep-json",
        ),
        pytest.param(BOMB.encode(), "line 6: aliases here expand", id="alias-bomb"),
        pytest.param(b"resources: []\nresources: []\n", "resources: duplicate key", id="dup"),
        pytest.param(b"\xff", "cannot read the file: it is not UTF-8 text", id="not-utf8"),
        pytest.param(b"{not json", "not a render: neither JSON nor YAML", id="neither"),
        pytest.param(b"", "not a render: expected an object", id="empty"),
    ],
)
def test_diff_refuses_an_unusable_file_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes, expected: str
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_bytes(content)
    good = tmp_path / "good.json"
    good.write_text(json.dumps({"resources": []}), encoding="utf-8")
    assert main(["render", "--diff", str(good), str(bad)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"render: {bad}: ")
    assert expected in err
    assert err.count("\n") == 1


# --- --today -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [["render", "--environment", "dev"], ["check", "--environment", "dev", "--policies"]],
    ids=["render", "check-policies"],
)
@pytest.mark.parametrize("day", ["9999-12-31", "9001-01-01", "0001-01-01", "1999-12-31"])
def test_today_outside_the_supported_days_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], command: list[str], day: str
) -> None:
    with pytest.raises(SystemExit) as exited:
        main([*command, "--today", day])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert (
        f"error: argument --today: {day} is outside the supported days, 2000-01-01 to "
        "9000-12-31" in err
    )


def test_the_supported_days_end_where_documented() -> None:
    assert iso_date("2000-01-01") == FIRST_DAY
    assert iso_date("9000-12-31") == LAST_DAY


@pytest.mark.parametrize("day", [FIRST_DAY, LAST_DAY])
def test_rotation_works_at_both_ends_of_the_range(day: dt.date) -> None:
    a, b = secret_windows(day, 365, 730)
    assert a.start <= day < a.end
    assert b.start <= day < b.end


@pytest.mark.parametrize("day", [dt.date(1, 1, 1), dt.date(1999, 12, 31), dt.date(9999, 12, 31)])
def test_rotation_refuses_a_day_outside_the_range_with_a_clean_error(day: dt.date) -> None:
    with pytest.raises(DayOutOfRangeError) as raised:
        secret_windows(day, 90, 365)
    assert str(raised.value).startswith(f"fhir-apps:today: {day.isoformat()} is outside the days")


@pytest.mark.parametrize("day", ["2000-01-01", "9000-12-31"])
def test_check_policies_runs_at_both_ends_of_the_range(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, day: str
) -> None:
    # Certificates are judged at --today, and by 9000 the example's has expired: a stack layer
    # leaves that client out so that the check reaches the policies.
    config = tmp_path / "config"
    shutil.copytree(CONFIG, config)
    (config / "stacks" / "late.yaml").write_text(
        "clients:\n  exporter:\n    enabled: false\n", encoding="utf-8"
    )
    args = ["--stack", "late", "--config-dir", str(config), "--policies", "--today", day]
    assert main(["check", "--environment", "dev", *args]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "policies: 0 violations"


# --- --policy-config ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        pytest.param(
            b'{"a": ' * 20 + b"1" + b"}" * 20,
            "policy.json: nested more than 16 levels deep; this is not a policy config",
            id="deep",
        ),
        pytest.param(
            b'{"entra-redirect-uris": 3}',
            "policy.json: entra-redirect-uris: must be a level or an object, got 3",
            id="entry-a-number",
        ),
        pytest.param(b"{", "policy.json: not a policy config: ", id="not-json"),
        pytest.param(
            b'{"all": NaN}', "policy.json: not a policy config: NaN is not JSON\n", id="nan"
        ),
    ],
)
def test_a_bad_policy_config_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes, expected: str
) -> None:
    path = tmp_path / "policy.json"
    path.write_bytes(content)
    argv = ["check", "--environment", "dev", "--policies", "--policy-config", str(path)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"check: --policy-config: {tmp_path}/{expected}")
    assert err.count("\n") == 1


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ([1, 2], "expected an object of policy names, got [1, 2]"),
        (
            {"entra-secret-max-lifetime": {"maxSecretLifetimeDays": 10**5000}},
            "entra-secret-max-lifetime.maxSecretLifetimeDays: must be between 1 and 730, got a "
            "value too large to show",
        ),
        (
            {"entra-secret-max-lifetime": {"maxSecretLifetimeDays": "x" * 10_000}},
            "entra-secret-max-lifetime.maxSecretLifetimeDays: must be an integer, got 'xxx",
        ),
        ({"evil\x1b[2J\u202e": "mandatory"}, "unknown policy evil\\x1b[2J\\u202e; policies: "),
        ({"entra-redirect-uris": {"k\n": 1}}, "entra-redirect-uris.k\\n: unknown property"),
    ],
)
def test_resolve_config_refuses_hostile_values_in_one_short_line(
    config: Any, expected: str
) -> None:
    with pytest.raises(PolicyConfigError) as raised:
        resolve_config(config)
    message = str(raised.value)
    assert message.startswith(expected)
    assert "\n" not in message
    assert len(message) < 500


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner),
    max_leaves=8,
)
policy_entries = st.dictionaries(
    st.sampled_from(["enforcementLevel", "maxSecretLifetimeDays", "verifiedDomains", "x"]),
    json_values | st.sampled_from(LEVELS),
    max_size=3,
)
policy_configs = json_values | st.dictionaries(
    st.sampled_from([*(p.name for p in POLICIES), "all", "nope"]),
    json_values | policy_entries | st.sampled_from(LEVELS),
    max_size=4,
)


@settings(max_examples=200, deadline=None)
@given(config=policy_configs)
def test_resolve_config_refuses_anything_in_one_line_and_nothing_else(config: Any) -> None:
    try:
        resolve_config(config)
    except PolicyConfigError as error:
        assert "\n" not in str(error)


# --- --output and --config-dir ------------------------------------------------------------------

DIFF_INPUT = json.dumps({"resources": []})


def _diff_to(tmp_path: Path, output: Path) -> list[str]:
    saved = tmp_path / "r.json"
    saved.write_text(DIFF_INPUT, encoding="utf-8")
    return ["render", "--diff", str(saved), str(saved), "--output", str(output)]


def test_output_is_written_whole(tmp_path: Path) -> None:
    target = tmp_path / "diff.md"
    target.write_text("old content that is longer than the new one\n" * 10, encoding="utf-8")
    assert main(_diff_to(tmp_path, target)) == 0
    assert target.read_text(encoding="utf-8") == "No changes to the desired state.\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["diff.md", "r.json"]


def test_output_to_a_directory_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "out"
    target.mkdir()
    assert main(_diff_to(tmp_path, target)) == 1
    assert capsys.readouterr().err == (
        f"render: {target}: --output is a directory; give the path of a file\n"
    )
    assert list(target.iterdir()) == []


def test_output_in_a_missing_directory_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "missing" / "out.md"
    assert main(_diff_to(tmp_path, target)) == 1
    assert capsys.readouterr().err == (
        f"render: {target}: cannot write: the directory {target.parent} does not exist\n"
    )


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into a read-only directory")
def test_output_in_a_read_only_directory_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        assert main(_diff_to(tmp_path, folder / "out.md")) == 1
    finally:
        folder.chmod(0o700)
    err = capsys.readouterr().err
    assert err.startswith(f"render: {folder / 'out.md'}: cannot write: Permission denied")
    assert list(folder.iterdir()) == []


@pytest.mark.parametrize("command", ["check", "render"])
def test_config_dir_that_is_a_file_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    afile = tmp_path / "config"
    shutil.copy(CONFIG / "base.yaml", afile)
    assert main([command, "--environment", "dev", "--config-dir", str(afile)]) == 1
    assert capsys.readouterr().err == (
        f"{afile}: --config-dir must be a directory, but this is a file\n"
    )


def test_diff_reads_a_yaml_render_from_a_pipe(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # `render --diff <(git show main:render.yaml) new.json`: a pipe can be read only once, so
    # the JSON attempt must not use up what the YAML one needs.
    render = {"resources": [_resource("a", displayName="a")], "outputs": {}}
    (tmp_path / "new.json").write_text(json.dumps(render), encoding="utf-8")
    fifo = tmp_path / "old.yaml"
    os.mkfifo(fifo)
    writer = threading.Thread(target=fifo.write_text, args=(yaml.safe_dump(render),))
    writer.start()
    try:
        assert main(["render", "--diff", str(fifo), str(tmp_path / "new.json")]) == 0
    finally:
        writer.join(timeout=10)
    assert capsys.readouterr().out == "No changes to the desired state.\n"


def test_output_that_cannot_be_written_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # What a read-only directory gives a non-root user (root ignores the mode bits).
    def refuse(*_: Any, **__: Any) -> Any:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    target = tmp_path / "out.md"
    assert main(_diff_to(tmp_path, target)) == 1
    assert capsys.readouterr().err == f"render: {target}: cannot write: Permission denied\n"
    assert not target.exists()
