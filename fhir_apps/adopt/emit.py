"""The environment layer as YAML text, with every finding as a comment beside what it concerns.

PyYAML writes no comments, so each block is dumped on its own and the comments are placed
around it; the data itself always comes from PyYAML's safe dumper, so quoting is never
hand-made.

Everything here may hold text from a Graph export, which is foreign input: a display name with
a line break must not end a comment and start a line of config. So every comment is made by
`_comment`, which escapes any line break, control or bidi character left in its text, and every
string in the data is written on one line with such characters escaped (`_Dumper`): each line
of the file is one line of data or one comment, and reads as what it is.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Final

import yaml

from fhir_apps.adopt.findings import Finding, one_line
from fhir_apps.adopt.graphjson import AdoptInputError
from fhir_apps.adopt.importfile import IMPORT_DIRECTORY
from fhir_apps.adopt.plan import AdoptedApp, Adoption
from fhir_apps.adopt.staging import BASE_YAML, staged_problems
from fhir_apps.safeio.atomic import WriteError, write_atomic
from fhir_apps.safeio.text import is_line_safe, shown

__all__ = [
    "BASE_YAML",
    "SCHEMA_LINE",
    "check_config_dir",
    "environment_yaml",
    "existing_file_problem",
    "write_environment",
]

# Relative to config/environments/, where the file is written.
SCHEMA_LINE: Final = "# yaml-language-server: $schema=../schema.json"
WIDTH: Final = 100


class _Dumper(yaml.SafeDumper):
    """`yaml.SafeDumper` that writes each string on one line, showing what it holds.

    (It overrides three methods of PyYAML's Emitter, unchanged since PyYAML 3; the property
    test in tests/test_adopt_hostile.py says whether a new PyYAML still does what is meant.)

    Plain `safe_dump` writes a line break inside a quoted string as a real line break (and
    reads U+0085 back as a space), and with `allow_unicode` writes bidi controls raw, as
    "printable": a string that holds any such character (see `safeio.text`) is written
    double-quoted, in escapes throughout. A quoted string is never folded where a folded line
    would start with `#`, which a reader takes for a comment.
    """

    def choose_scalar_style(self) -> str:
        if isinstance(self.event, yaml.ScalarEvent) and not is_line_safe(self.event.value):
            return '"'
        return str(super().choose_scalar_style())

    def write_double_quoted(self, text: str, split: bool = True) -> None:
        allow_unicode = self.allow_unicode
        self.allow_unicode = bool(allow_unicode) and is_line_safe(text)
        try:
            super().write_double_quoted(text, split and _foldable(text))
        finally:
            self.allow_unicode = allow_unicode

    def write_single_quoted(self, text: str, split: bool = True) -> None:
        super().write_single_quoted(text, split and _foldable(text))


def _foldable(text: str) -> bool:
    # PyYAML folds a quoted string at a space, and a double-quoted one also right after an
    # escape, so any "#" could start a folded line. (A plain string it never folds before "#".)
    return "#" not in text


def _comment(text: str, indent: int = 0) -> list[str]:
    """`text` as comment lines; nothing in it can end a line early (see the module docstring)."""
    pad = " " * indent
    return textwrap.wrap(
        one_line(text),
        width=WIDTH,
        initial_indent=f"{pad}# ",
        subsequent_indent=f"{pad}#   ",
        break_long_words=False,
        break_on_hyphens=False,
    )


def _dump(data: Any, indent: int = 0) -> list[str]:
    # PyYAML breaks a long text at the first space past `width`, so leave room for one word
    # (scope and role descriptions are long prose).
    text = yaml.dump(
        data,
        Dumper=_Dumper,
        sort_keys=False,
        default_flow_style=False,
        allow_unicode=True,
        width=WIDTH - 20,
    )
    pad = " " * indent
    return [pad + line if line else line for line in text.rstrip("\n").split("\n")]


def _title(app: AdoptedApp) -> str:
    return f"{shown(app.display_name)} (appId {shown(app.app['appId'])})"


def _findings(findings: Iterable[Finding], indent: int) -> list[str]:
    lines: list[str] = []
    for finding in findings:
        lines += _comment(f"FINDING {finding.property}: {finding.message}", indent)
    return lines


def environment_yaml(adoption: Adoption) -> str:
    """The YAML of `config/environments/<environment>.yaml` for `adoption`."""
    by_app: dict[str, list[Finding]] = {}
    for finding in adoption.findings:
        by_app.setdefault(finding.app, []).append(finding)
    adopted_names = {a.display_name for a in adoption.adopted()}

    lines = [SCHEMA_LINE]
    lines += _comment(
        f"Environment '{shown(adoption.environment)}', adopted from Microsoft Graph by `python -m "
        "fhir_apps adopt`. importIds name the existing objects (client ids stay): applications, "
        "service principals, app role assignments, admin consent grants and federated "
        "credentials; fhirServer.ids pins the existing scope and role ids, and scopeDetails and "
        "roleDetails keep their texts, types and member types. Since Pulumi 3.174.0 an import "
        "is followed by an update in the same `pulumi up`, so every FINDING that says adoption "
        "changes an object is a change the first `up` makes in Entra: import first with "
        "`pulumi import --file <config dir>/"
        f"{IMPORT_DIRECTORY}/{shown(adoption.environment)}.json` (nothing "
        "changes), review `pulumi preview --diff`, then `pulumi up` (docs/adopt.md)."
    )
    lines += _comment(
        "Passwords (client secrets) cannot be imported: clients with credential type secret get "
        "two new rotating secrets, and existing secrets keep working until they expire."
    )
    lines += _comment(
        "FINDING lines say what exists that this config cannot express, and what adoption "
        "changes; read them before `pulumi preview`."
    )
    others = sorted(set(by_app) - adopted_names)
    for name in others:
        lines += _comment(f"{shown(name)}:")
        lines += _findings(by_app[name], 2)
    for name, reason in adoption.ignored:
        lines += _comment(f"Not adopted: '{shown(name)}' {reason}.")
    lines.append("")
    if adoption.tenant:
        lines += _comment(
            "The server URL's domain, verified in the tenant: Entra and `check` accept an https "
            "identifier URI only on a verified domain (this list replaces base.yaml's)."
        )
        lines += _dump({"tenant": adoption.tenant})
    server = adoption.server
    lines += _comment(_title(server))
    lines += _findings(by_app.get(server.display_name, []), 0)
    lines += _dump({"fhirServer": server.block})
    if adoption.clients:
        lines.append("clients:")
        for client in adoption.clients:
            lines += _comment(_title(client), 2)
            lines += _findings(by_app.get(client.display_name, []), 2)
            lines += _dump({client.key: client.block}, 2)
    if adoption.assignments:
        lines += _dump({"assignments": list(adoption.assignments)})
    return "\n".join(lines) + "\n"


def check_config_dir(config_dir: Path | str) -> None:
    """Raise AdoptInputError unless `config_dir` is a directory, or one that can be made.

    Only the config directory itself is made, not a chain of missing parents: a mistyped path
    should not quietly grow a directory tree somewhere else.
    """
    config_dir = Path(config_dir)
    where = shown(str(config_dir), 400)
    if config_dir.is_dir():
        return
    if config_dir.exists() or config_dir.is_symlink():
        raise AdoptInputError(
            f"{where}: --config-dir is not a directory; name the config directory (default: config)"
        )
    if not config_dir.absolute().parent.is_dir():
        raise AdoptInputError(
            f"{where}: --config-dir does not exist, and neither does its parent directory "
            f"{shown(str(config_dir.absolute().parent), 400)}: create it, or check the path"
        )


def write_environment(
    adoption: Adoption,
    config_dir: Path | str,
    *,
    force: bool,
    import_file: tuple[Path, str] | None = None,
) -> list[Path]:
    """Write the environment file (and a minimal base.yaml if there is none), then the import
    file `(path, text)` if given; the paths written.

    Refuses to replace an existing environment or import file unless `force`; never replaces
    base.yaml. Each file is written whole or not at all (`safeio.atomic`): without `force` each
    is created exclusively, so of two runs at once exactly one writes it. base.yaml comes first
    and stays if a later file then fails: it is complete on its own, and a run that failed must
    never delete a file that another run, which succeeded, relies on.
    """
    config_dir = Path(config_dir)
    target = config_dir / "environments" / f"{adoption.environment}.yaml"
    text = environment_yaml(adoption)  # before anything is written: it may raise
    check_config_dir(config_dir)
    for path in (target, *([import_file[0]] if import_file else [])):
        problem = None if force else existing_file_problem(path)
        if problem:
            raise AdoptInputError(problem)
    staged_problems(text, adoption.environment, config_dir)
    _make_directory(config_dir)
    _make_directory(target.parent)
    written = []
    base = config_dir / "base.yaml"
    if not (base.exists() or base.is_symlink()):
        try:
            write_atomic(base, BASE_YAML, exclusive=True)
            written.append(base)
        except WriteError as error:
            if not base.exists():  # else a run at the same time made it: that one serves
                raise AdoptInputError(one_line(str(error))) from None
    _write(target, text, force)
    written.append(target)
    if import_file is not None:
        path, import_text = import_file
        if path.parent == config_dir / IMPORT_DIRECTORY:
            _make_directory(path.parent)
        _write(path, import_text, force)
        written.append(path)
    return written


def _write(path: Path, text: str, force: bool) -> None:
    try:
        write_atomic(path, text, exclusive=not force)
    except WriteError as error:
        if not force and path.exists():  # another run made it since the check above
            raise AdoptInputError(_exists(path)) from None
        raise AdoptInputError(one_line(str(error))) from None


def existing_file_problem(path: Path) -> str | None:
    """The refusal to overwrite `path` without --force, or None when there is no such file."""
    return _exists(path) if path.exists() or path.is_symlink() else None


def _exists(target: Path) -> str:
    return (
        f"{shown(str(target), 400)}: exists; adopt will not overwrite it (pass --force to replace "
        "it, or print the YAML without --write and merge by hand)"
    )


def _make_directory(directory: Path) -> None:
    if directory.is_dir():
        return
    try:
        directory.mkdir()
    except FileExistsError:
        if not directory.is_dir():
            raise AdoptInputError(
                f"{shown(str(directory), 400)}: exists and is not a directory; adopt writes "
                "the environment files there"
            ) from None
    except OSError as error:
        raise AdoptInputError(
            f"{shown(str(directory), 400)}: cannot create the directory: {error.strerror or error}"
        ) from None
