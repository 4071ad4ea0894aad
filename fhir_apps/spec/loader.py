"""Load one stack's spec: read the YAML layers, merge them, validate, report every problem.

Layers, in order: `<config>/base.yaml`, `<config>/environments/<environment>.yaml`, then
`<config>/stacks/<stack>.yaml` when it exists. Maps merge by key; lists and scalars replace; a
map whose `kind` or `type` changes replaces the earlier map; `null` removes a key (back to its
default); a client with `enabled: false` after the merge is left out. Each problem names the layer
that set the value (`<file>: <path.to.key>: <message>`).
"""

from __future__ import annotations

import copy
import difflib
import re
import types
import typing
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ValidationError
from pydantic.alias_generators import to_camel

from fhir_apps.spec.errors import ConfigError, Problem
from fhir_apps.spec.model import Spec
from fhir_apps.spec.semantics import spec_problems, spec_warnings
from fhir_apps.spec.yamlio import Layer, Path_, format_path, read_layer

__all__ = [
    "DEPRECATION_AZURE_API_FOR_FHIR",
    "load_spec",
    "load_spec_with_warnings",
    "stack_environment",
]

DEPRECATION_AZURE_API_FOR_FHIR = (
    "azure-api-for-fhir is retired on 2026-09-30 and takes no new deployments since 2025-04-01; "
    "plan the move to kind ahds (Azure Health Data Services)"
)
ENVIRONMENT_KEY = "fhir-apps:environment"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
# Keys whose value is chosen at load time, never written in a layer.
_RESERVED = {"environment": "--environment", "stack": "--stack"}
_CERT_WARN_DAYS = 30


def load_spec(
    config_dir: Path | str = "config", environment: str | None = None, stack: str | None = None
) -> Spec:
    """The validated spec for `environment` (and `stack`); raises `ConfigError` with every problem.

    Warnings (e.g. the azure-api-for-fhir retirement) are dropped here; use
    `load_spec_with_warnings` to show them.
    """
    if environment is None:  # required; a default only so that it may follow config_dir
        raise TypeError("load_spec() missing required argument: 'environment'")
    return load_spec_with_warnings(config_dir, environment, stack)[0]


def load_spec_with_warnings(
    config_dir: Path | str = "config", environment: str | None = None, stack: str | None = None
) -> tuple[Spec, tuple[str, ...]]:
    """Like `load_spec`, also returning warnings, each `<file>: <path>: <message>`."""
    if environment is None:  # required; a default only so that it may follow config_dir
        raise TypeError("load_spec_with_warnings() missing required argument: 'environment'")
    return _Load(Path(config_dir), environment, stack).run()


def stack_environment(project_dir: Path | str, stack: str) -> str:
    """The environment of a Pulumi stack: `fhir-apps:environment` in `Pulumi.<stack>.yaml`.

    Defaults to the stack name when the file or the key is absent.
    """
    path = Path(project_dir) / f"Pulumi.{stack}.yaml"
    if not path.is_file():
        return stack
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError, yaml.YAMLError) as exc:
        raise ConfigError([Problem(str(path), "", f"cannot read the stack file: {exc}")]) from None
    config = data.get("config") if isinstance(data, dict) else None
    value = config.get(ENVIRONMENT_KEY) if isinstance(config, dict) else None
    if isinstance(value, dict):
        value = value.get("value")
    if value is None:
        return stack
    if not isinstance(value, str) or not _NAME.match(value):
        raise ConfigError(
            [
                Problem(
                    str(path),
                    f"config.{ENVIRONMENT_KEY}",
                    "must be an environment name (letters, digits, '.', '-', '_')",
                )
            ]
        )
    return value


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
    def __init__(self, config_dir: Path, environment: str, stack: str | None) -> None:
        self.config_dir = config_dir
        self.environment = environment
        self.stack = stack
        self.layers: list[Layer] = []
        self.problems: list[Problem] = []
        self.merged = _Merged()
        self.broken = False
        self._kept_assignments: list[int] = []

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
        warnings = self._certificates()
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
            if name is not None and not _NAME.match(name):
                self.problems.append(
                    Problem(
                        flag,
                        "",
                        f"'{name}' is not a valid name; use letters, digits, '.', '-' and '_' "
                        "(at most 64, starting with a letter or digit)",
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
            self.broken = self.broken or layer.broken

    def _missing_environment(self) -> str:
        folder = self.config_dir / "environments"
        found = sorted(p.stem for p in folder.glob("*.yaml")) if folder.is_dir() else []
        listing = ", ".join(found) if found else "none"
        return (
            f"environment '{self.environment}' has no file; available environments: {listing} "
            f"(files in {folder})"
        )

    def _certificates(self) -> list[str]:
        warnings: list[str] = []
        clients = self.merged.data.get("clients")
        if not isinstance(clients, dict):
            return warnings
        for key, client in clients.items():
            if not isinstance(client, dict) or client.get("kind") == "public":
                continue  # a public client's credential is an error of its own
            credential = client.get("credential")
            if not isinstance(credential, dict) or credential.get("type") != "certificate":
                continue
            value = credential.get("certificateFile")
            if not isinstance(value, str):
                continue
            path: Path_ = ("clients", key, "credential", "certificateFile")
            resolved = self.config_dir / value
            problem, warning = _check_certificate(resolved, self.config_dir)
            if problem:
                self._add(path, problem)
                continue
            if warning:
                warnings.append(self._at(path, warning))
            credential["certificateFile"] = str(resolved.resolve())
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
        self.problems.append(Problem(self.layers[index].file, format_path(path), message, line))

    def _at(self, path: Path_, message: str) -> str:
        index, _ = self._where(path)
        return f"{self.layers[index].file}: {format_path(path)}: {message}"

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
        return f"'{value}'"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    return str(value)


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
        return f"must be a whole number; got {got}"
    if kind in ("bool_type", "bool_parsing"):
        return f"must be true or false; got {got}"
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


# -- certificates ----------------------------------------------------------------------------


def _check_certificate(path: Path, config_dir: Path) -> tuple[str | None, str | None]:
    """(problem, warning) for a certificate file that must hold only public certificates."""
    try:
        exists = path.is_file()
    except (OSError, ValueError):
        exists = False
    if not exists:
        return (
            f"certificate file {path} does not exist; paths are relative to the config "
            f"directory ({config_dir})",
            None,
        )
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, ValueError):
        return f"cannot read {path} as a PEM text file (-----BEGIN CERTIFICATE-----)", None
    if "PRIVATE KEY" in text:
        return (
            f"{path} contains a private key; commit only the public certificate "
            "(-----BEGIN CERTIFICATE-----) and keep the private key out of the repository",
            None,
        )
    if "-----BEGIN CERTIFICATE-----" not in text:
        return f"{path} holds no PEM certificate (-----BEGIN CERTIFICATE-----)", None
    try:
        from cryptography import x509
    except ImportError:  # pragma: no cover - structure checked above is enough without it
        return None, None
    try:
        certificates = x509.load_pem_x509_certificates(text.encode())
    except ValueError as exc:
        return f"{path} holds a PEM block that is not a valid certificate: {exc}", None
    now = datetime.now(UTC)
    ends = min(c.not_valid_after_utc for c in certificates)
    if ends <= now:
        return f"the certificate in {path} expired on {ends:%Y-%m-%d}; replace it", None
    if (ends - now).days < _CERT_WARN_DAYS:
        return None, f"the certificate in {path} expires on {ends:%Y-%m-%d}; renew it soon"
    return None, None
