"""Azure RBAC role assignments at a managed FHIR service: the FHIR roles of clients and people.

`pulumi_azure_native.authorization` is imported in the constructor, only when a stack assigns
roles (see docs/performance.md, "Start-up").
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial

import pulumi

from components.errors import StackError
from fhir_apps import arm
from fhir_apps.rules.permissions import fhir_rbac_role_problem

__all__ = ["FhirRbac", "FhirRbacArgs", "RbacGrant"]

TYPE = "fhir-apps:rbac:FhirRbac"

PrincipalType = str  # "User", "Group" or "ServicePrincipal" (azure-native's PrincipalType)


@dataclass(frozen=True, kw_only=True)
class RbacGrant:
    """FHIR RBAC roles for one principal.

    principal_id: the principal's object id (a service principal's output for clients).
    principal_type: `User`, `Group` or `ServicePrincipal`. Sent with every assignment: ARM then
        skips its lookup of the principal, which fails for a service principal created moments
        ago and not yet replicated ("PrincipalNotFound").
    roles: FHIR RBAC role names (keys of `FHIR_RBAC_ROLES`).
    description: what the assignment is for (shown in the portal).
    protected_roles: the roles whose assignment is Pulumi-`protect`ed (a protected environment,
        not retired): they grant data access, so removing them from the config must not delete
        them silently.
    """

    principal_id: pulumi.Input[str]
    principal_type: PrincipalType
    roles: tuple[str, ...]
    description: str
    protected_roles: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class FhirRbacArgs:
    """Inputs of FhirRbac.

    scope: the FHIR service's ARM id (the deployed service's id, or `fhirServer.resourceId`).
    grants: `{key: RbacGrant}`; the key names the children (a client key or a principal id).
    """

    scope: pulumi.Input[str]
    grants: Mapping[str, RbacGrant]


class FhirRbac(pulumi.ComponentResource):
    """One azure-native RoleAssignment `<name>-<key>-<role slug>` per grant key and role, at the
    FHIR service's scope, with the subscription's built-in role definition id and a uuid5 name
    over scope, principal and role (so a re-run, or a run after lost state, changes nothing).

    Outputs:
        count: how many role assignments exist.
    """

    count: int

    def __init__(
        self, name: str, args: FhirRbacArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        for key, grant in args.grants.items():
            for role in grant.roles:
                problem = fhir_rbac_role_problem(role)
                if problem:
                    # The config rules report this with file and key first.
                    raise StackError(f"{key}: {problem}")
        super().__init__(TYPE, name, None, opts)
        import pulumi_azure_native.authorization as authorization

        scope = pulumi.Output.from_input(args.scope)
        self.count = 0
        for key, grant in sorted(args.grants.items()):
            for role in sorted(set(grant.roles)):
                principal = pulumi.Output.from_input(grant.principal_id)
                authorization.RoleAssignment(
                    f"{name}-{key}-{role_slug(role)}",
                    authorization.RoleAssignmentArgs(
                        scope=scope,
                        principal_id=principal,
                        principal_type=grant.principal_type,
                        role_definition_id=scope.apply(partial(_definition_id, role=role)),
                        role_assignment_name=pulumi.Output.all(scope, principal).apply(
                            partial(_assignment_name, role=role)
                        ),
                        description=f"{role}: {grant.description}",
                    ),
                    opts=pulumi.ResourceOptions(parent=self, protect=role in grant.protected_roles),
                )
                self.count += 1
        self.register_outputs({"count": self.count})


def role_slug(role: str) -> str:
    """`FHIR Data Reader` -> `fhir-data-reader` (resource names)."""
    return re.sub(r"[^a-z0-9]+", "-", role.lower()).strip("-")


# Module functions with the role bound by `partial`, not lambdas with a default argument: the
# type checker cannot infer a lambda's default (and a plain closure would see the last role).
def _definition_id(scope: str, *, role: str) -> str:
    return arm.role_definition_id(scope, role)


def _assignment_name(scope_and_principal: list[str], *, role: str) -> str:
    scope, principal = scope_and_principal
    return arm.role_assignment_name(scope, principal, role)
