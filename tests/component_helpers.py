"""Run `components.stack.build` (or one component) under Pulumi's mocks and record the result.

Each run gets a fresh mocked runtime whose monitor records every registration as the engine
would receive it (camelCase inputs, import id, protect, delete-before-replace) plus every invoke,
so tests assert on exactly what `pulumi up` would send.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
from google.protobuf import json_format
from pulumi.runtime import rpc, settings
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from components.stack import build
from fhir_apps.render.engine import RecordingMonitor, RenderedResource, plain, start_runtime
from fhir_apps.render.mocks import PlaceholderMocks
from fhir_apps.spec.model import Spec

TODAY = dt.date(2025, 6, 1)
CONFIG_DIR = Path(__file__).resolve().parents[1] / "config"

APPLICATION = "azuread:index/application:Application"
SERVICE_PRINCIPAL = "azuread:index/servicePrincipal:ServicePrincipal"
PASSWORD = "azuread:index/applicationPassword:ApplicationPassword"
CERTIFICATE = "azuread:index/applicationCertificate:ApplicationCertificate"
FEDERATED = (
    "azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential"
)
ROLE_ASSIGNMENT = "azuread:index/appRoleAssignment:AppRoleAssignment"
GRANT = (
    "azuread:index/servicePrincipalDelegatedPermissionGrant:"
    "ServicePrincipalDelegatedPermissionGrant"
)
CREDENTIAL_TYPES = (PASSWORD, CERTIFICATE, FEDERATED)

OWNER = "11111111-1111-4111-8111-111111111111"
GROUP = "22222222-2222-4222-8222-222222222222"
DEPLOYER = "<objectId of deploying principal>"


class _RecordingMocks(PlaceholderMocks):
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def call(self, args: pulumi.runtime.MockCallArgs) -> Any:
        self.calls.append((args.token, dict(args.args)))
        return super().call(args)


class _Monitor(RecordingMonitor):
    """The shared recording monitor, plus each resource's delete-before-replace flag and
    ignore_changes (as the engine receives them)."""

    def __init__(self, mocks: pulumi.runtime.Mocks) -> None:
        super().__init__(mocks)
        self.delete_before_replace: dict[str, bool] = {}
        self.ignore_changes: dict[str, tuple[str, ...]] = {}

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 - the gRPC method name
        response = super().RegisterResource(request)
        self.delete_before_replace[response.urn] = bool(request.deleteBeforeReplace)
        self.ignore_changes[response.urn] = tuple(request.ignoreChanges)
        return response


@dataclass(frozen=True)
class Run:
    """What one mocked run registered and exported."""

    resources: dict[str, RenderedResource]
    delete_before_replace: dict[str, bool]
    ignore_changes: dict[str, tuple[str, ...]]
    duplicates: list[str]
    calls: list[tuple[str, dict[str, Any]]]
    outputs: dict[str, Any]  # plain JSON, secrets as "[secret]"
    raw_outputs: dict[str, Any]  # the wire form, secrets still wrapped with their values

    def of_type(self, type_: str) -> dict[str, RenderedResource]:
        """URN -> resource for every resource of `type_`."""
        return {urn: r for urn, r in self.resources.items() if r.type == type_}

    def named(self, name: str) -> RenderedResource:
        """The one resource whose logical name is `name`."""
        found = [r for r in self.resources.values() if r.name == name]
        assert len(found) == 1, f"expected one resource named {name}, found {len(found)}"
        return found[0]

    def text(self) -> str:
        """Everything recorded, as one JSON text (to scan for leaked values)."""
        return json.dumps(
            {
                "resources": [self.resources[urn].as_dict() for urn in sorted(self.resources)],
                "outputs": self.outputs,
            },
            sort_keys=True,
        )


def run_program(program: Callable[[], Any], *, stack: str = "test") -> Run:
    """Run `program` (which creates resources and may return outputs) in a fresh mocked runtime."""
    mocks = _RecordingMocks()
    monitor = _Monitor(mocks)
    start_runtime(mocks, "fhir-apps", stack, {}, monitor)  # the render's own setup

    def body() -> None:
        for name, value in (program() or {}).items():
            pulumi.export(name, value)

    try:
        _sync_await(run_pulumi_func(body))
        root = settings.get_root_resource()
        struct = _sync_await(rpc.serialize_properties(dict(root.outputs), {}))
    finally:
        pulumi.runtime.set_all_config({})
    raw = json_format.MessageToDict(struct)
    return Run(
        resources=dict(monitor.records),
        delete_before_replace=dict(monitor.delete_before_replace),
        ignore_changes=dict(monitor.ignore_changes),
        duplicates=list(monitor.duplicates),
        calls=list(mocks.calls),
        outputs=plain(raw),
        raw_outputs=raw,
    )


def run_build(spec: Spec, *, today: dt.date = TODAY, config_dir: Path = CONFIG_DIR) -> Run:
    """Run `components.stack.build(spec)` under mocks."""
    return run_program(lambda: build(spec, today=today, config_dir=config_dir), stack=spec.stack)


def make_spec(**overrides: Any) -> Spec:
    """A minimal valid oss spec (camelCase keys), with top-level keys replaced by `overrides`."""
    data: dict[str, Any] = {
        "environment": "dev",
        "stack": "dev",
        "owners": [OWNER],
        "fhirServer": {
            "kind": "oss",
            "url": "https://fhir-dev.contoso.com",
            "appRoles": ["globalReader", "globalWriter", "globalAdmin"],
            "scopes": ["user_impersonation", "patient.all.read"],
        },
    }
    data.update(overrides)
    return Spec.model_validate(data)


def ahds_server(**overrides: Any) -> dict[str, Any]:
    """A managed (AHDS) fhirServer block."""
    return {"kind": "ahds", "url": "https://ws-fhir.fhir.azurehealthcareapis.com", **overrides}


def urn_msg(resource: RenderedResource) -> str:
    """The assertion message naming a resource."""
    return f"resource {resource.urn}"
