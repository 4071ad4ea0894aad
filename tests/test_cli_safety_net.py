"""The command line's last line of defence: an unexpected error is one line, never a traceback."""

from __future__ import annotations

import argparse
from collections.abc import Callable

import pytest

from fhir_apps import cli


def _failing(exc: BaseException) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        raise exc

    return run


@pytest.mark.parametrize(
    "exc",
    [
        ValueError("hunter2-client-secret"),
        RecursionError("maximum recursion depth exceeded"),
        MemoryError(),
        OverflowError("date value out of range"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_an_unexpected_error_is_one_line_without_its_text(
    exc: BaseException, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv(cli.DEBUG_VARIABLE, raising=False)
    monkeypatch.setattr("fhir_apps.commands.schema.run", _failing(exc))
    assert cli.main(["schema"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"schema: internal error ({type(exc).__name__} at ")
    # The exception's text may quote hostile input or a secret: never printed.
    assert "hunter2" not in err and "Traceback" not in err


def test_debug_variable_lets_the_traceback_through(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(cli.DEBUG_VARIABLE, "1")
    monkeypatch.setattr("fhir_apps.commands.schema.run", _failing(ValueError("boom")))
    with pytest.raises(ValueError, match="boom"):
        cli.main(["schema"])


def test_interrupt_is_exit_130_without_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("fhir_apps.commands.schema.run", _failing(KeyboardInterrupt()))
    assert cli.main(["schema"]) == 130
    assert capsys.readouterr().err == "schema: interrupted\n"
