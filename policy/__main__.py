"""The fhir-apps guardrails as a CrossGuard policy pack: `pulumi preview --policy-pack policy`.

A thin adapter: every policy, its description, default enforcement level and config come from
`fhir_apps.policies`, whose checks (`fhir_apps.rules.resources`) are also what
`python -m fhir_apps check --policies` runs offline. Levels and config: docs/policies.md.
"""

import sys
from pathlib import Path

# The pack lives inside the repository and applies the repository's rules, not a copy of them:
# the CLI starts it with policy/ as the working directory, so make the repository root (which
# holds the fhir_apps package) importable.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pulumi_policy import EnforcementLevel, PolicyPack

from fhir_apps.policies import PACK_NAME, crossguard_policies

PolicyPack(
    name=PACK_NAME,
    # Each policy sets its own level; this applies only to a policy that would not.
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=crossguard_policies(),
)
