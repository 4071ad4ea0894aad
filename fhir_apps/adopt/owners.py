"""Owners and the import ids of an adopted application and its service principal.

Owners are the hard case of adoption. The program gives every application and its service
principal the config's owners (base.yaml's and the block's) plus the deploying principal, so
that `Application.ReadWrite.OwnedBy` is enough to manage them and no run removes its own access;
the provider's `owners` is authoritative (it adds and removes owners to match). So the config
lists the exported owners (of the app and its service principal together), and whatever the
first `pulumi up` still changes is announced per object: the deploying principal added (unless
`--deployer` names it and it is an owner already), other owners removed, or owners unknown
because the export did not carry them ($expand=owners).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Final

from fhir_apps import rules
from fhir_apps.adopt.context import App, Context
from fhir_apps.adopt.graphjson import is_guid
from fhir_apps.adopt.importids import application_import_id, service_principal_import_id

__all__ = ["SERVER_KEY", "exported_owners", "import_ids", "owner_findings"]

# The YAML key the rendering gives the resource app (components.stack.SERVER_NAME).
SERVER_KEY: Final = "fhir-server"
_DEPLOYER: Final = "the deploying principal"


def exported_owners(ctx: Context, app: App) -> list[str]:
    """The exported owners of the app and of its service principal, as one list (the program
    gives both objects the same owners; `owner_findings` says what that changes)."""
    sp = ctx.sps.get(app["appId"]) or {}
    return sorted(_owner_ids(app) | _owner_ids(sp))


def owner_findings(ctx: Context, app: App, block_owners: Iterable[str]) -> None:
    """A finding per object (the application, its service principal) whose owners the first
    `pulumi up` changes; the adoption plan lists the same ones (`changes._owners`)."""
    wanted = sorted({*ctx.base_list("owners"), *block_owners, ctx.deployer or _DEPLOYER})
    sp = ctx.sps.get(app["appId"])
    objects: list[tuple[str, App]] = [("owners", app)]
    if sp is not None:
        objects.append(("servicePrincipal.owners", sp))
    for prop, source in objects:
        message = _owner_change(source, wanted)
        if message:
            ctx.add(app, prop, message, change=True)


def _owner_change(source: App, wanted: list[str]) -> str | None:
    why = (
        "(the program gives each application and its service principal the config's owners "
        "plus the deploying principal, so that Application.ReadWrite.OwnedBy is enough to "
        "manage them; the deploying principal needs Application.ReadWrite.All for this first "
        "change, or make it an owner first: az ad app owner add --id <appId> "
        "--owner-object-id <objectId>, then pass --deployer <objectId>)"
    )
    if "owners" not in source:
        return (
            f"the export has no owners, so the config cannot keep them: the first `pulumi up` "
            f"sets them to {', '.join(wanted)} and removes any other owner {why}; export with "
            "owners (Graph $expand=owners) and run adopt again"
        )
    have = sorted(_owner_ids(source))
    added = [o for o in wanted if o not in have]
    removed = [o for o in have if o not in wanted]
    if not added and not removed:
        return None
    parts = []
    if added:
        parts.append(f"adds {', '.join(added)}")
    if removed:
        parts.append(f"removes {', '.join(removed)}")
    return f"the first `pulumi up` {' and '.join(parts)} {why}"


def _owner_ids(source: App) -> set[str]:
    found: set[str] = set()
    for owner in source.get("owners") or []:
        owner_id = owner.get("id") if isinstance(owner, dict) else owner
        # Strictly a GUID: the rules' check also takes forms Graph never writes (`{...}`, or
        # with a line break around it), and an owner id is written into the config as it is.
        if (
            isinstance(owner_id, str)
            and is_guid(owner_id)
            and rules.object_id_problem(owner_id) is None
        ):
            found.add(owner_id)
    return found


def import_ids(ctx: Context, app: App, key: str = SERVER_KEY) -> dict[str, Any]:
    """`importIds.application` and `.servicePrincipal`; findings for what the SP import meets."""
    ids: dict[str, Any] = {"application": application_import_id(app["id"])}
    sp = ctx.sps.get(app["appId"])
    if sp is not None:
        ids["servicePrincipal"] = service_principal_import_id(sp["id"])
    elif ctx.export.has_service_principals:
        ctx.add(
            app,
            "servicePrincipal",
            "not in the --service-principals export: the first `pulumi up` creates one, and "
            "stops with 'already exists' if the app has one (find it with az ad sp show --id "
            f"{app['appId']}, add it to the export and run adopt again)",
            change=True,
        )
    else:
        ctx.add(
            app,
            "servicePrincipal",
            "no --service-principals export: the first `pulumi up` creates a service principal "
            "and stops with 'already exists' if the app has one",
            change=True,
        )
    return ids
