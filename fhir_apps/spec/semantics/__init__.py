"""The Entra rules that span fields, applied to a structurally valid spec.

`spec_problems(spec)` returns every problem as `(key path, message)`, with camelCase key paths as
in the YAML; the loader turns each path into `<file>: <path>: <message>` using the layer that set
the value. `spec_warnings(spec)` does the same for what is allowed but will likely not work as
meant; those are shown and the run goes on. The rules themselves live in `fhir_apps.rules`,
shared with the components and the policy pack; this package applies them to the spec's keys:
the stack-wide checks here, `server` (fhirServer), `clients` (and assignments), `import_ids`,
`smart` (SMART on FHIR), on the helpers of `common`.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from fhir_apps.fhir_constants import EXPORTER_ROLE, FHIR_RBAC_ROLES
from fhir_apps.rules.azure import key_vault_id_problem
from fhir_apps.rules.permissions import NIL_GUID
from fhir_apps.rules.text import (
    case_insensitive_duplicates,
    reserved_client_key_problem,
    unsafe_text_problem,
)
from fhir_apps.rules.urls import verified_domain_problem
from fhir_apps.safeio.text import shown
from fhir_apps.spec.model import ConfidentialClient, PublicClient, ServiceClient, Spec
from fhir_apps.spec.semantics.clients import check_assignment, check_client
from fhir_apps.spec.semantics.common import (
    CLIENT_KEY_PATTERN,
    Found,
    check_owners,
)
from fhir_apps.spec.semantics.import_ids import check_assignment_import_ids
from fhir_apps.spec.semantics.server import check_server, defined_values
from fhir_apps.spec.semantics.smart import smart_warnings
from fhir_apps.spec.yamlio import Path_, format_path

__all__ = ["CLIENT_KEY_PATTERN", "spec_problems", "spec_warnings"]


def spec_problems(spec: Spec) -> Found:
    """Every cross-field problem in `spec`, in a stable order."""
    found: Found = []
    server = spec.fhir_server
    _tenant(spec, found)
    _naming(spec, found)
    check_owners(spec.owners, ("owners",), found)
    check_server(spec, server, found)
    defined_roles, defined_scopes = defined_values(server)
    _client_keys(spec, found)
    _display_names(spec, found)
    for key, client in sorted(spec.clients.items()):
        check_client(spec, key, client, (defined_roles, defined_scopes), found)
    # People and groups get FHIR RBAC roles on a managed service (the SMART app's own roles are
    # for backend services, which are clients).
    assignable = tuple(FHIR_RBAC_ROLES) if server.is_managed() else defined_roles
    for index, assignment in enumerate(spec.assignments):
        check_assignment(assignment, assignable, server, ("assignments", index), found)
    check_assignment_import_ids(spec, found)
    if spec.secret_store.key_vault_id is not None:
        problem = key_vault_id_problem(spec.secret_store.key_vault_id)
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
    smart_warnings(spec, found)
    admin_scopes = {
        value
        for value, details in spec.fhir_server.scope_details.items()
        if details.type == "Admin"
    }
    for key, client in sorted(spec.clients.items()):
        if isinstance(client, ConfidentialClient) and client.id_token_issuance:
            found.append(
                (
                    ("clients", key, "idTokenIssuance"),
                    "Entra returns ID tokens from the authorize endpoint (the hybrid flow, "
                    "response_type 'code id_token'); access tokens from it stay off. Remove it "
                    "once the app uses the authorization code flow alone",
                )
            )
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
                f"{NIL_GUID} is the nil GUID, which names no tenant; use the tenant's "
                "directory (tenant) id",
            )
        )
    for index, domain in enumerate(spec.tenant.verified_domains):
        problem = verified_domain_problem(domain)
        if problem:
            found.append((("tenant", "verifiedDomains", index), problem))


def _naming(spec: Spec, found: Found) -> None:
    problem = unsafe_text_problem(spec.naming.prefix)
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
        problem = reserved_client_key_problem(key)
        if problem:
            found.append((base, problem))
    keys = list(spec.clients)  # layer order: the key a later layer adds is the one reported
    for index, earlier in case_insensitive_duplicates(keys):
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
    if server.creates_resource_app():
        explicit = server.display_name is not None
        name = spec.server_display_name()
        path: Path_ = ("fhirServer", "displayName") if explicit else ("fhirServer",)
        names.append(("fhirServer", path, name, explicit))
    for key, client in spec.clients.items():  # layer order: a later client is the one reported
        if reserved_client_key_problem(key):
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
