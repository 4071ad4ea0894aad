"""App roles of the FHIR API for people, groups and service principals named in the config."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_azuread as azuread

from components.errors import StackError
from components.fhir_resource_app import FhirResourceApp
from fhir_apps.rules.permissions import undefined_value_problem
from fhir_apps.spec.model import Assignment

__all__ = ["RoleAssignments", "RoleAssignmentsArgs"]

TYPE = "fhir-apps:role_assignments:RoleAssignments"


@dataclass(frozen=True, kw_only=True)
class RoleAssignmentsArgs:
    """Inputs of RoleAssignments.

    resource: the FHIR resource app (kind `oss`): its service principal and role ids.
    assignments: the spec's `assignments` (principal id and type, role values).
    protect: the environment is protected: each assignment is `protect`ed unless every
        assignment entry that lists its principal and role is being retired (`retire: true`).
    """

    resource: FhirResourceApp
    assignments: Sequence[Assignment]
    protect: bool = False


class RoleAssignments(pulumi.ComponentResource):
    """One AppRoleAssignment `<name>-<principalId>-<role>` per principal and role; one with an
    import id in its assignment's `importIds` (by role) adopts the existing assignment.

    Children are named from the principal id and the role value, never from list positions, so
    reordering or removing one assignment touches nothing else.

    Outputs:
        count: how many assignments exist.
    """

    count: int

    def __init__(
        self, name: str, args: RoleAssignmentsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        if args.resource.managed:
            raise StackError(
                "assignments: app role assignments exist only for kind 'oss'; managed FHIR "
                "services grant access with Azure RBAC"
            )
        super().__init__(TYPE, name, None, opts)
        pairs = sorted({(str(a.principal_id), role) for a in args.assignments for role in a.roles})
        # Adopted assignments (importIds); the config rules allow one import id per pair.
        import_ids = {
            (str(a.principal_id), role): import_id
            for a in args.assignments
            for role, import_id in a.import_ids.items()
        }
        # A pair stays protected while any entry that grants it is not being retired.
        kept = {
            (str(a.principal_id), role)
            for a in args.assignments
            if not a.retire
            for role in a.roles
        }
        for principal_id, role in pairs:
            azuread.AppRoleAssignment(
                f"{name}-{principal_id}-{role}",
                azuread.AppRoleAssignmentArgs(
                    app_role_id=_role_id(args.resource.planned_role_ids, role),
                    principal_object_id=principal_id,
                    resource_object_id=args.resource.service_principal_object_id,
                ),
                opts=pulumi.ResourceOptions(
                    parent=self,
                    protect=args.protect and (principal_id, role) in kept,
                    import_=import_ids.get((principal_id, role)),
                ),
            )
        self.count = len(pairs)
        self.register_outputs({"count": self.count})


def _role_id(role_ids: dict[str, str], role: str) -> str:
    if role not in role_ids:
        problem = undefined_value_problem("role", role, "fhirServer.appRoles", sorted(role_ids))
        raise StackError(f"assignments: {problem}")
    return role_ids[role]
