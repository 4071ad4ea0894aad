"""`check --all`: every environment and stack of a config, and what only shows across stacks.

One stack's check cannot see that another stack, deployed to the same tenant, already uses a
display name or an identifier URI (`preventDuplicateNames` and Entra then stop the second
`pulumi up`), that one GitHub environment's token signs in as two applications because they
share a federated subject, or that two stacks overwrite each other's secret in one Key Vault.

The stacks are the `Pulumi.<stack>.yaml` files of the project (each names its environment),
the `stacks/<stack>.yaml` layers of the config, and every environment no stack deploys (checked
as the stack of its own name). A value that a stack inherits from a lower layer is reported in
the file that set it, with the layer to override it in for that stack.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from fhir_apps.arm import key_vault_secret_name
from fhir_apps.safeio.text import shown
from fhir_apps.spec.errors import ConfigError, Problem
from fhir_apps.spec.loader import LoadedStack, load_stack
from fhir_apps.spec.model import FederatedCredential, SecretCredential, Spec
from fhir_apps.spec.pulumifiles import stack_environment
from fhir_apps.spec.yamlio import Path_, format_path

__all__ = ["AllStacks", "Target", "check_all", "targets"]

# Clients and server apps have Entra display names; this names the server's in messages.
_SERVER = "fhirServer"


@dataclass(frozen=True, order=True)
class Target:
    """One stack to check and the environment it deploys."""

    environment: str
    stack: str


@dataclass
class AllStacks:
    """The result of `check_all`: problem and warning lines, and the stacks that loaded."""

    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    stacks: list[LoadedStack] = field(default_factory=list)


def targets(config_dir: Path, project_dir: Path) -> list[Target]:
    """Every stack of the project and the config, and every environment no stack deploys.

    Raises ConfigError when a stack file names its environment wrongly (the loader's message).
    """
    stacks = {p.name[len("Pulumi.") : -len(".yaml")] for p in project_dir.glob("Pulumi.*.yaml")}
    stacks |= {p.stem for p in (config_dir / "stacks").glob("*.yaml")}
    found = {Target(stack_environment(project_dir, stack), stack) for stack in stacks if stack}
    deployed = {target.environment for target in found}
    found |= {
        Target(p.stem, p.stem)
        for p in (config_dir / "environments").glob("*.yaml")
        if p.stem not in deployed
    }
    return sorted(found)


def check_all(
    config_dir: Path,
    project_dir: Path,
    *,
    today: dt.date | None = None,
    warn_days: int | None = None,
) -> AllStacks:
    """Load every target (see `targets`), then apply the rules that span stacks.

    today: the day certificates and secrets are judged on (default: the real day).
    warn_days: the secret expiry window, as `check --warn-days` (default: each stack's policy).
    """
    from fhir_apps.secret_schedule import expiry_warnings

    result = AllStacks()
    try:
        found = targets(config_dir, project_dir)
    except ConfigError as error:
        result.problems += [str(problem) for problem in error.problems]
        return result
    if not found:
        result.problems.append(
            f"{shown(str(config_dir), 400)}: no environment to check: neither "
            "environments/<environment>.yaml nor a Pulumi.<stack>.yaml was found; run from the "
            "project directory, or give --config-dir"
        )
        return result
    per_stack: dict[str, list[tuple[Target, tuple[str, ...]]]] = {}
    for target in found:
        # An environment no stack deploys is checked without a stack (the loader would warn
        # that the stack named like it does not exist).
        named = (project_dir / f"Pulumi.{target.stack}.yaml").is_file() or (
            config_dir / "stacks" / f"{target.stack}.yaml"
        ).is_file()
        try:
            loaded = load_stack(
                config_dir, target.environment, target.stack if named else None, today=today
            )
        except ConfigError as error:
            for problem in error.problems:
                per_stack.setdefault(str(problem), []).append((target, _layers(config_dir, target)))
            continue
        result.stacks.append(loaded)
        day = today or dt.date.today()
        lines = list(loaded.warnings)
        lines += [
            f"stack {target.stack}: {line}"
            for line in expiry_warnings(
                loaded.spec, day, warn_days=warn_days, project_dir=project_dir
            )
        ]
        result.warnings += [line for line in lines if line not in result.warnings]
    result.problems += [_with_stacks(line, seen) for line, seen in per_stack.items()]
    result.problems += _collisions(result.stacks)
    return result


def _layers(config_dir: Path, target: Target) -> tuple[str, ...]:
    """The layer files a target would merge, as the loader names them."""
    files = [config_dir / "base.yaml", config_dir / "environments" / f"{target.environment}.yaml"]
    stack_file = config_dir / "stacks" / f"{target.stack}.yaml"
    if stack_file.is_file():
        files.append(stack_file)
    return tuple(str(path) for path in files)


def _with_stacks(line: str, seen: list[tuple[Target, tuple[str, ...]]]) -> str:
    """A problem of some stacks, said once: when it sits in a layer that more stacks share but
    only some fail (the value is wrong only in their context), name them and where to override
    it for each; a problem of every stack that reads the layer is the layer's own."""
    origin = line.split(": ", 1)[0]
    below = [(target, layers) for target, layers in seen if origin in layers[:-1]]
    if not below:
        return line
    hints = "; ".join(
        f"stack {target.stack} inherits it: override it in {layers[-1]}" for target, layers in below
    )
    return f"{line} ({hints})"


# -- the rules across stacks -------------------------------------------------------------------


@dataclass(frozen=True)
class _Use:
    """One use of a value that must be unique: in which stack, at which key."""

    loaded: LoadedStack
    path: Path_
    what: str  # how the message names the owner, e.g. `clients.ingest`
    value: str  # the value as the message shows it (the group compares it normalised)

    @property
    def stack(self) -> str:
        return self.loaded.spec.stack


def _collisions(stacks: list[LoadedStack]) -> list[str]:
    """Display names and identifier URIs are unique per tenant (Entra's own rule); federated
    subjects and Key Vault secrets everywhere (a token or a vault does not stop at a tenant)."""
    problems: list[str] = []
    for groups, per_tenant in (
        (_display_names(stacks), True),
        (_identifier_uris(stacks), True),
        (_subjects(stacks), False),
        (_vault_secrets(stacks), False),
    ):
        for (kind, _), uses in sorted(groups.items()):
            problems += _report(kind, uses, per_tenant=per_tenant)
    return problems


def _report(kind: str, uses: list[_Use], *, per_tenant: bool) -> Iterator[str]:
    """One problem per use that collides with an earlier one (in stack order)."""
    for index, use in enumerate(uses):
        for earlier in uses[:index]:
            if per_tenant and earlier.stack == use.stack:
                continue  # within one stack the stack's own check reports it
            if per_tenant and not _same_tenant(earlier.loaded.spec, use.loaded.spec):
                continue
            yield _problem(use, _message(kind, use, earlier))
            break


def _same_tenant(a: Spec, b: Spec) -> bool:
    """Equal tenant ids, or either unknown offline (the deploying principal's tenant)."""
    return a.tenant.id is None or b.tenant.id is None or a.tenant.id == b.tenant.id


def _problem(use: _Use, message: str) -> str:
    """`<file>: <key>: <message>` in the layer that set the value, naming the layer to override
    it in when the stack inherits it from a lower one."""
    origin = use.loaded.origin(use.path)
    top = use.loaded.layers[-1]
    if origin != top:
        message += f"; stack {use.stack} inherits it from {origin}: override it in {top}"
    return str(Problem(origin, format_path(use.path), message))


def _in(use: _Use) -> str:
    return f"{use.what} in stack {use.stack}"


def _message(kind: str, use: _Use, earlier: _Use) -> str:
    other = _in(earlier)
    if kind == "display name":
        return (
            f"display name '{shown(use.value)}' is also the display name of {other}, in the "
            "same tenant (ignoring case); preventDuplicateNames stops the `pulumi up` that comes "
            "second: set another displayName (or naming.prefix) for this stack"
        )
    if kind == "identifier URI":
        return (
            f"identifier URI '{shown(use.value)}' is also the identifier URI of {other}, in the "
            "same tenant; Entra allows one application per identifier URI: give this stack "
            "another server URL"
        )
    if kind == "federated subject":
        return (
            f"federated subject {use.value} is also a subject of {other}: one workflow's token "
            "would sign in as both applications; give each client (and stack) its own subject, "
            "e.g. its own GitHub environment"
        )
    return (
        f"{use.what} writes the Key Vault secret {use.value}, which {other} writes too; each run "
        "would overwrite the other stack's secret: give one of them another vault "
        "(credential.keyVaultId) or another client key"
    )


def _display_names(stacks: list[LoadedStack]) -> dict[tuple[str, str], list[_Use]]:
    uses: dict[tuple[str, str], list[_Use]] = {}
    for loaded in stacks:
        spec = loaded.spec
        server = spec.fhir_server
        if server.creates_resource_app():
            name = spec.server_display_name()
            path: Path_ = (_SERVER, "displayName") if server.display_name else (_SERVER,)
            uses.setdefault(("display name", name.casefold()), []).append(
                _Use(loaded, path, "the FHIR resource app", name)
            )
        for key, client in spec.enabled_clients().items():
            path = ("clients", key, "displayName") if client.display_name else ("clients", key)
            name = spec.display_name(key)
            uses.setdefault(("display name", name.casefold()), []).append(
                _Use(loaded, path, f"clients.{key}", name)
            )
    return _shared(uses)


def _identifier_uris(stacks: list[LoadedStack]) -> dict[tuple[str, str], list[_Use]]:
    uses: dict[tuple[str, str], list[_Use]] = {}
    for loaded in stacks:
        spec = loaded.spec
        server = spec.fhir_server
        audience = spec.audience()
        if audience is None or not server.creates_resource_app():
            continue  # a managed service's first-party app is Microsoft's, not this stack's
        path: Path_ = (_SERVER, "url") if server.url is not None else (_SERVER, "deploy")
        uses.setdefault(("identifier URI", audience.casefold().rstrip("/")), []).append(
            _Use(loaded, path, "the FHIR resource app", audience)
        )
    return _shared(uses)


def _subjects(stacks: list[LoadedStack]) -> dict[tuple[str, str], list[_Use]]:
    uses: dict[tuple[str, str], list[_Use]] = {}
    for loaded in stacks:
        for key, client in loaded.spec.enabled_clients().items():
            credential = client.credential
            if not isinstance(credential, FederatedCredential):
                continue
            base: Path_ = ("clients", key, "credential")
            for subject in credential.all_subjects():
                path: Path_ = (
                    (*base, "subject")
                    if subject == credential.subject
                    else (*base, "subjects", credential.subjects.index(subject))
                )
                # Entra matches issuer and subject exactly (case-sensitive).
                value = f"'{shown(subject)}' (issuer {shown(credential.issuer)})"
                uses.setdefault(
                    ("federated subject", f"{credential.issuer}\n{subject}"), []
                ).append(_Use(loaded, path, f"clients.{key}", value))
    return _shared(uses)


def _vault_secrets(stacks: list[LoadedStack]) -> dict[tuple[str, str], list[_Use]]:
    uses: dict[tuple[str, str], list[_Use]] = {}
    for loaded in stacks:
        spec = loaded.spec
        for key, client in spec.enabled_clients().items():
            credential = client.credential
            if not isinstance(credential, SecretCredential):
                continue
            vault = credential.key_vault_id or spec.secret_store.key_vault_id
            if vault is None:
                continue
            path: Path_ = (
                ("clients", key, "credential", "keyVaultId")
                if credential.key_vault_id
                else ("secretStore", "keyVaultId")
            )
            name = key_vault_secret_name(key)
            value = f"'{name}' in {shown(vault.rstrip('/'))}"
            # ARM ids and Key Vault secret names compare case-insensitively.
            normalised = f"{vault.rstrip('/')}\n{name}".casefold()
            uses.setdefault(("Key Vault secret", normalised), []).append(
                _Use(loaded, path, f"clients.{key}", value)
            )
    return _shared(uses)


def _shared(uses: dict[tuple[str, str], list[_Use]]) -> dict[tuple[str, str], list[_Use]]:
    return {key: found for key, found in uses.items() if len(found) > 1}
