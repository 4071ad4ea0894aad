"""Load one stack's spec: read the YAML layers, merge them, validate, report every problem.

Layers, in order: `<config>/base.yaml`, `<config>/environments/<environment>.yaml`, then
`<config>/stacks/<stack>.yaml` when it exists. Maps merge by key; lists and scalars replace; a
map whose `kind` or `type` changes replaces the earlier map; `null` removes a key (back to its
default); a client with `enabled: false` after the merge is left out. Each problem names the layer
that set the value (`<file>: <path.to.key>: <message>`).
"""

from __future__ import annotations

import copy
import datetime as dt
import difflib
import re
import types
import typing
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ValidationError
from pydantic.alias_generators import to_camel

from fhir_apps.certificates import (
    CertificateFileError,
    PublicCertificate,
    certificate_path,
    read_public_certificate,
)
from fhir_apps.safeio.text import first_unsafe, shown
from fhir_apps.spec.errors import ConfigError, Problem
from fhir_apps.spec.model import Spec
from fhir_apps.spec.semantics import spec_problems, spec_warnings
from fhir_apps.spec.yamlio import (
    LAYER_LIMITS,
    Layer,
    Path_,
    YamlFileError,
    format_path,
    load_yaml,
    read_layer,
)

__all__ = [
    "DEPRECATION_AZURE_API_FOR_FHIR",
    "LoadedStack",
    "is_valid_name",
    "load_spec",
    "load_spec_with_warnings",
    "load_stack",
    "project_name",
    "stack_environment",
    "stack_setting",
]

DEPRECATION_AZURE_API_FOR_FHIR = (
    "azure-api-for-fhir is retired on 2026-09-30 and takes no new deployments since 2025-04-01; "
    "plan the move to kind ahds (Azure Health Data Services)"
)
# The project name Pulumi.yaml ships with; a project made with `pulumi new --name` has another.
SHIPPED_PROJECT = "fhir-apps"
ENVIRONMENT_KEY = f"{SHIPPED_PROJECT}:environment"
# Applied with fullmatch: `$` alone would also match before a trailing newline.
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
# Keys whose value is chosen at load time, never written in a layer.
_RESERVED = {"environment": "--environment", "stack": "--stack"}
_CERT_WARN_DAYS = 30


def load_spec(
    config_dir: Path | str = "config",
    environment: str | None = None,
    stack: str | None = None,
    *,
    today: dt.date | None = None,
) -> Spec:
    """The validated spec for `environment` (and `stack`); raises `ConfigError` with every problem.

    today: the day certificates are judged expired (or expiring) on; default: now.
    Warnings (e.g. the azure-api-for-fhir retirement) are dropped here; use
    `load_spec_with_warnings` to show them.
    """
    if environment is None:  # required; a default only so that it may follow config_dir
        raise TypeError("load_spec() missing required argument: 'environment'")
    return load_spec_with_warnings(config_dir, environment, stack, today=today)[0]


def load_spec_with_warnings(
    config_dir: Path | str = "config",
    environment: str | None = None,
    stack: str | None = None,
    *,
    today: dt.date | None = None,
) -> tuple[Spec, tuple[str, ...]]:
    """Like `load_spec`, also returning warnings, each `<file>: <path>: <message>`."""
    if environment is None:  # required; a default only so that it may follow config_dir
        raise TypeError("load_spec_with_warnings() missing required argument: 'environment'")
    loaded = load_stack(config_dir, environment, stack, today=today)
    return loaded.spec, loaded.warnings


@dataclass(frozen=True)
class LoadedStack:
    """One stack's spec and warnings, with the layers it was merged from.

    layers: the files read, lowest first (base, environment, stack), as problems name them.
    origins: key path -> index in `layers` of the layer that last set the value there.
    """

    spec: Spec
    warnings: tuple[str, ...]
    layers: tuple[str, ...]
    origins: dict[Path_, int]

    def origin(self, path: Path_) -> str:
        """The file of the layer that set the value at `path` (or the map it sits in)."""
        for end in range(len(path), -1, -1):
            found = self.origins.get(tuple(path[:end]))
            if found is not None:
                return self.layers[found]
        return self.layers[0]


def load_stack(
    config_dir: Path | str,
    environment: str,
    stack: str | None = None,
    *,
    today: dt.date | None = None,
) -> LoadedStack:
    """Load one stack like `load_spec_with_warnings`, keeping which layer set each value (for
    the checks across stacks, which name the layer to fix). Raises `ConfigError`."""
    return _Load(Path(config_dir), environment, stack, today).run_loaded()


def is_valid_name(name: str) -> bool:
    """True for a valid environment or stack name (the rule `--environment` is checked by)."""
    return _NAME.fullmatch(name) is not None


def _read_yaml_file(path: Path, what: str) -> Any:
    """A Pulumi project or stack file, read within the same budget as a config layer (they are
    as untrusted: an alias bomb in `Pulumi.<stack>.yaml` must not hang `check --stack`)."""
    try:
        data, problems = load_yaml(path, str(path), replace(LAYER_LIMITS, what=f"a {what}"))
    except YamlFileError as error:
        raise ConfigError([error.problem]) from None
    if problems:
        raise ConfigError(problems)
    return data


def project_name(project_dir: Path | str) -> str:
    """The name in `<project_dir>/Pulumi.yaml`, which namespaces the project's settings
    (`<name>:environment`); the shipped name when there is no project file."""
    path = Path(project_dir) / "Pulumi.yaml"
    if not path.is_file():
        return SHIPPED_PROJECT
    data = _read_yaml_file(path, "project file")
    name = data.get("name") if isinstance(data, dict) else None
    if not isinstance(name, str) or not name:
        raise ConfigError([Problem(str(path), "name", "must be the project's name")])
    return name


def stack_environment(project_dir: Path | str, stack: str) -> str:
    """The environment of a Pulumi stack: `<project>:environment` in `Pulumi.<stack>.yaml`
    (`fhir-apps:environment` in this project; `<name>:environment` after `pulumi new --name`).

    Defaults to the stack name when the file or the key is absent.
    """
    path = Path(project_dir) / f"Pulumi.{stack}.yaml"
    if not path.is_file():
        return stack
    project = project_name(project_dir)
    key = f"{project}:environment"
    data = _read_yaml_file(path, "stack file")
    config = data.get("config") if isinstance(data, dict) else None
    value = config.get(key) if isinstance(config, dict) else None
    if isinstance(value, dict):
        value = value.get("value")
    if value is None and isinstance(config, dict) and config.get(ENVIRONMENT_KEY) is not None:
        # A stack file copied from the template into a renamed project: its key is ignored by
        # Pulumi's namespacing, so the stack would quietly deploy the wrong environment.
        message = (
            f"this project is named '{shown(project)}', so the key is {shown(key)}; "
            f"rename it (pulumi config rm {ENVIRONMENT_KEY}; pulumi config set environment ...)"
        )
        raise ConfigError([Problem(str(path), f"config.{ENVIRONMENT_KEY}", message)])
    if value is None:
        return stack
    if not isinstance(value, str) or not _NAME.fullmatch(value):
        raise ConfigError(
            [
                Problem(
                    str(path),
                    f"config.{shown(key)}",
                    "must be an environment name (letters, digits, '.', '-', '_')",
                )
            ]
        )
    return value


def stack_setting(project_dir: Path | str, stack: str, key: str) -> tuple[str, str] | None:
    """`(<file>: config.<project>:<key>, value)` of a text setting in `Pulumi.<stack>.yaml`,
    or None when the file, the key or a text value is absent (never raises for a bad file: the
    callers only warn, and `pulumi` itself reports a file it cannot read)."""
    path = Path(project_dir) / f"Pulumi.{stack}.yaml"
    if not path.is_file():
        return None
    try:
        project = project_name(project_dir)
        data = _read_yaml_file(path, "stack file")
    except ConfigError:
        return None
    config = data.get("config") if isinstance(data, dict) else None
    name = f"{project}:{key}"
    value = config.get(name) if isinstance(config, dict) else None
    if isinstance(value, dict):
        value = value.get("value")
    if not isinstance(value, str):
        return None
    return f"{shown(str(path), 400)}: config.{shown(name)}", value


@dataclass
class _Merged:
    data: dict[str, Any] = field(default_factory=dict)
    # key path -> (layer index, line) of the layer that last set (or removed) the value there
    origin: dict[Path_, tuple[int, int | None]] = field(default_factory=dict)
    # key path -> the paths in `origin` at or below it, so that forgetting a subtree costs its
    # size, not a scan of every key of the config (which made a merge quadratic in the clients)
    below: dict[Path_, set[Path_]] = field(default_factory=dict)

    def set_origin(self, path: Path_, where: tuple[int, int | None]) -> None:
        if path not in self.origin:
            for end in range(len(path) + 1):
                self.below.setdefault(path[:end], set()).add(path)
        self.origin[path] = where

    def forget(self, path: Path_) -> None:
        """Drop the origin of `path` and of every path below it."""
        for key in self.below.pop(path, ()):
            del self.origin[key]
            for end in range(len(path)):
                self.below[key[:end]].discard(key)
            for end in range(len(path) + 1, len(key) + 1):
                self.below.pop(key[:end], None)


class _Load:
    def __init__(
        self, config_dir: Path, environment: str, stack: str | None, today: dt.date | None = None
    ) -> None:
        self.config_dir = config_dir
        self.environment = environment
        self.stack = stack
        self.today = today
        self.layers: list[Layer] = []
        self.problems: list[Problem] = []
        self.merged = _Merged()
        self.broken = False
        self._kept_assignments: list[int] = []
        # Paths of values that are not plain YAML (reported once; pydantic's error is dropped).
        self._foreign: list[Path_] = []
        self._unreadable: set[str] = set()

    def run_loaded(self) -> LoadedStack:
        spec, warnings = self.run()
        return LoadedStack(
            spec=spec,
            warnings=warnings,
            layers=tuple(layer.file for layer in self.layers),
            origins={path: index for path, (index, _) in self.merged.origin.items()},
        )

    def run(self) -> tuple[Spec, tuple[str, ...]]:
        self._read()
        if self.broken:
            self._raise_if_problems()
        for index, layer in enumerate(self.layers):
            for key, flag in _RESERVED.items():
                if key in layer.data:
                    self._add((key,), f"is set by {flag}, not in a config file; remove it", index)
            _merge(self.merged, layer, index, ())
        data = self.merged.data
        clients = data.get("clients")
        if isinstance(clients, dict):
            for key in [k for k, c in clients.items() if isinstance(c, dict)]:
                if clients[key].get("enabled") is False:
                    del clients[key]
        if "protected" not in data and self.environment == "prod":
            data["protected"] = True
        self._refuse_foreign(data)
        warnings = self._stack_warnings() + self._certificates()
        for key in _RESERVED:
            data.pop(key, None)
        data["environment"] = self.environment
        data["stack"] = self.stack or self.environment
        spec = self._validate(data)
        self._raise_if_problems()
        assert spec is not None
        if spec.fhir_server.kind == "azure-api-for-fhir":
            warnings.insert(0, self._at(("fhirServer", "kind"), DEPRECATION_AZURE_API_FOR_FHIR))
        warnings += [self._at(path, message) for path, message in spec_warnings(spec)]
        return spec, tuple(warnings)

    def _refuse_foreign(self, data: dict[str, Any]) -> None:
        """Refuse what PyYAML's safe loader makes of tags and dates (bytes, dates, sets, pairs)
        under every key, with one message: pydantic would coerce some (16 bytes make a GUID)
        and word the rest by the field's type."""
        for path, value in _foreign_values(data):
            if path[0] in _RESERVED:
                continue  # reported as a key that does not belong in YAML at all
            self._foreign.append(path)
            self._add(path, _foreign_message(value))

    def _validate(self, data: dict[str, Any]) -> Spec | None:
        """Validate; on structural errors only in some clients or assignments, leave those out
        and apply the cross-field rules to the rest, so one run reports as much as it can."""
        try:
            spec = Spec.model_validate(data, by_alias=True, by_name=False)
        except ValidationError as exc:
            errors = exc.errors()
            for error in errors:
                self._pydantic(error)
            spec = self._validate_rest(data, errors)
            if spec is None:
                return None
            kept = self._kept_assignments
            for path, message in spec_problems(spec):
                if path[:1] == ("assignments",) and len(path) > 1:
                    path = ("assignments", kept[int(path[1])], *path[2:])
                self._add(path, message)
            return None
        for path, message in spec_problems(spec):
            self._add(path, message)
        return spec

    def _validate_rest(self, data: dict[str, Any], errors: list[Any]) -> Spec | None:
        bad_clients: set[str] = set()
        bad_assignments: set[int] = set()
        for error in errors:
            loc = tuple(error["loc"])
            if len(loc) >= 2 and loc[0] == "clients" and isinstance(loc[1], str):
                bad_clients.add(loc[1])
            elif len(loc) >= 2 and loc[0] == "assignments" and isinstance(loc[1], int):
                bad_assignments.add(loc[1])
            else:
                return None  # the server, tenant or policy: every other rule depends on them
        rest = dict(data)
        if isinstance(rest.get("clients"), dict):
            rest["clients"] = {k: v for k, v in rest["clients"].items() if k not in bad_clients}
        if isinstance(rest.get("assignments"), list):
            items = rest["assignments"]
            self._kept_assignments = [i for i in range(len(items)) if i not in bad_assignments]
            rest["assignments"] = [items[i] for i in self._kept_assignments]
        try:
            return Spec.model_validate(rest, by_alias=True, by_name=False)
        except ValidationError:  # pragma: no cover - the parts left were valid on their own
            return None

    # -- reading -----------------------------------------------------------------------------

    def _display(self, relative: str) -> str:
        return str(self.config_dir / relative)

    def _read(self) -> None:
        for name, flag in ((self.environment, "--environment"), (self.stack, "--stack")):
            if name is not None and not _NAME.fullmatch(name):
                self.problems.append(
                    Problem(
                        flag,
                        "",
                        f"'{shown(name)}' is not a valid name; use letters, digits, '.', '-' "
                        "and '_' (at most 64, starting with a letter or digit)",
                    )
                )
        if self.problems:
            self.broken = True
            return
        if not self.config_dir.is_dir():
            self.broken = True
            self.problems.append(
                Problem(str(self.config_dir), "", "the config directory does not exist")
            )
            return
        env_file = self.config_dir / "environments" / f"{self.environment}.yaml"
        files = [("base.yaml", True), (f"environments/{self.environment}.yaml", True)]
        if self.stack is not None:
            files.append((f"stacks/{self.stack}.yaml", False))
        for relative, required in files:
            path = self.config_dir / relative
            display = self._display(relative)
            if not path.is_file():
                self.broken = self.broken or required
                if path == env_file:
                    self.problems.append(Problem(display, "", self._missing_environment()))
                elif required:
                    self.problems.append(
                        Problem(display, "", "the file does not exist; every config needs a base")
                    )
                continue
            layer, problems = read_layer(path, display)
            self.layers.append(layer)
            self.problems.extend(problems)
            # A value refused while reading (a tag, a bad date) is left out of the layer; the
            # model would then add "is required" for the same key, a second, misleading line.
            self._unreadable.update(p.path for p in problems if p.path)
            self.broken = self.broken or layer.broken

    def _missing_environment(self) -> str:
        folder = self.config_dir / "environments"
        found = sorted(p.stem for p in folder.glob("*.yaml")) if folder.is_dir() else []
        listing = ", ".join(found) if found else "none"
        return (
            f"environment '{self.environment}' has no file; available environments: {listing} "
            f"(files in {folder})"
        )

    def _stack_warnings(self) -> list[str]:
        """A `--stack` that names no stack file and no Pulumi stack is most likely a typo, which
        would otherwise quietly check (or render) the environment without the stack's layer."""
        stack = self.stack
        if stack is None or (self.config_dir / "stacks" / f"{stack}.yaml").is_file():
            return []
        # Pulumi runs the program in the project directory, as `check` and `render` expect to
        # be run; the config directory usually sits in it.
        projects = list(dict.fromkeys([Path.cwd(), self.config_dir.resolve().parent]))
        if any((project / f"Pulumi.{stack}.yaml").is_file() for project in projects):
            return []
        known = sorted(
            {p.stem for p in (self.config_dir / "stacks").glob("*.yaml")}
            | {p.name[7:-5] for project in projects for p in project.glob("Pulumi.*.yaml")}
        )
        close = difflib.get_close_matches(stack, known, n=1)
        return [
            f"--stack: '{stack}' names no stack: neither "
            f"{self._display(f'stacks/{stack}.yaml')} nor Pulumi.{stack}.yaml exists, so only "
            f"the environment's layers apply; known stacks: {', '.join(known) or 'none'}"
            + (f"; did you mean '{close[0]}'?" if close else "")
        ]

    def _certificates(self) -> list[str]:
        warnings: list[str] = []
        clients = self.merged.data.get("clients")
        if not isinstance(clients, dict):
            return warnings
        for key, client in clients.items():
            if not isinstance(client, dict) or client.get("kind") == "public":
                continue  # a public client's credential is an error of its own
            credential = client.get("credential")
            if isinstance(credential, dict) and credential.get("type") == "certificate":
                warnings += self._client_certificates(key, credential)
        return warnings

    def _client_certificates(self, key: str, credential: dict[str, Any]) -> list[str]:
        """Read every certificate file of one client (the one reader `pulumi up` uses too),
        replace each path with the resolved file, and judge them together: a certificate that
        ends soon is a warning unless the client already has its successor."""
        base: Path_ = ("clients", key, "credential")
        entries: list[tuple[Path_, str]] = []
        value = credential.get("certificateFile")
        if isinstance(value, str) and value:  # else the model reports it by type and length
            entries.append(((*base, "certificateFile"), value))
        files = credential.get("certificateFiles")
        if isinstance(files, list):
            for index, item in enumerate(files):
                if isinstance(item, str):
                    entries.append(((*base, "certificateFiles", index), item))
        read: list[tuple[Path_, str, PublicCertificate]] = []
        for path, given in entries:
            # Named as written (config/certs/x.pem), not as resolved, in every message.
            shown_as = shown(self._display(given), 400)
            try:
                resolved = certificate_path(self.config_dir, given)
                certificate = read_public_certificate(resolved)
            except CertificateFileError as error:
                self._add(path, f"{shown_as}: {error.reason}")
                continue
            _set(credential, path[3:], str(resolved))
            read.append((path, shown_as, certificate))
        return self._judge_certificates(read)

    def _judge_certificates(self, read: list[tuple[Path_, str, PublicCertificate]]) -> list[str]:
        warnings: list[str] = []
        now = _moment(self.today)
        latest_end = max((c.not_after for _, _, c in read), default=now)
        seen: dict[str, str] = {}
        for path, shown_as, certificate in read:
            earlier = seen.get(certificate.sha256)
            if earlier is not None:
                # Both would be one credential (the key id is derived from the thumbprint).
                self._add(
                    path,
                    f"{shown_as}: holds the same certificate as {earlier} (SHA-256 "
                    f"{certificate.sha256[:16]}...); list each certificate once",
                )
                continue
            seen[certificate.sha256] = shown_as
            problem, notes = _certificate_notes(certificate, now, latest_end)
            if problem:
                self._add(path, f"{shown_as}: {problem}")
                continue
            warnings += [self._at(path, f"{shown_as}: {note}") for note in notes]
        return warnings

    # -- problems ----------------------------------------------------------------------------

    def _where(self, path: Path_) -> tuple[int, int | None]:
        for end in range(len(path), -1, -1):
            found = self.merged.origin.get(path[:end])
            if found is not None:
                return found
        return 0, None

    def _add(self, path: Path_, message: str, layer: int | None = None) -> None:
        index, line = self._where(path)
        if layer is not None:
            index, line = layer, self.layers[layer].lines.get(path)
        self.problems.append(
            Problem(self.layers[index].file, _key_path(path), _one_line(message), line)
        )

    def _at(self, path: Path_, message: str) -> str:
        index, _ = self._where(path)
        return f"{self.layers[index].file}: {_key_path(path)}: {_one_line(message)}"

    def _raise_if_problems(self) -> None:
        if not self.problems:
            return
        order = {layer.file: i for i, layer in enumerate(self.layers)}
        unique = dict.fromkeys(self.problems)
        raise ConfigError(
            sorted(unique, key=lambda p: (order.get(p.file, -1), p.line or 0, p.path, p.message))
        )

    def _pydantic(self, error: Any) -> None:
        loc = tuple(error["loc"])
        path, tp, parent = _walk(loc)
        if any(path[: len(foreign)] == foreign for foreign in self._foreign):
            return  # already reported as a value that is not plain YAML
        if format_path(path) in self._unreadable:
            return  # already reported by the reader, with its line
        kind = error["type"]
        value = error.get("input")
        ctx = error.get("ctx") or {}
        if kind in ("union_tag_not_found", "union_tag_invalid"):
            name = str(ctx.get("discriminator", "kind")).strip("'\"")
            tags = _tags(tp)
            path = (*path, name)
            if kind == "union_tag_not_found":
                message = f"is required; one of {tags}"
                if not isinstance(value, dict):
                    path, message = path[:-1], f"must be a mapping of keys; got {_show(value)}"
            else:
                message = f"must be one of {tags}; got {_show(ctx.get('tag'))}"
        elif kind == "extra_forbidden":
            message = _unknown_key(str(path[-1]), parent)
        else:
            message = _message(kind, value, ctx, tp, error.get("msg", ""), path)
        self._add(path, message)


# -- merging ---------------------------------------------------------------------------------


def _merge(
    merged: _Merged,
    layer: Layer,
    index: int,
    path: Path_,
    lines_below: dict[Path_, list[tuple[Path_, int]]] | None = None,
) -> None:
    if lines_below is None:
        lines_below = _lines_below(layer)
    if not path and () not in merged.origin:
        merged.set_origin((), (index, None))
    into = _get(merged.data, path)
    over = _get(layer.data, path)
    for key, value in over.items():
        child = (*path, key)
        line = layer.lines.get(child)
        if value is None:
            into.pop(key, None)
            merged.forget(child)
            merged.set_origin(child, (index, line))
            continue
        current = into.get(key)
        if isinstance(value, dict) and isinstance(current, dict) and not _retyped(current, value):
            if child not in merged.origin:
                merged.set_origin(child, (index, line))
            _merge(merged, layer, index, child, lines_below)
            continue
        into[key] = _without_nulls(value)
        merged.forget(child)
        for sub, sub_line in lines_below.get(child, ()):
            merged.set_origin(sub, (index, sub_line))
        merged.set_origin(child, (index, line))


def _lines_below(layer: Layer) -> dict[Path_, list[tuple[Path_, int]]]:
    """Key path -> the (path, line) pairs of `layer.lines` at or below it, in file order."""
    below: dict[Path_, list[tuple[Path_, int]]] = {}
    for path, line in layer.lines.items():
        for end in range(1, len(path) + 1):
            below.setdefault(path[:end], []).append((path, line))
    return below


def _without_nulls(value: Any) -> Any:
    """A copy of `value` where mapping keys set to null are left out (null means "unset")."""
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return copy.deepcopy(value)


def _retyped(current: dict[str, Any], new: dict[str, Any]) -> bool:
    return any(
        tag in new and tag in current and new[tag] != current[tag] for tag in ("kind", "type")
    )


def _get(data: dict[str, Any], path: Path_) -> dict[str, Any]:
    for part in path:
        data = data[part]  # type: ignore[index]
    return data


# -- pydantic errors as messages that say what is allowed -------------------------------------


def _unwrap(tp: Any) -> Any:
    while True:
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            tp = typing.get_args(tp)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(tp) if a is not type(None)]
            if len(args) != 1:
                return tp
            tp = args[0]
        else:
            return tp


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _aliases(model: type[BaseModel]) -> dict[str, Any]:
    return {(f.alias or name): f for name, f in model.model_fields.items()}


def _walk(loc: tuple[Any, ...]) -> tuple[Path_, Any, type[BaseModel] | None]:
    """The data path of a pydantic `loc` without discriminator tags, its type, its parent model."""
    path: list[str | int] = []
    tp: Any = Spec
    parent: type[BaseModel] | None = None
    for part in loc:
        tp = _unwrap(tp) if tp is not None else None
        if tp is not None and typing.get_origin(tp) in (typing.Union, types.UnionType):
            member = next(
                (m for m in typing.get_args(tp) if _is_model(m) and part in _literals(m)), None
            )
            if member is not None:
                tp = member
                continue
        path.append(part)
        if _is_model(tp):
            parent = tp
            found = _aliases(tp).get(part)
            tp = found.annotation if found is not None else None
        elif typing.get_origin(tp) in (tuple, list):
            tp = typing.get_args(tp)[0]
        elif typing.get_origin(tp) is dict:
            tp = typing.get_args(tp)[1]
        else:
            tp = None
    return tuple(path), tp, parent


def _literals(model: type[BaseModel]) -> tuple[Any, ...]:
    for name in ("kind", "type"):
        found = model.model_fields.get(name)
        if found is not None and typing.get_origin(found.annotation) is Literal:
            return typing.get_args(found.annotation)
    return ()


def _tags(tp: Any) -> str:
    tp = _unwrap(tp) if tp is not None else None
    values: list[Any] = []
    if tp is not None:
        for member in typing.get_args(tp):
            if _is_model(member):
                values.extend(_literals(member))
    return ", ".join(f"'{v}'" for v in values) or "(unknown)"


# Keys that belong elsewhere: a more useful answer than the closest spelling.
_KEY_HINTS = {
    "roles": "confidential and public clients act for a signed-in user and get delegated scopes; "
    "give users roles with assignments, or use kind service for application permissions",
    "platform": "only public clients have a platform (spa, mobile or desktop)",
}


def _unknown_key(key: str, parent: type[BaseModel] | None) -> str:
    message = _unknown_key_message(key, parent)
    return message.replace(f"'{key}'", f"'{shown(key)}'", 1)


def _unknown_key_message(key: str, parent: type[BaseModel] | None) -> str:
    allowed = sorted(_aliases(parent)) if parent is not None else []
    if parent is Spec:
        allowed = [key for key in allowed if key not in _RESERVED]
    if parent is not None and key in _KEY_HINTS and parent.__name__.endswith("Client"):
        return f"unknown key '{key}'; {_KEY_HINTS[key]}"
    if to_camel(key) in allowed:
        return f"unknown key '{key}'; did you mean '{to_camel(key)}'? (keys are camelCase)"
    close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
    if close:
        return f"unknown key '{key}'; did you mean '{close[0]}'?"
    if allowed:
        return f"unknown key '{key}'; allowed: {', '.join(allowed)}"
    return f"unknown key '{key}'"


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, str):
        return f"'{shown(value)}'"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, bytes):
        return "!!binary data"
    return shown(str(value))


# What YAML 1.1 (and pydantic's lax mode) read as booleans: quoted, they are text that a reader
# takes for a flag.
_FLAG_WORDS = {
    **dict.fromkeys(("true", "yes", "y", "on", "1"), "true"),
    **dict.fromkeys(("false", "no", "n", "off", "0"), "false"),
}


def _quoted_hint(kind: str, value: Any) -> str:
    """`the string '30' ...; write 30 without quotes` for a quoted value that reads as meant."""
    if kind == "bool" and isinstance(value, str) and value.strip().lower() in _FLAG_WORDS:
        meant = _FLAG_WORDS[value.strip().lower()]
        return f" (a string, in quotes); write {meant} without quotes if {meant} is meant"
    if kind == "int" and isinstance(value, str) and value.strip().lstrip("+-").isdigit():
        return f" (a string, in quotes); write {int(value)} without quotes"
    if kind == "int" and isinstance(value, float) and value.is_integer():
        return f"; write {int(value)}"
    if kind == "bool" and isinstance(value, int) and not isinstance(value, bool):
        return " (a number)"
    return ""


def _message(kind: str, value: Any, ctx: dict[str, Any], tp: Any, msg: str, path: Path_) -> str:
    got = _show(value)
    literal = _unwrap(tp) if tp is not None else None
    choices = ""
    if typing.get_origin(literal) is Literal:
        choices = ", ".join(_show(v) for v in typing.get_args(literal))
    if kind == "missing":
        return f"is required; one of {choices}" if choices else "is required"
    if kind == "literal_error":
        return f"must be one of {choices or ctx.get('expected')}; got {got}"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return f"must be a whole number; got {got}{_quoted_hint('int', value)}"
    if kind in ("bool_type", "bool_parsing"):
        return f"must be true or false; got {got}{_quoted_hint('bool', value)}"
    if kind == "string_type":
        return f"must be text; got {got}"
    if kind in ("uuid_type", "uuid_parsing", "uuid_version"):
        return f"must be a GUID such as 00000000-0000-0000-0000-000000000000; got {got}"
    if kind in ("tuple_type", "list_type"):
        return f"must be a list; got {got}"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return f"must be a mapping of keys; got {got}"
    if kind == "greater_than_equal":
        return f"must be at least {ctx.get('ge')}; got {got}"
    if kind == "less_than_equal":
        extra = ""
        if path and path[-1] == "maxSecretLifetimeDays":
            extra = " (Entra's ceiling for a client secret: 24 months)"
        return f"must be at most {ctx.get('le')}{extra}; got {got}"
    if kind == "string_too_short":
        return f"must be at least {ctx.get('min_length')} characters long"
    if kind == "string_too_long":
        return f"must be at most {ctx.get('max_length')} characters long"
    if kind in ("value_error", "assertion_error"):
        return str(msg).removeprefix("Value error, ").removeprefix("Assertion failed, ")
    return str(msg)


# -- values that are not plain YAML -----------------------------------------------------------

# What PyYAML's safe loader makes of plain scalars, mappings and sequences; anything else came
# from a tag (`!!binary`, `!!set`, `!!omap`, `!!pairs`, `!!timestamp`) or an unquoted date.
_PLAIN = (str, int, float, bool, type(None), dict, list)


def _foreign_values(data: dict[str, Any]) -> list[tuple[Path_, Any]]:
    """(key path, value) of every value in `data` that is not plain YAML, in document order."""
    found: list[tuple[Path_, Any]] = []
    stack: list[tuple[Path_, Any]] = [((), data)]
    while stack:  # iterative: the layers were read within a depth budget, but stay safe
        path, value = stack.pop()
        if isinstance(value, dict):
            children: list[tuple[Path_, Any]] = [((*path, k), v) for k, v in value.items()]
        elif isinstance(value, list):
            children = [((*path, i), v) for i, v in enumerate(value)]
        else:
            if not isinstance(value, _PLAIN):
                found.append((path, value))
            continue
        stack.extend(reversed(children))
    return found


def _foreign_message(value: Any) -> str:
    plain = "fhir-apps reads plain YAML values only (text, numbers, true/false, lists, mappings)"
    if isinstance(value, dt.date):  # also datetime
        text = str(value)
        return (
            f"got the date {text}: YAML reads an unquoted date as a date, not as text; quote it "
            f"('{text}')"
        )
    if isinstance(value, bytes):
        return f"got !!binary data; {plain}: write the value itself, not its base64"
    if isinstance(value, set | frozenset):
        return f"got a !!set; {plain}: write a list"
    if isinstance(value, tuple):
        return f"got an !!omap or !!pairs entry; {plain}: write a mapping"
    return f"got a YAML {type(value).__name__}; {plain}"


# -- showing keys and messages -----------------------------------------------------------------

_MAX_PATH_SHOWN = 300
_MAX_MESSAGE_SHOWN = 2000


def _one_line(text: str, limit: int = _MAX_MESSAGE_SHOWN) -> str:
    """`text` as it is when it is one safe line of reasonable length, else escaped and bounded:
    a key or value echoed from a layer must not break or reorder the line a problem prints as."""
    if first_unsafe(text) is None and len(text) <= limit:
        return text
    return shown(text, limit)


def _key_path(path: Path_) -> str:
    return _one_line(format_path(path), _MAX_PATH_SHOWN)


# -- certificates ----------------------------------------------------------------------------


def _moment(today: dt.date | None) -> dt.datetime:
    """The moment certificates are judged at: the start of `today` (UTC), or now."""
    if today is None:
        return dt.datetime.now(dt.UTC)
    return dt.datetime.combine(today, dt.time.min, tzinfo=dt.UTC)


def _certificate_notes(
    certificate: PublicCertificate, now: dt.datetime, latest_end: dt.datetime
) -> tuple[str | None, list[str]]:
    """(problem, warnings) about a readable certificate at `now`: expired is a problem;
    expiring within 30 days, and what the parser tolerated (e.g. a negative serial number), are
    warnings. latest_end: when the client's last certificate ends; later than this one's end
    means its successor is already configured, which the warning says instead of "renew"."""
    ends = certificate.not_after
    if ends <= now:
        return (
            f"the certificate expired on {ends:%Y-%m-%d}; replace it (or, with a successor "
            "under certificateFiles, remove this file)",
            [],
        )
    notes = [f"{note} (reissue the certificate)" for note in certificate.warnings]
    if (ends - now).days < _CERT_WARN_DAYS:
        if latest_end > ends:
            notes.insert(
                0,
                f"the certificate expires on {ends:%Y-%m-%d}; its successor is configured "
                f"(valid until {latest_end:%Y-%m-%d}): remove this file once every app signs "
                "in with the new certificate",
            )
        else:
            notes.insert(0, f"the certificate expires on {ends:%Y-%m-%d}; renew it soon")
    return None, notes


def _set(data: dict[str, Any], path: Path_, value: Any) -> None:
    """Set `data[path[0]][path[1]]... = value` (the path exists)."""
    target: Any = data
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
