"""What the FHIR app grants: admin consent of clients (OAuth2 permission grants) and app role
assignments, each with the import id of the existing object."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fhir_apps.adopt.context import App, Context
from fhir_apps.adopt.importids import app_role_assignment_import_id, consent_grant_import_id
from fhir_apps.safeio.text import shown

__all__ = ["admin_consent", "assigned_roles", "people_assignments"]


def admin_consent(
    ctx: Context, app: App, key: str, scopes: Sequence[str]
) -> tuple[bool, str | None]:
    """Whether the app has tenant-wide consent to the FHIR app, and the grant's import id.

    Entra holds one `AllPrincipals` grant per client and resource; the program manages it as
    `<key>-consent` with the client's scopes as its claim values.
    """
    sp = ctx.sps.get(app["appId"])
    if sp is None or ctx.resource_sp is None:
        return False, None
    grants = sorted(
        (
            g
            for g in ctx.export.grants
            if g["clientId"] == sp["id"]
            and g["resourceId"] == ctx.resource_sp["id"]
            and g["consentType"] == "AllPrincipals"
        ),
        key=lambda g: str(g["id"]),
    )
    if not grants:
        return False, None
    grant = grants[0]
    granted = sorted(set(str(grant.get("scope") or "").split()))
    if not scopes:
        ctx.add(
            app,
            "oauth2PermissionGrants",
            f"admin consent ({shown(' '.join(granted))}) exists, but the config requests no "
            "scope on the FHIR server, so it manages no grant: the grant is left as it is",
        )
        return True, None
    if granted != sorted(scopes):
        ctx.add(
            app,
            "oauth2PermissionGrants",
            f"admin consent grants '{shown(' '.join(granted))}' and the config consents to "
            f"'{' '.join(sorted(scopes))}' (the scopes it requests): the first `pulumi up` sets "
            f"the grant {key}-consent to the config's scopes",
            change=True,
        )
    return True, consent_grant_import_id(str(grant["id"]))


def assigned_roles(ctx: Context, app: App) -> dict[str, str]:
    """`{role value: assignment id}` held by the app's service principal on the FHIR app."""
    sp = ctx.sps.get(app["appId"])
    if sp is None or ctx.resource_sp is None:
        return {}
    role_values = {
        str(r.get("id")): str(r.get("value"))
        for r in ctx.resource.get("appRoles") or []
        if r.get("value")
    }
    return {
        role_values[a["appRoleId"]]: str(a["id"])
        for a in ctx.export.assignments
        if a["principalId"] == sp["id"]
        and a["resourceId"] == ctx.resource_sp["id"]
        and a["appRoleId"] in role_values
    }


def people_assignments(ctx: Context, client_app_ids: set[str]) -> list[dict[str, Any]]:
    """`assignments:` for people, groups and other principals (clients' own are their roles)."""
    if ctx.resource_sp is None:
        return []
    client_sps = {ctx.sps[a]["id"] for a in client_app_ids if a in ctx.sps}
    roles = {v: k for k, v in ctx.role_ids.items()}
    by_principal: dict[tuple[str, str], dict[str, Any]] = {}
    for assignment in ctx.export.assignments:
        if assignment["resourceId"] != ctx.resource_sp["id"]:
            continue
        if assignment["principalId"] in client_sps:
            continue
        role = roles.get(assignment["appRoleId"])
        name = assignment.get("principalDisplayName") or assignment["principalId"]
        named = shown(name)
        if role is None:
            ctx.add(
                ctx.resource,
                "appRoleAssignments",
                f"{named} holds role {assignment['appRoleId']}, which the config does not "
                "define (disabled or without a value): not adopted",
            )
            continue
        kind = assignment.get("principalType")
        if kind not in ("User", "Group", "ServicePrincipal"):
            ctx.add(
                ctx.resource,
                "appRoleAssignments",
                f"{named}: principal type {_quoted(kind)} is not one the config knows: not adopted",
            )
            continue
        entry = by_principal.setdefault(
            (kind, assignment["principalId"]),
            {
                "principalId": assignment["principalId"],
                "principalType": kind,
                "roles": [],
                "description": str(name),
                "importIds": {},
            },
        )
        entry["roles"] = sorted({*entry["roles"], role})
        import_id = app_role_assignment_import_id(ctx.resource_sp["id"], str(assignment["id"]))
        entry["importIds"] = dict(sorted({**entry["importIds"], role: import_id}.items()))
    return [by_principal[k] for k in sorted(by_principal, key=lambda k: (k[1], k[0]))]


def _quoted(value: Any) -> str:
    return f"'{shown(value)}'" if isinstance(value, str) else "null"
