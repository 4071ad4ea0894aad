"""Which input changes make the engine replace a resource instead of updating it, as data.

A render diff shows a changed input; what `pulumi up` then does depends on the provider: some
properties cannot be updated in place, so the provider asks for a replacement (a new object, and
the old one deleted). A replaced app role assignment is a moment without the role; a replaced
certificate or password gets a new key. Reviewers need to see that before it lands, so the diff
marks these changes with the property that forces them.

The table lists the resource types this program registers, with the inputs (camelCase, as a
render names them) that force a replacement. Sources:

- azuread (pulumi-azuread 6.x bridges terraform-provider-azuread 3.x): the attributes with
  `ForceNew: true` in the resource schemas of terraform-provider-azuread v3.9.0,
  `internal/services/applications/application_resource.go` (template_id),
  `application_certificate_resource.go` (application_id, encoding, key_id, start_date,
  end_date, end_date_relative, type, value), `application_password_resource.go`
  (application_id, display_name, start_date, end_date, end_date_relative,
  rotate_when_changed), `application_federated_identity_credential_resource.go`
  (application_id, display_name), `internal/services/approleassignments/
  app_role_assignment_resource.go` (app_role_id, principal_object_id, resource_object_id),
  `internal/services/serviceprincipals/service_principal_resource.go` (client_id) and
  `service_principal_delegated_permission_grant_resource.go`
  (resource_service_principal_object_id, service_principal_object_id, user_object_id).
  The bridge maps `ForceNew` to a replacement one to one.
- azure-native (pulumi-azure-native 3.x): `provider/pkg/provider/diff.go`
  (`calculateDetailedDiff`: every parameter of the resource's ARM URL path replaces, plus the
  properties marked ForceNew) and `provider/pkg/gen/replacement.go` (`forceNewMap`:
  ResourceGroup `location`; RoleAssignment `principalId`, `scope`). The Python SDK carries no
  `replace_on_changes` for these types (the provider decides at diff time), so the path
  parameters are read from the SDK's input names: resourceGroupName, workspaceName,
  fhirServiceName, vaultName, secretName, scope, roleAssignmentName. `location` of the
  workspace and the FHIR service is listed too: ARM cannot move a tracked resource between
  regions (its spec marks location create-only, x-ms-mutability create/read).

A component resource (`fhir-apps:*`) is never replaced: it has no provider.
"""

from __future__ import annotations

from typing import Final

__all__ = ["REPLACE_ON_CHANGES", "replacing_inputs"]

# type token -> inputs (top-level camelCase names) whose change replaces the resource.
REPLACE_ON_CHANGES: Final[dict[str, frozenset[str]]] = {
    "azuread:index/application:Application": frozenset({"templateId"}),
    "azuread:index/servicePrincipal:ServicePrincipal": frozenset({"clientId"}),
    "azuread:index/applicationPassword:ApplicationPassword": frozenset(
        {
            "applicationId",
            "displayName",
            "startDate",
            "endDate",
            "endDateRelative",
            "rotateWhenChanged",
        }
    ),
    "azuread:index/applicationCertificate:ApplicationCertificate": frozenset(
        {
            "applicationId",
            "encoding",
            "keyId",
            "startDate",
            "endDate",
            "endDateRelative",
            "type",
            "value",
        }
    ),
    "azuread:index/applicationFederatedIdentityCredential:"
    "ApplicationFederatedIdentityCredential": frozenset({"applicationId", "displayName"}),
    "azuread:index/appRoleAssignment:AppRoleAssignment": frozenset(
        {"appRoleId", "principalObjectId", "resourceObjectId"}
    ),
    "azuread:index/servicePrincipalDelegatedPermissionGrant:"
    "ServicePrincipalDelegatedPermissionGrant": frozenset(
        {"resourceServicePrincipalObjectId", "servicePrincipalObjectId", "userObjectId"}
    ),
    "azure-native:resources:ResourceGroup": frozenset({"resourceGroupName", "location"}),
    "azure-native:healthcareapis:Workspace": frozenset(
        {"resourceGroupName", "workspaceName", "location"}
    ),
    "azure-native:healthcareapis:FhirService": frozenset(
        {"resourceGroupName", "workspaceName", "fhirServiceName", "location"}
    ),
    "azure-native:authorization:RoleAssignment": frozenset(
        {"scope", "roleAssignmentName", "principalId"}
    ),
    "azure-native:keyvault:Secret": frozenset({"resourceGroupName", "vaultName", "secretName"}),
    # terraform-provider-azuread v3: claims_mapping_policy_resource.go has no ForceNew;
    # service_principal_claims_mapping_policy_assignment_resource.go forces both.
    "azuread:index/claimsMappingPolicy:ClaimsMappingPolicy": frozenset(),
    "azuread:index/servicePrincipalClaimsMappingPolicyAssignment:"
    "ServicePrincipalClaimsMappingPolicyAssignment": frozenset(
        {"claimsMappingPolicyId", "servicePrincipalId"}
    ),
    # The Graph dynamic providers (components/extension_property.py, their diff()): Graph cannot
    # update an extension property; a user's value changes in place.
    "pulumi-python:dynamic/fhir-apps:ExtensionProperty": frozenset(
        {"applicationObjectId", "name", "dataType", "targetObjects", "isMultiValued"}
    ),
    "pulumi-python:dynamic/fhir-apps:UserExtensionValue": frozenset({"userId", "attribute"}),
    "pulumi-python:dynamic/fhir-apps:FhirServiceAuthentication": frozenset({"resourceId"}),
}


def replacing_inputs(type_token: str, changed_paths: list[str]) -> list[str]:
    """The changed input paths (`inputs.appRoleId`, `inputs.rotateWhenChanged.end`) of a
    resource of `type_token` that force a replacement, in the order given."""
    names = REPLACE_ON_CHANGES.get(type_token, frozenset())
    found = []
    for path in changed_paths:
        parts = path.split(".")
        if len(parts) >= 2 and parts[0] == "inputs" and parts[1] in names:
            found.append(path)
    return found
