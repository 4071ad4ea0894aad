"""What a delegated client keeps for signing users in: Microsoft Graph's sign-in scopes
(`graphScopes`: openid, profile, offline_access, email, User.Read), with the import id of their
admin consent, and the optional claims of its ID and access tokens (`optionalClaims`).

Real web apps carry these (the portal adds User.Read to every new app; ASP.NET templates ask for
openid, profile and offline_access; SMART apps for openid and offline_access); dropping them
would change how users sign in, so adoption keeps what the config can say and reports the rest.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from fhir_apps import rules
from fhir_apps.adopt.context import App, Context
from fhir_apps.adopt.importids import consent_grant_import_id
from fhir_apps.fhir_constants import FHIR_USER_CLAIM, GRAPH_DELEGATED_SCOPES
from fhir_apps.safeio.text import shown

__all__ = ["GRAPH_GRANT_PROPERTY", "graph_consent", "graph_scopes", "kept_claims"]

MICROSOFT_GRAPH_APP_ID: Final = "00000003-0000-0000-c000-000000000000"
# The finding and plan property of a client's admin consent to Microsoft Graph.
GRAPH_GRANT_PROPERTY: Final = "oauth2PermissionGrants (Microsoft Graph)"
_NAMES: Final = {scope_id: name for name, scope_id in GRAPH_DELEGATED_SCOPES.items()}
# Optional claims the config carries: ID and access tokens, by name (no source, not essential).
_TOKENS: Final = (("idToken", "idToken"), ("accessToken", "accessToken"))


def graph_scopes(app: App) -> tuple[list[str], list[dict[str, Any]]]:
    """(`graphScopes` the client keeps, what is left of its Microsoft Graph request)."""
    kept: set[str] = set()
    left: list[dict[str, Any]] = []
    for entry in app.get("requiredResourceAccess") or []:
        if entry.get("resourceAppId") != MICROSOFT_GRAPH_APP_ID:
            continue
        for access in entry.get("resourceAccess") or []:
            name = _NAMES.get(str(access.get("id")))
            if access.get("type") == "Scope" and name is not None:
                kept.add(name)
            else:
                left.append(access)
    return sorted(kept), left


def graph_consent(ctx: Context, app: App, scopes: Sequence[str]) -> str | None:
    """The import id of the client's tenant-wide consent to `scopes` on Microsoft Graph, which
    the program manages as `<key>-consent-graph` when the client has adminConsent."""
    graph_sp = ctx.sps.get(MICROSOFT_GRAPH_APP_ID)
    sp = ctx.sps.get(app["appId"])
    grants = [
        g
        for g in ctx.export.grants
        if sp is not None
        and graph_sp is not None
        and g["clientId"] == sp["id"]
        and g["resourceId"] == graph_sp["id"]
        and g["consentType"] == "AllPrincipals"
    ]
    wanted = " ".join(sorted(scopes))
    if not grants:
        ctx.add(
            app,
            GRAPH_GRANT_PROPERTY,
            f"the config gives the app admin consent to Microsoft Graph's {wanted} too, and the "
            "export holds no such grant, so the first `pulumi up` creates one; if the tenant "
            "has it already, that `up` stops with 'already exists': export the app's grants "
            "(GET /oauth2PermissionGrants?$filter=clientId eq '<its service principal's id>') "
            "and Microsoft Graph's service principal (az ad sp list --all has it), and run "
            "adopt again",
        )
        return None
    grant = sorted(grants, key=lambda g: str(g["id"]))[0]
    granted = " ".join(sorted(set(str(grant.get("scope") or "").split())))
    if granted != wanted:
        ctx.add(
            app,
            GRAPH_GRANT_PROPERTY,
            f"admin consent grants Microsoft Graph's '{shown(granted)}' and the config's "
            f"graphScopes are '{wanted}': the first `pulumi up` sets the grant to the config's "
            "(consent to the others is revoked)",
            change=True,
        )
    return consent_grant_import_id(str(grant["id"]))


def kept_claims(app: App) -> dict[str, list[str]]:
    """`optionalClaims` of ID and access tokens the config carries: plain claims by name (the
    program sets no source, essential flag or additional properties); the rest is reported."""
    claims = app.get("optionalClaims") or {}
    kept: dict[str, list[str]] = {}
    for graph_name, config_name in _TOKENS:
        names = sorted(
            {str(item.get("name")) for item in claims.get(graph_name) or [] if _plain(item)}
        )
        if names:
            kept[config_name] = names
    return kept


def _plain(item: dict[str, Any]) -> bool:
    name = item.get("name")
    return (
        isinstance(name, str)
        and name != FHIR_USER_CLAIM  # the SMART claims mapping policy's, not an optional claim
        and rules.optional_claim_problem(name) is None
        and not item.get("source")
        and not item.get("essential")
        and not item.get("additionalProperties")
    )
