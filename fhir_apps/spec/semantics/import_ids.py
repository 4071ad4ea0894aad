"""The checks of `importIds` (adoption of existing registrations): each names an object that the
same client, server or assignment declares."""

from __future__ import annotations

from fhir_apps.spec.model import (
    ConfidentialClient,
    FederatedCredential,
    FhirServer,
    PublicClient,
    ServiceClient,
    Spec,
)
from fhir_apps.spec.semantics.common import Found, allowed
from fhir_apps.spec.yamlio import Path_, format_path


def check_client_import_ids(
    server: FhirServer,
    client: ConfidentialClient | PublicClient | ServiceClient,
    base: Path_,
    found: Found,
) -> None:
    """Each import id of a child object must name one the same client declares."""
    ids = client.import_ids
    path: Path_ = (*base, "importIds")
    if ids.role_assignments:
        where: Path_ = (*path, "roleAssignments")
        if not isinstance(client, ServiceClient):
            found.append(
                (
                    where,
                    "applies only to a service client (kind service), whose roles are app role "
                    "assignments; remove it",
                )
            )
        elif server.is_managed():
            found.append(
                (
                    where,
                    f"applies only to kind oss: for kind {server.kind} a service client's roles "
                    "are Azure RBAC role assignments, which have no import ids here; remove it",
                )
            )
        else:
            for role in sorted(ids.role_assignments):
                if role not in client.roles:
                    found.append(
                        (
                            (*where, role),
                            f"imports the assignment of role '{role}', which "
                            f"{format_path((*base, 'roles'))} does not list; listed: "
                            f"{allowed(client.roles)}",
                        )
                    )
    if ids.consent_grant is not None:
        where = (*path, "consentGrant")
        if isinstance(client, ServiceClient) or not client.admin_consent:
            found.append(
                (
                    where,
                    "applies only with adminConsent: true (it imports the admin consent grant of "
                    "a confidential or public client); set adminConsent or remove it",
                )
            )
        elif not client.scopes:
            found.append(
                (
                    where,
                    "applies only to a client with scopes: without them adminConsent grants "
                    "nothing and no grant exists to import; remove it",
                )
            )
    if ids.graph_consent_grant is not None and (
        isinstance(client, ServiceClient) or not client.admin_consent or not client.graph_scopes
    ):
        found.append(
            (
                (*path, "graphConsentGrant"),
                "applies only with adminConsent: true and graphScopes (it imports the admin "
                "consent grant to Microsoft Graph of a confidential or public client); remove it",
            )
        )
    if ids.federated_credentials:
        where = (*path, "federatedCredentials")
        credential = client.credential
        if not isinstance(credential, FederatedCredential):
            found.append((where, "applies only to a credential of type federated; remove it"))
        else:
            subjects = credential.all_subjects()
            for subject in sorted(ids.federated_credentials):
                if subject not in subjects:
                    found.append(
                        (
                            (*where, subject),
                            f"imports the credential of subject '{subject}', which "
                            f"{format_path((*base, 'credential'))} does not list; listed: "
                            f"{allowed(subjects)}",
                        )
                    )


def check_server_import_ids(server: FhirServer, base: Path_, found: Found) -> None:
    ids = server.import_ids
    for name, value in (
        ("roleAssignments", ids.role_assignments),
        ("consentGrant", ids.consent_grant),
        ("graphConsentGrant", ids.graph_consent_grant),
        ("federatedCredentials", ids.federated_credentials),
    ):
        if value:
            found.append(
                (
                    (*base, "importIds", name),
                    "applies only to a client (the FHIR resource app has no app role "
                    "assignment, consent grant or credential of its own); remove it",
                )
            )


def check_assignment_import_ids(spec: Spec, found: Found) -> None:
    """Import ids of assignments name one of the assignment's roles, once per principal."""
    seen: dict[tuple[str, str], tuple[int, str]] = {}
    for index, assignment in enumerate(spec.assignments):
        path: Path_ = ("assignments", index, "importIds")
        if not assignment.import_ids:
            continue
        if spec.fhir_server.is_managed():
            found.append(
                (
                    path,
                    f"applies only to kind oss: for kind {spec.fhir_server.kind} assignments are "
                    "Azure RBAC role assignments, which have no import ids here; remove it",
                )
            )
            continue
        for role, import_id in sorted(assignment.import_ids.items()):
            if role not in assignment.roles:
                found.append(
                    (
                        (*path, role),
                        f"imports the assignment of role '{role}', which "
                        f"{format_path(('assignments', index, 'roles'))} does not list; listed: "
                        f"{allowed(assignment.roles)}",
                    )
                )
                continue
            pair = (str(assignment.principal_id), role)
            earlier = seen.setdefault(pair, (index, import_id))
            if earlier[1] != import_id:
                found.append(
                    (
                        (*path, role),
                        f"differs from assignments[{earlier[0]}].importIds.{role}, for the same "
                        "principal and role (one assignment, one import id); keep one",
                    )
                )
