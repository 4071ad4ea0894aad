"""fhir_apps.safeio: showing foreign strings, bounded JSON, atomic writes."""

from __future__ import annotations

import errno
import os
import threading
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from fhir_apps.safeio.atomic import WriteError, write_atomic
from fhir_apps.safeio.jsonfile import JsonFileError, depth, json_kind, parse_json, read_json
from fhir_apps.safeio.text import first_unsafe, shown

# -- text ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain name", None),
        ("Ünïcödé and 日本語", None),
        ("a\nb", "U+000A"),
        ("a\rb", "U+000D"),
        ("tab\there", "U+0009"),
        ("esc \x1b[31m", "U+001B"),
        ("next line \x85", "U+0085"),
        ("line sep \u2028", "U+2028"),
        ("para sep \u2029", "U+2029"),
        ("rlo \u202e", "U+202E"),
        ("isolate \u2066", "U+2066"),
        ("zero width \u200b", "U+200B"),
        ("bom \ufeff", "U+FEFF"),
        ("del \x7f", "U+007F"),
    ],
)
def test_first_unsafe_names_the_character(text: str, expected: str | None) -> None:
    assert first_unsafe(text) == expected


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_shown_is_one_safe_line_that_stays_a_yaml_comment(text: str) -> None:
    out = shown(text)
    assert first_unsafe(out) is None
    assert out.splitlines() == [out] or out == ""
    # Whatever the text, a comment holding it is still only a comment.
    assert yaml.safe_load(f"# {out}\nkey: 1\n") == {"key": 1}


@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Zl", "Zp"))))
def test_shown_keeps_safe_text_as_it_is(text: str) -> None:
    if first_unsafe(text) is None and "\\" not in text and len(text) <= 120:
        assert shown(text) == text


def test_shown_escapes_and_bounds() -> None:
    assert shown("a\nb\u202ec\\n") == "a\\nb\\u202ec\\\\n"
    long = shown("x" * 500)
    assert long.startswith("x" * 120) and long.endswith("…(+380 chars)")


# -- JSON ------------------------------------------------------------------------------------


def test_depth_counts_nesting_without_recursing() -> None:
    assert depth(1) == 0
    assert depth([]) == 1
    assert depth({"a": [1, {"b": []}]}) == 4
    nested: list[object] = []
    for _ in range(100_000):
        nested = [nested]
    assert depth(nested) == 100_001


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("[" * 50_000, "nested too deeply"),
        ("[" * 100 + "]" * 100, "nested more than 64 levels"),
        ('{"a": NaN}', "NaN is not JSON"),
        ('{"a": -Infinity}', "-Infinity is not JSON"),
        ('{"a": 1', "not JSON: Expecting"),
    ],
)
def test_parse_json_refuses_in_one_line(text: str, words: str) -> None:
    with pytest.raises(JsonFileError) as info:
        parse_json(text, "export.json")
    message = str(info.value)
    assert message.startswith("export.json: ") and words in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("null", "null"),
        ("true", "a boolean"),  # not "a number", though a bool is an int to Python
        ("0", "a number"),
        ("1.5", "a number"),
        ('"x"', "a string"),
        ("[]", "a list"),
        ("{}", "an object"),
    ],
)
def test_json_kind_names_each_json_type(text: str, expected: str) -> None:
    assert json_kind(parse_json(text, "t.json")) == expected


def test_json_kind_names_a_value_that_is_not_from_json_by_its_type() -> None:
    assert json_kind((1, 2)) == "a tuple"


def test_read_json_bounds_size_and_accepts_a_bom(tmp_path: Path) -> None:
    path = tmp_path / "apps.json"
    path.write_bytes(b"\xef\xbb\xbf" + b'{"value": []}')
    assert read_json(path) == {"value": []}
    path.write_bytes(b"[" + b"1," * 600 + b"1]")
    with pytest.raises(JsonFileError, match=r"apps.json: larger than 0 MiB"):
        read_json(path, max_bytes=1000)
    path.write_bytes(b'{"a": "\xff"}')
    with pytest.raises(JsonFileError, match="not UTF-8"):
        read_json(path)
    with pytest.raises(JsonFileError, match="is a directory"):
        read_json(tmp_path)
    with pytest.raises(JsonFileError, match="cannot read"):
        read_json(tmp_path / "missing.json")


# -- atomic writes ---------------------------------------------------------------------------


def _leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".tmp"))


def test_exclusive_write_creates_once(tmp_path: Path) -> None:
    target = tmp_path / "dev.yaml"
    write_atomic(target, "first\n", exclusive=True)
    with pytest.raises(WriteError, match=r"dev.yaml: exists"):
        write_atomic(target, "second\n", exclusive=True)
    assert target.read_text() == "first\n"
    write_atomic(target, "third\n", exclusive=False)
    assert target.read_text() == "third\n"
    assert _leftovers(tmp_path) == []


def test_concurrent_exclusive_writes_exactly_one_wins(tmp_path: Path) -> None:
    target = tmp_path / "prod.yaml"
    start = threading.Barrier(8)
    outcomes: list[str] = []

    def run(index: int) -> None:
        start.wait()
        try:
            write_atomic(target, f"writer {index}\n", exclusive=True)
            outcomes.append(f"won {index}")
        except WriteError:
            outcomes.append("lost")

    threads = [threading.Thread(target=run, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winners = [o for o in outcomes if o.startswith("won")]
    assert len(winners) == 1 and outcomes.count("lost") == 7
    assert target.read_text() == f"writer {winners[0].split()[1]}\n"
    assert _leftovers(tmp_path) == []


@pytest.mark.parametrize("failing", ["fsync", "replace", "write"])
def test_a_failed_write_leaves_the_previous_file_intact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    target = tmp_path / "dev.yaml"
    target.write_text("previous: content\n")

    def disk_full(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    if failing == "write":
        real_fdopen = os.fdopen

        class FullFile:
            def __init__(self, fd: int, mode: str) -> None:
                self.handle = real_fdopen(fd, mode)

            def __enter__(self) -> FullFile:
                return self

            def __exit__(self, *exc: object) -> None:
                self.handle.close()

            def write(self, data: bytes) -> int:
                self.handle.write(data[: len(data) // 2])
                disk_full()
                return 0

        monkeypatch.setattr(os, "fdopen", FullFile)
    else:
        monkeypatch.setattr(os, failing, disk_full)
    with pytest.raises(WriteError, match=r"dev.yaml: cannot write: No space left on device"):
        write_atomic(target, "new: content\n" * 1000, exclusive=False)
    assert target.read_text() == "previous: content\n"
    assert _leftovers(tmp_path) == []


def test_missing_directory_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(WriteError, match=r"does not exist"):
        write_atomic(tmp_path / "nowhere" / "dev.yaml", "x", exclusive=True)


def test_read_only_directory_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Simulated: the tests may run as root, which chmod 0o555 does not stop.
    def denied(*args: object, **kwargs: object) -> None:
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))

    monkeypatch.setattr("tempfile.mkstemp", denied)
    with pytest.raises(WriteError, match=r"dev.yaml: cannot write: Permission denied"):
        write_atomic(tmp_path / "dev.yaml", "x", exclusive=False)
    assert not (tmp_path / "dev.yaml").exists()
