"""The Entra rules that span fields, applied to a structurally valid spec.

`spec_problems(spec)` returns every problem as `(key path, message)`, with camelCase key paths as
in the YAML; the loader turns each path into `<file>: <path>: <message>` using the layer that set
the value. `spec_warnings(spec)` does the same for what is allowed but will likely not work as
meant; those are shown and the run goes on. The rules themselves live in `fhir_apps.rules`,
shared with the policy pack.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import urlsplit

from fhir_apps import rules
from fhir_apps.arm import key_vault_secret_name
from fhir_apps.fhir_constants import FHIR_RBAC_ROLES, FHIR_USER_CLAIM, SMART_USER_ROLE
from fhir_apps.ids import derived_id
from fhir_apps.safeio.text import shown
from fhir_apps.spec.model import (
    Assignment,
    CertificateCredential,
    ConfidentialClient,
    FederatedCredential,
    FhirServer,
    OptionalClaims,
    PublicClient,
    ScopeDetails,
    SecretCredential,
    ServiceClient,
    Spec,
)
from fhir_apps.spec.yamlio import Path_, format_path

__all__ = ["CLIENT_KEY_PATTERN", "spec_problems", "spec_warnings"]

# Client keys name Pulumi resources and display names: keep them to URL- and name-safe characters.
# Applied with fullmatch: `$` alone also matches before a trailing newline.
CLIENT_KEY_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
USER_IMPERSONATION = "user_impersonation"
# The FHIR resource app's component is named `fhir-server` (components.stack.SERVER_NAME).
RESERVED_CLIENT_KEYS = ("fhir-server",)
# The FHIR RBAC role that runs $export, which writes to the service's export storage account.
EXPORTER_ROLE = "FHIR Data Exporter"

Found = list[tuple[Path_, str]]


def _allowed(values: Sequence[str]) -> str:
    return ", ".join(values) if values else "(none defined)"


def _allowed_briefly(values: Sequence[str], limit: int = 12) -> str:
    """The allowed values, or how many there are when the list would not fit on one line."""
    if len(values) <= limit:
        return f"allowed: {_allowed(values)}"
    return f"{len(values)} are defined, e.g. {', '.join(values[:limit])}"


def spec_problems(spec: Spec) -> Found:
    """Every cross-field problem in `spec`, in a stable order."""
    found: Found = []
    server = spec.fhir_server
    _tenant(spec, found)
    _naming(spec, found)
    _owners(spec.owners, ("owners",), found)
    _server(spec, server, found)
    defined_roles, defined_scopes = _defined(server)
    key_vault = spec.secret_store.key_vault_id
    _client_keys(spec, found)
    _display_names(spec, found)
    for key, client in sorted(spec.clients.items()):
        base: Path_ = ("clients", key)
        if client.display_name is not None:
            problem = rules.display_name_problem(client.display_name)
            if problem:
                found.append(((*base, "displayName"), problem))
        _owners(client.owners, (*base, "owners"), found)
        if isinstance(client, ConfidentialClient):
            _confidential(client, base, found)
        elif isinstance(client, PublicClient):
            _public(client, base, found)
        else:
            _service(client, base, found)
        if client.credential is not None and not isinstance(client, PublicClient):
            _credential(spec, client.credential, (*base, "credential"), found)
            _vault_secret_name(key, client.credential, key_vault, base, found)
        if not isinstance(client, ServiceClient):
            _requested(client.scopes, defined_scopes, server, (*base, "scopes"), "scope", found)
            _client_smart(spec, client, base, found)
        else:
            _requested(client.roles, defined_roles, server, (*base, "roles"), "role", found)
            _assignable(server, client.roles, "ServicePrincipal", (*base, "roles"), found)
        _client_import_ids(server, client, base, found)
    # People and groups get FHIR RBAC roles on a managed service (the SMART app's own roles are
    # for backend services, which are clients).
    assignable = defined_roles if server.kind == "oss" else tuple(FHIR_RBAC_ROLES)
    for index, assignment in enumerate(spec.assignments):
        _assignment(assignment, assignable, server, ("assignments", index), found)
    _assignment_import_ids(spec, found)
    if spec.secret_store.key_vault_id is not None:
        problem = rules.key_vault_id_problem(spec.secret_store.key_vault_id)
        if problem:
            found.append((("secretStore", "keyVaultId"), problem))
    return found


def spec_warnings(spec: Spec) -> Found:
    """What a valid spec allows but likely does not mean, in a stable order.

    `retire: true` (what it does, or that it does nothing outside a protected environment); for
    a deployed AHDS service, a SPA origin missing from its CORS origins and an exporter without
    an export storage account.

    A client that requests an `Admin` scope without `adminConsent`: no user can consent to such
    a scope, so every sign-in fails until an administrator grants it, which an administrator may
    do outside fhir-apps (the portal's "Grant admin consent"), hence a warning and not an error.
    """
    found: Found = []
    _retired(spec, found)
    _ahds_gaps(spec, found)
    _smart_warnings(spec, found)
    admin_scopes = {
        value
        for value, details in spec.fhir_server.scope_details.items()
        if details.type == "Admin"
    }
    for key, client in sorted(spec.clients.items()):
        if isinstance(client, ServiceClient) or client.admin_consent:
            continue
        needing = sorted(admin_scopes.intersection(client.scopes))
        if needing:
            found.append(
                (
                    ("clients", key, "scopes"),
                    f"{', '.join(needing)}: type Admin on the FHIR server, which no user can "
                    "consent to; sign-in fails until an administrator grants it. Set "
                    "adminConsent: true to grant it here",
                )
            )
    return found


def _retired(spec: Spec, found: Found) -> None:
    """`retire: true` says, in review, that a protected registration is about to go."""
    retired: list[Path_] = [("clients", key) for key, c in sorted(spec.clients.items()) if c.retire]
    retired += [("assignments", i) for i, a in enumerate(spec.assignments) if a.retire]
    for base in retired:
        if spec.protected:
            message = (
                "unprotected for removal: this release lifts the protection of its "
                "registration; remove it (or set enabled: false) in the next one, or unset "
                "retire to keep it"
            )
        else:
            message = (
                "has no effect: the environment is not protected (protected: false), so "
                "removing it needs no retire; unset it"
            )
        found.append(((*base, "retire"), message))


def _ahds_gaps(spec: Spec, found: Found) -> None:
    """What a deployed AHDS service is missing for the clients it serves: a browser origin of a
    SPA that CORS does not allow, and an exporter without an export storage account."""
    server = spec.fhir_server
    deploy = server.deploy
    if server.kind != "ahds" or deploy is None:
        return  # without deploy the service's settings are not in this config
    allowed = {_origin(origin) for origin in deploy.cors_origins}
    for key, client in sorted(spec.clients.items()):
        if isinstance(client, PublicClient) and client.platform == "spa":
            for index, uri in enumerate(client.redirect_uris):
                origin = _origin(uri)
                if origin is not None and origin not in allowed:
                    found.append(
                        (
                            ("clients", key, "redirectUris", index),
                            f"the SPA's origin {origin} is not in fhirServer.deploy.corsOrigins, "
                            "so the browser blocks its calls to the FHIR service; add it there",
                        )
                    )
        if isinstance(client, ServiceClient) and deploy.export_storage_account is None:
            for index, role in enumerate(client.roles):
                if role == EXPORTER_ROLE:
                    found.append(
                        (
                            ("clients", key, "roles", index),
                            f"{EXPORTER_ROLE}: $export needs a storage account, and "
                            "fhirServer.deploy.exportStorageAccount is not set; set it (and "
                            "grant the service's identity Storage Blob Data Contributor on it)",
                        )
                    )


def _origin(uri: str) -> str | None:
    """`scheme://host[:port]` of an http(s) URI, lowercased, default ports left out."""
    parsed = urlsplit(uri.strip())
    if parsed.scheme.lower() not in ("http", "https") or not parsed.hostname:
        return None
    try:
        port = parsed.port
    except ValueError:
        return None
    scheme = parsed.scheme.lower()
    default = 443 if scheme == "https" else 80
    suffix = f":{port}" if port is not None and port != default else ""
    return f"{scheme}://{parsed.hostname.lower()}{suffix}"


def _tenant(spec: Spec, found: Found) -> None:
    if spec.tenant.id is not None and spec.tenant.id.int == 0:
        found.append(
            (
                ("tenant", "id"),
                f"{rules.NIL_GUID} is the nil GUID, which names no tenant; use the tenant's "
                "directory (tenant) id",
            )
        )
    for index, domain in enumerate(spec.tenant.verified_domains):
        problem = rules.verified_domain_problem(domain)
        if problem:
            found.append((("tenant", "verifiedDomains", index), problem))


def _naming(spec: Spec, found: Found) -> None:
    problem = rules.unsafe_text_problem(spec.naming.prefix)
    if problem:
        found.append((("naming", "prefix"), f"{problem}; it begins every derived display name"))


def _client_keys(spec: Spec, found: Found) -> None:
    """Client keys are safe names, none reserved, and unique also when case is ignored."""
    for key in sorted(spec.clients):
        base: Path_ = ("clients", key)
        if not CLIENT_KEY_PATTERN.fullmatch(key):
            found.append(
                (
                    base,
                    f"client key '{shown(key)}' may use only letters, digits, '-' and '_' (at "
                    "most 64, starting with a letter or digit); it names resources and display "
                    "names",
                )
            )
        if key in RESERVED_CLIENT_KEYS:
            found.append((base, f"client key '{key}' is reserved for the FHIR resource app"))
    keys = list(spec.clients)  # layer order: the key a later layer adds is the one reported
    for index, earlier in rules.case_insensitive_duplicates(keys):
        found.append(
            (
                ("clients", keys[index]),
                f"client key '{shown(keys[index])}' differs from '{shown(earlier)}' only in "
                "case; Key Vault secret names and display names ignore case, so the two would "
                "collide; rename one",
            )
        )


def _display_names(spec: Spec, found: Found) -> None:
    """Display names (set, or derived from naming.prefix and the key) are unique in the stack,
    ignoring case as Entra's preventDuplicateNames does."""
    names: list[tuple[str, Path_, str, bool]] = []  # (owner, key path, name, set explicitly)
    server = spec.fhir_server
    if server.kind == "oss" or server.smart_app():  # the stack creates the resource app
        explicit = server.display_name is not None
        name = server.display_name or f"{spec.naming.prefix}-{spec.environment}-fhir-server"
        path: Path_ = ("fhirServer", "displayName") if explicit else ("fhirServer",)
        names.append(("fhirServer", path, name, explicit))
    for key, client in spec.clients.items():  # layer order: a later client is the one reported
        if key in RESERVED_CLIENT_KEYS:
            continue  # reported as a reserved key; its name clashes for the same reason
        explicit = client.display_name is not None
        path = ("clients", key, "displayName") if explicit else ("clients", key)
        names.append((format_path(("clients", key)), path, spec.display_name(key), explicit))
    # A name set explicitly is the one to change: derived names are met first (stable sort).
    names.sort(key=lambda entry: entry[3])
    first: dict[str, tuple[str, bool]] = {}
    for owner, path, name, explicit in names:
        earlier, earlier_explicit = first.setdefault(name.casefold(), (owner, explicit))
        if earlier == owner:
            continue
        if not explicit and not earlier_explicit and earlier != "fhirServer":
            continue  # two derived client names: their keys differ only in case (_client_keys)
        how = "" if explicit else " (derived from naming.prefix, the environment and the key)"
        found.append(
            (
                path,
                f"display name '{shown(name)}'{how} is also the display name of {earlier} "
                "(ignoring case); every application of a stack needs its own: set a different "
                "displayName",
            )
        )


def _defined(server: FhirServer) -> tuple[tuple[str, ...], tuple[str, ...]]:
    if server.kind == "oss":
        return server.app_roles, server.exposed_scopes()
    if server.smart_app():
        # The SMART resource app this stack creates exposes fhirServer.scopes and the presets;
        # a service client's roles are FHIR RBAC roles or the app's own roles (system.*).
        return (*FHIR_RBAC_ROLES, *server.app_roles), server.exposed_scopes()
    return tuple(FHIR_RBAC_ROLES), (USER_IMPERSONATION,)


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
    problem = rules.key_vault_secret_name_problem(key_vault_secret_name(key))
    if problem:
        where = "keyVaultId" if credential.key_vault_id is not None else None
        path: Path_ = (*base, "credential", where) if where else base
        found.append((path, f"{problem}; the secret is named after the client key"))


def _owners(owners: Sequence[str], path: Path_, found: Found) -> None:
    for index, owner in enumerate(owners):
        problem = rules.object_id_problem(owner)
        if problem:
            found.append(((*path, index), problem))


def _server(spec: Spec, server: FhirServer, found: Found) -> None:
    base: Path_ = ("fhirServer",)
    if server.display_name is not None:
        problem = rules.display_name_problem(server.display_name)
        if problem:
            found.append(((*base, "displayName"), problem))
    _owners(server.owners, (*base, "owners"), found)
    _server_import_ids(server, base, found)
    managed = server.kind != "oss"
    if server.kind == "oss":
        _oss_server(spec, server, base, found)
    else:
        _managed_server(spec, server, base, found)
    _smart_only_keys(server, base, found)
    _details(server, base, found)
    if not managed:
        for name in ("deploy", "resource_id", "access_policies"):
            if getattr(server, name) is not None:
                found.append(
                    (
                        (*base, _camel(name)),
                        "applies only to a managed FHIR service (kind ahds or azure-api-for-fhir)",
                    )
                )
        if server.smart:
            found.append(
                (
                    (*base, "smart"),
                    "applies only to a managed FHIR service (kind ahds or azure-api-for-fhir); "
                    "the open-source server configures SMART on FHIR itself",
                )
            )


def _oss_server(spec: Spec, server: FhirServer, base: Path_, found: Found) -> None:
    if server.url is None:
        found.append(
            (
                (*base, "url"),
                "is required for kind oss: the FHIR server's URL, which becomes the identifier "
                "URI and the token audience",
            )
        )
    else:
        tenant_id = str(spec.tenant.id) if spec.tenant.id else None
        domains = spec.tenant.verified_domains
        problem = rules.identifier_uri_problem(server.url, domains, tenant_id)
        if problem is None and server.access_token_version == 1:
            # Entra's default policy leaves apps with v2 tokens out of the api:// forms.
            problem = rules.api_identifier_uri_problem(server.url, domains, tenant_id)
        if problem:
            found.append(((*base, "url"), problem))
        problem = rules.access_token_version_problem(server.access_token_version, server.url)
        if problem:
            found.append(((*base, "accessTokenVersion"), problem))
    _values(server.scopes, (*base, "scopes"), "scope", found)
    if USER_IMPERSONATION not in server.scopes:
        found.append(
            (
                (*base, "scopes"),
                f"must include '{USER_IMPERSONATION}', the scope clients ask for to call the "
                "FHIR server as the signed-in user",
            )
        )
    _role_values(server, base, found)
    _pins(server, base, found)


def _role_values(server: FhirServer, base: Path_, found: Found) -> None:
    """App role values: Entra's rules, no two differing only in case, and a value that is also
    a scope only as the pair Entra accepts (`_pairs`)."""
    _values(server.app_roles, (*base, "appRoles"), "role", found)
    for index, earlier in rules.case_insensitive_duplicates(server.app_roles):
        found.append(
            (
                (*base, "appRoles", index),
                f"'{server.app_roles[index]}' differs from '{earlier}' only in case; the FHIR "
                "server matches roles case-insensitively, so keep one",
            )
        )
    _pairs(server, base, found)


def _pairs(server: FhirServer, base: Path_, found: Found) -> None:
    """A value that is both an app role and a scope (Microsoft's SMART sample: user.all.read):
    Entra accepts it only with one id and matching texts. fhir-apps gives the role the scope's id
    and its admin consent texts, so only what the config sets can break the pair."""
    scopes = server.exposed_scopes()
    for value in rules.roles_and_scopes_overlap(server.app_roles, scopes):
        scope_id = str(server.ids.scopes.get(value) or derived_id("scope", value))
        pinned = server.ids.roles.get(value)
        if pinned is not None and str(pinned) != scope_id:
            found.append(
                (
                    (*base, "ids", "roles", value),
                    f"'{value}' is both an app role and a scope, which Entra accepts only with "
                    f"one id: pin it under ids.scopes only (the role takes the scope's id "
                    f"{scope_id})",
                )
            )
        role = server.role_details.get(value)
        scope = server.scope_details.get(value)
        for role_key, role_text, scope_key, scope_text in (
            (
                "displayName",
                role.display_name if role else None,
                "adminConsentDisplayName",
                scope.admin_consent_display_name if scope else None,
            ),
            (
                "description",
                role.description if role else None,
                "adminConsentDescription",
                scope.admin_consent_description if scope else None,
            ),
        ):
            if scope_text == "":
                found.append(
                    (
                        (*base, "scopeDetails", value, scope_key),
                        f"'{value}' is also an app role, whose {role_key} Entra requires and "
                        f"takes from the scope's {scope_key}: give it a text",
                    )
                )
            elif role_text is not None and role_text != scope_text:
                found.append(
                    (
                        (*base, "roleDetails", value, role_key),
                        f"'{value}' is both an app role and a scope, which Entra accepts only "
                        f"when the role's {role_key} equals the scope's {scope_key}; leave it "
                        f"out (the role takes the scope's) or set the same text in "
                        f"fhirServer.scopeDetails.{value}",
                    )
                )


def _pins(server: FhirServer, base: Path_, found: Found) -> None:
    for group, defined, what in (
        ("roles", server.app_roles, "fhirServer.appRoles"),
        ("scopes", server.exposed_scopes(), "fhirServer.scopes"),
    ):
        for name in sorted(getattr(server.ids, group)):
            if name not in defined:
                found.append(
                    (
                        (*base, "ids", group, name),
                        f"pins the id of '{name}', which {what} does not define; defined: "
                        f"{_allowed(defined)}",
                    )
                )
    owner: dict[str, tuple[str, str]] = {}
    for group in ("roles", "scopes"):
        for name, value in sorted(getattr(server.ids, group).items()):
            text = str(value)
            if text in owner and owner[text][1] != name:  # a role/scope pair shares its id
                other_group, other = owner[text]
                found.append(
                    (
                        (*base, "ids", group, name),
                        f"id {text} is already pinned for {other_group} '{other}'; every role "
                        "and scope needs its own id",
                    )
                )
            else:
                owner[text] = (group[:-1], name)


def _details(server: FhirServer, base: Path_, found: Found) -> None:
    """scopeDetails and roleDetails describe defined values, on a resource app this stack makes."""
    label = "Azure Health Data Services" if server.kind == "ahds" else "Azure API for FHIR"
    first_party = f"the {label} resource application belongs to Microsoft"
    if server.scope_details and server.kind != "oss" and not server.smart_app():
        found.append(
            (
                (*base, "scopeDetails"),
                f"applies only to kind oss, or to the SMART resource app (kind ahds with smart "
                f"and deploy): for kind {server.kind} {first_party}; remove it",
            )
        )
    elif server.scope_details:
        exposed = server.exposed_scopes()
        for name in sorted(server.scope_details):
            _consent_names(server.scope_details[name], (*base, "scopeDetails", name), found)
            if name not in exposed:
                found.append(
                    (
                        (*base, "scopeDetails", name),
                        f"describes '{name}', which fhirServer.scopes does not define; defined: "
                        f"{_allowed(server.scopes)}",
                    )
                )
    if server.kind != "oss":
        # The SMART app requires no app role assignment: users sign in to SMART apps without
        # one (the service checks Azure RBAC); a first-party app is not ours to change.
        what = (
            "the SMART resource app never requires an app role (users hold Azure RBAC roles)"
            if server.smart_app()
            else first_party
        )
        set_here = [("roleDetails", bool(server.role_details) and not server.smart_app())]
        set_here.append(
            ("appRoleAssignmentRequired", "app_role_assignment_required" in server.model_fields_set)
        )
        for key, is_set in set_here:
            if is_set:
                found.append(((*base, key), f"applies only to kind oss: {what}; remove it"))
        if not server.smart_app():
            return
    for name, details in sorted(server.role_details.items()):
        path: Path_ = (*base, "roleDetails", name)
        if name not in server.app_roles:
            found.append(
                (
                    path,
                    f"describes '{name}', which fhirServer.appRoles does not define; defined: "
                    f"{_allowed(server.app_roles)}",
                )
            )
        for key, text in (
            ("displayName", details.display_name),
            ("description", details.description),
        ):
            problem = rules.app_role_text_problem(text) if text is not None else None
            if problem is None and text is not None and key == "displayName":
                problem = rules.unsafe_text_problem(text)
            if problem:
                found.append(((*path, key), problem))
        members = details.allowed_member_types
        problem = rules.allowed_member_types_problem(members)
        if problem:
            found.append(((*path, "allowedMemberTypes"), problem))
        for index in rules.duplicate_indices(members):
            found.append(
                (
                    (*path, "allowedMemberTypes", index),
                    f"'{members[index]}' is listed twice; list it once",
                )
            )


def _consent_names(details: ScopeDetails, path: Path_, found: Found) -> None:
    """The names a consent prompt shows for a scope: nothing that hides or reorders text.
    (Descriptions may run over several lines, so only the one-line names are checked.)"""
    for key, text in (
        ("adminConsentDisplayName", details.admin_consent_display_name),
        ("userConsentDisplayName", details.user_consent_display_name),
    ):
        problem = rules.unsafe_text_problem(text) if text is not None else None
        if problem:
            found.append(((*path, key), problem))


def _managed_server(spec: Spec, server: FhirServer, base: Path_, found: Found) -> None:
    label = "Azure Health Data Services" if server.kind == "ahds" else "Azure API for FHIR"
    if server.url is not None:
        if server.kind == "ahds":
            problem = rules.ahds_url_problem(server.url)
        else:
            problem = rules.azure_api_for_fhir_url_problem(server.url)
        if problem:
            found.append(((*base, "url"), problem))
        elif server.kind == "ahds" and server.deploy is not None:
            expected = rules.ahds_service_url(server.deploy.workspace, server.deploy.service)
            if server.url.rstrip("/") != expected:
                found.append(
                    (
                        (*base, "url"),
                        f"does not match fhirServer.deploy (workspace '{server.deploy.workspace}', "
                        f"service '{server.deploy.service}'): expected {expected}; or leave url "
                        "out",
                    )
                )
    elif not (server.kind == "ahds" and server.deploy is not None):
        hint = "https://<workspace>-<service>.fhir.azurehealthcareapis.com (or set deploy)"
        if server.kind != "ahds":
            hint = "https://<name>.azurehealthcareapis.com"
        found.append(((*base, "url"), f"is required for kind {server.kind}: {hint}"))
    first_party = f"the {label} resource application belongs to Microsoft"
    if server.smart_app():
        _smart_scopes(server, base, found)
        _role_values(server, base, found)
        _pins(server, base, found)
    else:
        if server.app_roles:
            found.append(
                (
                    (*base, "appRoles"),
                    f"must be empty for kind {server.kind}: {first_party}; give clients FHIR "
                    "RBAC roles with roles or assignments",
                )
            )
        if server.scopes != (USER_IMPERSONATION,):
            found.append(
                (
                    (*base, "scopes"),
                    f"for kind {server.kind} the only scope is {USER_IMPERSONATION} "
                    f"({first_party}); remove scopes",
                )
            )
        if server.scope_presets:
            found.append(
                (
                    (*base, "scopePresets"),
                    f"applies only to a resource app this stack creates (kind oss, or smart: "
                    f"true): {first_party}; remove it",
                )
            )
        if server.ids.roles or server.ids.scopes:
            found.append(((*base, "ids"), f"cannot pin ids for kind {server.kind}: {first_party}"))
    if server.access_token_version != 1:
        found.append(
            (
                (*base, "accessTokenVersion"),
                f"applies only to kind oss: {first_party}; remove it",
            )
        )
    if server.display_name is not None or server.import_ids.application is not None:
        name = "displayName" if server.display_name is not None else "importIds"
        found.append(((*base, name), f"applies only to kind oss: {first_party}; remove it"))
    if server.deploy is not None and server.kind != "ahds":
        found.append(
            (
                (*base, "deploy"),
                "applies only to kind ahds: Azure API for FHIR takes no new deployments "
                "(since 2025-04-01); reference an existing service with resourceId",
            )
        )
    if server.deploy is not None and server.resource_id is not None:
        found.append(
            (
                (*base, "resourceId"),
                "set either deploy (this stack deploys the FHIR service) or resourceId (an "
                "existing one), not both",
            )
        )
    if server.resource_id is not None:
        problem = rules.resource_id_problem(server.resource_id, server.kind)
        if problem:
            found.append(((*base, "resourceId"), problem))
    if server.access_policies is not None and server.kind != "azure-api-for-fhir":
        found.append(
            (
                (*base, "accessPolicies"),
                "applies only to kind azure-api-for-fhir; for ahds use roles and assignments "
                "(Azure RBAC)",
            )
        )
    if server.access_policies is not None:
        _owners(server.access_policies.object_ids, (*base, "accessPolicies", "objectIds"), found)
    if server.deploy is not None:
        _deploy(server, (*base, "deploy"), found)
    _smart(spec, server, base, found)
    _rbac_scope(spec, server, base, found)


def _deploy(server: FhirServer, base: Path_, found: Found) -> None:
    deploy = server.deploy
    assert deploy is not None
    for key, value, what in (
        ("workspace", deploy.workspace, "workspace"),
        ("service", deploy.service, "FHIR service"),
    ):
        problem = rules.ahds_name_problem(value, what)
        if problem:
            found.append(((*base, key), problem))
    problem = rules.resource_group_name_problem(deploy.resource_group)
    if problem:
        found.append(((*base, "resourceGroup"), problem))
    problem = rules.location_problem(deploy.location)
    if problem:
        found.append(((*base, "location"), problem))
    if deploy.export_storage_account is not None:
        problem = rules.storage_account_name_problem(deploy.export_storage_account)
        if problem:
            found.append(((*base, "exportStorageAccount"), problem))
    for index, origin in enumerate(deploy.cors_origins):
        problem = rules.cors_origin_problem(origin)
        if problem:
            found.append(((*base, "corsOrigins", index), problem))
    for index in rules.duplicate_indices(deploy.cors_origins):
        found.append(
            (
                (*base, "corsOrigins", index),
                f"'{shown(deploy.cors_origins[index])}' is listed twice",
            )
        )
    for name, problem in rules.tag_problems(dict(deploy.tags)):
        found.append(((*base, "tags", name) if name is not None else (*base, "tags"), problem))


def _smart(spec: Spec, server: FhirServer, base: Path_, found: Found) -> None:
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


def _smart_only_keys(server: FhirServer, base: Path_, found: Found) -> None:
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
        problem = rules.identifier_uri_problem(uri, domains) or (
            rules.mapped_claims_audience_problem(uri, domains)
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
        problem = rules.smart_gateway_problem(server.smart_gateway)
        if problem:
            found.append(((*base, "smartGateway"), problem))


def _fhir_users(server: FhirServer, base: Path_, found: Found) -> None:
    seen: dict[str, int] = {}
    for index, user in enumerate(server.fhir_users):
        path: Path_ = (*base, "fhirUsers", index)
        problem = rules.object_id_problem(str(user.user_id))
        if problem:
            found.append(((*path, "userId"), problem))
        problem = rules.fhir_user_value_problem(user.fhir_user)
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
    for suffix, problem in rules.smart_identity_provider_problems(providers):
        found.append(((*base, "smartIdentityProviders", *suffix), problem))


def _client_smart(
    spec: Spec, client: ConfidentialClient | PublicClient, base: Path_, found: Found
) -> None:
    """Graph scopes, optional claims and the Auth Context Frontend flag of a delegated client."""
    for index in rules.duplicate_indices(client.graph_scopes):
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
            problem = rules.optional_claim_problem(name)
            if problem:
                found.append((where, problem))
        for index in rules.duplicate_indices(names):
            found.append(((*path, key, index), f"'{names[index]}' is listed twice; list it once"))


def _smart_warnings(spec: Spec, found: Found) -> None:
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
        mixed = rules.mixed_smart_scopes(client.scopes)
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


def _smart_scopes(server: FhirServer, base: Path_, found: Found) -> None:
    _values(server.scopes, (*base, "scopes"), "scope", found)
    if USER_IMPERSONATION not in server.scopes:
        found.append(
            (
                (*base, "scopes"),
                f"must include '{USER_IMPERSONATION}': the SMART resource app is the audience of "
                "every client, also of those that call the FHIR service as the signed-in user",
            )
        )


def _rbac_scope(spec: Spec, server: FhirServer, base: Path_, found: Found) -> None:
    """RBAC needs a scope: the deployed service, or an existing one named by resourceId."""
    if server.deploy is not None or server.resource_id is not None:
        return
    granted = [
        f"clients.{key}.roles"
        for key, client in sorted(spec.clients.items())
        if isinstance(client, ServiceClient) and client.roles
    ]
    if spec.assignments:
        granted.append("assignments")
    if granted:
        example = (
            ".../Microsoft.HealthcareApis/workspaces/<workspace>/fhirservices/<service>"
            if server.kind == "ahds"
            else ".../Microsoft.HealthcareApis/services/<name>"
        )
        found.append(
            (
                (*base, "resourceId"),
                f"is required for kind {server.kind} to grant the FHIR RBAC roles of "
                f"{', '.join(granted)}: role assignments are made at the FHIR service's scope "
                f"({example})" + ("; or set deploy" if server.kind == "ahds" else ""),
            )
        )


def _values(values: Sequence[str], path: Path_, what: str, found: Found) -> None:
    for index, value in enumerate(values):
        for problem in rules.permission_value_problems(value, what):
            found.append(((*path, index), problem))
    for index in rules.duplicate_indices(values):
        found.append(((*path, index), f"'{values[index]}' is listed twice; list it once"))


def _redirects(uris: Sequence[str], platform: str, path: Path_, found: Found) -> None:
    for index, uri in enumerate(uris):
        for problem in rules.redirect_uri_problems(uri, platform):
            found.append(((*path, index), problem))
    for index in rules.duplicate_indices(uris):
        found.append(((*path, index), f"'{shown(uris[index])}' is listed twice; list it once"))
    problem = rules.redirect_uri_count_problem(len(uris))
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
            for problem in rules.redirect_uri_problems(url, "web"):
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
    if client.credential is not None:
        found.append(
            (
                (*base, "credential"),
                "public clients cannot keep a secret, so they have no credential of any kind; "
                "remove it, or use kind confidential if the app runs on a server",
            )
        )
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
    if client.redirect_uris:
        found.append(
            (
                (*base, "redirectUris"),
                "a service client uses the client-credentials flow and has no redirect URIs; "
                "remove them, or use kind confidential for a web app",
            )
        )
    if client.scopes:
        found.append(
            (
                (*base, "scopes"),
                "a service client gets application permissions, never delegated scopes; use "
                "roles instead",
            )
        )
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
        problem = rules.secret_rotation_problem(
            credential.rotation_days, spec.policy.max_secret_lifetime_days
        )
        if problem:
            found.append(((*path, "rotationDays"), problem))
        if credential.key_vault_id is not None:
            problem = rules.key_vault_id_problem(credential.key_vault_id)
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
        problem = rules.federated_issuer_problem(credential.issuer)
        if problem:
            found.append(((*path, "issuer"), problem))
        if credential.subject is not None:
            problem = rules.federated_subject_problem(credential.subject)
            if problem:
                found.append(((*path, "subject"), problem))
        for index, subject in enumerate(credential.subjects):
            problem = rules.federated_subject_problem(subject)
            if problem:
                found.append(((*path, "subjects", index), problem))
        problem = rules.federated_count_problem(len(credential.all_subjects()))
        if problem:
            found.append(((*path, "subjects"), problem))
        problem = rules.federated_audiences_problem(credential.audiences)
        if problem:
            found.append(((*path, "audiences"), problem))


def _requested(
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
        if server.kind != "oss" and what == "role":
            message = rules.fhir_rbac_role_problem(value) or ""
            if server.smart_app() and "clients" in path:
                message += (
                    f", or an app role of the SMART resource app (fhirServer.appRoles: "
                    f"{_allowed(server.app_roles)})"
                )
        elif server.smart_app():
            source = "fhirServer.scopes"
            if server.scope_presets:
                source += " and fhirServer.scopePresets"
            message = (
                f"'{value}' is not a scope of the SMART resource app ({source}); "
                f"{_allowed_briefly(defined)}"
            )
        elif server.kind != "oss":
            message = (
                f"'{value}' is not a scope of kind {server.kind}; allowed: {USER_IMPERSONATION}"
            )
        else:
            source = "fhirServer.appRoles" if what == "role" else "fhirServer.scopes"
            message = f"{what} '{value}' is not defined by {source}; allowed: {_allowed(defined)}"
        found.append(((*path, index), message))
    for index in rules.duplicate_indices(requested):
        found.append(((*path, index), f"'{requested[index]}' is listed twice; list it once"))


def _assignment(
    assignment: Assignment, defined: Sequence[str], server: FhirServer, path: Path_, found: Found
) -> None:
    problem = rules.object_id_problem(str(assignment.principal_id))
    if problem:
        found.append(((*path, "principalId"), problem))
    if not assignment.roles:
        found.append(((*path, "roles"), "needs at least one role"))
    _requested(assignment.roles, defined, server, (*path, "roles"), "role", found)
    _assignable(server, assignment.roles, assignment.principal_type, (*path, "roles"), found)


def _assignable(
    server: FhirServer, roles: Sequence[str], principal_type: str, path: Path_, found: Found
) -> None:
    # App roles exist on the oss app and the SMART app; FHIR RBAC names are skipped below.
    if server.kind != "oss" and not server.smart_app():
        return
    for index, role in enumerate(roles):
        details = server.role_details.get(role)
        if details is None or role not in server.app_roles:
            continue
        problem = rules.assignable_problem(role, details.allowed_member_types, principal_type)
        if problem:
            found.append(((*path, index), problem))


def _client_import_ids(
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
        elif server.kind != "oss":
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
                            f"{_allowed(client.roles)}",
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
                            f"{_allowed(subjects)}",
                        )
                    )


def _server_import_ids(server: FhirServer, base: Path_, found: Found) -> None:
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


def _assignment_import_ids(spec: Spec, found: Found) -> None:
    """Import ids of assignments name one of the assignment's roles, once per principal."""
    seen: dict[tuple[str, str], tuple[int, str]] = {}
    for index, assignment in enumerate(spec.assignments):
        path: Path_ = ("assignments", index, "importIds")
        if not assignment.import_ids:
            continue
        if spec.fhir_server.kind != "oss":
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
                        f"{_allowed(assignment.roles)}",
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


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)
