"""What the config says about each adopted object, and a finding for all it cannot say.

`plan(export, ...)` turns the Graph export into the environment layer's content (plain data with
the YAML's camelCase keys) plus findings. The Entra rules are those of `fhir_apps.rules`, the
same the config check applies, so what adoption writes is exactly what `check` accepts: a value
those rules reject is left out of the config and reported, never written and never dropped
silently.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

import yaml

from fhir_apps import rules
from fhir_apps.adopt.classify import client_kind, fhir_permissions, find_resource_app, redirect_uris
from fhir_apps.adopt.credentials import credential, federated_import_ids, left_alone
from fhir_apps.adopt.findings import Finding
from fhir_apps.adopt.graphjson import AdoptInputError, GraphExport, is_guid
from fhir_apps.adopt.importids import (
    app_role_assignment_import_id,
    application_import_id,
    consent_grant_import_id,
    service_principal_import_id,
)
from fhir_apps.adopt.unmanaged import client_api, common, implicit_grant, other_resource
from fhir_apps.safeio.text import shown

__all__ = [
    "SERVER_KEY",
    "AdoptedApp",
    "Adoption",
    "client_key",
    "plan",
]

App = dict[str, Any]

# The YAML key the rendering gives the resource app (components.stack.SERVER_NAME).
SERVER_KEY: Final = "fhir-server"
USER_IMPERSONATION: Final = "user_impersonation"
# Graph's consent texts of a scope, also the keys of `fhirServer.scopeDetails`.
_SCOPE_TEXTS: Final = (
    "adminConsentDisplayName",
    "adminConsentDescription",
    "userConsentDisplayName",
    "userConsentDescription",
)
_KEY_MAX = 64


@dataclass(frozen=True)
class AdoptedApp:
    """One adopted application: its YAML key, the Graph object, the config block for it."""

    key: str
    app: App
    block: dict[str, Any]

    @property
    def display_name(self) -> str:
        return str(self.app["displayName"])


@dataclass(frozen=True)
class Adoption:
    """The whole plan: the environment layer's content and what it could not express."""

    environment: str
    audience: str
    server: AdoptedApp
    clients: tuple[AdoptedApp, ...]
    assignments: tuple[dict[str, Any], ...]
    tenant: dict[str, Any] | None
    findings: tuple[Finding, ...]
    # (display name, reason) of exported apps that are not clients of the FHIR server.
    ignored: tuple[tuple[str, str], ...] = ()

    def adopted(self) -> tuple[AdoptedApp, ...]:
        """The resource app, then the clients in key order."""
        return (self.server, *self.clients)

    def config(self) -> dict[str, Any]:
        """The environment layer as plain data (camelCase keys, ready for YAML)."""
        data: dict[str, Any] = {}
        if self.tenant:
            data["tenant"] = self.tenant
        data["fhirServer"] = self.server.block
        if self.clients:
            data["clients"] = {client.key: client.block for client in self.clients}
        if self.assignments:
            data["assignments"] = list(self.assignments)
        return data


def client_key(display_name: str, taken: Iterable[str]) -> str:
    """A stable YAML key from a display name: lowercase, `a-z0-9` and hyphens, unique.

    `Contoso Patient App (SPA)` -> `contoso-patient-app-spa`; a name already taken (or the
    reserved `fhir-server`) gets `-2`, `-3`, ... Keys name Pulumi resources, so they must not
    change between runs: callers pass apps in a fixed order (display name, then object id).
    """
    used = set(taken) | {SERVER_KEY}
    slug = re.sub(r"[^a-z0-9]+", "-", display_name.lower()).strip("-")[:_KEY_MAX].strip("-")
    slug = slug or "client"
    key, number = slug, 2
    while key in used:
        suffix = f"-{number}"
        key = slug[: _KEY_MAX - len(suffix)].rstrip("-") + suffix
        number += 1
    return key


def plan(
    export: GraphExport,
    *,
    environment: str,
    audience: str | None = None,
    config_dir: Path | str | None = None,
) -> Adoption:
    """Decide what the environment layer says; raises AdoptInputError for unusable input."""
    return _Planner(export, environment, audience, Path(config_dir) if config_dir else None).run()


@dataclass
class _Planner:
    export: GraphExport
    environment: str
    audience_arg: str | None
    config_dir: Path | None
    findings: list[Finding] = field(default_factory=list)

    def run(self) -> Adoption:
        resource, audience = find_resource_app(self.export.applications, self.audience_arg)
        _refuse(resource, "displayName", rules.display_name_problem(str(resource["displayName"])))
        self.resource = resource
        self.audience = audience
        self.sps = {sp["appId"]: sp for sp in self.export.service_principals}
        self.resource_sp = self.sps.get(resource["appId"])
        server = self._server(resource, audience)
        clients, ignored = self._clients()
        assignments = self._assignments({c.app["appId"] for c in clients})
        if not self.export.has_service_principals:
            self._add(
                "(every adopted app)",
                "servicePrincipals",
                "no --service-principals export, so no service principal has an import id: "
                "`pulumi up` tries to create one per app and stops with 'already exists' for "
                "each app that has one; export them (az ad sp list --all, or GET "
                "/servicePrincipals) and run adopt again",
            )
        self._add(
            "(every adopted app)",
            "owners",
            "`pulumi up` sets the owners of each application and of its service principal to "
            "the config's owners (base.yaml's `owners` and the block's) plus the deploying "
            "principal (the identity `pulumi up` signs in as), and Pulumi imports an object only "
            "when these equal its existing owners: otherwise the first `pulumi up` stops at that "
            "import with 'inputs to import do not match the existing resource' and changes "
            "nothing. Before it, make the deploying principal (and every owner base.yaml lists) "
            "an owner of each adopted application and service principal (az ad app owner add "
            "--id <appId> --owner-object-id <objectId>; for a service principal POST "
            "/servicePrincipals/<id>/owners/$ref), which Application.ReadWrite.OwnedBy needs "
            "anyway, then export again with owners (Graph $expand=owners) and run adopt again: "
            "the config lists the exported owners, and none when the export has none",
        )
        tenant = self._tenant(audience)
        domains = tenant["verifiedDomains"] if tenant else self._base_domains()
        problem = rules.identifier_uri_problem(audience, domains)
        # Not echoed: user information in it may be a password (the problem says what is wrong).
        _refuse(resource, "identifier URI (the server URL)", problem)
        adoption = Adoption(
            environment=self.environment,
            audience=audience,
            server=server,
            clients=tuple(clients),
            assignments=tuple(assignments),
            tenant=tenant,
            findings=tuple(sorted(set(self.findings))),
            ignored=tuple(ignored),
        )
        _refuse_surrogates(adoption.config())
        return adoption

    def _add(self, app: App | str, prop: str, message: str) -> None:
        name = app if isinstance(app, str) else str(app["displayName"])
        self.findings.append(Finding(name, prop, message))

    # -- the resource app --------------------------------------------------------------------

    def _server(self, app: App, audience: str) -> AdoptedApp:
        api = app.get("api") or {}
        scopes = self._permissions(app, api.get("oauth2PermissionScopes") or [], "scope")
        roles = self._permissions(app, app.get("appRoles") or [], "role")
        if USER_IMPERSONATION not in scopes:
            self._add(
                app,
                "api.oauth2PermissionScopes",
                f"has no enabled '{USER_IMPERSONATION}' scope, which clients ask for to call the "
                "FHIR server as the signed-in user: adoption adds it",
            )
        for uri in app.get("identifierUris") or []:
            if uri != audience:
                self._add(
                    app,
                    "identifierUris",
                    f"'{shown(uri)}' is removed: the config has one identifier URI, the server "
                    f"URL {shown(audience)} (tokens requested for '{shown(uri)}' stop being "
                    "issued)",
                )
        version = api.get("requestedAccessTokenVersion") or 1
        problem = rules.access_token_version_problem(version, audience)
        if problem:
            self._add(app, "api.requestedAccessTokenVersion", f"{version} {problem}: set to 1")
            version = 1
        for platform in ("web", "spa", "publicClient"):
            for uri in redirect_uris(app, platform):
                self._add(
                    app,
                    f"{platform}.redirectUris",
                    f"'{shown(uri)}' is removed: the FHIR API signs no one in itself",
                )
        self._web_urls(app, keep=False)
        implicit_grant(app, self._add)
        for entry in app.get("requiredResourceAccess") or []:
            other_resource(app, entry, "the FHIR resource app asks for no permissions", self._add)
        common(app, self._add)
        left_alone(app, "the FHIR resource app has no credential in the config", self._add)
        block: dict[str, Any] = {
            "kind": "oss",
            "url": audience,
            "displayName": app["displayName"],
            "accessTokenVersion": version,
            "appRoles": sorted(roles),
            "scopes": sorted({*scopes, USER_IMPERSONATION}),
            "ids": {"roles": dict(sorted(roles.items())), "scopes": dict(sorted(scopes.items()))},
        }
        # Every text, type and member type exactly as Entra has it, so the application imports.
        scope_details = self._scope_details(api.get("oauth2PermissionScopes") or [], scopes)
        if scope_details:
            block["scopeDetails"] = scope_details
        role_details = self._role_details(app, app.get("appRoles") or [], roles)
        if role_details:
            block["roleDetails"] = role_details
        required = (self.resource_sp or {}).get("appRoleAssignmentRequired")
        if isinstance(required, bool):
            block["appRoleAssignmentRequired"] = required
        owners = self._owners(app)
        if owners:
            block["owners"] = owners
        block["importIds"] = self._import_ids(app)
        self.scope_ids = scopes
        self.role_ids = roles
        return AdoptedApp(SERVER_KEY, app, block)

    def _permissions(self, app: App, items: Sequence[dict[str, Any]], what: str) -> dict[str, str]:
        """`{value: id}` of the enabled scopes or roles the config can carry; others reported."""
        prop = "api.oauth2PermissionScopes" if what == "scope" else "appRoles"
        kept: dict[str, str] = {}
        for item in items:
            value, item_id = item.get("value"), item.get("id")
            if not value:
                self._add(app, prop, f"{what} {shown(item_id)} has no value: adoption removes it")
                continue
            if item.get("isEnabled") is False:
                self._add(
                    app,
                    prop,
                    f"{what} '{shown(value)}' is disabled: adoption removes it (it grants nothing "
                    "now); to keep it, enable it and run adopt again",
                )
                continue
            problems = rules.permission_value_problems(value, what)
            if problems:
                self._add(
                    app, prop, f"'{shown(value)}': {'; '.join(problems)}: adoption removes it"
                )
                continue
            kept[str(value)] = str(item_id)
        return kept

    def _scope_details(
        self, items: Sequence[dict[str, Any]], kept: dict[str, str]
    ) -> dict[str, dict[str, Any]]:
        """`scopeDetails` of each kept scope: its type and texts (`""` for Graph's null)."""
        details: dict[str, dict[str, Any]] = {}
        for item in items:
            value = str(item.get("value"))
            if kept.get(value) != str(item.get("id")):
                continue
            details[value] = {
                "type": "Admin" if item.get("type") == "Admin" else "User",
                **{key: str(item.get(key) or "") for key in _SCOPE_TEXTS},
            }
            # The names a consent prompt shows: the config check refuses what hides text there.
            for key in ("adminConsentDisplayName", "userConsentDisplayName"):
                problem = rules.unsafe_text_problem(details[value][key])
                _refuse(self.resource, f"scope '{shown(value)}' {key}", problem)
        return dict(sorted(details.items()))

    def _role_details(
        self, app: App, items: Sequence[dict[str, Any]], kept: dict[str, str]
    ) -> dict[str, dict[str, Any]]:
        """`roleDetails` of each kept role: its texts and member types (reported if unusable)."""
        details: dict[str, dict[str, Any]] = {}
        for item in items:
            value = str(item.get("value"))
            if kept.get(value) != str(item.get("id")):
                continue
            entry: dict[str, Any] = {}
            for key in ("displayName", "description"):
                text = str(item.get(key) or "")
                if key == "displayName":  # the config check refuses what hides a role's name
                    _refuse(
                        app, f"role '{shown(value)}' displayName", rules.unsafe_text_problem(text)
                    )
                if rules.app_role_text_problem(text) is None:
                    entry[key] = text
                else:
                    self._add(
                        app,
                        "appRoles",
                        f"role '{value}' has no {key}, which Entra requires: adoption writes "
                        "fhir-apps' text (`render` shows it on "
                        f"{SERVER_KEY}-app); set one in Entra "
                        "and run adopt again to keep yours",
                    )
            members = sorted(set(item.get("allowedMemberTypes") or []))
            problem = rules.allowed_member_types_problem(members)
            if problem is None:
                entry["allowedMemberTypes"] = members
            else:
                self._add(
                    app,
                    "appRoles",
                    f"role '{value}' allowedMemberTypes {problem}: adoption allows Application "
                    "and User",
                )
            details[value] = entry
        return dict(sorted(details.items()))

    # -- clients -----------------------------------------------------------------------------

    def _clients(self) -> tuple[list[AdoptedApp], list[tuple[str, str]]]:
        resource_app_id = self.resource["appId"]
        others = sorted(
            (a for a in self.export.applications if a["id"] != self.resource["id"]),
            key=lambda a: (str(a["displayName"]).lower(), a["id"]),
        )
        adopted: list[AdoptedApp] = []
        ignored: list[tuple[str, str]] = []
        for app in others:
            permissions = fhir_permissions(app, resource_app_id)
            assigned = self._assigned_roles(app)
            if not permissions and not assigned:
                ignored.append((str(app["displayName"]), "asks for no access to the FHIR server"))
                continue
            kind = client_kind(app, permissions, len(assigned))
            if kind.kind is None:
                self._add(app, "(application)", f"not adopted: it {kind.reason}")
                continue
            key = client_key(str(app["displayName"]), (c.key for c in adopted))
            block = self._client(app, key, kind.kind, kind.platform, permissions, assigned)
            if block is not None:
                # Its name goes into the config; one that is not adopted is only shown escaped.
                _refuse(app, "displayName", rules.display_name_problem(str(app["displayName"])))
                adopted.append(AdoptedApp(key, app, block))
        adopted.sort(key=lambda c: c.key)
        return adopted, ignored

    def _client(
        self,
        app: App,
        key: str,
        kind: str,
        platform: str | None,
        permissions: Sequence[dict[str, Any]],
        assigned: dict[str, str],
    ) -> dict[str, Any] | None:
        scopes, roles = self._requested(app, permissions)
        block: dict[str, Any] = {"kind": kind}
        if platform is not None:
            block["platform"] = platform
        block["displayName"] = app["displayName"]
        if kind == "confidential":
            uris = self._redirects(app, "web", "web")
            if not uris:
                self._add(
                    app,
                    "(application)",
                    "not adopted: a confidential client needs a redirect URI, and none of its "
                    "web redirect URIs is one Entra accepts (see the findings on "
                    "web.redirectUris)",
                )
                return None
            block["redirectUris"] = uris
            block.update(self._web_urls(app, keep=True))
            self._other_platforms(app, ("spa", "publicClient"))
            self._no_roles(app, roles, "a confidential client gets delegated scopes")
            self._fallback(app)
        elif kind == "public":
            source = "spa" if platform == "spa" else "publicClient"
            uris = self._redirects(app, source, str(platform))
            if platform == "spa" and not uris:
                self._add(
                    app,
                    "(application)",
                    "not adopted: a spa needs a redirect URI, and none of its spa redirect URIs "
                    "is one Entra accepts",
                )
                return None
            block["redirectUris"] = uris
            self._web_urls(app, keep=False)
            self._other_platforms(
                app, ("web", "spa" if source == "publicClient" else "publicClient")
            )
            self._no_roles(app, roles, "a public client gets delegated scopes")
        else:
            self._web_urls(app, keep=False)
            self._other_platforms(app, ("web", "spa", "publicClient"))
            if scopes:
                self._add(
                    app,
                    "requiredResourceAccess",
                    f"delegated scope(s) {', '.join(sorted(scopes))} on the FHIR server are "
                    "removed: a service client gets application permissions (roles) only",
                )
            scopes = []
            requested_roles = set(roles)
            roles = sorted({*roles, *assigned})
            for role in sorted(set(assigned) - requested_roles):
                self._add(
                    app,
                    "requiredResourceAccess",
                    f"role '{role}' is assigned but not requested: adoption adds the request "
                    "(the API permissions list then shows what the app holds)",
                )
        if kind != "service" and scopes:
            block["scopes"] = sorted(scopes)
        if kind == "service":
            block["roles"] = roles
        consent_grant = None
        if kind != "service":
            has_consent, consent_grant = self._admin_consent(app, key, scopes)
            if has_consent:
                block["adminConsent"] = True
        if kind == "public" and platform != "spa" and app.get("isFallbackPublicClient"):
            block["fallbackPublicClient"] = True
        elif kind == "public" and platform == "spa":
            self._fallback(app)
        if kind == "public":
            left_alone(
                app,
                "a public client cannot keep a secret, so the config gives it no credential",
                self._add,
            )
        else:
            block["credential"] = credential(app, key, self.config_dir, self._add)
        implicit_grant(app, self._add)
        for entry in app.get("requiredResourceAccess") or []:
            if entry.get("resourceAppId") != self.resource["appId"]:
                other_resource(
                    app, entry, "fhir-apps manages only access to the FHIR server", self._add
                )
        common(app, self._add)
        client_api(app, self._add)
        owners = self._owners(app)
        if owners:
            block["owners"] = owners
        import_ids = self._import_ids(app, key)
        if kind == "service" and assigned:
            assert self.resource_sp is not None  # assignments are read only when it exists
            import_ids["roleAssignments"] = {
                role: app_role_assignment_import_id(self.resource_sp["id"], assignment_id)
                for role, assignment_id in sorted(assigned.items())
            }
        for role, assignment_id in sorted(assigned.items() if kind != "service" else ()):
            self._add(
                app,
                "appRoleAssignments",
                f"holds role '{role}' (assignment {shown(assignment_id)}); the config gives a "
                f"{kind} client no roles, so the assignment is left as it is (delete it in the "
                "portal if the app does not need it)",
            )
        if consent_grant is not None:
            import_ids["consentGrant"] = consent_grant
        federated = federated_import_ids(app, block.get("credential") or {}, self._add)
        if federated:
            import_ids["federatedCredentials"] = federated
        block["importIds"] = import_ids
        return block

    def _requested(
        self, app: App, permissions: Sequence[dict[str, Any]]
    ) -> tuple[list[str], list[str]]:
        scope_values = {v: k for k, v in self.scope_ids.items()}
        role_values = {v: k for k, v in self.role_ids.items()}
        scopes: set[str] = set()
        roles: set[str] = set()
        for permission in permissions:
            is_scope = permission.get("type") == "Scope"
            value = (scope_values if is_scope else role_values).get(permission.get("id"))
            if value is None:
                what = "scope" if is_scope else "app role"
                self._add(
                    app,
                    "requiredResourceAccess",
                    f"{what} {shown(permission.get('id'))} is not an enabled {what} of the FHIR "
                    "server: adoption removes the request",
                )
                continue
            (scopes if is_scope else roles).add(value)
        return sorted(scopes), sorted(roles)

    def _assigned_roles(self, app: App) -> dict[str, str]:
        """`{role value: assignment id}` held by the app's service principal on the FHIR app."""
        sp = self.sps.get(app["appId"])
        if sp is None or self.resource_sp is None:
            return {}
        role_values = {
            str(r.get("id")): str(r.get("value"))
            for r in self.resource.get("appRoles") or []
            if r.get("value")
        }
        return {
            role_values[a["appRoleId"]]: str(a["id"])
            for a in self.export.assignments
            if a["principalId"] == sp["id"]
            and a["resourceId"] == self.resource_sp["id"]
            and a["appRoleId"] in role_values
        }

    def _redirects(self, app: App, source: str, platform: str) -> list[str]:
        kept = []
        for uri in redirect_uris(app, source):  # type: ignore[arg-type]
            problems = rules.redirect_uri_problems(uri, platform)
            if problems:
                self._add(
                    app,
                    f"{source}.redirectUris",
                    f"'{shown(uri)}' {'; '.join(problems)}: adoption removes it from the app",
                )
            else:
                kept.append(uri)
        return sorted(set(kept))

    def _web_urls(self, app: App, *, keep: bool) -> dict[str, str]:
        web = app.get("web") or {}
        kept: dict[str, str] = {}
        for graph_name, config_name in (("homePageUrl", "homepageUrl"), ("logoutUrl", "logoutUrl")):
            url = web.get(graph_name)
            if not url:
                continue
            problems = rules.redirect_uri_problems(url, "web") if keep else []
            if keep and not problems:
                kept[config_name] = url
            elif keep:
                self._add(
                    app, f"web.{graph_name}", f"'{shown(url)}' {'; '.join(problems)}: removed"
                )
            else:
                self._add(
                    app,
                    f"web.{graph_name}",
                    f"'{shown(url)}' is removed: only web clients keep one",
                )
        return kept

    def _other_platforms(self, app: App, platforms: Sequence[str]) -> None:
        for platform in platforms:
            for uri in redirect_uris(app, platform):  # type: ignore[arg-type]
                self._add(
                    app,
                    f"{platform}.redirectUris",
                    f"'{shown(uri)}' is removed: a client has one platform in the config, and this "
                    "app is adopted as another",
                )

    def _no_roles(self, app: App, roles: Sequence[str], why: str) -> None:
        if roles:
            self._add(
                app,
                "requiredResourceAccess",
                f"application permission(s) {', '.join(roles)} on the FHIR server are removed "
                f"from the request: {why} (an existing app role assignment is left as it is)",
            )

    def _fallback(self, app: App) -> None:
        if app.get("isFallbackPublicClient"):
            self._add(
                app,
                "isFallbackPublicClient",
                "is true; adoption sets it to false (only mobile and desktop clients keep it)",
            )

    def _admin_consent(self, app: App, key: str, scopes: Sequence[str]) -> tuple[bool, str | None]:
        """Whether the app has tenant-wide consent to the FHIR app, and the grant's import id.

        Entra holds one `AllPrincipals` grant per client and resource; the program manages it
        as `<key>-consent` with the client's scopes as its claim values.
        """
        sp = self.sps.get(app["appId"])
        if sp is None or self.resource_sp is None:
            return False, None
        grants = sorted(
            (
                g
                for g in self.export.grants
                if g["clientId"] == sp["id"]
                and g["resourceId"] == self.resource_sp["id"]
                and g["consentType"] == "AllPrincipals"
            ),
            key=lambda g: str(g["id"]),
        )
        if not grants:
            return False, None
        grant = grants[0]
        granted = sorted(set(str(grant.get("scope") or "").split()))
        if not scopes:
            self._add(
                app,
                "oauth2PermissionGrants",
                f"admin consent ({shown(' '.join(granted))}) exists, but the config requests no "
                "scope on the FHIR server, so it manages no grant: the grant is left as it is",
            )
            return True, None
        if granted != sorted(scopes):
            wanted = " ".join(sorted(scopes))
            self._add(
                app,
                "oauth2PermissionGrants",
                f"admin consent grants '{shown(' '.join(granted))}' and the config consents to "
                f"'{wanted}'; Pulumi imports the grant (importIds.consentGrant) only when they "
                f"are equal, so the first `pulumi up` stops at {key}-consent with 'inputs to "
                "import do not match the existing resource'. Before it, set the grant's scopes: "
                "az rest --method PATCH --uri https://graph.microsoft.com/v1.0/"
                f'oauth2PermissionGrants/{shown(grant["id"])} --body \'{{"scope": "{wanted}"}}\'',
            )
        return True, consent_grant_import_id(str(grant["id"]))

    def _assignments(self, client_app_ids: set[str]) -> list[dict[str, Any]]:
        """Assignments of people, groups and other principals (clients' own are their roles)."""
        if self.resource_sp is None:
            return []
        client_sps = {self.sps[a]["id"] for a in client_app_ids if a in self.sps}
        roles = {v: k for k, v in self.role_ids.items()}
        by_principal: dict[tuple[str, str], dict[str, Any]] = {}
        for assignment in self.export.assignments:
            if assignment["resourceId"] != self.resource_sp["id"]:
                continue
            if assignment["principalId"] in client_sps:
                continue
            role = roles.get(assignment["appRoleId"])
            name = assignment.get("principalDisplayName") or assignment["principalId"]
            named = shown(name)
            if role is None:
                self._add(
                    self.resource,
                    "appRoleAssignments",
                    f"{named} holds role {assignment['appRoleId']}, which the config does not "
                    "define (disabled or without a value): not adopted",
                )
                continue
            kind = assignment.get("principalType")
            if kind not in ("User", "Group", "ServicePrincipal"):
                self._add(
                    self.resource,
                    "appRoleAssignments",
                    f"{named}: principal type {_quoted(kind)} is not one the config knows: not "
                    "adopted",
                )
                continue
            entry = by_principal.setdefault(
                (kind, assignment["principalId"]),
                {
                    "principalId": assignment["principalId"],
                    "principalType": kind,
                    "roles": [],
                    "description": str(name),
                    "importIds": {},
                },
            )
            entry["roles"] = sorted({*entry["roles"], role})
            entry["importIds"] = dict(
                sorted(
                    {
                        **entry["importIds"],
                        role: app_role_assignment_import_id(
                            self.resource_sp["id"], str(assignment["id"])
                        ),
                    }.items()
                )
            )
        return [by_principal[k] for k in sorted(by_principal, key=lambda k: (k[1], k[0]))]

    def _owners(self, app: App) -> list[str]:
        """The exported owners of the app and of its service principal, as one list.

        The program gives both objects the same owners; when the export shows them differing,
        one import would see different owners, which is reported.
        """
        sp = self.sps.get(app["appId"])
        by_source = [_owner_ids(source) for source in (app, sp or {})]
        if "owners" in app and sp is not None and "owners" in sp and by_source[0] != by_source[1]:
            self._add(
                app,
                "owners",
                f"the application's owners ({', '.join(sorted(by_source[0])) or 'none'}) and its "
                f"service principal's ({', '.join(sorted(by_source[1])) or 'none'}) differ; the "
                "config gives both every one of them, and Pulumi imports each object only when "
                "its owners equal the config's: before the first `pulumi up`, add the missing "
                "owners to the other object",
            )
        return sorted(by_source[0] | by_source[1])

    def _import_ids(self, app: App, key: str = SERVER_KEY) -> dict[str, Any]:
        ids: dict[str, Any] = {"application": application_import_id(app["id"])}
        sp = self.sps.get(app["appId"])
        if sp is not None:
            ids["servicePrincipal"] = service_principal_import_id(sp["id"])
            if key != SERVER_KEY and sp.get("appRoleAssignmentRequired") is True:
                self._add(
                    app,
                    "servicePrincipal.appRoleAssignmentRequired",
                    "is true; the config has no key for it and the program leaves it false on a "
                    "client, and Pulumi imports the service principal only when its inputs equal "
                    f"the existing object: the first `pulumi up` stops at {key}-sp with 'inputs "
                    "to import do not match the existing resource' and changes nothing. Before "
                    f"it, set it to false (az ad sp update --id {app['appId']} --set "
                    "appRoleAssignmentRequired=false): users then sign in to the app without an "
                    "assignment to it",
                )
        elif self.export.has_service_principals:
            self._add(
                app,
                "servicePrincipal",
                f"not in the --service-principals export: `pulumi up` creates one, and stops "
                f"with 'already exists' if the app has one (find it with az ad sp show --id "
                f"{app['appId']}, add it to the export and run adopt again)",
            )
        return ids

    # -- tenant ------------------------------------------------------------------------------

    def _tenant(self, audience: str) -> dict[str, Any] | None:
        """`tenant.verifiedDomains` when base.yaml does not already cover the server URL.

        Entra checks new identifier URIs against the tenant's verified domains, and so does the
        config check; the existing URI was accepted, so its domain (the app's publisher domain
        when the host sits under it, else the host itself) is one the tenant had verified.
        """
        base = self._base_domains()
        if rules.identifier_uri_problem(audience, base) is None:
            return None
        try:
            host = (urlsplit(audience).hostname or "").lower()
        except ValueError:  # `https://[x`: the identifier URI check after this refuses it
            return None
        publisher = str(self.resource.get("publisherDomain") or "").lower()
        domain = (
            publisher
            if publisher and (host == publisher or host.endswith("." + publisher))
            else host
        )
        return {"verifiedDomains": sorted({*base, domain})}

    def _base_domains(self) -> list[str]:
        if self.config_dir is None:
            return []
        try:
            data = yaml.safe_load((self.config_dir / "base.yaml").read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            return []  # `check` reports an unreadable base.yaml with its line; not adopt's job
        tenant = data.get("tenant") if isinstance(data, dict) else None
        domains = tenant.get("verifiedDomains") if isinstance(tenant, dict) else None
        return [d for d in domains if isinstance(d, str)] if isinstance(domains, list) else []


def _owner_ids(source: App) -> set[str]:
    found: set[str] = set()
    for owner in source.get("owners") or []:
        owner_id = owner.get("id") if isinstance(owner, dict) else owner
        # Strictly a GUID: the rules' check also takes forms Graph never writes (`{...}`, or
        # with a line break around it), and an owner id is written into the config as it is.
        if (
            isinstance(owner_id, str)
            and is_guid(owner_id)
            and rules.object_id_problem(owner_id) is None
        ):
            found.add(owner_id)
    return found


def _refuse(app: App, what: str, problem: str | None) -> None:
    """Refuse to adopt `app` when its `what` has a `problem` that the config check refuses.

    Adoption writes Entra's values as they are, so that the first `pulumi up` imports the
    objects; a value that hides what it says (a line break, control or bidi character in a
    name) cannot be written, and changing it would not import: it must be corrected in Entra.
    The app is named by its object id, and its name only escaped.
    """
    if problem is None:
        return
    raise AdoptInputError(
        f"application {shown(app['id'])} ('{shown(app['displayName'])}'): {what} {problem}. "
        "Adopt takes over no such app: correct it in Entra (az ad app update --id "
        f"{shown(app['appId'])}) and export again"
    )


def _refuse_surrogates(config: Any) -> None:
    """Refuse a config holding a lone surrogate (JSON's `"\\ud800"`): it is not Unicode, so
    no YAML file can hold it."""
    stack: list[tuple[str, Any]] = [("", config)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, dict):
            stack += [(f"{path}.{k}" if path else str(k), v) for k, v in value.items()]
            stack += [(path, k) for k in value if isinstance(k, str)]
        elif isinstance(value, list):
            stack += [(f"{path}[{i}]", v) for i, v in enumerate(value)]
        elif isinstance(value, str) and any("\ud800" <= c <= "\udfff" for c in value):
            raise AdoptInputError(
                f"the export holds text that is not Unicode (a lone surrogate) for {path}: "
                f"'{shown(value)}'; correct it in Entra and export again"
            )


def _quoted(value: Any) -> str:
    return f"'{shown(value)}'" if isinstance(value, str) else "null"
