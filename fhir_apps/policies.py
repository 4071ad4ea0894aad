"""The security guardrails as policies: one registry, enforced offline and by `pulumi preview`.

`POLICIES` names each check of `fhir_apps.rules.resources` with a description, a default
enforcement level and its config. Two thin adapters apply the same functions:

- `run_policies(render)`: offline, over the resources of a render (`python -m fhir_apps render`
  or `fhir_apps.render.engine.render(...).as_dict()`), for `check --policies`;
- `crossguard_policies()`: the CrossGuard policies of the pack in `policy/`, which the Pulumi CLI
  runs against any program's `azuread` and `azure-native` resources.

Config has the shape of Pulumi's policy config file (`--policy-pack-config`): per policy name
either a level (`"advisory"`) or an object with `enforcementLevel` and the policy's properties;
the key `all` sets the level of every policy.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any, Final

from fhir_apps.rules import entra
from fhir_apps.rules import resources as rules
from fhir_apps.safeio.text import shown

if TYPE_CHECKING:
    from pulumi_policy import Policy

    from fhir_apps.spec.model import Spec

__all__ = [
    "DEFAULT_POLICY_CONFIG",
    "LEVELS",
    "PACK_NAME",
    "POLICIES",
    "PolicyConfigError",
    "PolicyDefinition",
    "Violation",
    "crossguard_policies",
    "has_mandatory",
    "policy_config_for_spec",
    "resolve_config",
    "run_policies",
]

PACK_NAME: Final = "fhir-apps-guardrails"
# Pulumi's enforcement levels; `remediate` is reported as mandatory (as the SDK does), since
# these policies only validate.
LEVELS: Final = ("advisory", "mandatory", "remediate", "disabled")

ResourceCheck = Callable[[str, Mapping[str, Any], Mapping[str, Any]], list[str]]
StackCheck = Callable[[Sequence[rules.StackResource], Mapping[str, Any]], list[tuple[str, str]]]


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
    rules.APPLICATION_PASSWORD,
    rules.APPLICATION_CERTIFICATE,
    rules.APPLICATION_FEDERATED_IDENTITY_CREDENTIAL,
    rules.APPLICATION_FLEXIBLE_FEDERATED_IDENTITY_CREDENTIAL,
)

POLICIES: Final[tuple[PolicyDefinition, ...]] = (
    PolicyDefinition(
        name="entra-redirect-uris",
        description=(
            "Redirect URIs are https (http only on localhost/127.0.0.1; custom schemes only for "
            "mobile and desktop apps), without wildcards or the characters ! $ ' ( ) , ;, at most "
            f"{entra.MAX_REDIRECT_URI_LENGTH} characters each and {entra.MAX_REDIRECT_URIS} per "
            "application."
        ),
        enforcement_level="mandatory",
        resource_types=(rules.APPLICATION, rules.APPLICATION_REDIRECT_URIS),
        check=rules.redirect_uri_violations,
    ),
    PolicyDefinition(
        name="entra-implicit-grant-off",
        description=(
            "Implicit grant (access and ID tokens from the authorize endpoint) stays off; "
            "clients use the authorization code flow with PKCE."
        ),
        enforcement_level="mandatory",
        resource_types=(rules.APPLICATION, rules.APPLICATION_REGISTRATION),
        check=rules.implicit_grant_violations,
    ),
    PolicyDefinition(
        name="entra-public-client-no-credentials",
        description=(
            "Public clients (SPA, mobile, desktop, or fallbackPublicClientEnabled) hold no "
            "credential of any kind: no password, certificate or federated credential."
        ),
        enforcement_level="mandatory",
        resource_types=(
            rules.APPLICATION,
            *_APPLICATION_SPLIT_CREDENTIALS,
            rules.APPLICATION_REDIRECT_URIS,
            rules.APPLICATION_FALLBACK_PUBLIC_CLIENT,
        ),
        stack_check=rules.public_client_credential_violations,
    ),
    PolicyDefinition(
        name="entra-secret-max-lifetime",
        description=(
            "Client secrets end at most maxSecretLifetimeDays after they start (Entra's ceiling: "
            f"{entra.MAX_SECRET_LIFETIME_DAYS} days); a secret without an end date is refused."
        ),
        enforcement_level="mandatory",
        resource_types=(
            rules.APPLICATION_PASSWORD,
            rules.SERVICE_PRINCIPAL_PASSWORD,
            rules.APPLICATION,
        ),
        check=rules.secret_lifetime_violations,
        config_schema={
            "maxSecretLifetimeDays": {
                "type": "integer",
                "minimum": 1,
                "maximum": entra.MAX_SECRET_LIFETIME_DAYS,
                "default": rules.DEFAULT_MAX_SECRET_LIFETIME_DAYS,
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
        resource_types=(rules.APPLICATION, rules.APPLICATION_IDENTIFIER_URI),
        check=rules.identifier_uri_violations,
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
        resource_types=(rules.APPLICATION,),
        check=rules.access_token_version_violations,
    ),
    PolicyDefinition(
        name="entra-roles-scopes-distinct",
        description=(
            "A value is both an app role and a delegated scope of one application only as the "
            "pair Entra accepts: one id, matching texts."
        ),
        enforcement_level="mandatory",
        resource_types=(rules.APPLICATION,),
        check=rules.roles_and_scopes_violations,
    ),
    PolicyDefinition(
        name="entra-permission-values",
        description=(
            "App role and scope values have no spaces or '/', do not start with '.', are "
            f"printable ASCII and at most {entra.MAX_PERMISSION_VALUE_LENGTH} characters."
        ),
        enforcement_level="mandatory",
        resource_types=(
            rules.APPLICATION,
            rules.APPLICATION_APP_ROLE,
            rules.APPLICATION_PERMISSION_SCOPE,
        ),
        check=rules.permission_value_violations,
    ),
    PolicyDefinition(
        name="entra-application-owners",
        description=(
            "Every application has owners (its owners input or an ApplicationOwner), so "
            "someone besides tenant admins is accountable for it."
        ),
        # Advisory: Entra does not require owners, and the deploying principal may own the app.
        enforcement_level="advisory",
        resource_types=(rules.APPLICATION, rules.APPLICATION_OWNER),
        stack_check=rules.owner_violations,
    ),
    PolicyDefinition(
        name="fhir-rbac-service-scope",
        description=(
            "FHIR data-plane roles (FHIR Data Reader, Writer, ..., SMART User) are assigned at "
            "one FHIR service, never at a resource group or subscription."
        ),
        enforcement_level="mandatory",
        resource_types=("azure-native:authorization:RoleAssignment",),
        check=rules.fhir_role_assignment_scope_violations,
    ),
)

_BY_NAME: Final = {p.name: p for p in POLICIES}

DEFAULT_POLICY_CONFIG: Final[dict[str, dict[str, Any]]] = {
    p.name: {"enforcementLevel": p.enforcement_level, **p.defaults()} for p in POLICIES
}


class PolicyConfigError(ValueError):
    """The policy config names an unknown policy, level or property, or a value of a wrong type."""


@dataclass(frozen=True)
class _Resolved:
    level: str
    properties: dict[str, Any]


def _brief(value: Any) -> str:
    """`value` as its repr, cut to fit a message line: a policy config comes from a file."""
    try:
        text = repr(value)
    except (ValueError, RecursionError):  # an int past int_max_str_digits; a cycle
        return "a value too large to show"
    return shown(text, 80)


def _check_property(name: str, key: str, schema: Mapping[str, Any], value: Any) -> None:
    where = f"{name}.{key}"
    if schema["type"] == "integer":
        if not isinstance(value, int) or isinstance(value, bool):
            raise PolicyConfigError(f"{where}: must be an integer, got {_brief(value)}")
        low, high = schema.get("minimum"), schema.get("maximum")
        if (low is not None and value < low) or (high is not None and value > high):
            raise PolicyConfigError(
                f"{where}: must be between {low} and {high}, got {_brief(value)}"
            )
    elif schema["type"] == "array" and (
        not isinstance(value, list) or not all(isinstance(v, str) for v in value)
    ):
        raise PolicyConfigError(f"{where}: must be a list of strings, got {_brief(value)}")


def resolve_config(config: Mapping[str, Any] | None = None) -> dict[str, _Resolved]:
    """Every policy's level and properties: its defaults overlaid with `config` (checked).

    Raises PolicyConfigError, one line naming the policy and property, for anything else: the
    config may come from a file (`check --policy-config`).
    """
    if config is not None and not isinstance(config, Mapping):
        raise PolicyConfigError(f"expected an object of policy names, got {_brief(config)}")
    config = dict(config or {})
    all_level = config.pop("all", None)
    if all_level is not None and not _is_level(all_level):
        raise PolicyConfigError(f"all: must be one of {', '.join(LEVELS)}, got {_brief(all_level)}")
    unknown = sorted(shown(str(name)) for name in set(config) - set(_BY_NAME))
    if unknown:
        raise PolicyConfigError(
            f"unknown policy {', '.join(unknown[:5])}{', ...' if len(unknown) > 5 else ''}; "
            f"policies: {', '.join(sorted(_BY_NAME))}"
        )
    resolved = {}
    for policy in POLICIES:
        level = all_level or policy.enforcement_level
        properties = policy.defaults()
        given = config.get(policy.name)
        if isinstance(given, str):
            given = {"enforcementLevel": given}
        if given is not None and not isinstance(given, Mapping):
            raise PolicyConfigError(
                f"{policy.name}: must be a level or an object, got {_brief(given)}"
            )
        for key, value in (given or {}).items():
            if key == "enforcementLevel":
                if not _is_level(value):
                    raise PolicyConfigError(
                        f"{policy.name}.enforcementLevel: must be one of {', '.join(LEVELS)}, "
                        f"got {_brief(value)}"
                    )
                level = value
            elif key in policy.config_schema:
                _check_property(policy.name, key, policy.config_schema[key], value)
                properties[key] = value
            else:
                allowed = ", ".join(["enforcementLevel", *policy.config_schema])
                raise PolicyConfigError(
                    f"{policy.name}.{shown(str(key))}: unknown property; allowed: {allowed}"
                )
        resolved[policy.name] = _Resolved(
            "mandatory" if level == "remediate" else level, properties
        )
    return resolved


def _is_level(value: Any) -> bool:
    # `in` on the tuple compares with ==, so a list or a dict from the file is simply not one.
    return isinstance(value, str) and value in LEVELS


@dataclass(frozen=True, order=True)
class Violation:
    """One violation; `str()` is the line `check --policies` prints."""

    policy: str
    enforcement_level: str
    urn: str
    message: str

    def __str__(self) -> str:
        return f"{self.enforcement_level} {self.policy} {self.urn}: {self.message}"


def has_mandatory(violations: Sequence[Violation]) -> bool:
    """True when a violation blocks (what `pulumi preview` would refuse)."""
    return any(v.enforcement_level == "mandatory" for v in violations)


def policy_config_for_spec(spec: Spec) -> dict[str, dict[str, Any]]:
    """The policy config a stack's spec implies: its secret policy and verified domains."""
    return {
        "entra-secret-max-lifetime": {
            "maxSecretLifetimeDays": spec.policy.max_secret_lifetime_days
        },
        "entra-identifier-uri-verified-domain": {
            "verifiedDomains": list(spec.tenant.verified_domains)
        },
    }


def run_policies(
    render_dict: Mapping[str, Any],
    config: Mapping[str, Any] | None = None,
    *,
    today: date | None = None,
) -> list[Violation]:
    """Apply every enabled policy to the resources of a render; violations sorted.

    `today` is the date secret end dates are measured from (default: today, UTC); pass the date
    the render was made for (`render --today`) to judge a past or future render.
    """
    resolved = resolve_config(config)
    resources = [
        rules.StackResource(
            urn=r["urn"],
            type=r["type"],
            inputs=r.get("inputs") or {},
            # A render keeps each resource's dependencies; applicationId is the only input of a
            # credential that comes from an Application, so they identify its application.
            application_refs=tuple(r.get("dependsOn") or ()),
        )
        for r in render_dict.get("resources", [])
    ]
    found: set[Violation] = set()
    for policy in POLICIES:
        setting = resolved[policy.name]
        if setting.level == "disabled":
            continue
        properties = dict(setting.properties)
        if today is not None:
            properties["today"] = today
        if policy.check is not None:
            for resource in resources:
                for message in policy.check(resource.type, resource.inputs, properties):
                    found.add(Violation(policy.name, setting.level, resource.urn, message))
        elif policy.stack_check is not None:
            for urn, message in policy.stack_check(resources, properties):
                found.add(Violation(policy.name, setting.level, urn, message))
    return sorted(found)


# --- the CrossGuard adapter --------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """The pack's props (proxies that raise on unknowns) as plain data; unknowns -> UNKNOWN.

    The rules skip unknown values instead of failing: `pulumi up` runs the resource policies
    again once the values are known.
    """
    from pulumi_policy import proxy
    from pulumi_policy.secret import Secret

    unknowns = {
        proxy.UNKNOWN_BOOLEAN_VALUE,
        proxy.UNKNOWN_NUMBER_VALUE,
        proxy.UNKNOWN_STRING_VALUE,
        proxy.UNKNOWN_ARRAY_VALUE,
        proxy.UNKNOWN_ASSET_VALUE,
        proxy.UNKNOWN_ARCHIVE_VALUE,
        proxy.UNKNOWN_OBJECT_VALUE,
    }

    def convert(item: Any) -> Any:
        if isinstance(item, Secret):
            return rules.SECRET
        if isinstance(item, proxy._DictProxy | proxy._ListProxy):
            # `__target` is the proxy's raw contents, read without its unknown check.
            return convert(item["__target"])
        if isinstance(item, Mapping):
            return {key: convert(item[key]) for key in item}
        if isinstance(item, Sequence) and not isinstance(item, str):
            return [convert(v) for v in item]
        if isinstance(item, str) and item in unknowns:
            return rules.UNKNOWN
        if isinstance(item, float) and item.is_integer():
            return int(item)  # protobuf carries every number as a double
        return item

    return convert(value)


def _properties(policy: PolicyDefinition, given: Mapping[str, Any]) -> dict[str, Any]:
    # The CLI fills in schema defaults, but a pack run with an older CLI (or a hand-built args
    # bag) may not: start from ours.
    return {**policy.defaults(), **{k: _plain(v) for k, v in given.items()}}


def _resource_validate(policy: PolicyDefinition) -> Callable[..., None]:
    check = policy.check
    assert check is not None

    def validate(args: Any, report_violation: Callable[..., None]) -> None:
        # No filtering by type here: every check ignores the types it does not inspect.
        properties = _properties(policy, args.get_config())
        if (
            policy.name == "entra-identifier-uri-verified-domain"
            and args.resource_type in policy.resource_types
            and not properties.get("verifiedDomains")
        ):
            args.not_applicable("verifiedDomains is not configured")
        for message in check(args.resource_type, _plain(args.props), properties):
            report_violation(message, None)

    return validate


def _application_refs(resource: Any) -> tuple[str, ...]:
    by_property = resource.property_dependencies.get("applicationId")
    deps = by_property if by_property else resource.dependencies
    return tuple(sorted(d.urn for d in deps))


def _stack_validate(policy: PolicyDefinition) -> Callable[..., None]:
    stack_check = policy.stack_check
    assert stack_check is not None

    def validate(args: Any, report_violation: Callable[..., None]) -> None:
        resources = [
            rules.StackResource(
                urn=r.urn,
                type=r.resource_type,
                inputs=_plain(r.props),
                application_refs=_application_refs(r),
            )
            for r in args.resources
        ]
        for urn, message in stack_check(resources, _properties(policy, args.get_config())):
            report_violation(message, urn)

    return validate


def crossguard_policies() -> list[Policy]:
    """The CrossGuard policies of the pack (`policy/__main__.py`), one per definition."""
    from pulumi_policy import (
        EnforcementLevel,
        PolicyConfigSchema,
        ResourceValidationPolicy,
        StackValidationPolicy,
    )

    built: list[Policy] = []
    for policy in POLICIES:
        schema = (
            PolicyConfigSchema(properties={k: dict(v) for k, v in policy.config_schema.items()})
            if policy.config_schema
            else None
        )
        level = EnforcementLevel(policy.enforcement_level)
        if policy.check is not None:
            built.append(
                ResourceValidationPolicy(
                    name=policy.name,
                    description=policy.description,
                    validate=_resource_validate(policy),
                    enforcement_level=level,
                    config_schema=schema,
                )
            )
        else:
            built.append(
                StackValidationPolicy(
                    name=policy.name,
                    description=policy.description,
                    validate=_stack_validate(policy),
                    enforcement_level=level,
                    config_schema=schema,
                )
            )
    return built
