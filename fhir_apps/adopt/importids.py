"""The import ids Pulumi's `import_` option takes for the objects adoption takes over.

Formats are those of the installed provider, pulumi_azuread 6.11.1 (the Terraform azuread 3.x
bridge); when the provider is upgraded, re-read the "Import" section of `application.py`,
`service_principal.py`, `app_role_assignment.py`, `service_principal_delegated_permission_grant.py`
and `application_federated_identity_credential.py` in the installed package and change this file
only.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "APPLICATION_PREFIX",
    "app_role_assignment_import_id",
    "application_import_id",
    "consent_grant_import_id",
    "federated_credential_import_id",
    "object_id_of_application_import_id",
    "service_principal_import_id",
]

# application.py, "Import": `pulumi import azuread:index/application:Application example
# /applications/00000000-0000-0000-0000-000000000000`. The provider's own resource id has this
# form since Terraform azuread 2.x, so this one is not in doubt.
APPLICATION_PREFIX: Final = "/applications/"


def application_import_id(object_id: str) -> str:
    """`/applications/<objectId>` (the application's object id, not its appId/client id)."""
    return f"{APPLICATION_PREFIX}{object_id}"


def object_id_of_application_import_id(import_id: str) -> str | None:
    """The object id inside an Application import id, or None if it is not of that form."""
    if not import_id.startswith(APPLICATION_PREFIX):
        return None
    return import_id.removeprefix(APPLICATION_PREFIX)


def service_principal_import_id(object_id: str) -> str:
    """The service principal's import id: its plain object id, e.g. `0e8c2a6f-...`.

    Why the plain object id, when the Application takes `/applications/<objectId>`: the docstring
    of the installed provider (service_principal.py, "Import": `pulumi import
    azuread:index/servicePrincipal:ServicePrincipal example 00000000-0000-0000-0000-000000000000`)
    says so, and so does the provider's importer in its current upstream form, which validates
    the id as a bare UUID and rejects `/servicePrincipals/<objectId>` with "uuid string is wrong
    length" (hashicorp/terraform-provider-azuread#1922, a maintainer-merged docs fix). Provider
    builds on Terraform azuread 3.0.x took `/servicePrincipals/<objectId>` instead
    (pulumi/pulumi-azuread#1750, hashicorp/terraform-provider-azuread#1604): if an upgrade brings
    that form back, `pulumi up` stops at the import with "does not exist" or "not valid" and
    nothing is created; change this function and re-run `adopt`.
    """
    return object_id


def app_role_assignment_import_id(resource_sp_object_id: str, assignment_id: str) -> str:
    """`/servicePrincipals/<resource SP objectId>/appRoleAssignedTo/<assignment id>`.

    app_role_assignment.py, "Import": the object id of the service principal of the *resource*
    (here the FHIR app's, Graph `resourceId`) and the assignment's own id (Graph `id`, a
    base64url string such as `mz2bxz9z...`; not the app role id).
    """
    return f"/servicePrincipals/{resource_sp_object_id}/appRoleAssignedTo/{assignment_id}"


def consent_grant_import_id(grant_id: str) -> str:
    """`/oauth2PermissionGrants/<grant id>` (the Graph oauth2PermissionGrant's `id`).

    service_principal_delegated_permission_grant.py, "Import": `pulumi import azuread:index/
    servicePrincipalDelegatedPermissionGrant:ServicePrincipalDelegatedPermissionGrant example
    /oauth2PermissionGrants/aaBBcDDeFG6h5JKLMN2PQrrssTTUUvWWxxxxxyyyzzz`.
    """
    return f"/oauth2PermissionGrants/{grant_id}"


def federated_credential_import_id(application_object_id: str, credential_id: str) -> str:
    """`<application objectId>/federatedIdentityCredential/<credential id>`, no leading slash.

    application_federated_identity_credential.py, "Import": "composed of the application's
    object ID, the string "federatedIdentityCredential" and the credential ID in the format
    `{ObjectId}/federatedIdentityCredential/{CredentialId}`" (unlike the Application's own id,
    which has the `/applications/` prefix).
    """
    return f"{application_object_id}/federatedIdentityCredential/{credential_id}"
