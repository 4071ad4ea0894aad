"""Policy config: each policy's enforcement level and properties, from defaults and a file.

Config has the shape of Pulumi's policy config file (`--policy-pack-config`): per policy name
either a level (`"advisory"`) or an object with `enforcementLevel` and the policy's properties;
the key `all` sets the level of every policy.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from fhir_apps.policies.registry import BY_NAME, POLICIES
from fhir_apps.safeio.text import shown

if TYPE_CHECKING:
    from fhir_apps.spec.model import Spec

__all__ = ["LEVELS", "PolicyConfigError", "Resolved", "policy_config_for_spec", "resolve_config"]

# Pulumi's enforcement levels; `remediate` is reported as mandatory (as the SDK does), since
# these policies only validate.
LEVELS: Final = ("advisory", "mandatory", "remediate", "disabled")


class PolicyConfigError(ValueError):
    """The policy config names an unknown policy, level or property, or a value of a wrong type."""


@dataclass(frozen=True)
class Resolved:
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


def resolve_config(config: Mapping[str, Any] | None = None) -> dict[str, Resolved]:
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
    unknown = sorted(shown(str(name)) for name in set(config) - set(BY_NAME))
    if unknown:
        raise PolicyConfigError(
            f"unknown policy {', '.join(unknown[:5])}{', ...' if len(unknown) > 5 else ''}; "
            f"policies: {', '.join(sorted(BY_NAME))}"
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
        resolved[policy.name] = Resolved("mandatory" if level == "remediate" else level, properties)
    return resolved


def _is_level(value: Any) -> bool:
    # `in` on the tuple compares with ==, so a list or a dict from the file is simply not one.
    return isinstance(value, str) and value in LEVELS


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
