"""The Pulumi type tokens of the resources the project reads, and the render's value markers.

One definition for the render engine, its mocks, the Graph manifests and the policies (which run
inside a CrossGuard pack too, so this module imports nothing). Tokens are as the SDKs register
them (`super().__init__('<token>', ...)` in each class).
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "APPLICATION",
    "APPLICATION_APP_ROLE",
    "APPLICATION_CERTIFICATE",
    "APPLICATION_FALLBACK_PUBLIC_CLIENT",
    "APPLICATION_FEDERATED_IDENTITY_CREDENTIAL",
    "APPLICATION_FLEXIBLE_FEDERATED_IDENTITY_CREDENTIAL",
    "APPLICATION_IDENTIFIER_URI",
    "APPLICATION_OWNER",
    "APPLICATION_PASSWORD",
    "APPLICATION_PERMISSION_SCOPE",
    "APPLICATION_REDIRECT_URIS",
    "APPLICATION_REGISTRATION",
    "APP_ROLE_ASSIGNMENT",
    "DELEGATED_PERMISSION_GRANT",
    "GET_CLIENT_CONFIG",
    "GET_SERVICE_PRINCIPAL",
    "SECRET",
    "SERVICE_PRINCIPAL",
    "SERVICE_PRINCIPAL_PASSWORD",
    "UNKNOWN",
]

APPLICATION: Final = "azuread:index/application:Application"
APPLICATION_APP_ROLE: Final = "azuread:index/applicationAppRole:ApplicationAppRole"
APPLICATION_CERTIFICATE: Final = "azuread:index/applicationCertificate:ApplicationCertificate"
APPLICATION_FALLBACK_PUBLIC_CLIENT: Final = (
    "azuread:index/applicationFallbackPublicClient:ApplicationFallbackPublicClient"
)
APPLICATION_FEDERATED_IDENTITY_CREDENTIAL: Final = (
    "azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential"
)
APPLICATION_FLEXIBLE_FEDERATED_IDENTITY_CREDENTIAL: Final = (
    "azuread:index/applicationFlexibleFederatedIdentityCredential:"
    "ApplicationFlexibleFederatedIdentityCredential"
)
APPLICATION_IDENTIFIER_URI: Final = (
    "azuread:index/applicationIdentifierUri:ApplicationIdentifierUri"
)
APPLICATION_OWNER: Final = "azuread:index/applicationOwner:ApplicationOwner"
APPLICATION_PASSWORD: Final = "azuread:index/applicationPassword:ApplicationPassword"
APPLICATION_PERMISSION_SCOPE: Final = (
    "azuread:index/applicationPermissionScope:ApplicationPermissionScope"
)
APPLICATION_REDIRECT_URIS: Final = "azuread:index/applicationRedirectUris:ApplicationRedirectUris"
APPLICATION_REGISTRATION: Final = "azuread:index/applicationRegistration:ApplicationRegistration"
SERVICE_PRINCIPAL: Final = "azuread:index/servicePrincipal:ServicePrincipal"
APP_ROLE_ASSIGNMENT: Final = "azuread:index/appRoleAssignment:AppRoleAssignment"
DELEGATED_PERMISSION_GRANT: Final = (
    "azuread:index/servicePrincipalDelegatedPermissionGrant:"
    "ServicePrincipalDelegatedPermissionGrant"
)
SERVICE_PRINCIPAL_PASSWORD: Final = (
    "azuread:index/servicePrincipalPassword:ServicePrincipalPassword"
)
# Data sources (invoke tokens), which the mocks answer.
GET_CLIENT_CONFIG: Final = "azuread:index/getClientConfig:getClientConfig"
GET_SERVICE_PRINCIPAL: Final = "azuread:index/getServicePrincipal:getServicePrincipal"

# What a render records in place of a value it cannot show: a secret, or an output not known
# before deployment. The CrossGuard pack maps the engine's own unknowns to UNKNOWN too, so the
# policies skip both the same way offline and under `pulumi preview`.
SECRET: Final = "[secret]"
UNKNOWN: Final = "[unknown]"
