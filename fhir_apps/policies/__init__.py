"""The security guardrails as policies: one registry, enforced offline and by `pulumi preview`.

- `registry`: `POLICIES`, each check with a description, a default enforcement level and its
  config schema;
- `inputs`, `resources`, `secrets`, `stack`: the checks, which find values in Pulumi resource
  inputs and judge them with the rules of `fhir_apps.rules` (no rule is written here);
- `config`: the levels and properties a policy config file sets (`--policy-pack-config` shape);
- `offline`: `run_policies(render)`, over the resources of a render, for `check --policies`;
- `crossguard`: `crossguard_policies()`, the CrossGuard policies of the pack in `policy/`.

This package is copied into the built pack (`scripts/policy_pack.py`), so it imports neither the
spec (pydantic) nor the render engine.
"""

from fhir_apps.policies.config import (
    LEVELS,
    PolicyConfigError,
    policy_config_for_spec,
    resolve_config,
)
from fhir_apps.policies.crossguard import crossguard_policies
from fhir_apps.policies.offline import Violation, has_mandatory, run_policies
from fhir_apps.policies.registry import (
    DEFAULT_POLICY_CONFIG,
    PACK_NAME,
    POLICIES,
    PolicyDefinition,
)

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
