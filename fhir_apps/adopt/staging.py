"""The adopted config, tried in a scratch copy of the config directory: loaded as `check` loads
it and rendered with the real program, before anything is written.

A copy, so that a refused adoption (two apps whose display names differ only in case, an
identifier URI this tenant's layers make invalid) leaves the user's files exactly as they were;
and a render of that copy, so that the import file and the adoption plan come from the same
program `pulumi up` runs, never from a copy of its naming rules.
"""

from __future__ import annotations

import contextlib
import io
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Final

from fhir_apps.adopt.findings import one_line
from fhir_apps.adopt.graphjson import AdoptInputError

if TYPE_CHECKING:  # the engine (Pulumi's SDK) is imported only when a render is made
    from fhir_apps.render.engine import Rendering

__all__ = ["BASE_YAML", "render_adopted", "staged_problems"]

# Written only when the config directory has no base.yaml, so that `check` can load the layers.
BASE_YAML: Final = """\
# yaml-language-server: $schema=schema.json
# Shared by every environment. Created by `python -m fhir_apps adopt`; the adopted environment
# file (environments/<env>.yaml) names its own tenant.verifiedDomains, display names and ids.
{}
"""


def staged_problems(text: str, environment: str, config_dir: Path) -> None:
    """Raise AdoptInputError, with every problem `check` would report, when the config with
    `text` as environments/<environment>.yaml would not load; nothing is written either way."""
    with _staged(text, environment, config_dir):
        pass


def render_adopted(text: str, environment: str, config_dir: Path) -> Rendering:
    """The rendering (`fhir_apps.render.engine.Rendering`) of the config with `text` as the
    environment's file: what `pulumi up` would register for the stack named after it.

    Raises AdoptInputError when the config would not load or the program stops on it.
    """
    from fhir_apps.render.engine import RenderError, render

    with _staged(text, environment, config_dir) as staged:
        try:
            # The program's warnings (e.g. "no stacks/<env>.yaml") concern the scratch copy and
            # were printed by `check` already if they matter: not repeated here.
            with contextlib.redirect_stderr(io.StringIO()):
                return render(environment=environment, config_dir=staged)
        except RenderError as error:
            message = one_line(str(error)).replace(str(staged), str(config_dir))
            raise AdoptInputError(
                f"the adopted config does not render, so nothing was written: {message}"
            ) from None


@contextlib.contextmanager
def _staged(text: str, environment: str, config_dir: Path) -> Iterator[Path]:
    """A scratch copy of `config_dir` with `text` as the environment's file, loaded as `check`
    loads it; yields the copy's path. Raises AdoptInputError (nothing written) on a problem."""
    try:
        with tempfile.TemporaryDirectory(prefix="fhir-apps-adopt-") as scratch:
            staged = Path(scratch) / "config"
            _copy(text, environment, config_dir, staged)
            _load(staged, environment, config_dir)
            yield staged
    except OSError as error:
        raise AdoptInputError(
            "cannot check the adopted config in a temporary directory, so nothing was written: "
            f"{error.strerror or error}"
        ) from None


def _copy(text: str, environment: str, config_dir: Path, staged: Path) -> None:
    if config_dir.is_dir():
        # symlinks=True: a link stays a link, so the containment rules judge it as they would
        # in the real directory.
        shutil.copytree(
            config_dir,
            staged,
            symlinks=True,
            # The temp files of a write under way (safeio.atomic) come and go: another
            # run's must not end this check, and are not part of the config anyway.
            ignore=shutil.ignore_patterns(".*.tmp"),
        )
    (staged / "environments").mkdir(parents=True, exist_ok=True)
    if not (staged / "base.yaml").exists():
        (staged / "base.yaml").write_text(BASE_YAML, encoding="utf-8")
    (staged / "environments" / f"{environment}.yaml").write_text(text, encoding="utf-8")


def _load(staged: Path, environment: str, config_dir: Path) -> None:
    from fhir_apps.spec.errors import ConfigError
    from fhir_apps.spec.loader import load_spec

    try:
        load_spec(staged, environment=environment)
    except ConfigError as error:
        # Name the files as they would be named in the real directory.
        lines = [str(p).replace(str(staged), str(config_dir), 1) for p in error.problems]
        raise AdoptInputError(
            "the adopted config would not pass check, so nothing was written: "
            + "; ".join(one_line(line) for line in lines)
        ) from None
