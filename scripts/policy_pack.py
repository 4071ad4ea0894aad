#!/usr/bin/env python3
"""Build the CrossGuard pack for publishing, and write a stack's policy config.

    python scripts/policy_pack.py build [OUT_DIR] [--force]     (default: dist/policy-pack)
    python scripts/policy_pack.py config --stack STACK [--environment ENV] --output FILE

`build`: `policy/` applies the repository's own rules (it imports `fhir_apps` from the parent
directory), which `pulumi policy publish` cannot ship: it packs only the pack's directory, and
an installed pack gets only its own requirements. The built pack is `policy/__main__.py`, the
modules of `fhir_apps` that the policies import (found by following the imports, copied byte for
byte, so it runs exactly what `check --policies` runs), a `requirements.txt` with the project's
pins of what those modules import, and a `PulumiPolicy.yaml` whose virtualenv is inside the pack.

`config`: the policy config a stack's YAML implies (`policy.maxSecretLifetimeDays`,
`tenant.verifiedDomains`) -- what `check --policies` applies -- as a `--policy-pack-config` file.
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import shutil
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Final

ROOT: Final = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: make the repository's fhir_apps importable
    sys.path.insert(0, str(ROOT))

from fhir_apps.safeio.atomic import WriteError, write_atomic  # noqa: E402
from fhir_apps.safeio.text import shown  # noqa: E402

SOURCE: Final = ROOT / "policy"
PACKAGE: Final = "fhir_apps"
# A built pack holds this file, so that a rebuild may replace the directory and nothing else.
MARKER: Final = ".fhir-apps-policy-pack"
DEFAULT_OUT: Final = ROOT / "dist" / "policy-pack"
# Always pinned: the SDK the pack runs on must be the one the project (and its tests) use.
ALWAYS: Final = ("pulumi", "pulumi-policy")


class BuildError(Exception):
    """`str()` is the one line to print."""


# --- which modules the pack needs ----------------------------------------------------------------


def _module_file(module: str) -> Path | None:
    """The source file of `fhir_apps[.x.y]`, or None when it is not a module (an attribute)."""
    base = ROOT.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


class _Imports(ast.NodeVisitor):
    """Every module an import statement names, anywhere in a file (imports inside functions
    run too), except under `if TYPE_CHECKING:`, which never runs."""

    def __init__(self, package: str) -> None:
        self.package = package
        self.found: set[str] = set()

    def visit_If(self, node: ast.If) -> None:
        test = node.test
        name = test.id if isinstance(test, ast.Name) else getattr(test, "attr", None)
        if name == "TYPE_CHECKING":
            for child in node.orelse:
                self.visit(child)
            return
        self.generic_visit(node)

    def visit_Import(self, node: ast.Import) -> None:
        self.found.update(alias.name for alias in node.names)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = node.module or ""
        if node.level:  # relative: resolved against this file's package
            parts = self.package.split(".")[: len(self.package.split(".")) - node.level + 1]
            module = ".".join([*parts, module] if module else parts)
        self.found.add(module)
        # `from fhir_apps.rules import entra` imports the module fhir_apps.rules.entra.
        self.found.update(f"{module}.{alias.name}" for alias in node.names)


def _imports_of(module: str, path: Path) -> set[str]:
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    visitor = _Imports(package)
    visitor.visit(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
    return visitor.found


def closure(entry: Path) -> tuple[dict[str, Path], set[str]]:
    """(module -> file) of every `fhir_apps` module `entry` needs, parents included, and the
    top-level names of the other (third-party or standard) modules they import."""
    modules: dict[str, Path] = {}
    external: set[str] = set()
    pending = sorted(_imports_of("__main__", entry))
    while pending:
        name = pending.pop()
        if name.split(".")[0] != PACKAGE:
            external.add(name.split(".")[0])
            continue
        # Importing a.b.c runs a/__init__.py and a/b/__init__.py first.
        chain = [".".join(name.split(".")[:end]) for end in range(1, name.count(".") + 2)]
        for module in chain:
            path = _module_file(module)
            if path is None or module in modules:
                continue
            modules[module] = path
            pending.extend(sorted(_imports_of(module, path)))
    external.discard("")
    return modules, external


# --- the requirements --------------------------------------------------------------------------


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def project_pins() -> dict[str, str]:
    """Normalized distribution name -> its line in requirements.txt."""
    pins: dict[str, str] = {}
    for line in (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            pins[_normal(re.split(r"[<>=!~\[; ]", line, maxsplit=1)[0])] = line
    return pins


def requirements(external: Iterable[str]) -> list[str]:
    """The project's pins of the distributions that provide `external` (stdlib left out)."""
    from importlib.metadata import packages_distributions

    provided = packages_distributions()
    pins = project_pins()
    wanted = {_normal(name) for name in ALWAYS}
    for name in sorted(external):
        if name in sys.stdlib_module_names or name == "__future__":
            continue
        dists = provided.get(name)
        if not dists:
            raise BuildError(f"the pack imports {name}, which no installed distribution provides")
        wanted.update(_normal(dist) for dist in dists)
    missing = sorted(wanted - set(pins))
    if missing:
        raise BuildError(
            f"the pack needs {', '.join(missing)}, which requirements.txt does not pin; pin it"
        )
    return [pins[name] for name in sorted(wanted)]


# --- the pack's files ----------------------------------------------------------------------------


def pack_files() -> dict[str, bytes]:
    """Relative path -> content of every file of the built pack."""
    import yaml

    entry = SOURCE / "__main__.py"
    modules, external = closure(entry)
    files: dict[str, bytes] = {"__main__.py": entry.read_bytes()}
    for path in modules.values():
        files[path.relative_to(ROOT).as_posix()] = path.read_bytes()
    project = yaml.safe_load((SOURCE / "PulumiPolicy.yaml").read_text(encoding="utf-8"))
    # In the repository the pack shares the project's ../.venv; published, it has its own, which
    # `pulumi install` (or the Pulumi CLI, installing a published pack) fills from requirements.
    project["runtime"]["options"]["virtualenv"] = "venv"
    header = (
        "# Built by scripts/policy_pack.py from policy/; do not edit. Publish it with\n"
        "# `pulumi policy publish <org>` from this directory.\n"
    )
    files["PulumiPolicy.yaml"] = (header + yaml.safe_dump(project, sort_keys=False)).encode()
    pins = "\n".join(requirements(external))
    files["requirements.txt"] = f"# The project's pins of what the pack imports.\n{pins}\n".encode()
    files[MARKER] = b"scripts/policy_pack.py build\n"
    return dict(sorted(files.items()))


def build(out: Path, *, force: bool = False) -> Path:
    """Write the pack to `out` (a fresh directory, or a previous build with --force)."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        if not (out / MARKER).is_file():
            raise BuildError(
                f"{shown(str(out), 400)}: exists and is not a built pack; choose another directory"
            )
        if not force:
            raise BuildError(f"{shown(str(out), 400)}: a built pack exists; give --force")
    files = pack_files()
    out.parent.mkdir(parents=True, exist_ok=True)
    # Built beside the target and renamed into place, so a failed build leaves the old one.
    stage = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        stage.chmod(0o755)  # mkdtemp makes it private; the pack is meant to be shared
        for name, content in files.items():
            (stage / name).parent.mkdir(parents=True, exist_ok=True)
            write_atomic(stage / name, content.decode("utf-8"), exclusive=True)
        if out.exists():
            shutil.rmtree(out)
        stage.rename(out)
    except (OSError, WriteError):
        shutil.rmtree(stage, ignore_errors=True)
        raise
    return out


# --- a stack's policy config ---------------------------------------------------------------------


def stack_policy_config(stack: str, environment: str | None, config_dir: Path) -> dict[str, Any]:
    """What `check --policies` applies to the stack: `policy_config_for_spec` of its spec."""
    from fhir_apps.policies import policy_config_for_spec
    from fhir_apps.spec.loader import load_spec
    from fhir_apps.spec.pulumifiles import stack_environment

    environment = environment or stack_environment(Path.cwd(), stack)
    return policy_config_for_spec(load_spec(config_dir, environment=environment, stack=stack))


# --- the command line ----------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="scripts/policy_pack.py", description=__doc__.split("\n")[0]
    )
    sub = parser.add_subparsers(dest="command", required=True)
    build_cmd = sub.add_parser("build", help="build the self-contained pack")
    build_cmd.add_argument("out", nargs="?", type=Path, default=DEFAULT_OUT)
    build_cmd.add_argument("--force", action="store_true", help="replace a previous build")
    config_cmd = sub.add_parser("config", help="write a stack's --policy-pack-config file")
    config_cmd.add_argument("--stack", required=True)
    config_cmd.add_argument("--environment")
    config_cmd.add_argument("--config-dir", type=Path, default=Path("config"))
    config_cmd.add_argument("--output", type=Path, required=True)
    args = parser.parse_args(argv)
    from fhir_apps.spec.errors import ConfigError

    try:
        if args.command == "build":
            print(f"built {build(args.out, force=args.force)}")
        else:
            config = stack_policy_config(args.stack, args.environment, args.config_dir)
            text = json.dumps(config, indent=2, sort_keys=True) + "\n"
            write_atomic(args.output, text, exclusive=False)
    except ConfigError as error:
        for problem in error.problems:
            print(problem, file=sys.stderr)
        return 1
    except (BuildError, WriteError) as error:
        print(f"policy_pack: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
