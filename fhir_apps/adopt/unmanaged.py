"""Findings for properties of an app that the config does not carry (or that the program always
sets): what exists, and what the first `pulumi up` does to it.

Each function inspects one aspect of a Graph application (or its service principal) and
reports through `add(app, property, message, change=...)`; `change=True` when the first `up`
changes the property of the existing object. Nothing here decides config.

Why properties the program never sets are changed anyway: the azuread provider writes them on
every update of the object, null when the program leaves them out (terraform-provider-azuread
v3, `applicationResourceUpdate` and `servicePrincipalResourceUpdate`: notes, description, the
informational URLs, ... are sent with each PATCH), so adoption clears whatever the config does
not reproduce. Properties the provider never writes (tags, logo, verified publisher,
pre-authorized applications, ...) stay as they are: `OUTSIDE_THE_PROVIDER` lists them.
"""

from __future__ import annotations

from typing import Any, Final

from fhir_apps.adopt.findings import Add
from fhir_apps.safeio.text import shown

__all__ = [
    "AZURE_AD_GRAPH_APP_ID",
    "MICROSOFT_GRAPH_APP_ID",
    "OUTSIDE_THE_PROVIDER",
    "SERVICE_PRINCIPAL_OUTSIDE_THE_PROVIDER",
    "Add",
    "client_api",
    "common",
    "id_token_issuance",
    "implicit_grant",
    "other_resource",
    "provider_written",
]

App = dict[str, Any]

MICROSOFT_GRAPH_APP_ID: Final = "00000003-0000-0000-c000-000000000000"
AZURE_AD_GRAPH_APP_ID: Final = "00000002-0000-0000-c000-000000000000"
# Names for the permission ids portal-made apps carry most often, so findings read as words.
_WELL_KNOWN: Final = {
    (MICROSOFT_GRAPH_APP_ID, "e1fd296f-fa3a-4e5d-a1e8-e64e11dc18a9"): "User.Read",
    (MICROSOFT_GRAPH_APP_ID, "37f7f235-527c-4136-accd-4a02d197296e"): "openid",
    (MICROSOFT_GRAPH_APP_ID, "14dad69e-099b-42c9-810b-d002981feec1"): "profile",
    (MICROSOFT_GRAPH_APP_ID, "7427e0e9-2fba-42fe-b0c0-848c9e6a8182"): "offline_access",
    (MICROSOFT_GRAPH_APP_ID, "64a6cdd6-aab1-4aaf-94b8-3cc8405e90d0"): "email",
    (AZURE_AD_GRAPH_APP_ID, "311a71cc-e848-46a1-bdf8-97ff7156d8e6"): "User.Read",
}

# Graph application properties the azuread provider neither sets nor clears on update, so an
# adopted app keeps them as they are (read-only ones, and those of other resources), with why.
OUTSIDE_THE_PROVIDER: Final[dict[str, str]] = {
    "id": "the object id (the import id names it)",
    "appId": "the client id (kept: it is the object's identity)",
    "deletedDateTime": "read-only",
    "createdDateTime": "read-only",
    "publisherDomain": "read-only (set by Entra)",
    "disabledByMicrosoftStatus": "read-only",
    "verifiedPublisher": "set through Partner Center, not by the provider",
    "certification": "read-only",
    "applicationTemplateId": "set at creation only; the provider reads it",
    "tags": "the provider keeps the existing tags when the program sets none",
    "info.logoUrl": "read-only (the logo is uploaded, never read back)",
    "addIns": "not managed by the provider",
    "parentalControlSettings": "not managed by the provider",
    "tokenEncryptionKeyId": "not managed by the provider",
    "defaultRedirectUri": "not managed by the provider",
    "samlMetadataUrl": "not managed by the provider",
    "nativeAuthenticationApisEnabled": "not managed by the provider",
    "requestSignatureVerification": "not managed by the provider",
    "servicePrincipalLockConfiguration": "not managed by the provider",
    "web.redirectUriSettings": "read-only view of web.redirectUris",
    "api.preAuthorizedApplications": "managed by a separate resource the program does not use",
    "keyCredentials": "separate resources; existing ones are kept (findings say which)",
    "passwordCredentials": "separate resources; existing ones are kept (findings say which)",
    "federatedIdentityCredentials": "separate resources (importIds.federatedCredentials)",
    "owners": "compared by the adoption plan (owner findings)",
}

# The same for a service principal: most of it mirrors its application, or is read-only.
SERVICE_PRINCIPAL_OUTSIDE_THE_PROVIDER: Final[dict[str, str]] = {
    **{
        name: "a copy of the application's (adoption compares the application's)"
        for name in (
            "appDisplayName",
            "appDescription",
            "displayName",
            "homepage",
            "logoutUrl",
            "replyUrls",
            "signInAudience",
            "appRoles",
            "oauth2PermissionScopes",
            "info",
            "servicePrincipalNames",
            "verifiedPublisher",
        )
    },
    **{
        name: "read-only"
        for name in (
            "id",
            "appId",
            "deletedDateTime",
            "createdDateTime",
            "applicationTemplateId",
            "appOwnerOrganizationId",
            "disabledByMicrosoftStatus",
            "servicePrincipalType",
            "resourceSpecificApplicationPermissions",
        )
    },
    "tags": "the provider keeps the existing tags when the program sets none",
    "addIns": "not managed by the provider",
    "tokenEncryptionKeyId": "not managed by the provider",
    "preferredTokenSigningKeyThumbprint": "not managed by the provider",
    "keyCredentials": "separate resources; existing ones are kept",
    "passwordCredentials": "separate resources; existing ones are kept",
}

# Application properties the provider writes on every update: Graph path -> what they are.
_WRITTEN_TEXTS: Final = {
    "notes": "notes",
    "description": "the description",
    "serviceManagementReference": "the service management reference",
}
_WRITTEN_URLS: Final = {
    "info.marketingUrl": "the marketing URL",
    "info.privacyStatementUrl": "the privacy statement URL",
    "info.supportUrl": "the support URL",
    "info.termsOfServiceUrl": "the terms of service URL",
}
_WRITTEN_FLAGS: Final = {
    "isDeviceOnlyAuthSupported": "device-only authentication",
    "oauth2RequirePostResponse": "oauth2RequirePostResponse",
    "api.acceptMappedClaims": "acceptMappedClaims (claims mapping policies without a custom "
    "signing key)",
}
# Service principal properties the provider writes on every update (`servicePrincipal.` paths).
_SP_TEXTS: Final = {
    "description": "the description",
    "notes": "notes",
    "loginUrl": "the login URL",
    "preferredSingleSignOnMode": "the preferred single sign-on mode",
}
_SP_LISTS: Final = {
    "notificationEmailAddresses": "notification email addresses",
    "alternativeNames": "alternative names",
}


def _get(data: Any, path: str) -> Any:
    for part in path.split("."):
        data = data.get(part) if isinstance(data, dict) else None
    return data


def _text(value: str, *, quote: bool) -> str:
    # Notes and descriptions are prose (and may hold what no log should): only their length.
    return f"'{shown(value)}'" if quote else f"set ({len(value)} characters)"


def provider_written(
    app: App, sp: App | None, add: Add, kept: frozenset[str] = frozenset()
) -> None:
    """A finding for each property the provider writes on update that the config does not
    reproduce (`kept` names the Graph paths it does): the first `pulumi up` clears it."""
    clears = "the config has no key for it, and the provider writes it on every update: the "
    for path, what in {**_WRITTEN_TEXTS, **_WRITTEN_URLS}.items():
        value = _get(app, path)
        if value and path not in kept:
            shown_value = _text(str(value), quote=path in _WRITTEN_URLS)
            add(
                app,
                path,
                f"{what} is {shown_value}; {clears}first `pulumi up` clears it",
                change=True,
            )
    for path, what in _WRITTEN_FLAGS.items():
        if _get(app, path) is True and path not in kept:
            add(app, path, f"{what} is on; {clears}first `pulumi up` turns it off", change=True)
    if sp is not None:
        _service_principal(app, sp, add)


def _service_principal(app: App, sp: App, add: Add) -> None:
    clears = "the config has no key for it, and the provider writes it on every update: the "
    if sp.get("accountEnabled") is False:
        add(
            app,
            "servicePrincipal.accountEnabled",
            f"is false (sign-ins to the app are blocked); {clears}first `pulumi up` enables it",
            change=True,
        )
    for name, what in _SP_TEXTS.items():
        value = sp.get(name)
        if value:
            shown_value = _text(str(value), quote=name in ("loginUrl", "preferredSingleSignOnMode"))
            add(
                app,
                f"servicePrincipal.{name}",
                f"{what} is {shown_value}; {clears}first `pulumi up` clears it",
                change=True,
            )
    for name, what in _SP_LISTS.items():
        values = sp.get(name) or []
        if values:
            add(
                app,
                f"servicePrincipal.{name}",
                f"{what} ({', '.join(shown(v) for v in values)}); {clears}first `pulumi up` "
                "removes them",
                change=True,
            )
    if _get(sp, "samlSingleSignOnSettings.relayState"):
        add(
            app,
            "servicePrincipal.samlSingleSignOnSettings",
            f"a SAML relay state is set; {clears}first `pulumi up` clears it",
            change=True,
        )


def id_token_issuance(app: App) -> bool:
    """Whether the app has Entra issue ID tokens from the authorize endpoint (hybrid flow)."""
    grant = (app.get("web") or {}).get("implicitGrantSettings") or {}
    return bool(grant.get("enableIdTokenIssuance"))


def implicit_grant(app: App, add: Add, *, id_tokens_kept: bool = False) -> None:
    """Report implicit grant, which adoption turns off; ID tokens stay on for a web app whose
    config keeps them (`idTokenIssuance: true`, the hybrid flow)."""
    grant = (app.get("web") or {}).get("implicitGrantSettings") or {}
    on = [
        name
        for key, name in (
            ("enableAccessTokenIssuance", "access tokens"),
            ("enableIdTokenIssuance", "ID tokens"),
        )
        if grant.get(key) and not (id_tokens_kept and key == "enableIdTokenIssuance")
    ]
    if on:
        add(
            app,
            "web.implicitGrantSettings",
            f"implicit grant is on ({' and '.join(on)}); adoption turns it off: the app must "
            "use the authorization-code flow (with PKCE in a browser)",
            change=True,
        )
    if id_tokens_kept:
        add(
            app,
            "web.implicitGrantSettings.enableIdTokenIssuance",
            "ID tokens from the authorize endpoint (the hybrid flow) are kept as "
            "idTokenIssuance: true; check warns about it until the app uses the authorization "
            "code flow alone",
        )


def permission_names(resource_id: str, accesses: Any) -> str:
    """`User.Read (delegated), ...` for a `resourceAccess` list (ids when not well known)."""
    return ", ".join(
        f"{_WELL_KNOWN.get((resource_id, a.get('id'))) or shown(a.get('id'))} "
        f"({'delegated' if a.get('type') == 'Scope' else 'application'})"
        for a in accesses or []
    )


def other_resource(app: App, entry: dict[str, Any], why: str, add: Add) -> None:
    resource_id = str(entry.get("resourceAppId"))
    names = permission_names(resource_id, entry.get("resourceAccess"))
    if resource_id == AZURE_AD_GRAPH_APP_ID:
        message = (
            f"asks the legacy Azure AD Graph for {names}; Azure AD Graph is retired, and {why}: "
            "adoption removes this request (move the app to Microsoft Graph)"
        )
    elif resource_id == MICROSOFT_GRAPH_APP_ID:
        message = (
            f"asks Microsoft Graph for {names}; {why}, so adoption removes it from the request. "
            "Consent already granted is not revoked; an app that calls Microsoft Graph for more "
            "must ask for it at sign-in instead"
        )
    else:
        message = (
            f"asks resource app {shown(resource_id)} for {names}; {why}: adoption removes this "
            "request"
        )
    add(app, "requiredResourceAccess", message, change=True)


def common(
    app: App,
    add: Add,
    *,
    resource_app: bool = False,
    kept_claims: dict[str, list[str]] | None = None,
) -> None:
    """Sign-in audience, the API's known and pre-authorized clients, and token claims (those
    `kept_claims` names, by Graph token type, are in the config)."""
    audience = app.get("signInAudience")
    if audience not in (None, "AzureADMyOrg"):
        add(
            app,
            "signInAudience",
            f"is {shown(audience)}; adoption sets AzureADMyOrg (this tenant only): sign-ins from "
            "other tenants or personal accounts stop",
            change=True,
        )
    api = app.get("api") or {}
    for known in api.get("knownClientApplications") or []:
        add(
            app,
            "api.knownClientApplications",
            f"'{shown(known)}' is removed (not managed)",
            change=True,
        )
    pre_authorized = api.get("preAuthorizedApplications") or []
    if pre_authorized:
        listed = ", ".join(shown(p.get("appId")) for p in pre_authorized)
        add(
            app,
            "api.preAuthorizedApplications",
            f"{listed}: kept as they are (the program's Application resource does not write "
            "them) but not managed by fhir-apps: these apps get the listed scopes without a "
            "consent prompt"
            + (
                " (a client app's list concerns only an API it exposes)" if not resource_app else ""
            ),
        )
    _claims(app, add, kept_claims or {})


def _claims(app: App, add: Add, kept: dict[str, list[str]]) -> None:
    claims = app.get("optionalClaims") or {}
    names = sorted(
        f"{shown(c.get('name'))} ({token})"
        for token in ("idToken", "accessToken", "saml2Token")
        for c in claims.get(token) or []
        if c.get("name") not in kept.get(token, []) or not _plain_claim(c)
    )
    if names:
        add(
            app,
            "optionalClaims",
            f"{', '.join(names)}: removed by the first `pulumi up` (the config carries only "
            "plain ID and access token claims of a client, by name; tokens stop carrying these)",
            change=True,
        )
    groups = app.get("groupMembershipClaims")
    if groups not in (None, "", "None"):
        add(
            app,
            "groupMembershipClaims",
            f"'{shown(groups)}' is removed (tokens stop carrying group claims): not managed",
            change=True,
        )


def _plain_claim(claim: dict[str, Any]) -> bool:
    return not (claim.get("source") or claim.get("essential") or claim.get("additionalProperties"))


def client_api(app: App, add: Add) -> None:
    api = app.get("api") or {}
    for uri in app.get("identifierUris") or []:
        add(
            app,
            "identifierUris",
            f"'{shown(uri)}' is removed: a client exposes no API",
            change=True,
        )
    for scope in api.get("oauth2PermissionScopes") or []:
        add(
            app,
            "api.oauth2PermissionScopes",
            f"scope '{shown(scope.get('value'))}' is removed: a client exposes no API",
            change=True,
        )
    for role in app.get("appRoles") or []:
        add(
            app,
            "appRoles",
            f"role '{shown(role.get('value'))}' is removed: a client has no roles",
            change=True,
        )
    version = api.get("requestedAccessTokenVersion")
    if version not in (None, 1):
        add(
            app,
            "api.requestedAccessTokenVersion",
            f"is {version}; adoption sets 1 (it concerns only an API the app exposes)",
            change=True,
        )
