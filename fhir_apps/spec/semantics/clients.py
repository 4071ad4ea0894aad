"""The checks of `clients` (per kind: confidential, public, service) and of `assignments`: their
redirect URIs, credentials and the roles and scopes they request of the FHIR server."""

from __future__ import annotations

from collections.abc import Sequence
from typing import assert_never

from fhir_apps.arm import key_vault_secret_name
from fhir_apps.fhir_constants import USER_IMPERSONATION
from fhir_apps.rules.azure import key_vault_id_problem, key_vault_secret_name_problem
from fhir_apps.rules.credentials import (
    federated_audiences_problem,
    federated_count_problem,
    federated_issuer_problem,
    federated_subject_problem,
    public_client_credential_problem,
    secret_rotation_problem,
)
from fhir_apps.rules.permissions import (
    assignable_problem,
    fhir_rbac_role_problem,
    object_id_problem,
    service_client_scopes_problem,
    undefined_value_problem,
)
from fhir_apps.rules.text import display_name_problem, duplicate_indices
from fhir_apps.rules.urls import (
    redirect_uri_count_problem,
    redirect_uri_problems,
    service_client_redirect_uris_problem,
)
from fhir_apps.safeio.text import shown
from fhir_apps.spec.model import (
    Assignment,
    CertificateCredential,
    ClientSpec,
    ConfidentialClient,
    FederatedCredential,
    FhirServer,
    PublicClient,
    SecretCredential,
    ServiceClient,
    Spec,
)
from fhir_apps.spec.semantics.common import (
    Found,
    allowed,
    allowed_briefly,
    check_owners,
)
from fhir_apps.spec.semantics.import_ids import check_client_import_ids
from fhir_apps.spec.semantics.smart import check_client_smart
from fhir_apps.spec.yamlio import Path_


def check_client(
    spec: Spec,
    key: str,
    client: ClientSpec,
    defined: tuple[Sequence[str], Sequence[str]],
    found: Found,
) -> None:
    """Every problem of client `key`; `defined` is (the roles, the scopes) clients may request."""
    defined_roles, defined_scopes = defined
    server = spec.fhir_server
    base: Path_ = ("clients", key)
    if client.display_name is not None:
        problem = display_name_problem(client.display_name)
        if problem:
            found.append(((*base, "displayName"), problem))
    check_owners(client.owners, (*base, "owners"), found)
    match client:
        case ConfidentialClient():
            _confidential(client, base, found)
        case PublicClient():
            _public(client, base, found)
        case ServiceClient():
            _service(client, base, found)
        case _:
            assert_never(client)
    if client.credential is not None and not isinstance(client, PublicClient):
        _credential(spec, client.credential, (*base, "credential"), found)
        _vault_secret_name(key, client.credential, spec.secret_store.key_vault_id, base, found)
    if isinstance(client, ServiceClient):
        check_requested(client.roles, defined_roles, server, (*base, "roles"), "role", found)
        _assignable(server, client.roles, "ServicePrincipal", (*base, "roles"), found)
    else:
        check_requested(client.scopes, defined_scopes, server, (*base, "scopes"), "scope", found)
        check_client_smart(spec, client, base, found)
    check_client_import_ids(server, client, base, found)


def _vault_secret_name(
    key: str,
    credential: SecretCredential | CertificateCredential | FederatedCredential,
    store: str | None,
    base: Path_,
    found: Found,
) -> None:
    if not isinstance(credential, SecretCredential):
        return
    if credential.key_vault_id is None and store is None:
        return
    problem = key_vault_secret_name_problem(key_vault_secret_name(key))
    if problem:
        where = "keyVaultId" if credential.key_vault_id is not None else None
        path: Path_ = (*base, "credential", where) if where else base
        found.append((path, f"{problem}; the secret is named after the client key"))


def _redirects(uris: Sequence[str], platform: str, path: Path_, found: Found) -> None:
    for index, uri in enumerate(uris):
        found.extend(((*path, index), message) for message in redirect_uri_problems(uri, platform))
    for index in duplicate_indices(uris):
        found.append(((*path, index), f"'{shown(uris[index])}' is listed twice; list it once"))
    problem = redirect_uri_count_problem(len(uris))
    if problem:
        found.append((path, problem))


def _confidential(client: ConfidentialClient, base: Path_, found: Found) -> None:
    if not client.redirect_uris:
        found.append(
            (
                (*base, "redirectUris"),
                "a confidential client needs at least one redirect URI (https, or "
                "http://localhost) for the authorization-code flow; use kind service for a "
                "daemon",
            )
        )
    _redirects(client.redirect_uris, "web", (*base, "redirectUris"), found)
    for name, url in (("logoutUrl", client.logout_url), ("homepageUrl", client.homepage_url)):
        if url is not None:
            for problem in redirect_uri_problems(url, "web"):
                found.append(((*base, name), problem))
    if client.credential is None:
        found.append(
            (
                (*base, "credential"),
                "is required for a confidential client, which must prove itself to redeem "
                "authorization codes: add a credential of type certificate, federated or secret "
                "(or use kind public for an app that cannot keep a secret)",
            )
        )


def _public(client: PublicClient, base: Path_, found: Found) -> None:
    problem = public_client_credential_problem(client.credential is not None)
    if problem:
        found.append(((*base, "credential"), problem))
    if client.platform == "spa" and not client.redirect_uris:
        found.append(
            (
                (*base, "redirectUris"),
                "a spa needs at least one redirect URI (https, or http://localhost)",
            )
        )
    _redirects(client.redirect_uris, client.platform, (*base, "redirectUris"), found)
    if client.fallback_public_client and client.platform == "spa":
        found.append(
            (
                (*base, "fallbackPublicClient"),
                "applies only to platform mobile or desktop (native flows such as device code); "
                "a spa uses auth code with PKCE",
            )
        )


def _service(client: ServiceClient, base: Path_, found: Found) -> None:
    for key, problem in (
        ("redirectUris", service_client_redirect_uris_problem(client.redirect_uris)),
        ("scopes", service_client_scopes_problem(client.scopes)),
    ):
        if problem:
            found.append(((*base, key), problem))
    if client.credential is None:
        found.append(
            (
                (*base, "credential"),
                "is required for a service client: add a credential of type certificate, "
                "federated or secret",
            )
        )


def _credential(
    spec: Spec,
    credential: SecretCredential | CertificateCredential | FederatedCredential,
    path: Path_,
    found: Found,
) -> None:
    if isinstance(credential, SecretCredential):
        problem = secret_rotation_problem(
            credential.rotation_days, spec.policy.max_secret_lifetime_days
        )
        if problem:
            found.append(((*path, "rotationDays"), problem))
        if credential.key_vault_id is not None:
            problem = key_vault_id_problem(credential.key_vault_id)
            if problem:
                found.append(((*path, "keyVaultId"), problem))
    elif isinstance(credential, CertificateCredential):
        if not credential.all_files():
            found.append(
                (
                    (*path, "certificateFile"),
                    "is required: name the PEM file of the client's certificate (e.g. "
                    "certs/client.pem), or list several under certificateFiles",
                )
            )
    elif isinstance(credential, FederatedCredential):
        problem = federated_issuer_problem(credential.issuer)
        if problem:
            found.append(((*path, "issuer"), problem))
        if credential.subject is not None:
            problem = federated_subject_problem(credential.subject)
            if problem:
                found.append(((*path, "subject"), problem))
        for index, subject in enumerate(credential.subjects):
            problem = federated_subject_problem(subject)
            if problem:
                found.append(((*path, "subjects", index), problem))
        problem = federated_count_problem(len(credential.all_subjects()))
        if problem:
            found.append(((*path, "subjects"), problem))
        problem = federated_audiences_problem(credential.audiences)
        if problem:
            found.append(((*path, "audiences"), problem))


def check_requested(
    requested: Sequence[str],
    defined: Sequence[str],
    server: FhirServer,
    path: Path_,
    what: str,
    found: Found,
) -> None:
    for index, value in enumerate(requested):
        if value in defined:
            continue
        if server.is_managed() and what == "role":
            message = fhir_rbac_role_problem(value) or ""
            if server.smart_app() and "clients" in path:
                message += (
                    f", or an app role of the SMART resource app (fhirServer.appRoles: "
                    f"{allowed(server.app_roles)})"
                )
        elif server.smart_app():
            source = "fhirServer.scopes"
            if server.scope_presets:
                source += " and fhirServer.scopePresets"
            message = (
                f"'{value}' is not a scope of the SMART resource app ({source}); "
                f"{allowed_briefly(defined)}"
            )
        elif server.is_managed():
            message = (
                f"'{value}' is not a scope of kind {server.kind}; allowed: {USER_IMPERSONATION}"
            )
        else:
            source = "fhirServer.appRoles" if what == "role" else "fhirServer.scopes"
            message = undefined_value_problem(what, value, source, defined)
        found.append(((*path, index), message))
    for index in duplicate_indices(requested):
        found.append(((*path, index), f"'{requested[index]}' is listed twice; list it once"))


def check_assignment(
    assignment: Assignment, defined: Sequence[str], server: FhirServer, path: Path_, found: Found
) -> None:
    problem = object_id_problem(str(assignment.principal_id))
    if problem:
        found.append(((*path, "principalId"), problem))
    if not assignment.roles:
        found.append(((*path, "roles"), "needs at least one role"))
    check_requested(assignment.roles, defined, server, (*path, "roles"), "role", found)
    _assignable(server, assignment.roles, assignment.principal_type, (*path, "roles"), found)


def _assignable(
    server: FhirServer, roles: Sequence[str], principal_type: str, path: Path_, found: Found
) -> None:
    # App roles exist on the oss app and the SMART app; FHIR RBAC names are skipped below.
    if server.is_managed() and not server.smart_app():
        return
    for index, role in enumerate(roles):
        details = server.role_details.get(role)
        if details is None or role not in server.app_roles:
            continue
        problem = assignable_problem(role, details.allowed_member_types, principal_type)
        if problem:
            found.append(((*path, index), problem))
