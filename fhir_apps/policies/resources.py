"""Per-resource policy checks: the rules of `fhir_apps.rules`, found in one resource's inputs.

Each check takes `(resource_type, inputs, config)` and returns violation messages; it ignores
the types it does not inspect. The CrossGuard pack (`policy/`) and the offline `check --policies`
call these same functions (through `fhir_apps.policies.registry`). No rule is written here: each
one comes from `fhir_apps.rules`; this module only finds the values (see
`fhir_apps.policies.inputs` for what is skipped as not known yet).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from fhir_apps import rules
from fhir_apps.fhir_constants import FHIR_RBAC_ROLES
from fhir_apps.policies.inputs import is_role_assignment, known, mapping, strings, truthy
from fhir_apps.resource_types import (
    APPLICATION,
    APPLICATION_APP_ROLE,
    APPLICATION_IDENTIFIER_URI,
    APPLICATION_PERMISSION_SCOPE,
    APPLICATION_REDIRECT_URIS,
    APPLICATION_REGISTRATION,
)

__all__ = [
    "access_token_version_violations",
    "fhir_role_assignment_scope_violations",
    "identifier_uri_violations",
    "implicit_grant_violations",
    "permission_value_violations",
    "redirect_uri_violations",
    "roles_and_scopes_violations",
]

# ApplicationRedirectUris.type -> the platform name rules.redirect_uri_problems takes.
_REDIRECT_TYPES: Final = {"Web": "web", "SPA": "spa", "PublicClient": "publicClient"}
# Application input -> platform.
_APPLICATION_PLATFORMS: Final = (
    ("web", "web"),
    ("singlePageApplication", "spa"),
    ("publicClient", "publicClient"),
)


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
            uris = strings(mapping(inputs.get(key)).get("redirectUris"))
            by_platform.append((f"{key}.redirectUris", platform, uris))
    elif resource_type == APPLICATION_REDIRECT_URIS:
        kind = inputs.get("type")
        typed = _REDIRECT_TYPES.get(kind) if isinstance(kind, str) else None
        if typed is None:
            return []  # unknown or invalid `type`: the provider's own schema check rejects it
        by_platform.append(("redirectUris", typed, strings(inputs.get("redirectUris"))))
    else:
        return []
    messages = []
    for where, platform, uris in by_platform:
        for uri in uris:
            messages += [
                f"{where}: '{uri}' {problem}"
                for problem in rules.redirect_uri_problems(uri, platform)
            ]
    count = rules.redirect_uri_count_problem(sum(len(uris) for _, _, uris in by_platform))
    if count:
        messages.append(count)
    return messages


def implicit_grant_violations(
    resource_type: str, inputs: Mapping[str, Any], config: Mapping[str, Any] | None = None
) -> list[str]:
    """Implicit grant puts tokens in the URL fragment: auth code (+ PKCE) replaces it everywhere.

    One exception: ID tokens (never access tokens) from the authorize endpoint on a web-only
    application, the hybrid flow of server-side web apps (response_type `code id_token`, e.g.
    ASP.NET OpenID Connect; Microsoft's "OAuth 2.0 implicit grant flow" page). A web app keeps a
    credential and posts the response to its server; an app that also has SPA or public-client
    redirect URIs would hand the ID token to code in a browser or on a device.
    """
    del config
    if resource_type == APPLICATION:
        web = mapping(inputs.get("web"))
        grant = mapping(web.get("implicitGrant"))
        flags = [
            (
                "web.implicitGrant.accessTokenIssuanceEnabled",
                grant.get("accessTokenIssuanceEnabled"),
            ),
        ]
        web_only = bool(strings(web.get("redirectUris"))) and not (
            strings(mapping(inputs.get("singlePageApplication")).get("redirectUris"))
            or strings(mapping(inputs.get("publicClient")).get("redirectUris"))
        )
        if not web_only:
            flags.append(
                ("web.implicitGrant.idTokenIssuanceEnabled", grant.get("idTokenIssuanceEnabled"))
            )
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
        if truthy(value)
    ]


def identifier_uri_violations(
    resource_type: str, inputs: Mapping[str, Any], config: Mapping[str, Any] | None = None
) -> list[str]:
    """Identifier URIs outside the tenant's verified domains (config `verifiedDomains`).

    Skipped when no domain is configured, and for apps with v2 access tokens (Entra relaxes the
    rule for them; `access_token_version_violations` covers a FHIR server's side of that).
    """
    domains = strings((config or {}).get("verifiedDomains"))
    if not domains:
        return []
    if resource_type == APPLICATION:
        version = mapping(inputs.get("api")).get("requestedAccessTokenVersion")
        if version == 2:
            return []
        uris = [("identifierUris", uri) for uri in strings(inputs.get("identifierUris"))]
    elif resource_type == APPLICATION_IDENTIFIER_URI:
        uris = [("identifierUri", u) for u in strings([inputs.get("identifierUri")])]
    else:
        return []
    messages = []
    for key, uri in uris:
        problem = rules.identifier_uri_problem(uri, domains)
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
    version = mapping(inputs.get("api")).get("requestedAccessTokenVersion")
    if not isinstance(version, int | float) or isinstance(version, bool):
        return []
    messages = []
    for uri in strings(inputs.get("identifierUris")):
        problem = rules.access_token_version_problem(int(version), uri)
        if problem:
            messages.append(
                f"api.requestedAccessTokenVersion {int(version)} with '{uri}': {problem}"
            )
    return messages


def _role_values(inputs: Mapping[str, Any]) -> list[str]:
    roles = inputs.get("appRoles")
    return strings([mapping(r).get("value") for r in roles] if isinstance(roles, list) else [])


def _scope_values(inputs: Mapping[str, Any]) -> list[str]:
    scopes = mapping(inputs.get("api")).get("oauth2PermissionScopes")
    return strings([mapping(s).get("value") for s in scopes] if isinstance(scopes, list) else [])


def roles_and_scopes_violations(
    resource_type: str, inputs: Mapping[str, Any], config: Mapping[str, Any] | None = None
) -> list[str]:
    """A value that is both an app role and a delegated scope, other than as the pair Entra
    accepts (the same id, the role's texts equal to the scope's admin consent texts, both
    enabled or not: `rules.role_scope_pair_problem`); Entra refuses anything else with
    "duplicate value". A value whose id or text is not known yet is judged at `pulumi up`.
    """
    del config
    if resource_type != APPLICATION:
        return []
    roles = _by_value(inputs.get("appRoles"))
    scopes = _by_value(mapping(inputs.get("api")).get("oauth2PermissionScopes"))
    messages = []
    for value in rules.roles_and_scopes_overlap(roles, scopes):
        role, scope = roles[value], scopes[value]
        if not all(known(v) for v in (*role.values(), *scope.values())):
            continue
        problem = rules.role_scope_pair_problem(dict(role), dict(scope))
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
        value = mapping(item).get("value")
        if isinstance(value, str) and known(value):
            found.setdefault(value, mapping(item))
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
        values = [("value", "app role", v) for v in strings([inputs.get("value")])]
    elif resource_type == APPLICATION_PERMISSION_SCOPE:
        values = [("value", "scope", v) for v in strings([inputs.get("value")])]
    else:
        return []
    return [
        f"{key}: '{value}': {problem}"
        for key, what, value in values
        for problem in rules.permission_value_problems(value, what)
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
    if not isinstance(role, str) or not isinstance(scope, str) or not known(scope):
        return []
    name = _FHIR_ROLE_NAMES.get(role.rstrip("/").rsplit("/", 1)[-1].lower())
    if name is None:
        return []
    scope = scope.rstrip("/")
    if rules.resource_id_problem(scope, "ahds") is None:
        return []
    if rules.resource_id_problem(scope, "azure-api-for-fhir") is None:
        return []
    return [
        f"'{name}' is assigned at scope '{scope}', which is broader than one FHIR service; "
        "assign it at the FHIR service: /subscriptions/<guid>/resourceGroups/<group>/providers/"
        "Microsoft.HealthcareApis/workspaces/<workspace>/fhirservices/<service> (or .../services/"
        "<name> for Azure API for FHIR)"
    ]
