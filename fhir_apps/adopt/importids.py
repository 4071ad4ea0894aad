"""The import ids Pulumi's `import_` option takes for the objects adoption takes over.

Formats are those of the installed provider, pulumi_azuread 6.11.1 (the Terraform azuread 3.x
bridge); when the provider is upgraded, re-read the "Import" section of `application.py` and
`service_principal.py` in the installed package and change this file only.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "APPLICATION_PREFIX",
    "application_import_id",
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
