"""The checks of SMART on FHIR: the SMART resource app (kind ahds with smart), its audience,
fhirUser values and identity providers, and what SMART clients request (errors and warnings)."""

from __future__ import annotations

from fhir_apps.fhir_constants import FHIR_USER_CLAIM, SMART_USER_ROLE, USER_IMPERSONATION
from fhir_apps.rules.permissions import object_id_problem
from fhir_apps.rules.smart import (
    fhir_user_value_problem,
    mixed_smart_scopes,
    optional_claim_problem,
    smart_gateway_problem,
    smart_identity_provider_problems,
)
from fhir_apps.rules.text import duplicate_indices
from fhir_apps.rules.urls import identifier_uri_problem, mapped_claims_audience_problem
from fhir_apps.spec.model import (
    ConfidentialClient,
    FhirServer,
    OptionalClaims,
    PublicClient,
    ServiceClient,
    Spec,
)
from fhir_apps.spec.semantics.common import Found, check_values
from fhir_apps.spec.yamlio import Path_


def check_smart(spec: Spec, server: FhirServer, base: Path_, found: Found) -> None:
    if not server.smart:
        return
    if server.kind == "azure-api-for-fhir":
        found.append(
            (
                (*base, "smart"),
                "applies only to kind ahds: Azure API for FHIR retires on 2026-09-30 and its "
                "SMART on FHIR proxy is a setting of the service, which this stack does not "
                "manage; move to an AHDS FHIR service",
            )
        )
    elif server.deploy is None and server.resource_id is None:
        found.append(
            (
                (*base, "smart"),
                "needs fhirServer.deploy or fhirServer.resourceId: the FHIR service's audience "
                "must point at the SMART resource app, and this stack sets it only on a service "
                "it deploys or names",
            )
        )
    else:
        _smart_audience(spec, server, base, found)
        _fhir_users(server, base, found)
        _smart_identity_providers(server, base, found)


def check_smart_only_keys(server: FhirServer, base: Path_, found: Found) -> None:
    """Keys that mean something only for a SMART resource app this stack creates."""
    if server.smart_app():
        return
    for key, is_set in (
        ("smartAudience", server.smart_audience is not None),
        ("fhirUsers", bool(server.fhir_users)),
        ("smartIdentityProviders", bool(server.smart_identity_providers)),
        ("smartGateway", server.smart_gateway is not None),
    ):
        if is_set:
            found.append(
                (
                    (*base, key),
                    "applies only with smart: true on kind ahds (with deploy or resourceId); "
                    "remove it",
                )
            )


def _smart_audience(spec: Spec, server: FhirServer, base: Path_, found: Found) -> None:
    """The SMART app's identifier URI: set, or made from the first verified domain."""
    domains = spec.tenant.verified_domains
    if server.smart_audience is not None:
        uri = server.smart_audience
        problem = identifier_uri_problem(uri, domains) or (
            mapped_claims_audience_problem(uri, domains)
        )
        if problem:
            found.append(((*base, "smartAudience"), problem))
    elif not domains:
        found.append(
            (
                ("tenant", "verifiedDomains"),
                "must list a verified domain of the tenant with fhirServer.smart (or set "
                "fhirServer.smartAudience): the SMART resource app's identifier URI is "
                "https://<first verified domain>/<workspace>-<service>, because Entra issues "
                "tokens with the fhirUser claim only for an audience on a verified domain "
                "(AADSTS501461)",
            )
        )
    if server.smart_gateway is not None:
        problem = smart_gateway_problem(server.smart_gateway)
        if problem:
            found.append(((*base, "smartGateway"), problem))


def _fhir_users(server: FhirServer, base: Path_, found: Found) -> None:
    seen: dict[str, int] = {}
    for index, user in enumerate(server.fhir_users):
        path: Path_ = (*base, "fhirUsers", index)
        problem = object_id_problem(str(user.user_id))
        if problem:
            found.append(((*path, "userId"), problem))
        problem = fhir_user_value_problem(user.fhir_user)
        if problem:
            found.append(((*path, "fhirUser"), problem))
        earlier = seen.setdefault(str(user.user_id), index)
        if earlier != index:
            found.append(
                (
                    (*path, "userId"),
                    f"is also fhirServer.fhirUsers[{earlier}]; a user has one FHIR identity",
                )
            )


def _smart_identity_providers(server: FhirServer, base: Path_, found: Found) -> None:
    providers = [
        (
            provider.authority,
            [(a.client_id, a.audience, a.allowed_data_actions) for a in provider.applications],
        )
        for provider in server.smart_identity_providers
    ]
    for suffix, problem in smart_identity_provider_problems(providers):
        found.append(((*base, "smartIdentityProviders", *suffix), problem))


def check_client_smart(
    spec: Spec, client: ConfidentialClient | PublicClient, base: Path_, found: Found
) -> None:
    """Graph scopes, optional claims and the Auth Context Frontend flag of a delegated client."""
    for index in duplicate_indices(client.graph_scopes):
        found.append(
            (
                (*base, "graphScopes", index),
                f"'{client.graph_scopes[index]}' is listed twice; list it once",
            )
        )
    _optional_claims(spec, client.optional_claims, (*base, "optionalClaims"), found)
    if isinstance(client, PublicClient) and client.auth_context_frontend:
        if client.platform != "spa":
            found.append(
                (
                    (*base, "authContextFrontend"),
                    "applies only to platform spa: the SMART sample's Auth Context Frontend is a "
                    "single-page app",
                )
            )
        if spec.fhir_server.smart_gateway is None or not spec.fhir_server.smart_app():
            found.append(
                (
                    (*base, "authContextFrontend"),
                    "needs fhirServer.smartGateway (with smart: true): its redirect URI is "
                    "<gateway>/auth/context/",
                )
            )


def _optional_claims(spec: Spec, claims: OptionalClaims, path: Path_, found: Found) -> None:
    for key, names in (("idToken", claims.id_token), ("accessToken", claims.access_token)):
        for index, name in enumerate(names):
            where: Path_ = (*path, key, index)
            if name == FHIR_USER_CLAIM:
                if key == "accessToken":
                    found.append(
                        (
                            where,
                            "access tokens for the FHIR service carry fhirUser from the SMART "
                            "resource app's claims mapping policy already; remove it",
                        )
                    )
                elif not spec.fhir_server.smart_app():
                    found.append(
                        (
                            where,
                            "fhirUser comes from the SMART resource app's claims mapping "
                            "policy: it needs fhirServer.smart: true (kind ahds)",
                        )
                    )
                continue
            problem = optional_claim_problem(name)
            if problem:
                found.append((where, problem))
        for index in duplicate_indices(names):
            found.append(((*path, key, index), f"'{names[index]}' is listed twice; list it once"))


def smart_warnings(spec: Spec, found: Found) -> None:
    """A SMART setup that Entra accepts but the FHIR service refuses at call time."""
    server = spec.fhir_server
    if not server.smart_app():
        return
    for key, client in sorted(spec.clients.items()):
        if isinstance(client, ServiceClient):
            if SMART_USER_ROLE in client.roles:
                found.append(
                    (
                        ("clients", key, "roles", client.roles.index(SMART_USER_ROLE)),
                        f"{SMART_USER_ROLE} on a service client: its app-only tokens carry no "
                        "fhirUser, so the FHIR service refuses its SMART requests; give it a "
                        "FHIR Data role and system.* app roles instead",
                    )
                )
            continue
        mixed = mixed_smart_scopes(client.scopes)
        if mixed:
            what, one, other = mixed
            found.append(
                (
                    ("clients", key, "scopes"),
                    f"mixes {what} ({one}, {other}); the FHIR service refuses a token that "
                    "carries both, so request one of them per sign-in",
                )
            )
    _smart_user_holders(spec, found)


def _smart_user_holders(spec: Spec, found: Found) -> None:
    """Who holds FHIR SMART User: nobody (no user can use a SMART app), or a principal that also
    holds a FHIR Data role (SMART User makes the service restrict every request of the principal
    to SMART scopes and its fhirUser compartment, its Data role included)."""
    holders: dict[str, set[str]] = {}
    first: dict[str, int] = {}
    for index, assignment in enumerate(spec.assignments):
        principal = str(assignment.principal_id)
        holders.setdefault(principal, set()).update(assignment.roles)
        first.setdefault(principal, index)
    smart_users = [p for p, roles in holders.items() if SMART_USER_ROLE in roles]
    if not smart_users:
        found.append(
            (
                ("fhirServer", "smart"),
                f"no assignment grants {SMART_USER_ROLE}: the FHIR service refuses the SMART "
                "requests of users without it; assign it to the users (a group) who sign in "
                "to SMART apps",
            )
        )
    for principal in smart_users:
        data = sorted(r for r in holders[principal] if r != SMART_USER_ROLE)
        if data:
            found.append(
                (
                    ("assignments", first[principal], "roles"),
                    f"principal {principal} holds {SMART_USER_ROLE} and {', '.join(data)}: "
                    f"with {SMART_USER_ROLE} the FHIR service applies SMART scopes and the "
                    "fhirUser compartment to every request of the principal, so its other "
                    "roles stop working without a SMART token; use separate groups",
                )
            )


def check_smart_scopes(server: FhirServer, base: Path_, found: Found) -> None:
    check_values(server.scopes, (*base, "scopes"), "scope", found)
    if USER_IMPERSONATION not in server.scopes:
        found.append(
            (
                (*base, "scopes"),
                f"must include '{USER_IMPERSONATION}': the SMART resource app is the audience of "
                "every client, also of those that call the FHIR service as the signed-in user",
            )
        )
