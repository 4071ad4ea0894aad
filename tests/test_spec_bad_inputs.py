"""A table of bad configs: each names the exact file, key path and message of every problem."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from fhir_apps.spec.errors import ConfigError
from fhir_apps.spec.loader import load_spec

BASE = """\
tenant: {verifiedDomains: [contoso.com]}
fhirServer:
  kind: oss
  url: https://fhir.contoso.com
  appRoles: [globalReader, globalWriter]
  scopes: [user_impersonation, patient.all.read]
clients:
  web:
    kind: confidential
    redirectUris: [https://web.contoso.com/cb]
    scopes: [user_impersonation]
    credential: {type: secret}
  spa:
    kind: public
    platform: spa
    redirectUris: [https://spa.contoso.com/]
  daemon:
    kind: service
    roles: [globalWriter]
    credential:
      type: federated
      issuer: https://token.actions.githubusercontent.com
      subject: repo:contoso/daemon:environment:dev
"""

DEV = "config/environments/dev.yaml"
BASE_FILE = "config/base.yaml"
AHDS_ID = (
    "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/"
    "Microsoft.HealthcareApis/workspaces/contoso/fhirservices/fhir"
)
AHDS = f"""\
fhirServer:
  kind: ahds
  url: https://contoso-fhir.fhir.azurehealthcareapis.com
  resourceId: {AHDS_ID}
  appRoles: null
  scopes: null
"""


def ahds_deploy(server: str = "", **deploy: str | None) -> str:
    """A dev.yaml overlay: an AHDS service this stack deploys (fields replaced or, with None,
    left out), extra `fhirServer` lines, and the daemon given an RBAC role. Ends inside
    `clients:` so a case may add clients."""
    fields: dict[str, str | None] = {
        "resourceGroup": "rg-fhir",
        "location": "westeurope",
        "workspace": "contoso",
        "service": "fhir",
        **deploy,
    }
    lines = "".join(f"    {k}: {v}\n" for k, v in fields.items() if v is not None)
    extra = f"  {server}\n" if server else ""
    return (
        f"fhirServer:\n  kind: ahds\n  deploy:\n{lines}{extra}"
        "clients:\n  daemon: {roles: [FHIR Data Writer]}"
    )


# (id, dev.yaml overlay, expected problems as `file: path: message`)
CASES = [
    (
        "identifier-uri-not-verified",
        "fhirServer: {url: https://fhir.example.org}",
        [
            f"{DEV}: fhirServer.url: host 'fhir.example.org' is not under a verified domain of "
            "the tenant (contoso.com); Entra only accepts https on a verified domain of the tenant "
            "(tenant.verifiedDomains), https://<tenant>.onmicrosoft.com/..., or api://..."
        ],
    ),
    (
        "identifier-uri-http",
        "fhirServer: {url: http://fhir.contoso.com}",
        [
            f"{DEV}: fhirServer.url: must use https; use https on a verified domain of the tenant "
            "(tenant.verifiedDomains), https://<tenant>.onmicrosoft.com/..., or api://..."
        ],
    ),
    (
        "identifier-uri-lookalike-domain",
        "fhirServer: {url: https://fhir.notcontoso.com}",
        [
            f"{DEV}: fhirServer.url: host 'fhir.notcontoso.com' is not under a verified domain of "
            "the tenant (contoso.com); Entra only accepts https on a verified domain of the tenant "
            "(tenant.verifiedDomains), https://<tenant>.onmicrosoft.com/..., or api://..."
        ],
    ),
    (
        "oss-url-missing",
        "fhirServer: {url: null}",
        [
            f"{DEV}: fhirServer.url: is required for kind oss: the FHIR server's URL, which "
            "becomes the identifier URI and the token audience"
        ],
    ),
    (
        "v2-tokens-with-https-url",
        "fhirServer: {accessTokenVersion: 2}",
        [
            f"{DEV}: fhirServer.accessTokenVersion: must be 1 for a server identified by an https "
            "URL: with v2 tokens 'aud' is the application id, and the FHIR server expects its URL"
        ],
    ),
    (
        "redirect-uri-http",
        "clients: {web: {redirectUris: [http://web.contoso.com/cb]}}",
        [
            f"{DEV}: clients.web.redirectUris[0]: uses http; use https, or http://localhost or "
            "http://127.0.0.1 (any port and path)"
        ],
    ),
    (
        "redirect-uri-wildcard",
        "clients: {web: {redirectUris: ['https://*.contoso.com/cb']}}",
        [
            f"{DEV}: clients.web.redirectUris[0]: must not contain a wildcard '*'; list every "
            "redirect URI in full"
        ],
    ),
    (
        "redirect-uri-forbidden-characters",
        "clients: {spa: {redirectUris: ['https://spa.contoso.com/a,b;c']}}",
        [
            f"{DEV}: clients.spa.redirectUris[0]: must not contain , ;; Entra rejects the "
            "characters ! $ ' ( ) , ; in redirect URIs"
        ],
    ),
    (
        "redirect-uri-too-long",
        "clients: {web: {redirectUris: [https://web.contoso.com/" + "a" * 240 + "]}}",
        [f"{DEV}: clients.web.redirectUris[0]: is 264 characters long; Entra allows at most 256"],
    ),
    (
        "redirect-uri-duplicate",
        "clients: {web: {redirectUris: [https://web.contoso.com/cb, https://web.contoso.com/Cb, "
        "https://web.contoso.com/cb]}}",
        [
            f"{DEV}: clients.web.redirectUris[2]: 'https://web.contoso.com/cb' is listed twice; "
            "list it once"
        ],
    ),
    (
        "redirect-uri-custom-scheme-on-spa",
        "clients: {spa: {redirectUris: ['com.contoso.app://callback']}}",
        [
            f"{DEV}: clients.spa.redirectUris[0]: uses scheme 'com.contoso.app'; use https, or "
            "http://localhost or http://127.0.0.1 (any port and path)"
        ],
    ),
    (
        "scope-with-slash",
        "fhirServer: {scopes: [user_impersonation, patient/Observation.read]}",
        [
            f"{DEV}: fhirServer.scopes[1]: scope value must not contain '/'; write SMART scopes "
            "with dots, e.g. 'patient.Observation.read' (patient.Observation.read for "
            "patient/Observation.read)"
        ],
    ),
    (
        "role-with-space-and-leading-dot",
        "fhirServer: {appRoles: [globalReader, globalWriter, '.global reader']}",
        [
            f"{DEV}: fhirServer.appRoles[2]: role value must not contain spaces",
            f"{DEV}: fhirServer.appRoles[2]: role value must not start with '.'",
        ],
    ),
    (
        "scope-too-long",
        "fhirServer: {scopes: [user_impersonation, " + "s" * 121 + "]}",
        [
            f"{DEV}: fhirServer.scopes[1]: scope value is 121 characters long; Entra allows at "
            "most 120"
        ],
    ),
    (
        # A role/scope pair is what Entra accepts only with one id and matching texts.
        "value-both-role-and-scope",
        "fhirServer: {appRoles: [globalReader, globalWriter, patient.all.read], "
        "roleDetails: {patient.all.read: {displayName: Read all}}}",
        [
            f"{DEV}: fhirServer.roleDetails.patient.all.read.displayName: 'patient.all.read' is "
            "both an app role and a scope, which Entra accepts only when the role's displayName "
            "equals the scope's adminConsentDisplayName; leave it out (the role takes the "
            "scope's) or set the same text in fhirServer.scopeDetails.patient.all.read"
        ],
    ),
    (
        "roles-differing-only-in-case",
        "fhirServer: {appRoles: [globalReader, globalWriter, GlobalReader]}",
        [
            f"{DEV}: fhirServer.appRoles[2]: 'GlobalReader' differs from 'globalReader' only in "
            "case; the FHIR server matches roles case-insensitively, so keep one"
        ],
    ),
    (
        "scopes-without-user-impersonation",
        "fhirServer: {scopes: [patient.all.read]}\nclients: {web: {scopes: [patient.all.read]}}",
        [
            f"{DEV}: fhirServer.scopes: must include 'user_impersonation', the scope clients ask "
            "for to call the FHIR server as the signed-in user"
        ],
    ),
    (
        "public-client-with-credential",
        "clients: {spa: {credential: {type: certificate, certificateFile: x.pem}}}",
        [
            f"{DEV}: clients.spa.credential: public clients cannot keep a secret, so they have no "
            "credential of any kind; remove it, or use kind confidential if the app runs on a "
            "server"
        ],
    ),
    (
        "fallback-public-client-on-spa",
        "clients: {spa: {fallbackPublicClient: true}}",
        [
            f"{DEV}: clients.spa.fallbackPublicClient: applies only to platform mobile or desktop "
            "(native flows such as device code); a spa uses auth code with PKCE"
        ],
    ),
    (
        "service-with-redirect-uris-and-scopes",
        "clients: {daemon: {redirectUris: [https://d.contoso.com/], scopes: [user_impersonation]}}",
        [
            f"{DEV}: clients.daemon.redirectUris: a service client uses the client-credentials "
            "flow and has no redirect URIs; remove them, or use kind confidential for a web app",
            f"{DEV}: clients.daemon.scopes: a service client gets application permissions, never "
            "delegated scopes; use roles instead",
        ],
    ),
    (
        "service-without-credential",
        "clients: {daemon: {credential: null}}",
        [
            f"{DEV}: clients.daemon.credential: is required for a service client: add a "
            "credential of type certificate, federated or secret"
        ],
    ),
    (
        "confidential-without-redirect-uris",
        "clients: {web: {redirectUris: []}}",
        [
            f"{DEV}: clients.web.redirectUris: a confidential client needs at least one redirect "
            "URI (https, or http://localhost) for the authorization-code flow; use kind service "
            "for a daemon"
        ],
    ),
    (
        "confidential-without-credential",
        "clients: {web: {credential: null}}",
        [
            f"{DEV}: clients.web.credential: is required for a confidential client, which must "
            "prove itself to redeem authorization codes: add a credential of type certificate, "
            "federated or secret (or use kind public for an app that cannot keep a secret)"
        ],
    ),
    (
        "role-not-defined-by-server",
        "clients: {daemon: {roles: [globalWritr]}}",
        [
            f"{DEV}: clients.daemon.roles[0]: role 'globalWritr' is not defined by "
            "fhirServer.appRoles; allowed: globalReader, globalWriter"
        ],
    ),
    (
        "scope-not-defined-by-server",
        "clients: {spa: {scopes: [user.all.read]}}",
        [
            f"{DEV}: clients.spa.scopes[0]: scope 'user.all.read' is not defined by "
            "fhirServer.scopes; allowed: user_impersonation, patient.all.read"
        ],
    ),
    (
        "assignment-role-not-defined",
        "assignments:\n  - {principalId: 5e4d3c2b-1a09-4f8e-9d7c-6b5a49382716, principalType: "
        "Group, roles: [globalAdmin]}",
        [
            f"{DEV}: assignments[0].roles[0]: role 'globalAdmin' is not defined by "
            "fhirServer.appRoles; allowed: globalReader, globalWriter"
        ],
    ),
    (
        "secret-lifetime-beyond-policy",
        "policy: {maxSecretLifetimeDays: 90}\nclients: {web: {credential: {rotationDays: 60}}}",
        [
            f"{DEV}: clients.web.credential.rotationDays: rotationDays 60 gives each secret a "
            "lifetime of 120 days (two staggered slots each live two rotation periods), more than "
            "policy.maxSecretLifetimeDays 90; use at most 45"
        ],
    ),
    (
        "policy-beyond-entra-ceiling",
        "policy: {maxSecretLifetimeDays: 800}",
        [
            f"{DEV}: policy.maxSecretLifetimeDays: must be at most 730 (Entra's ceiling for a "
            "client secret: 24 months); got 800"
        ],
    ),
    (
        "unknown-key-did-you-mean",
        "fhirServer: {appRole: [globalAdmin]}",
        [f"{DEV}: fhirServer.appRole: unknown key 'appRole'; did you mean 'appRoles'?"],
    ),
    (
        "snake-case-key",
        "clients: {web: {redirect_uris: [https://web.contoso.com/x]}}",
        [
            f"{DEV}: clients.web.redirect_uris: unknown key 'redirect_uris'; did you mean "
            "'redirectUris'? (keys are camelCase)"
        ],
    ),
    (
        "unknown-key-without-match",
        "tenant: {colour: blue}",
        [f"{DEV}: tenant.colour: unknown key 'colour'; allowed: id, verifiedDomains"],
    ),
    (
        "roles-on-a-confidential-client",
        "clients: {web: {roles: [globalReader]}}",
        [
            f"{DEV}: clients.web.roles: unknown key 'roles'; confidential and public clients act "
            "for a signed-in user and get delegated scopes; give users roles with assignments, or "
            "use kind service for application permissions"
        ],
    ),
    (
        "unknown-client-kind",
        "clients: {bot: {kind: robot}}",
        [
            f"{DEV}: clients.bot.kind: must be one of 'confidential', 'public', 'service'; got "
            "'robot'"
        ],
    ),
    (
        "client-without-kind",
        "clients: {bot: {roles: [globalReader]}}",
        [f"{DEV}: clients.bot.kind: is required; one of 'confidential', 'public', 'service'"],
    ),
    (
        "unknown-credential-type",
        "clients: {daemon: {credential: {type: password}}}",
        [
            f"{DEV}: clients.daemon.credential.type: must be one of 'secret', 'certificate', "
            "'federated'; got 'password'"
        ],
    ),
    (
        "federated-issuer-http-and-no-subject",
        "clients: {daemon: {credential: {issuer: 'http://issuer.contoso.com', subject: null}}}",
        [
            # `subjects` was never set: the problem goes to the layer that made the credential.
            f"{BASE_FILE}: clients.daemon.credential.subjects: needs at least one subject "
            "(subject or subjects)",
            f"{DEV}: clients.daemon.credential.issuer: must be an https URL, e.g. "
            "https://token.actions.githubusercontent.com for GitHub Actions",
        ],
    ),
    (
        "federated-too-many-subjects",
        "clients: {daemon: {credential: {subjects: ["
        + ", ".join(f"'repo:contoso/d:environment:e{i}'" for i in range(20))
        + "]}}}",
        [
            f"{DEV}: clients.daemon.credential.subjects: has 21 subjects; Entra allows at most 20 "
            "federated credentials per application"
        ],
    ),
    (
        "federated-two-audiences",
        "clients: {daemon: {credential: {audiences: [api://AzureADTokenExchange, api://other]}}}",
        [
            f"{DEV}: clients.daemon.credential.audiences: must hold exactly one audience (got 2); "
            "the usual value is api://AzureADTokenExchange"
        ],
    ),
    (
        "owner-not-a-guid",
        "owners: [alice@contoso.com]",
        [
            f"{DEV}: owners[0]: 'alice@contoso.com' is not an object id; use the GUID of a user "
            "or service principal, e.g. 00000000-0000-0000-0000-000000000000"
        ],
    ),
    (
        "pinned-id-for-undefined-role-and-duplicate-id",
        "fhirServer:\n  ids:\n    roles: {globalAdmin: 2d6c3a91-8e4b-4f1a-b7c2-5d9e0f1a2b3c, "
        "globalReader: 7f3e2d1c-0b9a-4c8d-a7e6-f5d4c3b2a190}\n"
        "    scopes: {user_impersonation: 7f3e2d1c-0b9a-4c8d-a7e6-f5d4c3b2a190}",
        [
            f"{DEV}: fhirServer.ids.roles.globalAdmin: pins the id of 'globalAdmin', which "
            "fhirServer.appRoles does not define; defined: globalReader, globalWriter",
            f"{DEV}: fhirServer.ids.scopes.user_impersonation: id "
            "7f3e2d1c-0b9a-4c8d-a7e6-f5d4c3b2a190 is already pinned for role 'globalReader'; "
            "every role and scope needs its own id",
        ],
    ),
    (
        "details-of-undefined-scope-and-role",
        "fhirServer:\n  scopeDetails: {launch: {type: Admin}}\n"
        "  roleDetails: {globalAdmin: {description: Full access}}",
        [
            f"{DEV}: fhirServer.scopeDetails.launch: describes 'launch', which fhirServer.scopes "
            "does not define; defined: user_impersonation, patient.all.read",
            f"{DEV}: fhirServer.roleDetails.globalAdmin: describes 'globalAdmin', which "
            "fhirServer.appRoles does not define; defined: globalReader, globalWriter",
        ],
    ),
    (
        "role-details-entra-rejects",
        "fhirServer:\n  roleDetails:\n"
        "    globalReader: {displayName: ' ', allowedMemberTypes: []}\n"
        "    globalWriter: {description: '', allowedMemberTypes: [Application, User, User]}",
        [
            f"{DEV}: fhirServer.roleDetails.globalReader.allowedMemberTypes: must name at least "
            "one of Application, User: Entra assigns a role to applications, to users and "
            "groups, or to both",
            f"{DEV}: fhirServer.roleDetails.globalReader.displayName: must not be empty: Entra "
            "requires an app role's displayName and description; leave the key out for "
            "fhir-apps' text",
            f"{DEV}: fhirServer.roleDetails.globalWriter.allowedMemberTypes[2]: 'User' is listed "
            "twice; list it once",
            f"{DEV}: fhirServer.roleDetails.globalWriter.description: must not be empty: Entra "
            "requires an app role's displayName and description; leave the key out for "
            "fhir-apps' text",
        ],
    ),
    (
        "role-details-unknown-values",
        "fhirServer:\n  scopeDetails: {user_impersonation: {type: Delegated}}\n"
        "  roleDetails: {globalReader: {allowedMemberTypes: [Group]}}",
        [
            f"{DEV}: fhirServer.scopeDetails.user_impersonation.type: must be one of 'User', "
            "'Admin'; got 'Delegated'",
            f"{DEV}: fhirServer.roleDetails.globalReader.allowedMemberTypes[0]: must be one of "
            "'Application', 'User'; got 'Group'",
        ],
    ),
    (
        "role-not-assignable-to-its-holders",
        "fhirServer:\n  roleDetails:\n"
        "    globalWriter: {allowedMemberTypes: [User]}\n"
        "    globalReader: {allowedMemberTypes: [Application]}\n"
        "assignments:\n- {principalId: 4f8a2c6e-0b3d-4e91-a7c5-9d1f3b5e7a08, "
        "principalType: Group, roles: [globalReader]}",
        [
            f"{BASE_FILE}: clients.daemon.roles[0]: role 'globalWriter' cannot be assigned to a "
            "service principal: its allowedMemberTypes (fhirServer.roleDetails.globalWriter) "
            "are User; add Application",
            f"{DEV}: assignments[0].roles[0]: role 'globalReader' cannot be assigned to a group: "
            "its allowedMemberTypes (fhirServer.roleDetails.globalReader) are Application; add "
            "User",
        ],
    ),
    (
        "details-and-assignment-setting-on-managed-kinds",
        AHDS + "  scopeDetails: {user_impersonation: {type: Admin}}\n"
        "  roleDetails: {globalReader: {description: Read}}\n"
        "  appRoleAssignmentRequired: false\n"
        "clients: {daemon: {roles: [FHIR Data Writer]}}",
        [
            f"{DEV}: fhirServer.scopeDetails: applies only to kind oss, or to the SMART resource "
            "app (kind ahds with smart and deploy): for kind ahds the Azure Health Data Services "
            "resource application belongs to Microsoft; remove it",
            f"{DEV}: fhirServer.roleDetails: applies only to kind oss: the Azure Health Data "
            "Services resource application belongs to Microsoft; remove it",
            f"{DEV}: fhirServer.appRoleAssignmentRequired: applies only to kind oss: the Azure "
            "Health Data Services resource application belongs to Microsoft; remove it",
        ],
    ),
    (
        "smart-app-scope-details-but-no-roles",
        "tenant: {id: 9b1c2d3e-4f5a-4b6c-8d7e-0f1a2b3c4d5e}\n"
        + ahds_deploy(
            server="smart: true\n  scopes: [user_impersonation, launch]\n"
            "  scopeDetails: {launch: {type: Admin}, fhirUser: {type: User}}\n"
            "  appRoleAssignmentRequired: true"
        ),
        [
            f"{DEV}: fhirServer.scopeDetails.fhirUser: describes 'fhirUser', which "
            "fhirServer.scopes does not define; defined: user_impersonation, launch",
            f"{DEV}: fhirServer.appRoleAssignmentRequired: applies only to kind oss: the SMART "
            "resource app never requires an app role (users hold Azure RBAC roles); remove it",
        ],
    ),
    (
        "wrong-types",
        "naming: {prefix: 5}\nclients: {web: {adminConsent: maybe, credential: {rotationDays: "
        "ninety}}}",
        [
            f"{DEV}: naming.prefix: must be text; got 5",
            f"{DEV}: clients.web.adminConsent: must be true or false; got 'maybe'",
            f"{DEV}: clients.web.credential.rotationDays: must be a whole number; got 'ninety'",
        ],
    ),
    (
        "ahds-roles-are-rbac-names",
        AHDS + "clients:\n  web: {scopes: [user_impersonation, patient.all.read]}\n"
        "  daemon: {roles: [globalWriter]}",
        [
            f"{DEV}: clients.web.scopes[1]: 'patient.all.read' is not a scope of kind ahds; "
            "allowed: user_impersonation",
            f"{DEV}: clients.daemon.roles[0]: 'globalWriter' is not a FHIR RBAC role; allowed: "
            "FHIR Data Reader, FHIR Data Writer, FHIR Data Contributor, FHIR Data Exporter, "
            "FHIR Data Importer, FHIR Data Converter, FHIR SMART User, FHIR Data Bulk Operator",
        ],
    ),
    (
        "ahds-url-and-app-roles",
        AHDS.replace("appRoles: null", "appRoles: [globalReader]").replace(
            "contoso-fhir.fhir", "fhir.contoso"
        )
        + "clients: {daemon: {roles: [FHIR Data Writer]}}",
        [
            f"{DEV}: fhirServer.url: must be the FHIR service URL "
            "https://<workspace>-<service>.fhir.azurehealthcareapis.com (workspace and service: "
            "3-24 lowercase letters and digits)",
            f"{DEV}: fhirServer.appRoles: must be empty for kind ahds: the Azure Health Data "
            "Services resource application belongs to Microsoft; give clients FHIR RBAC roles "
            "with roles or assignments",
        ],
    ),
    (
        "ahds-deploy-names-azure-rejects",
        ahds_deploy(workspace="Contoso-WS", service="f"),
        [
            f"{DEV}: fhirServer.deploy.workspace: 'Contoso-WS' is not a valid workspace name: "
            "Azure allows 3-24 lowercase letters and digits (no '-': the URL is "
            "https://<workspace>-<service>.fhir.azurehealthcareapis.com)",
            f"{DEV}: fhirServer.deploy.service: 'f' is not a valid FHIR service name: Azure "
            "allows 3-24 lowercase letters and digits (no '-': the URL is "
            "https://<workspace>-<service>.fhir.azurehealthcareapis.com)",
        ],
    ),
    (
        "ahds-deploy-workspace-too-long",
        ahds_deploy(workspace="w" * 25),
        [
            f"{DEV}: fhirServer.deploy.workspace: '{'w' * 25}' is not a valid workspace name: "
            "Azure allows 3-24 lowercase letters and digits (no '-': the URL is "
            "https://<workspace>-<service>.fhir.azurehealthcareapis.com)",
        ],
    ),
    (
        "ahds-deploy-resource-group-and-location",
        ahds_deploy(resourceGroup="'rg fhir.'", location="'west europe!'"),
        [
            f"{DEV}: fhirServer.deploy.resourceGroup: 'rg fhir.' is not a valid resource group "
            "name: 1-90 letters, digits, '.', '_', '-', '(' and ')', not ending with '.'",
            f"{DEV}: fhirServer.deploy.location: 'west europe!' is not an Azure location; use "
            "its name, e.g. westeurope or eastus2",
        ],
    ),
    (
        "ahds-deploy-location-missing",
        ahds_deploy(location=None),
        [f"{DEV}: fhirServer.deploy.location: is required"],
    ),
    (
        "ahds-url-disagrees-with-deploy",
        ahds_deploy(server="url: https://other-fhir.fhir.azurehealthcareapis.com"),
        [
            f"{DEV}: fhirServer.url: does not match fhirServer.deploy (workspace 'contoso', "
            "service 'fhir'): expected https://contoso-fhir.fhir.azurehealthcareapis.com; or "
            "leave url out",
        ],
    ),
    (
        "ahds-deploy-cors-tags-storage",
        ahds_deploy(
            corsOrigins="['*', 'http://app.contoso.com', 'https://app.contoso.com/path']",
            tags="{a/b: x}",
            exportStorageAccount="St-Export",
        ),
        [
            f"{DEV}: fhirServer.deploy.corsOrigins[0]: '*' lets every web site call the FHIR "
            "service with a user's token; list an origin such as https://app.contoso.com "
            "(https, no path), or http://localhost:3000",
            f"{DEV}: fhirServer.deploy.corsOrigins[1]: 'http://app.contoso.com' is not an https "
            "origin; use an origin such as https://app.contoso.com (https, no path), or "
            "http://localhost:3000",
            f"{DEV}: fhirServer.deploy.corsOrigins[2]: 'https://app.contoso.com/path' is not a "
            "bare origin (scheme, host, port); use an origin such as https://app.contoso.com "
            "(https, no path), or http://localhost:3000",
            f"{DEV}: fhirServer.deploy.tags.a/b: tag name must not contain / (Azure rejects "
            "< > % & \\ ? /)",
            f"{DEV}: fhirServer.deploy.exportStorageAccount: 'St-Export' is not a valid storage "
            "account name: 3-24 lowercase letters and digits",
        ],
    ),
    (
        "ahds-deploy-tags-not-text",
        ahds_deploy(tags="{owner: [a, b]}"),
        [f"{DEV}: fhirServer.deploy.tags.owner: must be text; got a list"],
    ),
    (
        "azure-api-for-fhir-cannot-deploy",
        "fhirServer:\n  kind: azure-api-for-fhir\n  url: https://contoso.azurehealthcareapis.com\n"
        "  deploy: {resourceGroup: rg, location: westeurope, workspace: contoso, service: fhir}\n"
        "clients: {daemon: {enabled: false}}",
        [
            f"{DEV}: fhirServer.deploy: applies only to kind ahds: Azure API for FHIR takes no "
            "new deployments (since 2025-04-01); reference an existing service with resourceId",
        ],
    ),
    (
        "ahds-rbac-needs-a-service-scope",
        "fhirServer: {kind: ahds, url: 'https://contoso-fhir.fhir.azurehealthcareapis.com'}\n"
        "clients: {daemon: {roles: [FHIR Data Writer]}}",
        [
            f"{DEV}: fhirServer.resourceId: is required for kind ahds to grant the FHIR RBAC "
            "roles of clients.daemon.roles: role assignments are made at the FHIR service's "
            "scope (.../Microsoft.HealthcareApis/workspaces/<workspace>/fhirservices/<service>); "
            "or set deploy",
        ],
    ),
    (
        "ahds-smart-needs-deploy",
        "fhirServer:\n  kind: ahds\n  url: https://contoso-fhir.fhir.azurehealthcareapis.com\n"
        "  smart: true\nclients: {daemon: {enabled: false}}",
        [
            f"{DEV}: fhirServer.smart: needs fhirServer.deploy or fhirServer.resourceId: the FHIR "
            "service's audience must point at the SMART resource app, and this stack sets it "
            "only on a service it deploys or names",
        ],
    ),
    (
        "ahds-smart-needs-dotted-scopes",
        ahds_deploy(server="smart: true\n  scopes: [user_impersonation, patient/*.read]"),
        [
            f"{DEV}: fhirServer.scopes[1]: scope value must not contain '/'; write SMART scopes "
            "with dots, e.g. 'patient.all.read' (patient.Observation.read for "
            "patient/Observation.read)",
        ],
    ),
    (
        "ahds-smart-client-scope-not-exposed",
        "tenant: {id: 9b1c2d3e-4f5a-4b6c-8d7e-0f1a2b3c4d5e}\n"
        + ahds_deploy(server="smart: true\n  scopes: [user_impersonation, launch]")
        + "\n  web: {scopes: [user_impersonation, patient.all.read]}",
        [
            f"{DEV}: clients.web.scopes[1]: 'patient.all.read' is not a scope of the SMART "
            "resource app (fhirServer.scopes); allowed: user_impersonation, launch",
        ],
    ),
    (
        "key-vault-secret-name-from-client-key",
        "secretStore: {keyVaultId: /subscriptions/00000000-0000-0000-0000-000000000001/"
        "resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv}\n"
        "clients:\n  web_app: {kind: confidential, redirectUris: ['https://w.contoso.com/cb'], "
        "credential: {type: secret}}",
        [
            f"{DEV}: clients.web_app: the Key Vault secret name 'web_app-client-secret' is not "
            "allowed: 1-127 letters, digits and '-'; the secret is named after the client key",
        ],
    ),
    (
        "import-id-of-a-role-the-client-does-not-hold",
        "clients:\n  daemon:\n    importIds:\n      roleAssignments:\n"
        "        globalReader: /servicePrincipals/x/appRoleAssignedTo/y",
        [
            f"{DEV}: clients.daemon.importIds.roleAssignments.globalReader: imports the "
            "assignment of role 'globalReader', which clients.daemon.roles does not list; "
            "listed: globalWriter",
        ],
    ),
    (
        "role-assignment-import-ids-on-a-confidential-client",
        "clients: {web: {importIds: {roleAssignments: {globalReader: /sp/x}}}}",
        [
            f"{DEV}: clients.web.importIds.roleAssignments: applies only to a service client "
            "(kind service), whose roles are app role assignments; remove it",
        ],
    ),
    (
        "consent-grant-import-id-without-admin-consent",
        "clients: {web: {importIds: {consentGrant: /oauth2PermissionGrants/x}}}",
        [
            f"{DEV}: clients.web.importIds.consentGrant: applies only with adminConsent: true "
            "(it imports the admin consent grant of a confidential or public client); set "
            "adminConsent or remove it",
        ],
    ),
    (
        "consent-grant-import-id-without-scopes",
        "clients: {spa: {adminConsent: true, importIds: {consentGrant: /oauth2PermissionGrants/x}}"
        "}",
        [
            f"{DEV}: clients.spa.importIds.consentGrant: applies only to a client with scopes: "
            "without them adminConsent grants nothing and no grant exists to import; remove it",
        ],
    ),
    (
        "federated-import-id-of-an-unlisted-subject",
        "clients:\n  daemon:\n    importIds:\n      federatedCredentials:\n"
        "        'repo:contoso/daemon:environment:prod': app/federatedIdentityCredential/c",
        [
            f"{DEV}: clients.daemon.importIds.federatedCredentials.repo:contoso/daemon:"
            "environment:prod: imports the credential of subject "
            "'repo:contoso/daemon:environment:prod', which clients.daemon.credential does not "
            "list; listed: repo:contoso/daemon:environment:dev",
        ],
    ),
    (
        "federated-import-ids-on-a-secret-credential",
        "clients: {web: {importIds: {federatedCredentials: {sub: app/federatedIdentityCredential/c"
        "}}}}",
        [
            f"{DEV}: clients.web.importIds.federatedCredentials: applies only to a credential of "
            "type federated; remove it",
        ],
    ),
    (
        "child-import-ids-on-the-fhir-server",
        "fhirServer: {importIds: {consentGrant: /oauth2PermissionGrants/x}}",
        [
            f"{DEV}: fhirServer.importIds.consentGrant: applies only to a client (the FHIR "
            "resource app has no app role assignment, consent grant or credential of its own); "
            "remove it",
        ],
    ),
    (
        "assignment-import-id-of-an-unlisted-role",
        "assignments:\n  - principalId: 4f8a2c6e-0b3d-4e91-a7c5-9d1f3b5e7a08\n"
        "    principalType: Group\n    roles: [globalReader]\n"
        "    importIds: {globalWriter: /servicePrincipals/x/appRoleAssignedTo/y}",
        [
            f"{DEV}: assignments[0].importIds.globalWriter: imports the assignment of role "
            "'globalWriter', which assignments[0].roles does not list; listed: globalReader",
        ],
    ),
    (
        "assignment-import-ids-differ-for-one-principal-and-role",
        "assignments:\n"
        "  - {principalId: 4f8a2c6e-0b3d-4e91-a7c5-9d1f3b5e7a08, principalType: Group,"
        " roles: [globalReader], importIds: {globalReader: /sp/x/appRoleAssignedTo/a}}\n"
        "  - {principalId: 4f8a2c6e-0b3d-4e91-a7c5-9d1f3b5e7a08, principalType: Group,"
        " roles: [globalReader], importIds: {globalReader: /sp/x/appRoleAssignedTo/b}}",
        [
            f"{DEV}: assignments[1].importIds.globalReader: differs from "
            "assignments[0].importIds.globalReader, for the same principal and role (one "
            "assignment, one import id); keep one",
        ],
    ),
    (
        "environment-set-in-yaml",
        "environment: prod",
        [f"{DEV}: environment: is set by --environment, not in a config file; remove it"],
    ),
]


@pytest.fixture
def config(tmp_path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "config" / "environments").mkdir(parents=True)
    (tmp_path / "config" / "base.yaml").write_text(BASE)
    return Path("config")


def test_the_table_is_large_enough():
    assert len(CASES) >= 25
    assert len({case[0] for case in CASES}) == len(CASES)


def test_the_base_alone_is_valid(config):
    (config / "environments" / "dev.yaml").write_text("")
    assert load_spec(config, environment="dev").fhir_server.kind == "oss"


@pytest.mark.parametrize(("overlay", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input(config, overlay, expected):
    (config / "environments" / "dev.yaml").write_text(textwrap.dedent(overlay) + "\n")
    with pytest.raises(ConfigError) as excinfo:
        load_spec(config, environment="dev")
    assert [str(p) for p in excinfo.value.problems] == expected
    assert str(excinfo.value) == "\n".join(expected)
