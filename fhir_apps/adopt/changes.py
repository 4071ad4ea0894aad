"""The adoption plan: what the first `pulumi up` changes in the existing objects, per object and
property (today's value, the config's value), computed offline from the Graph export and a
rendering of the config.

Why it matters: since Pulumi 3.174.0 an object with an import id is imported and then updated in
the same run (docs/adopt.md), so every difference between an existing object and the program's
inputs is a change made in Entra by the first `up`. The Application's managed properties come
from `drift.compare` (the Graph manifest of each rendered Application); this module adds what
the azuread provider also writes on every update of an object (notes, informational URLs,
optional and group claims, mapped claims, ...: the provider sends them with each PATCH, so a
value the config does not set is cleared), the owners, the service principals, the admin consent
grants, the federated credentials and app role assignments, and objects the program would create
where one already exists.

Each change is a `Drift` (app, key, property, existing, config); the findings of `plan()` name
the same app and property for every change they announce (tests/test_adopt_changes.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from fhir_apps.adopt.drift import MANAGED_PROPERTIES, Drift, compare
from fhir_apps.adopt.importids import APPLICATION_PREFIX
from fhir_apps.adopt.signin import GRAPH_GRANT_PROPERTY, MICROSOFT_GRAPH_APP_ID
from fhir_apps.resource_types import (
    APP_ROLE_ASSIGNMENT,
    APPLICATION,
    APPLICATION_FEDERATED_IDENTITY_CREDENTIAL,
    DELEGATED_PERMISSION_GRANT,
    SERVICE_PRINCIPAL,
)

__all__ = [
    "APPLICATION",
    "COMPARED_APPLICATION_PROPERTIES",
    "COMPARED_SERVICE_PRINCIPAL_PROPERTIES",
    "DEPLOYER",
    "SERVICE_PRINCIPAL",
    "Creation",
    "adoption_changes",
    "creations",
    "owners_in_config",
]

App = dict[str, Any]

_GRANT: Final = DELEGATED_PERMISSION_GRANT
_FEDERATED: Final = APPLICATION_FEDERATED_IDENTITY_CREDENTIAL
_ASSIGNMENT: Final = APP_ROLE_ASSIGNMENT
_STACK: Final = "pulumi:pulumi:Stack"
# The mocks' stand-in for the identity `pulumi up` signs in as (fhir_apps.render.mocks).
DEPLOYER: Final = "<objectId of deploying principal>"
UNKNOWN_OWNERS: Final = "unknown: the export has no owners (export with $expand=owners)"

# Application properties the provider writes on every update although the program may leave
# them out (terraform-provider-azuread v3 `applicationResourceUpdate` sends each, null when
# unset): Graph path -> (rendered input path, the value Entra takes for "unset").
_APPLICATION_EXTRAS: Final[dict[str, tuple[str, Any]]] = {
    "notes": ("notes", None),
    "description": ("description", None),
    "serviceManagementReference": ("serviceManagementReference", None),
    "info.marketingUrl": ("marketingUrl", None),
    "info.privacyStatementUrl": ("privacyStatementUrl", None),
    "info.supportUrl": ("supportUrl", None),
    "info.termsOfServiceUrl": ("termsOfServiceUrl", None),
    "isDeviceOnlyAuthSupported": ("deviceOnlyAuthEnabled", False),
    "oauth2RequirePostResponse": ("oauth2PostResponseRequired", False),
    "api.acceptMappedClaims": ("api.mappedClaimsEnabled", False),
}
# Service principal properties the provider writes on every update (servicePrincipalResource-
# Update): Graph name -> (rendered input name, unset value).
_SERVICE_PRINCIPAL_EXTRAS: Final[dict[str, tuple[str, Any]]] = {
    "accountEnabled": ("accountEnabled", True),
    "appRoleAssignmentRequired": ("appRoleAssignmentRequired", False),
    "description": ("description", None),
    "notes": ("notes", None),
    "loginUrl": ("loginUrl", None),
    "preferredSingleSignOnMode": ("preferredSingleSignOnMode", None),
}
_SERVICE_PRINCIPAL_LISTS: Final = {
    "alternativeNames": "alternativeNames",
    "notificationEmailAddresses": "notificationEmailAddresses",
}
# Every Graph property of an application and of a service principal that the plan compares.
COMPARED_APPLICATION_PROPERTIES: Final = (
    *MANAGED_PROPERTIES,
    *_APPLICATION_EXTRAS,
    "optionalClaims",
    "groupMembershipClaims",
    "owners",
)
COMPARED_SERVICE_PRINCIPAL_PROPERTIES: Final = (
    *_SERVICE_PRINCIPAL_EXTRAS,
    *_SERVICE_PRINCIPAL_LISTS,
    "samlSingleSignOnSettings",
    "owners",
)
_CLAIM_GROUPS: Final = (("idToken", "idTokens"), ("accessToken", "accessTokens"))
_CLAIM_GROUPS_ALL: Final = (*_CLAIM_GROUPS, ("saml2Token", "saml2Tokens"))


@dataclass(frozen=True, order=True)
class Creation:
    """A resource the first `pulumi up` creates (no import id): key, type, name."""

    key: str
    type: str
    name: str

    def __str__(self) -> str:
        return f"{self.key}: {self.type.rsplit(':', 1)[-1]} {self.name}"


def owners_in_config(owners: Iterable[str], deployer: str | None) -> list[str]:
    """Rendered owners, with the deploying principal's placeholder replaced when it is known."""
    return sorted({deployer if (o == DEPLOYER and deployer) else o for o in owners})


def adoption_changes(
    rendering: Any,
    applications: Sequence[App],
    service_principals: Sequence[App],
    *,
    assignments: Sequence[App] = (),
    grants: Sequence[App] = (),
    adopted_ids: Sequence[str] = (),
    deployer: str | None = None,
) -> list[Drift]:
    """Every change the first `pulumi up` makes to an existing object (see the module doc),
    plus each app adopt would take over that the config does not import (key `-`)."""
    from fhir_apps.render.graph import manifests

    view = _View(rendering, applications, service_principals)
    others = _applications(view, deployer)
    others += _service_principals(view, deployer)
    others += _grants(view, grants)
    others += _federated(view)
    others += _assignments(view, assignments)
    # The applications' managed properties first (what `adopt --check` always printed), then
    # the rest, each part in a stable order.
    return compare(manifests(rendering), applications, adopted_ids) + sorted(others)


def creations(rendering: Any) -> list[Creation]:
    """The custom resources the first `pulumi up` creates: those without an import id."""
    by_urn = {r.urn: r for r in rendering.resources}
    return sorted(
        Creation(_key(r, by_urn), r.type, r.name)
        for r in rendering.resources
        if not r.import_id and _is_custom(r.type)
    )


def _is_custom(type_token: str) -> bool:
    # Components are the program's own types; providers and the stack hold nothing in Entra.
    return type_token.split(":", 1)[0] not in ("fhir-apps", "pulumi")


def _key(resource: Any, by_urn: Mapping[str, Any]) -> str:
    """The YAML key a resource belongs to: the name of its top component (a client's key,
    `fhir-server`, `assignments`), or its own name at the top."""
    current = resource
    while current.parent in by_urn and by_urn[current.parent].type != _STACK:
        current = by_urn[current.parent]
    return str(current.name)


class _View:
    """The rendering and the export side by side: each rendered object with the existing object
    its import id names, and the YAML key it belongs to."""

    def __init__(
        self, rendering: Any, applications: Sequence[App], service_principals: Sequence[App]
    ) -> None:
        self.resources = list(rendering.resources)
        self.by_urn = {r.urn: r for r in self.resources}
        self.apps = {a["id"]: a for a in applications}
        self.sps = {s["id"]: s for s in service_principals}
        self.apps_by_app_id = {a["appId"]: a for a in applications}
        # YAML key -> the existing application the key's Application imports.
        self.app_of_key: dict[str, App] = {}
        for resource in self.of_type(APPLICATION):
            app = self.apps.get(_object_id(resource.import_id))
            if app is not None:
                self.app_of_key[self.key(resource)] = app

    def of_type(self, type_token: str) -> list[Any]:
        return [r for r in self.resources if r.type == type_token]

    def key(self, resource: Any) -> str:
        return _key(resource, self.by_urn)

    def name_of(self, key: str) -> str:
        app = self.app_of_key.get(key)
        return str(app["displayName"]) if app is not None else key


def _object_id(import_id: str | None) -> str | None:
    if import_id and import_id.startswith(APPLICATION_PREFIX):
        return import_id.removeprefix(APPLICATION_PREFIX)
    return None


def _get(data: Mapping[str, Any] | None, path: str) -> Any:
    value: Any = data
    for part in path.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    return value


# -- applications -------------------------------------------------------------------------


def _applications(view: _View, deployer: str | None) -> list[Drift]:
    drifts: list[Drift] = []
    for resource in view.of_type(APPLICATION):
        app = view.apps.get(_object_id(resource.import_id))
        if app is None:
            continue
        key = view.key(resource)
        name = str(app["displayName"])
        for prop, (input_path, unset) in _APPLICATION_EXTRAS.items():
            have = _scalar(_get(app, prop), unset)
            want = _scalar(_get(resource.inputs, input_path), unset)
            if have != want:
                drifts.append(Drift(name, key, prop, have, want))
        have_claims = _graph_claims(app.get("optionalClaims"))
        want_claims = _rendered_claims(resource.inputs.get("optionalClaims"))
        if have_claims != want_claims:
            drifts.append(Drift(name, key, "optionalClaims", have_claims, want_claims))
        have_groups = _group_claims(app.get("groupMembershipClaims"))
        want_groups = _group_claims(resource.inputs.get("groupMembershipClaims"))
        if have_groups != want_groups:
            drifts.append(Drift(name, key, "groupMembershipClaims", have_groups, want_groups))
        drifts += _owners(name, key, "owners", app, resource.inputs, deployer)
    return drifts


def _scalar(value: Any, unset: Any) -> Any:
    # Graph writes null (or "") for an unset text and null for an unset flag.
    return unset if value in (None, "") else value


def _graph_claims(claims: Any) -> dict[str, list[list[Any]]]:
    return _claims(claims, [(graph, graph) for graph, _ in _CLAIM_GROUPS_ALL])


def _rendered_claims(claims: Any) -> dict[str, list[list[Any]]]:
    return _claims(claims, list(_CLAIM_GROUPS_ALL))


def _claims(claims: Any, groups: Sequence[tuple[str, str]]) -> dict[str, list[list[Any]]]:
    """Optional claims by token type: sorted [name, source, essential, additional properties]."""
    found: dict[str, list[list[Any]]] = {}
    for graph_name, source_name in groups:
        items = (claims or {}).get(source_name) if isinstance(claims, Mapping) else None
        normal = sorted(
            [
                str(item.get("name")),
                item.get("source") or None,
                bool(item.get("essential")),
                sorted(item.get("additionalProperties") or []),
            ]
            for item in items or []
            if isinstance(item, Mapping)
        )
        if normal:
            found[graph_name] = normal
    return found


def _group_claims(value: Any) -> list[str]:
    """Graph's "SecurityGroup, DirectoryRole" (a string) or the provider's list, as a set."""
    parts = value.split(",") if isinstance(value, str) else list(value or [])
    return sorted({str(p).strip() for p in parts} - {"", "None"})


def _owners(
    name: str,
    key: str,
    prop: str,
    existing: App,
    inputs: Mapping[str, Any],
    deployer: str | None,
) -> list[Drift]:
    want = owners_in_config(inputs.get("owners") or [], deployer)
    if "owners" not in existing:
        return [Drift(name, key, prop, UNKNOWN_OWNERS, want)]
    have = sorted(
        {str(o.get("id") if isinstance(o, Mapping) else o) for o in existing.get("owners") or []}
    )
    return [Drift(name, key, prop, have, want)] if have != want else []


# -- service principals -------------------------------------------------------------------


def _service_principals(view: _View, deployer: str | None) -> list[Drift]:
    drifts: list[Drift] = []
    for resource in view.of_type(SERVICE_PRINCIPAL):
        key = view.key(resource)
        name = view.name_of(key)
        sp = view.sps.get(resource.import_id or "")
        if sp is None:
            if not resource.import_id and key in view.app_of_key:
                drifts.append(
                    Drift(
                        name,
                        key,
                        "servicePrincipal",
                        None,
                        "created by `pulumi up` (it stops with 'already exists' if the app has "
                        "one)",
                    )
                )
            continue
        for prop, (input_name, unset) in _SERVICE_PRINCIPAL_EXTRAS.items():
            have = _scalar(sp.get(prop), unset)
            want = _scalar(resource.inputs.get(input_name), unset)
            if have != want:
                drifts.append(Drift(name, key, f"servicePrincipal.{prop}", have, want))
        for prop, input_name in _SERVICE_PRINCIPAL_LISTS.items():
            have_list = sorted(set(sp.get(prop) or []))
            want_list = sorted(set(resource.inputs.get(input_name) or []))
            if have_list != want_list:
                drifts.append(Drift(name, key, f"servicePrincipal.{prop}", have_list, want_list))
        relay = _get(sp, "samlSingleSignOnSettings.relayState")
        if relay:
            drifts.append(
                Drift(name, key, "servicePrincipal.samlSingleSignOnSettings", relay, None)
            )
        drifts += _owners(name, key, "servicePrincipal.owners", sp, resource.inputs, deployer)
    return drifts


# -- child objects ------------------------------------------------------------------------


def _grants(view: _View, grants: Sequence[App]) -> list[Drift]:
    by_id = {g["id"]: g for g in grants}
    drifts: list[Drift] = []
    for resource in view.of_type(_GRANT):
        grant_id = (resource.import_id or "").rsplit("/", 1)[-1]
        grant = by_id.get(grant_id) if resource.import_id else None
        if grant is None:
            continue
        key = view.key(resource)
        have = sorted(set(str(grant.get("scope") or "").split()))
        want = sorted(set(resource.inputs.get("claimValues") or []))
        # A client's consent to the FHIR app, or to Microsoft Graph (its graphScopes).
        to_graph = view.sps.get(grant["resourceId"], {}).get("appId") == MICROSOFT_GRAPH_APP_ID
        prop = GRAPH_GRANT_PROPERTY if to_graph else "oauth2PermissionGrants"
        if have != want:
            drifts.append(Drift(view.name_of(key), key, prop, have, want))
    return drifts


def _federated(view: _View) -> list[Drift]:
    drifts: list[Drift] = []
    for resource in view.of_type(_FEDERATED):
        key = view.key(resource)
        app = view.app_of_key.get(key)
        if app is None:
            continue
        existing = {str(c.get("id")): c for c in app.get("federatedIdentityCredentials") or []}
        inputs = resource.inputs
        want = _credential(inputs)
        if resource.import_id:
            credential = existing.get(resource.import_id.rsplit("/", 1)[-1])
            if credential is not None and _credential(credential) != want:
                drifts.append(
                    Drift(
                        str(app["displayName"]),
                        key,
                        "federatedIdentityCredentials",
                        _credential(credential),
                        want,
                    )
                )
        elif any(
            (c.get("issuer"), c.get("subject")) == (inputs.get("issuer"), inputs.get("subject"))
            for c in existing.values()
        ):
            drifts.append(
                Drift(
                    str(app["displayName"]),
                    key,
                    "federatedIdentityCredentials",
                    None,
                    f"created by `pulumi up` for {inputs.get('subject')} (Entra refuses a second "
                    "credential with the same issuer and subject)",
                )
            )
    return drifts


def _credential(credential: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "issuer": credential.get("issuer"),
        "subject": credential.get("subject"),
        "audiences": sorted(set(credential.get("audiences") or [])),
    }


def _assignments(view: _View, assignments: Sequence[App]) -> list[Drift]:
    by_id = {a["id"]: a for a in assignments}
    # `<objectId of KEY-sp>` stands for the service principal that KEY-sp imports.
    sp_ids = {
        f"<objectId of {r.name}>": r.import_id
        for r in view.of_type(SERVICE_PRINCIPAL)
        if r.import_id
    }
    drifts: list[Drift] = []
    for resource in view.of_type(_ASSIGNMENT):
        assignment = by_id.get((resource.import_id or "").rsplit("/", 1)[-1])
        if not resource.import_id or assignment is None:
            continue
        key = view.key(resource)
        principal = resource.inputs.get("principalObjectId")
        want = [resource.inputs.get("appRoleId"), sp_ids.get(principal, principal)]
        have = [assignment.get("appRoleId"), assignment.get("principalId")]
        if have != want:
            name = view.name_of(key) if key in view.app_of_key else _resource_app_name(view)
            drifts.append(Drift(name, key, "appRoleAssignments", have, want))
    return drifts


def _resource_app_name(view: _View) -> str:
    return view.name_of("fhir-server")
