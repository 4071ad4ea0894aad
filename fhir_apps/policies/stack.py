"""Stack-wide policy checks: credentials and owners joined to their application.

A credential or owner may be a split resource (ApplicationPassword, ApplicationOwner, ...) whose
`applicationId` points at an Application of the same stack; these checks take every resource of
the stack, fold the split resources into their application and return `(urn, message)` pairs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from fhir_apps.policies.inputs import CREDENTIAL_TYPES, known, mapping, strings, truthy
from fhir_apps.resource_types import (
    APPLICATION,
    APPLICATION_CERTIFICATE,
    APPLICATION_FALLBACK_PUBLIC_CLIENT,
    APPLICATION_FEDERATED_IDENTITY_CREDENTIAL,
    APPLICATION_FLEXIBLE_FEDERATED_IDENTITY_CREDENTIAL,
    APPLICATION_OWNER,
    APPLICATION_PASSWORD,
    APPLICATION_REDIRECT_URIS,
    UNKNOWN,
)

__all__ = ["StackResource", "owner_violations", "public_client_credential_violations"]


@dataclass(frozen=True)
class StackResource:
    """One resource of a stack, as a stack check sees it.

    `inputs`: its properties (inputs in a render; outputs, which include the inputs, under the
    engine). `application_refs`: URNs of the resources its `applicationId` depends on (the
    engine's property dependencies; a render's `dependsOn`). `resource_id`: its id when known.
    """

    urn: str
    type: str
    inputs: Mapping[str, Any]
    application_refs: tuple[str, ...] = ()
    resource_id: str | None = None


@dataclass
class _App:
    resource: StackResource
    web_uris: int = 0
    public_uris: int = 0  # SPA and publicClient (mobile, desktop) redirect URIs
    fallback: bool = False
    owned: bool = False
    keys: set[str] = field(default_factory=set)

    @property
    def public(self) -> bool:
        # A hybrid app (web and SPA redirect URIs) is confidential: its web part may hold a secret.
        return self.fallback or (self.public_uris > 0 and self.web_uris == 0)

    @property
    def label(self) -> str:
        return self.resource.urn.rsplit("::", 1)[-1]


def _applications(resources: Iterable[StackResource]) -> dict[str, _App]:
    apps: dict[str, _App] = {}
    for resource in resources:
        if resource.type != APPLICATION:
            continue
        app = _App(resource)
        inputs = resource.inputs
        app.web_uris = len(strings(mapping(inputs.get("web")).get("redirectUris")))
        app.public_uris = len(
            strings(mapping(inputs.get("singlePageApplication")).get("redirectUris"))
        ) + len(strings(mapping(inputs.get("publicClient")).get("redirectUris")))
        app.fallback = truthy(inputs.get("fallbackPublicClientEnabled"))
        app.owned = bool(strings(inputs.get("owners")))
        # What an `applicationId` may hold for this app: its id `/applications/<objectId>`.
        object_id = inputs.get("objectId")
        if isinstance(object_id, str) and known(object_id):
            app.keys.add(f"/applications/{object_id}")
        if resource.resource_id:
            app.keys.add(resource.resource_id)
        apps[resource.urn] = app
    return apps


def _application_of(resource: StackResource, apps: Mapping[str, _App]) -> _App | None:
    """The application a split resource (`applicationId`) belongs to, if it is in the stack."""
    application_id = resource.inputs.get("applicationId")
    if isinstance(application_id, str) and known(application_id):
        for app in apps.values():
            if application_id in app.keys:
                return app
    candidates = {urn for urn in resource.application_refs if urn in apps}
    if len(candidates) == 1:
        return apps[candidates.pop()]
    return None  # not in this stack (or ambiguous): nothing to judge it by


def _joined(
    resources: Sequence[StackResource],
) -> tuple[dict[str, _App], list[tuple[StackResource, _App]]]:
    """Applications with their split resources folded in, and every split resource's app."""
    apps = _applications(resources)
    members: list[tuple[StackResource, _App]] = []
    for resource in resources:
        if resource.type == APPLICATION or not resource.type.startswith("azuread:"):
            continue
        app = _application_of(resource, apps)
        if app is None:
            continue
        members.append((resource, app))
        inputs = resource.inputs
        if resource.type == APPLICATION_FALLBACK_PUBLIC_CLIENT and truthy(inputs.get("enabled")):
            app.fallback = True
        elif resource.type == APPLICATION_REDIRECT_URIS:
            count = len(strings(inputs.get("redirectUris")))
            if inputs.get("type") == "Web":
                app.web_uris += count
            elif inputs.get("type") in ("SPA", "PublicClient"):
                app.public_uris += count
        elif resource.type == APPLICATION_OWNER and known(inputs.get("ownerObjectId")):
            app.owned = True
    return apps, members


_CREDENTIAL_NAMES: Final = {
    APPLICATION_PASSWORD: "client secret (ApplicationPassword)",
    APPLICATION_CERTIFICATE: "certificate (ApplicationCertificate)",
    APPLICATION_FEDERATED_IDENTITY_CREDENTIAL: (
        "federated credential (ApplicationFederatedIdentityCredential)"
    ),
    APPLICATION_FLEXIBLE_FEDERATED_IDENTITY_CREDENTIAL: (
        "federated credential (ApplicationFlexibleFederatedIdentityCredential)"
    ),
}


def _why_public(app: _App) -> str:
    if app.fallback:
        return "fallbackPublicClientEnabled is true"
    return "it has SPA or publicClient redirect URIs and no web redirect URI"


def public_client_credential_violations(
    resources: Sequence[StackResource], config: Mapping[str, Any] | None = None
) -> list[tuple[str, str]]:
    """Credentials of public clients (SPA, mobile, desktop): they cannot keep a secret, so any
    credential on them is either unused or leaked. Reported at the credential's URN.
    """
    del config
    apps, members = _joined(resources)
    found = []
    for resource, app in members:
        if resource.type in CREDENTIAL_TYPES and app.public:
            found.append(
                (
                    resource.urn,
                    f"{_CREDENTIAL_NAMES[resource.type]} on public client '{app.label}' "
                    f"({_why_public(app)}): public clients hold no credential of any kind; "
                    "remove it, or make the client confidential (web redirect URIs, "
                    "fallbackPublicClientEnabled false)",
                )
            )
    for urn, app in apps.items():
        if app.public and isinstance(app.resource.inputs.get("password"), Mapping):
            found.append(
                (
                    urn,
                    f"password on public client '{app.label}' ({_why_public(app)}): public "
                    "clients hold no credential of any kind; remove it",
                )
            )
    return sorted(found)


def owner_violations(
    resources: Sequence[StackResource], config: Mapping[str, Any] | None = None
) -> list[tuple[str, str]]:
    """Applications without owners (neither `owners` nor an ApplicationOwner): nobody is
    accountable for them, and only tenant-wide admins can fix them.
    """
    del config
    apps, _ = _joined(resources)
    return sorted(
        (
            urn,
            f"application '{app.label}' has no owners: set `owners` (object ids of users or "
            "service principals) or add an ApplicationOwner",
        )
        for urn, app in apps.items()
        if not app.owned and app.resource.inputs.get("owners") not in (UNKNOWN,)
    )
