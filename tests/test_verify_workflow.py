"""The deploy workflow verifies each stack right after `pulumi up`, and a failure fails the job."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).parents[1]


def _deploy_steps() -> list[dict[str, Any]]:
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "deploy.yml").read_text("utf-8"))
    return list(workflow["jobs"]["up"]["steps"])


def _index(steps: list[dict[str, Any]], found: Any) -> int:
    matches = [i for i, step in enumerate(steps) if found(step)]
    assert len(matches) == 1, matches
    return matches[0]


def test_deploy_runs_verify_for_its_stack_after_up() -> None:
    steps = _deploy_steps()
    up = _index(
        steps,
        lambda s: (
            str(s.get("uses", "")).startswith("pulumi/actions@") and s["with"]["command"] == "up"
        ),
    )
    verify = _index(steps, lambda s: "-m fhir_apps verify" in str(s.get("run", "")))
    assert verify > up
    step = steps[verify]
    run = str(step["run"])
    assert run.startswith(".venv/bin/python -m fhir_apps verify ")
    assert '--stack "$STACK"' in run  # the stack this matrix job just deployed
    assert "--format json" in run
    # Nothing may turn a failed verify into a green job, or skip it after a green `up`.
    assert "continue-on-error" not in step and "if" not in step
    assert "|| true" not in run and "--outputs" not in run  # no secrets file on the runner's disk
