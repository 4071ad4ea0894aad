"""The policy registry: each check with its name, description, default level and config.

`POLICIES` is what both adapters apply: `fhir_apps.policies.offline.run_policies` (offline, over
a render, for `check --policies`) and `fhir_apps.policies.crossguard.crossguard_policies` (the
pack in `policy/`, under `pulumi preview`). Levels and config: docs/policies.md.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from fhir_apps import rules
from fhir_apps.policies import resources, secrets, stack
from fhir_apps.resource_types import (
    APPLICATION,
    APPLICATION_APP_ROLE,
    APPLICATION_CERTIFICATE,
    APPLICATION_FALLBACK_PUBLIC_CLIENT,
    APPLICATION_FEDERATED_IDENTITY_CREDENTIAL,
    APPLICATION_FLEXIBLE_FEDERATED_IDENTITY_CREDENTIAL,
    APPLICATION_IDENTIFIER_URI,
    APPLICATION_OWNER,
    APPLICATION_PASSWORD,
    APPLICATION_PERMISSION_SCOPE,
    APPLICATION_REDIRECT_URIS,
    APPLICATION_REGISTRATION,
    SERVICE_PRINCIPAL_PASSWORD,
)

__all__ = [
    "BY_NAME",
    "DEFAULT_POLICY_CONFIG",
    "PACK_NAME",
    "POLICIES",
    "PolicyDefinition",
    "ResourceCheck",
    "StackCheck",
]

PACK_NAME: Final = "fhir-apps-guardrails"

ResourceCheck = Callable[[str, Mapping[str, Any], Mapping[str, Any]], list[str]]
StackCheck = Callable[[Sequence[stack.StackResource], Mapping[str, Any]], list[tuple[str, str]]]


@dataclass(frozen=True)
class PolicyDefinition:
    """One policy: exactly one of `check` (per resource) and `stack_check` (whole stack) is set.

    `config_schema`: JSON-schema properties of the policy's config (besides `enforcementLevel`),
    each with its `default`. `resource_types`: what it inspects (for the docs).
    """

    name: str
    description: str
    enforcement_level: str
    resource_types: tuple[str, ...]
    check: ResourceCheck | None = None
    stack_check: StackCheck | None = None
    config_schema: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def defaults(self) -> dict[str, Any]:
        return {key: prop["default"] for key, prop in self.config_schema.items()}


_APPLICATION_SPLIT_CREDENTIALS = (
    APPLICATION_PASSWORD,
    APPLICATION_CERTIFICATE,
    APPLICATION_FEDERATED_IDENTITY_CREDENTIAL,
    APPLICATION_FLEXIBLE_FEDERATED_IDENTITY_CREDENTIAL,
)

POLICIES: Final[tuple[PolicyDefinition, ...]] = (
    PolicyDefinition(
        name="entra-redirect-uris",
        description=(
            "Redirect URIs are https (http only on localhost/127.0.0.1; custom schemes only for "
            "mobile and desktop apps), without wildcards or the characters ! $ ' ( ) , ;, at most "
            f"{rules.MAX_REDIRECT_URI_LENGTH} characters each and {rules.MAX_REDIRECT_URIS} per "
            "application."
        ),
        enforcement_level="mandatory",
        resource_types=(APPLICATION, APPLICATION_REDIRECT_URIS),
        check=resources.redirect_uri_violations,
    ),
    PolicyDefinition(
        name="entra-implicit-grant-off",
        description=(
            "Implicit grant (access and ID tokens from the authorize endpoint) stays off; "
            "clients use the authorization code flow with PKCE."
        ),
        enforcement_level="mandatory",
        resource_types=(APPLICATION, APPLICATION_REGISTRATION),
        check=resources.implicit_grant_violations,
    ),
    PolicyDefinition(
        name="entra-public-client-no-credentials",
        description=(
            "Public clients (SPA, mobile, desktop, or fallbackPublicClientEnabled) hold no "
            "credential of any kind: no password, certificate or federated credential."
        ),
        enforcement_level="mandatory",
        resource_types=(
            APPLICATION,
            *_APPLICATION_SPLIT_CREDENTIALS,
            APPLICATION_REDIRECT_URIS,
            APPLICATION_FALLBACK_PUBLIC_CLIENT,
        ),
        stack_check=stack.public_client_credential_violations,
    ),
    PolicyDefinition(
        name="entra-secret-max-lifetime",
        description=(
            "Client secrets end at most maxSecretLifetimeDays after they start (Entra's ceiling: "
            f"{rules.MAX_SECRET_LIFETIME_DAYS} days); a secret without an end date is refused."
        ),
        enforcement_level="mandatory",
        resource_types=(
            APPLICATION_PASSWORD,
            SERVICE_PRINCIPAL_PASSWORD,
            APPLICATION,
        ),
        check=secrets.secret_lifetime_violations,
        config_schema={
            "maxSecretLifetimeDays": {
                "type": "integer",
                "minimum": 1,
                "maximum": rules.MAX_SECRET_LIFETIME_DAYS,
                "default": secrets.DEFAULT_MAX_SECRET_LIFETIME_DAYS,
                "description": "Longest allowed secret lifetime in days (tenant policy).",
            }
        },
    ),
    PolicyDefinition(
        name="entra-identifier-uri-verified-domain",
        description=(
            "https identifier URIs sit on a verified domain of the tenant (config "
            "verifiedDomains); api://... and https://<tenant>.onmicrosoft.com/... are always "
            "allowed. Skipped while verifiedDomains is empty."
        ),
        # Advisory: Entra itself refuses such a new URI, and registrations made before 2025 may
        # keep one (adoption must not be blocked by a rule Entra no longer applies to them).
        enforcement_level="advisory",
        resource_types=(APPLICATION, APPLICATION_IDENTIFIER_URI),
        check=resources.identifier_uri_violations,
        config_schema={
            "verifiedDomains": {
                "type": "array",
                "items": {"type": "string"},
                "default": [],
                "description": 'The tenant\'s verified domains, e.g. ["contoso.com"].',
            }
        },
    ),
    PolicyDefinition(
        name="entra-access-token-version",
        description=(
            "An application identified by an https URL keeps api.requestedAccessTokenVersion 1: "
            "with v2 tokens the audience is the appId, not the URL the FHIR server checks."
        ),
        enforcement_level="mandatory",
        resource_types=(APPLICATION,),
        check=resources.access_token_version_violations,
    ),
    PolicyDefinition(
        name="entra-roles-scopes-distinct",
        description=(
            "A value is both an app role and a delegated scope of one application only as the "
            "pair Entra accepts: one id, matching texts."
        ),
        enforcement_level="mandatory",
        resource_types=(APPLICATION,),
        check=resources.roles_and_scopes_violations,
    ),
    PolicyDefinition(
        name="entra-permission-values",
        description=(
            "App role and scope values have no spaces or '/', do not start with '.', are "
            f"printable ASCII and at most {rules.MAX_PERMISSION_VALUE_LENGTH} characters."
        ),
        enforcement_level="mandatory",
        resource_types=(
            APPLICATION,
            APPLICATION_APP_ROLE,
            APPLICATION_PERMISSION_SCOPE,
        ),
        check=resources.permission_value_violations,
    ),
    PolicyDefinition(
        name="entra-application-owners",
        description=(
            "Every application has owners (its owners input or an ApplicationOwner), so "
            "someone besides tenant admins is accountable for it."
        ),
        # Advisory: Entra does not require owners, and the deploying principal may own the app.
        enforcement_level="advisory",
        resource_types=(APPLICATION, APPLICATION_OWNER),
        stack_check=stack.owner_violations,
    ),
    PolicyDefinition(
        name="fhir-rbac-service-scope",
        description=(
            "FHIR data-plane roles (FHIR Data Reader, Writer, ..., SMART User) are assigned at "
            "one FHIR service, never at a resource group or subscription."
        ),
        enforcement_level="mandatory",
        resource_types=("azure-native:authorization:RoleAssignment",),
        check=resources.fhir_role_assignment_scope_violations,
    ),
)

BY_NAME: Final = {p.name: p for p in POLICIES}

DEFAULT_POLICY_CONFIG: Final[dict[str, dict[str, Any]]] = {
    p.name: {"enforcementLevel": p.enforcement_level, **p.defaults()} for p in POLICIES
}
