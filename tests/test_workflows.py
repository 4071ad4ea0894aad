"""The GitHub workflow files are valid against GitHub's workflow schema (vendored, offline)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

WORKFLOWS = sorted((Path(__file__).parents[1] / ".github" / "workflows").glob("*.yml"))


def _check(paths: list[Path]) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("check-jsonschema") or str(Path(sys.executable).parent / "check-jsonschema")
    return subprocess.run(
        [exe, "--builtin-schema", "vendor.github-workflows", *map(str, paths)],
        capture_output=True,
        text=True,
        check=False,
    )


def test_there_are_workflows_for_render_preview_and_deploy() -> None:
    names = {p.stem for p in WORKFLOWS}
    assert {"render-diff", "render-diff-comment", "preview", "deploy"} <= names, names


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_matches_github_schema(workflow: Path) -> None:
    result = _check([workflow])
    assert result.returncode == 0, result.stdout + result.stderr


def test_schema_check_rejects_a_broken_workflow(tmp_path: Path) -> None:
    # Guards the test above: the check must be able to fail.
    broken = tmp_path / "broken.yml"
    broken.write_text("on: push\njobs:\n  build:\n    steps: []\n", encoding="utf-8")
    result = _check([broken])
    assert result.returncode != 0
    assert "runs-on" in result.stdout + result.stderr
