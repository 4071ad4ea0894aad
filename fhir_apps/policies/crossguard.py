"""The CrossGuard adapter: the registry's checks as the policies of the pack in `policy/`.

The Pulumi CLI runs them against any program's `azuread` and `azure-native` resources. The pack's
props are proxies that raise on unknown values; they are turned into the plain data the checks
take, with the engine's unknowns as the render's `[unknown]` marker.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from fhir_apps.policies.registry import POLICIES, PolicyDefinition
from fhir_apps.policies.stack import StackResource
from fhir_apps.resource_types import SECRET, UNKNOWN

if TYPE_CHECKING:
    from pulumi_policy import Policy

__all__ = ["crossguard_policies"]


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
            return SECRET
        if isinstance(item, proxy._DictProxy | proxy._ListProxy):
            # `__target` is the proxy's raw contents, read without its unknown check.
            return convert(item["__target"])
        if isinstance(item, Mapping):
            return {key: convert(item[key]) for key in item}
        if isinstance(item, Sequence) and not isinstance(item, str):
            return [convert(v) for v in item]
        if isinstance(item, str) and item in unknowns:
            return UNKNOWN
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
            StackResource(
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
        # A resource policy sees one resource at a time; a stack policy all of them at once.
        kind: type[ResourceValidationPolicy] | type[StackValidationPolicy]
        if policy.check is not None:
            kind, validate = ResourceValidationPolicy, _resource_validate(policy)
        else:
            kind, validate = StackValidationPolicy, _stack_validate(policy)
        built.append(
            kind(
                name=policy.name,
                description=policy.description,
                validate=validate,
                enforcement_level=EnforcementLevel(policy.enforcement_level),
                config_schema=schema,
            )
        )
    return built
