"""`adopt --write --force` killed at any moment leaves the previous file or the new one, whole.

Real processes, real SIGKILL: the atomic write (temp file, fsync, rename) is what makes this
hold; a plain `write_text` left an empty or half-written file when killed mid-write.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

GRAPH = Path(__file__).parent / "fixtures" / "graph"
PREVIOUS = "# the previous, hand-merged file\nclients: {}\n"


def _adopt(config: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "fhir_apps",
        "adopt",
        "--applications",
        *sorted(str(p) for p in GRAPH.glob("application-*.json")),
        "--service-principals",
        str(GRAPH / "service-principals.json"),
        "--environment",
        "dev",
        "--config-dir",
        str(config),
        "--write",
        "--force",
    ]


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL (POSIX)")
def test_a_killed_write_leaves_the_old_file_or_the_new_one(tmp_path: Path) -> None:
    config = tmp_path / "config"
    target = config / "environments" / "dev.yaml"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    # The complete new file, from a run that is not killed.
    subprocess.run(_adopt(config), env=env, check=True, capture_output=True, timeout=120)
    new = target.read_text(encoding="utf-8")
    assert new != PREVIOUS and "fhirServer:" in new

    outcomes = set()
    # Half the runs are killed after a delay spread over the whole run; half the moment the
    # temp file appears, which is the window a kill must not damage.
    for attempt in range(12):
        target.write_text(PREVIOUS, encoding="utf-8")
        process = subprocess.Popen(
            _adopt(config), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        if attempt % 2 == 0:
            time.sleep(0.05 + attempt * 0.07)
        else:
            deadline = time.monotonic() + 30
            while process.poll() is None and time.monotonic() < deadline:
                if any(p.name.endswith(".tmp") for p in target.parent.iterdir()):
                    break
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
        after = target.read_text(encoding="utf-8")
        assert after in (PREVIOUS, new), f"attempt {attempt}: a damaged file ({len(after)} chars)"
        outcomes.add("previous" if after == PREVIOUS else "new")
    # Kills before the rename keep the old file whole (not an empty or partial one).
    assert "previous" in outcomes
