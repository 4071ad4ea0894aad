"""Shared fixtures: one mocked Pulumi runtime per test, recording what the program registers."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pulumi
import pytest

from fhir_apps.cli import DEBUG_VARIABLE
from fhir_apps.render.engine import RecordingMonitor, start_runtime
from fhir_apps.render.mocks import PlaceholderMocks

# An unexpected error in a command must fail its test with the traceback, not with the one-line
# "internal error" that users get (fhir_apps/cli.py); subprocesses inherit this too.
os.environ.setdefault(DEBUG_VARIABLE, "1")


@pytest.fixture
def pulumi_mocks() -> Iterator[RecordingMonitor]:
    """A fresh mocked runtime (project `fhir-apps`, stack `test`); yields its recording monitor.

    `monitor.records` maps URN -> RenderedResource (inputs in the engine's camelCase form,
    secrets as `[secret]`) once the test's outputs have resolved (use @pulumi.runtime.test).
    """
    monitor = start_runtime(PlaceholderMocks(), "fhir-apps", "test", {})
    yield monitor
    # set_all_config is process-global: leave nothing behind for the next test.
    pulumi.runtime.set_all_config({})
