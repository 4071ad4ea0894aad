"""Load one stack's spec: read the YAML layers, merge them, validate, report every problem.

Layers, in order: `<config>/base.yaml`, `<config>/environments/<environment>.yaml`, then
`<config>/stacks/<stack>.yaml` when it exists. Maps merge by key; lists and scalars replace; a
map whose `kind` or `type` changes replaces the earlier map; `null` removes a key (back to its
default); a client with `enabled: false` after the merge is left out. Each problem names the layer
that set the value (`<file>: <path.to.key>: <message>`).
"""

from __future__ import annotations

import datetime as dt
import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from fhir_apps.certificates import (
    CertificateFileError,
    PublicCertificate,
    certificate_path,
    read_public_certificate,
)
from fhir_apps.safeio.text import shown
from fhir_apps.spec.errors import ConfigError, Problem
from fhir_apps.spec.merge import Merged, merge_layer, set_at
from fhir_apps.spec.messages import (
    RESERVED_KEYS,
    foreign_message,
    foreign_values,
    key_path,
    one_line,
    pydantic_message,
    show,
    tags,
    unknown_key,
    walk,
)
from fhir_apps.spec.model import Spec
from fhir_apps.spec.pulumifiles import is_valid_name
from fhir_apps.spec.semantics import spec_problems, spec_warnings
from fhir_apps.spec.yamlio import (
    Layer,
    Path_,
    format_path,
    read_layer,
)

__all__ = [
    "DEPRECATION_AZURE_API_FOR_FHIR",
    "LoadedStack",
    "load_spec",
    "load_spec_with_warnings",
    "load_stack",
]

DEPRECATION_AZURE_API_FOR_FHIR = (
    "azure-api-for-fhir is retired on 2026-09-30 and takes no new deployments since 2025-04-01; "
    "plan the move to kind ahds (Azure Health Data Services)"
)
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
        self.merged = Merged()
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
            for key, flag in RESERVED_KEYS.items():
                if key in layer.data:
                    self._add((key,), f"is set by {flag}, not in a config file; remove it", index)
            merge_layer(self.merged, layer, index)
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
        for key in RESERVED_KEYS:
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
        for path, value in foreign_values(data):
            if path[0] in RESERVED_KEYS:
                continue  # reported as a key that does not belong in YAML at all
            self._foreign.append(path)
            self._add(path, foreign_message(value))

    def _validate(self, data: dict[str, Any]) -> Spec | None:
        """Validate; on structural errors only in some clients or assignments, leave those out
        and apply the cross-field rules to the rest, so one run reports as much as it can."""
        try:
            spec = Spec.model_validate(data, by_alias=True, by_name=False)
        except ValidationError as exc:
            errors = exc.errors()
            for error in errors:
                self._pydantic(error)
            rest = self._validate_rest(data, errors)
            if rest is None:
                return None
            spec = rest
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
            if name is not None and not is_valid_name(name):
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
            set_at(credential, path[3:], str(resolved))
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
            Problem(self.layers[index].file, key_path(path), one_line(message), line)
        )

    def _at(self, path: Path_, message: str) -> str:
        index, _ = self._where(path)
        return f"{self.layers[index].file}: {key_path(path)}: {one_line(message)}"

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
        path, tp, parent = walk(loc)
        if any(path[: len(foreign)] == foreign for foreign in self._foreign):
            return  # already reported as a value that is not plain YAML
        if format_path(path) in self._unreadable:
            return  # already reported by the reader, with its line
        kind = error["type"]
        value = error.get("input")
        ctx = error.get("ctx") or {}
        if kind in ("union_tag_not_found", "union_tag_invalid"):
            name = str(ctx.get("discriminator", "kind")).strip("'\"")
            choices = tags(tp)
            path = (*path, name)
            if kind == "union_tag_not_found":
                message = f"is required; one of {choices}"
                if not isinstance(value, dict):
                    path, message = path[:-1], f"must be a mapping of keys; got {show(value)}"
            else:
                message = f"must be one of {choices}; got {show(ctx.get('tag'))}"
        elif kind == "extra_forbidden":
            message = unknown_key(str(path[-1]), parent)
        else:
            message = pydantic_message(kind, value, ctx, tp, error.get("msg", ""), path)
        self._add(path, message)


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
