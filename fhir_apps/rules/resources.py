"""Security checks over Pulumi resource inputs: the rules of `fhir_apps.rules.entra`, per resource.

One function per policy. Resource checks take `(resource_type, inputs, config)` and return
violation messages; stack checks take every resource of the stack (they join credentials and
owners to their application) and return `(urn, message)` pairs. Inputs use the engine's camelCase
names, exactly as `pulumi preview` hands them to a policy pack and as `render` records them, so
the CrossGuard pack (`policy/`) and the offline `check --policies` (`fhir_apps.policies`) call
these same functions. No rule is written here: each one comes from `fhir_apps.rules.entra`; this
module only finds the values in a resource's inputs.

Values that cannot be judged are skipped, never guessed: `[unknown]` (an output not known during
preview, or in a render) and `[secret]`. During `pulumi up` the engine runs the resource policies
again with the values known by then, so a skipped value is still checked before it reaches Entra.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Final

from fhir_apps.fhir_constants import FHIR_RBAC_ROLES
from fhir_apps.rules import entra

__all__ = [
    "APPLICATION",
    "APPLICATION_APP_ROLE",
    "APPLICATION_CERTIFICATE",
    "APPLICATION_FALLBACK_PUBLIC_CLIENT",
    "APPLICATION_FEDERATED_IDENTITY_CREDENTIAL",
    "APPLICATION_FLEXIBLE_FEDERATED_IDENTITY_CREDENTIAL",
    "APPLICATION_IDENTIFIER_URI",
    "APPLICATION_OWNER",
    "APPLICATION_PASSWORD",
    "APPLICATION_PERMISSION_SCOPE",
    "APPLICATION_REDIRECT_URIS",
    "APPLICATION_REGISTRATION",
    "DEFAULT_MAX_SECRET_LIFETIME_DAYS",
    "SECRET",
    "SERVICE_PRINCIPAL_PASSWORD",
    "UNKNOWN",
    "StackResource",
    "access_token_version_violations",
    "fhir_role_assignment_scope_violations",
    "go_duration",
    "identifier_uri_violations",
    "implicit_grant_violations",
    "is_role_assignment",
    "owner_violations",
    "permission_value_violations",
    "public_client_credential_violations",
    "redirect_uri_violations",
    "roles_and_scopes_violations",
    "secret_lifetime_violations",
]

# Type tokens, as the SDKs register them (`super().__init__('<token>', ...)` in each class).
APPLICATION: Final = "azuread:index/application:Application"
APPLICATION_APP_ROLE: Final = "azuread:index/applicationAppRole:ApplicationAppRole"
APPLICATION_CERTIFICATE: Final = "azuread:index/applicationCertificate:ApplicationCertificate"
APPLICATION_FALLBACK_PUBLIC_CLIENT: Final = (
    "azuread:index/applicationFallbackPublicClient:ApplicationFallbackPublicClient"
)
APPLICATION_FEDERATED_IDENTITY_CREDENTIAL: Final = (
    "azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential"
)
APPLICATION_FLEXIBLE_FEDERATED_IDENTITY_CREDENTIAL: Final = (
    "azuread:index/applicationFlexibleFederatedIdentityCredential:"
    "ApplicationFlexibleFederatedIdentityCredential"
)
APPLICATION_IDENTIFIER_URI: Final = (
    "azuread:index/applicationIdentifierUri:ApplicationIdentifierUri"
)
APPLICATION_OWNER: Final = "azuread:index/applicationOwner:ApplicationOwner"
APPLICATION_PASSWORD: Final = "azuread:index/applicationPassword:ApplicationPassword"
APPLICATION_PERMISSION_SCOPE: Final = (
    "azuread:index/applicationPermissionScope:ApplicationPermissionScope"
)
APPLICATION_REDIRECT_URIS: Final = "azuread:index/applicationRedirectUris:ApplicationRedirectUris"
APPLICATION_REGISTRATION: Final = "azuread:index/applicationRegistration:ApplicationRegistration"
SERVICE_PRINCIPAL_PASSWORD: Final = (
    "azuread:index/servicePrincipalPassword:ServicePrincipalPassword"
)
# `azure-native:authorization:RoleAssignment`, and the API-versioned tokens older programs use
# (`azure-native:authorization/v20220401:RoleAssignment`, ...): same inputs.
_ROLE_ASSIGNMENT = re.compile(r"^azure-native:authorization(/v[0-9a-z]+)?:RoleAssignment$")

CREDENTIAL_TYPES: Final = frozenset(
    {
        APPLICATION_PASSWORD,
        APPLICATION_CERTIFICATE,
        APPLICATION_FEDERATED_IDENTITY_CREDENTIAL,
        APPLICATION_FLEXIBLE_FEDERATED_IDENTITY_CREDENTIAL,
    }
)

# The render's markers (fhir_apps.render.engine); the pack maps the engine's unknowns to UNKNOWN.
UNKNOWN: Final = "[unknown]"
SECRET: Final = "[secret]"

# DESIGN.md: "default policy: 12 months or less"; entra.MAX_SECRET_LIFETIME_DAYS is the ceiling.
DEFAULT_MAX_SECRET_LIFETIME_DAYS: Final = 365

# ApplicationRedirectUris.type -> the platform name entra.redirect_uri_problems takes.
_REDIRECT_TYPES: Final = {"Web": "web", "SPA": "spa", "PublicClient": "publicClient"}
# Application input -> platform.
_APPLICATION_PLATFORMS: Final = (
    ("web", "web"),
    ("singlePageApplication", "spa"),
    ("publicClient", "publicClient"),
)
_GO_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")
_GO_UNIT_SECONDS: Final = {
    "ns": 1e-9,
    "us": 1e-6,
    "µs": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
}


def _known(value: Any) -> bool:
    return value is not None and value not in (UNKNOWN, SECRET)


def _strings(values: Any) -> list[str]:
    """The known strings of a list input (a missing or unknown list is empty)."""
    if not isinstance(values, Sequence) or isinstance(values, str):
        return []
    return [v for v in values if isinstance(v, str) and _known(v)]


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _truthy(value: Any) -> bool:
    return value is True


def is_role_assignment(resource_type: str) -> bool:
    """True for azure-native's RoleAssignment under any of its type tokens."""
    return bool(_ROLE_ASSIGNMENT.match(resource_type))


# --- resource checks -------------------------------------------------------------------------


def redirect_uri_violations(
    resource_type: str, inputs: Mapping[str, Any], config: Mapping[str, Any] | None = None
) -> list[str]:
    """Redirect URIs Entra rejects or that invite hijacking: scheme, wildcard, characters, length,
    count (on Application's web / singlePageApplication / publicClient and ApplicationRedirectUris).
    """
    del config
    by_platform: list[tuple[str, str, list[str]]] = []
    if resource_type == APPLICATION:
        for key, platform in _APPLICATION_PLATFORMS:
            uris = _strings(_mapping(inputs.get(key)).get("redirectUris"))
            by_platform.append((f"{key}.redirectUris", platform, uris))
    elif resource_type == APPLICATION_REDIRECT_URIS:
        kind = inputs.get("type")
        platform = _REDIRECT_TYPES.get(kind) if isinstance(kind, str) else None
        if platform is None:
            return []  # unknown or invalid `type`: the provider's own schema check rejects it
        by_platform.append(("redirectUris", platform, _strings(inputs.get("redirectUris"))))
    else:
        return []
    messages = []
    for where, platform, uris in by_platform:
        for uri in uris:
            messages += [
                f"{where}: '{uri}' {problem}"
                for problem in entra.redirect_uri_problems(uri, platform)
            ]
    count = entra.redirect_uri_count_problem(sum(len(uris) for _, _, uris in by_platform))
    if count:
        messages.append(count)
    return messages


def implicit_grant_violations(
    resource_type: str, inputs: Mapping[str, Any], config: Mapping[str, Any] | None = None
) -> list[str]:
    """Implicit grant puts tokens in the URL fragment: auth code (+ PKCE) replaces it everywhere."""
    del config
    if resource_type == APPLICATION:
        grant = _mapping(_mapping(inputs.get("web")).get("implicitGrant"))
        flags = [
            (
                "web.implicitGrant.accessTokenIssuanceEnabled",
                grant.get("accessTokenIssuanceEnabled"),
            ),
            ("web.implicitGrant.idTokenIssuanceEnabled", grant.get("idTokenIssuanceEnabled")),
        ]
    elif resource_type == APPLICATION_REGISTRATION:
        flags = [
            (key, inputs.get(key))
            for key in ("implicitAccessTokenIssuanceEnabled", "implicitIdTokenIssuanceEnabled")
        ]
    else:
        return []
    return [
        f"{key} is true: implicit grant must stay off; use the authorization code flow "
        "(with PKCE for SPAs and native apps)"
        for key, value in flags
        if _truthy(value)
    ]


def go_duration(text: str) -> timedelta | None:
    """A Go duration such as `240h` or `2400h30m` (endDateRelative's format); None if invalid."""
    if not text or _GO_DURATION_PART.sub("", text) != "":
        return None
    seconds = sum(
        float(number) * _GO_UNIT_SECONDS[unit] for number, unit in _GO_DURATION_PART.findall(text)
    )
    return timedelta(seconds=seconds)


def _rfc3339(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _today(config: Mapping[str, Any]) -> date:
    # `today` is not part of the pack's config schema: only the offline check pins it, so that a
    # render made for a given date is judged against that date.
    pinned = config.get("today")
    if isinstance(pinned, date):
        return pinned
    if isinstance(pinned, str):
        return date.fromisoformat(pinned)
    return datetime.now(UTC).date()


def _password_lifetime_problem(
    where: str, password: Mapping[str, Any], max_days: int, today: date
) -> str | None:
    end_text = password.get("endDate")
    relative = password.get("endDateRelative")
    start_text = password.get("startDate")
    if not _known(end_text) and end_text is not None:
        return None
    if not _known(relative) and relative is not None:
        return None
    if not _known(start_text) and start_text is not None:
        return None
    start = datetime.combine(today, time(), UTC)
    if isinstance(start_text, str):
        parsed_start = _rfc3339(start_text)
        if parsed_start is None:
            return f"{where}startDate '{start_text}' is not an RFC3339 date"
        start = parsed_start
    if isinstance(end_text, str):
        end = _rfc3339(end_text)
        if end is None:
            return f"{where}endDate '{end_text}' is not an RFC3339 date"
    elif isinstance(relative, str):
        duration = go_duration(relative)
        if duration is None:
            return f"{where}endDateRelative '{relative}' is not a duration such as 2160h"
        end = start + duration
    else:
        return (
            f"{where}no endDate: without endDate or endDateRelative the azuread provider makes a "
            f"secret valid for two years; set an endDate at most {max_days} days after its start"
        )
    lifetime = round((end - start).total_seconds() / 86400, 2)
    problem = entra.secret_lifetime_problem(lifetime, max_days)
    return f"{where}{problem}" if problem else None


def secret_lifetime_violations(
    resource_type: str, inputs: Mapping[str, Any], config: Mapping[str, Any] | None = None
) -> list[str]:
    """Client secrets (ApplicationPassword, ServicePrincipalPassword, Application.password) whose
    end date lies more than `maxSecretLifetimeDays` (default 365, ceiling 730) after their start
    date, or after today when they have none.
    """
    config = config or {}
    max_days = int(config.get("maxSecretLifetimeDays", DEFAULT_MAX_SECRET_LIFETIME_DAYS))
    today = _today(config)
    if resource_type in (APPLICATION_PASSWORD, SERVICE_PRINCIPAL_PASSWORD):
        problem = _password_lifetime_problem("", inputs, max_days, today)
    elif resource_type == APPLICATION and isinstance(inputs.get("password"), Mapping):
        problem = _password_lifetime_problem("password: ", inputs["password"], max_days, today)
    else:
        return []
    return [problem] if problem else []


def identifier_uri_violations(
    resource_type: str, inputs: Mapping[str, Any], config: Mapping[str, Any] | None = None
) -> list[str]:
    """Identifier URIs outside the tenant's verified domains (config `verifiedDomains`).

    Skipped when no domain is configured, and for apps with v2 access tokens (Entra relaxes the
    rule for them; `access_token_version_violations` covers a FHIR server's side of that).
    """
    domains = _strings((config or {}).get("verifiedDomains"))
    if not domains:
        return []
    if resource_type == APPLICATION:
        version = _mapping(inputs.get("api")).get("requestedAccessTokenVersion")
        if version == 2:
            return []
        uris = [("identifierUris", uri) for uri in _strings(inputs.get("identifierUris"))]
    elif resource_type == APPLICATION_IDENTIFIER_URI:
        uris = [("identifierUri", u) for u in _strings([inputs.get("identifierUri")])]
    else:
        return []
    messages = []
    for key, uri in uris:
        problem = entra.identifier_uri_problem(uri, domains)
        if problem:
            messages.append(f"{key}: '{uri}' {problem}")
    return messages


def access_token_version_violations(
    resource_type: str, inputs: Mapping[str, Any], config: Mapping[str, Any] | None = None
) -> list[str]:
    """`api.requestedAccessTokenVersion` 2 on an app identified by an https URL: the token's
    audience becomes the appId, which a FHIR server checking `aud == URL` rejects (or accepts
    tokens meant for another app, if it is lenient).
    """
    del config
    if resource_type != APPLICATION:
        return []
    version = _mapping(inputs.get("api")).get("requestedAccessTokenVersion")
    if not isinstance(version, int | float) or isinstance(version, bool):
        return []
    messages = []
    for uri in _strings(inputs.get("identifierUris")):
        problem = entra.access_token_version_problem(int(version), uri)
        if problem:
            messages.append(
                f"api.requestedAccessTokenVersion {int(version)} with '{uri}': {problem}"
            )
    return messages


def _role_values(inputs: Mapping[str, Any]) -> list[str]:
    roles = inputs.get("appRoles")
    return _strings([_mapping(r).get("value") for r in roles] if isinstance(roles, list) else [])


def _scope_values(inputs: Mapping[str, Any]) -> list[str]:
    scopes = _mapping(inputs.get("api")).get("oauth2PermissionScopes")
    return _strings([_mapping(s).get("value") for s in scopes] if isinstance(scopes, list) else [])


def roles_and_scopes_violations(
    resource_type: str, inputs: Mapping[str, Any], config: Mapping[str, Any] | None = None
) -> list[str]:
    """A value that is both an app role and a delegated scope, other than as the pair Entra
    accepts (the same id, the role's texts equal to the scope's admin consent texts, both
    enabled or not: `entra.role_scope_pair_problem`); Entra refuses anything else with
    "duplicate value". A value whose id or text is not known yet is judged at `pulumi up`.
    """
    del config
    if resource_type != APPLICATION:
        return []
    roles = _by_value(inputs.get("appRoles"))
    scopes = _by_value(_mapping(inputs.get("api")).get("oauth2PermissionScopes"))
    messages = []
    for value in entra.roles_and_scopes_overlap(roles, scopes):
        role, scope = roles[value], scopes[value]
        if not all(_known(v) for v in (*role.values(), *scope.values())):
            continue
        problem = entra.role_scope_pair_problem(dict(role), dict(scope))
        if problem:
            messages.append(
                f"'{value}' is both an app role (appRoles) and a scope "
                f"(api.oauth2PermissionScopes) and {problem}"
            )
    return messages


def _by_value(items: Any) -> dict[str, Mapping[str, Any]]:
    """`{value: item}` of a list of app roles or scopes (items without a known value left out)."""
    if not isinstance(items, list):
        return {}
    found: dict[str, Mapping[str, Any]] = {}
    for item in items:
        value = _mapping(item).get("value")
        if isinstance(value, str) and _known(value):
            found.setdefault(value, _mapping(item))
    return found


def permission_value_violations(
    resource_type: str, inputs: Mapping[str, Any], config: Mapping[str, Any] | None = None
) -> list[str]:
    """App role and scope values Entra rejects (spaces, leading '.', '/', length, non-ASCII)."""
    del config
    if resource_type == APPLICATION:
        values = [("appRoles", "app role", v) for v in _role_values(inputs)]
        values += [("api.oauth2PermissionScopes", "scope", v) for v in _scope_values(inputs)]
    elif resource_type == APPLICATION_APP_ROLE:
        values = [("value", "app role", v) for v in _strings([inputs.get("value")])]
    elif resource_type == APPLICATION_PERMISSION_SCOPE:
        values = [("value", "scope", v) for v in _strings([inputs.get("value")])]
    else:
        return []
    return [
        f"{key}: '{value}': {problem}"
        for key, what, value in values
        for problem in entra.permission_value_problems(value, what)
    ]


_FHIR_ROLE_NAMES: Final = {guid.lower(): name for name, guid in FHIR_RBAC_ROLES.items()}


def fhir_role_assignment_scope_violations(
    resource_type: str, inputs: Mapping[str, Any], config: Mapping[str, Any] | None = None
) -> list[str]:
    """A FHIR data-plane role assigned above the FHIR service: at a subscription or resource
    group it reaches every FHIR service there, present and future.
    """
    del config
    if not is_role_assignment(resource_type):
        return []
    role = inputs.get("roleDefinitionId")
    scope = inputs.get("scope")
    if not isinstance(role, str) or not isinstance(scope, str) or not _known(scope):
        return []
    name = _FHIR_ROLE_NAMES.get(role.rstrip("/").rsplit("/", 1)[-1].lower())
    if name is None:
        return []
    scope = scope.rstrip("/")
    if entra.resource_id_problem(scope, "ahds") is None:
        return []
    if entra.resource_id_problem(scope, "azure-api-for-fhir") is None:
        return []
    return [
        f"'{name}' is assigned at scope '{scope}', which is broader than one FHIR service; "
        "assign it at the FHIR service: /subscriptions/<guid>/resourceGroups/<group>/providers/"
        "Microsoft.HealthcareApis/workspaces/<workspace>/fhirservices/<service> (or .../services/"
        "<name> for Azure API for FHIR)"
    ]


# --- stack checks: credentials and owners joined to their application -------------------------


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
        app.web_uris = len(_strings(_mapping(inputs.get("web")).get("redirectUris")))
        app.public_uris = len(
            _strings(_mapping(inputs.get("singlePageApplication")).get("redirectUris"))
        ) + len(_strings(_mapping(inputs.get("publicClient")).get("redirectUris")))
        app.fallback = _truthy(inputs.get("fallbackPublicClientEnabled"))
        app.owned = bool(_strings(inputs.get("owners")))
        # What an `applicationId` may hold for this app: its id `/applications/<objectId>`.
        object_id = inputs.get("objectId")
        if isinstance(object_id, str) and _known(object_id):
            app.keys.add(f"/applications/{object_id}")
        if resource.resource_id:
            app.keys.add(resource.resource_id)
        apps[resource.urn] = app
    return apps


def _application_of(resource: StackResource, apps: Mapping[str, _App]) -> _App | None:
    """The application a split resource (`applicationId`) belongs to, if it is in the stack."""
    application_id = resource.inputs.get("applicationId")
    if isinstance(application_id, str) and _known(application_id):
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
        if resource.type == APPLICATION_FALLBACK_PUBLIC_CLIENT and _truthy(inputs.get("enabled")):
            app.fallback = True
        elif resource.type == APPLICATION_REDIRECT_URIS:
            count = len(_strings(inputs.get("redirectUris")))
            if inputs.get("type") == "Web":
                app.web_uris += count
            elif inputs.get("type") in ("SPA", "PublicClient"):
                app.public_uris += count
        elif resource.type == APPLICATION_OWNER and _known(inputs.get("ownerObjectId")):
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
