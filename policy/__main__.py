"""The fhir-apps guardrails as a CrossGuard policy pack: `pulumi preview --policy-pack policy`.

A thin adapter: every policy, its description, default enforcement level and config come from
`fhir_apps.policies.registry`, whose checks are also what `python -m fhir_apps check --policies`
runs offline. Levels and config: docs/policies.md.
`scripts/policy_pack.py build` makes the publishable pack: this file plus a copy of the modules.
"""

import sys
from pathlib import Path

# Pulumi runs the pack directory, which puts it first on sys.path. A built pack carries its copy
# of fhir_apps beside this file; here in the repository the pack applies the repository's own
# rules, from the parent directory.
_HERE = Path(__file__).resolve().parent
if not (_HERE / "fhir_apps").is_dir():
    sys.path.insert(0, str(_HERE.parent))

from pulumi_policy import EnforcementLevel, PolicyPack  # noqa: E402 - after the path

from fhir_apps.policies.crossguard import crossguard_policies  # noqa: E402
from fhir_apps.policies.registry import PACK_NAME  # noqa: E402

PolicyPack(
    name=PACK_NAME,
    # Each policy sets its own level; this applies only to a policy that would not.
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=crossguard_policies(),
)
