"""Entra ID's rules for app registrations, as pure functions over plain values.

One place for every limit Entra enforces (or that a FHIR server relies on), so that the config
check (`fhir_apps.spec.semantics`) and the policy pack that inspects resource inputs apply exactly
the same rules. Nothing here knows about the spec, pydantic or Pulumi: arguments are strings,
numbers and sequences; results are messages that say what is allowed (empty when all is well).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Final
from urllib.parse import urlsplit
from uuid import UUID

from fhir_apps.fhir_constants import FHIR_RBAC_ROLES, FHIR_USER_RESOURCE_TYPES
from fhir_apps.safeio.text import first_unsafe, shown

MAX_REDIRECT_URIS: Final = 256
MAX_REDIRECT_URI_LENGTH: Final = 256
MAX_PERMISSION_VALUE_LENGTH: Final = 120
MAX_FEDERATED_CREDENTIALS: Final = 20
# Entra's hard ceiling for a client secret: 24 months.
MAX_SECRET_LIFETIME_DAYS: Final = 730
# Zero-downtime rotation keeps two secrets (slots) whose rotations are staggered by one period, so
# each one lives for two rotation periods.
SECRET_SLOTS_LIFETIME_FACTOR: Final = 2
REDIRECT_URI_FORBIDDEN_CHARS: Final = "!$'(),;"
LOOPBACK_HOSTS: Final = ("localhost", "127.0.0.1")
NATIVE_CLIENT_REDIRECT_URI: Final = "https://login.microsoftonline.com/common/oauth2/nativeclient"
# Who an app role may be assigned to: applications (service principals), users (and groups).
ALLOWED_MEMBER_TYPES: Final = ("Application", "User")
# Redirect URI platforms: Entra's `web`, `spa` and `publicClient` (mobile and desktop apps).
PLATFORMS: Final = ("web", "spa", "publicClient", "mobile", "desktop")
# Entra's limit on an application's displayName.
MAX_DISPLAY_NAME_LENGTH: Final = 256
NIL_GUID: Final = "00000000-0000-0000-0000-000000000000"
# The Application ID URI forms Entra accepts for a new identifier URI under the default app
# management policy (identifierUriRestriction `uriAdditionWithoutUniqueTenantIdentifier`):
# https://learn.microsoft.com/en-us/entra/identity-platform/identifier-uri-restrictions
IDENTIFIER_URI_DOCS: Final = (
    "https://learn.microsoft.com/en-us/entra/identity-platform/identifier-uri-restrictions"
)
# Claims mapping (the fhirUser claim): acceptMappedClaims, AADSTS50146 and AADSTS501461.
MAPPED_CLAIMS_DOCS: Final = (
    "https://learn.microsoft.com/en-us/entra/identity-platform/jwt-claims-customization"
)

# Every pattern here is applied with fullmatch: `$` also matches before a trailing newline, so
# `re.match("...$", "name\n")` would let a line break through.
_CUSTOM_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*$")
_GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
# One DNS label of a domain name (ASCII: an internationalized name is written in punycode).
_DNS_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?", re.IGNORECASE)
_UNSAFE_SCHEMES: Final = frozenset({"javascript", "data", "file", "vbscript", "about", "blob"})
_AHDS_URL = re.compile(
    r"^https://([a-z0-9]{3,24})-([a-z0-9]{3,24})\.fhir\.azurehealthcareapis\.com/?$"
)
_API_FOR_FHIR_URL = re.compile(
    r"^https://([a-z0-9][a-z0-9-]{1,22}[a-z0-9])\.azurehealthcareapis\.com/?$"
)
_KEY_VAULT_ID = re.compile(
    r"^/subscriptions/[0-9a-fA-F-]{36}/resourceGroups/[^/]+/providers/Microsoft\.KeyVault/vaults/[^/]+$",
    re.IGNORECASE,
)
_AHDS_FHIR_ID = re.compile(
    r"^/subscriptions/[0-9a-fA-F-]{36}/resourceGroups/[^/]+/providers/Microsoft\.HealthcareApis"
    r"/workspaces/[^/]+/fhirservices/[^/]+$",
    re.IGNORECASE,
)
# Azure Health Data Services workspace and FHIR service names: 3-24 characters, lowercase letters
# and digits only. Source: the Microsoft.HealthcareApis REST API (2024-03-31, the version the
# pinned pulumi-azure-native 3.29 `healthcareapis` module uses) and the portal's create blade, which
# both reject anything else; the two names form the host `<workspace>-<service>.fhir....`, which
# is why neither may contain '-'.
_AHDS_NAME = re.compile(r"^[a-z0-9]{3,24}$")
# Storage account names (the export destination): 3-24 lowercase letters and digits.
_STORAGE_ACCOUNT = re.compile(r"^[a-z0-9]{3,24}$")
# Resource group names (ARM): 1-90 characters: letters (Unicode), digits, '.', '_', '-', '(', ')';
# not ending with '.'.
_RESOURCE_GROUP = re.compile(r"^[-\w.()]{1,90}$")
# Azure locations: e.g. westeurope (the ARM name) or "West Europe" (the display name).
_LOCATION = re.compile(r"^[A-Za-z][A-Za-z0-9 ]{1,63}$")
# Key Vault object (secret) names: 1-127 characters, letters, digits and '-'.
_KEY_VAULT_SECRET_NAME = re.compile(r"^[0-9A-Za-z-]{1,127}$")
# Azure tags: at most 50 per resource; names up to 512 characters without < > % & \ ? /, values
# up to 256 characters.
MAX_TAGS: Final = 50
MAX_TAG_NAME_LENGTH: Final = 512
MAX_TAG_VALUE_LENGTH: Final = 256
TAG_NAME_FORBIDDEN_CHARS: Final = "<>%&\\?/"
_API_FOR_FHIR_ID = re.compile(
    r"^/subscriptions/[0-9a-fA-F-]{36}/resourceGroups/[^/]+/providers/Microsoft\.HealthcareApis"
    r"/services/[^/]+$",
    re.IGNORECASE,
)

__all__ = [
    "ALLOWED_MEMBER_TYPES",
    "IDENTIFIER_URI_DOCS",
    "LOOPBACK_HOSTS",
    "MAPPED_CLAIMS_DOCS",
    "MAX_DISPLAY_NAME_LENGTH",
    "MAX_FEDERATED_CREDENTIALS",
    "MAX_PERMISSION_VALUE_LENGTH",
    "MAX_REDIRECT_URIS",
    "MAX_REDIRECT_URI_LENGTH",
    "MAX_SECRET_LIFETIME_DAYS",
    "MAX_SMART_IDENTITY_PROVIDERS",
    "MAX_SMART_IDENTITY_PROVIDER_APPLICATIONS",
    "MAX_TAGS",
    "MAX_TAG_NAME_LENGTH",
    "MAX_TAG_VALUE_LENGTH",
    "NATIVE_CLIENT_REDIRECT_URI",
    "NIL_GUID",
    "PLATFORMS",
    "REDIRECT_URI_FORBIDDEN_CHARS",
    "SECRET_SLOTS_LIFETIME_FACTOR",
    "SMART_DATA_ACTIONS",
    "SMART_IDP_DOCS",
    "SMART_V1_LEVELS",
    "TAG_NAME_FORBIDDEN_CHARS",
    "access_token_version_problem",
    "ahds_name_problem",
    "ahds_names",
    "ahds_service_url",
    "ahds_url_problem",
    "allowed_member_types_problem",
    "api_identifier_uri_problem",
    "app_role_text_problem",
    "assignable_problem",
    "azure_api_for_fhir_url_problem",
    "case_insensitive_duplicates",
    "cors_origin_problem",
    "display_name_problem",
    "duplicate_indices",
    "extension_attribute",
    "federated_audiences_problem",
    "federated_count_problem",
    "federated_issuer_problem",
    "federated_subject_problem",
    "fhir_rbac_role_problem",
    "fhir_user_value",
    "fhir_user_value_problem",
    "identifier_uri_problem",
    "is_loopback_http",
    "key_vault_id_problem",
    "key_vault_secret_name_problem",
    "location_problem",
    "mapped_claims_audience_problem",
    "mixed_smart_scopes",
    "object_id_problem",
    "optional_claim_problem",
    "permission_value_problems",
    "punycode",
    "redirect_uri_count_problem",
    "redirect_uri_problems",
    "resource_group_name_problem",
    "resource_id_problem",
    "role_scope_pair_problem",
    "roles_and_scopes_overlap",
    "secret_lifetime_problem",
    "secret_rotation_problem",
    "smart_audience",
    "smart_clinical_scope",
    "smart_gateway_endpoints",
    "smart_gateway_problem",
    "smart_identity_provider_problems",
    "smart_scope",
    "smart_scope_version",
    "storage_account_name_problem",
    "tag_problems",
    "unsafe_text_problem",
    "verified_domain_problem",
]


def _join(values: Iterable[str]) -> str:
    return ", ".join(values)


def is_loopback_http(uri: str) -> bool:
    """True for `http://localhost...` and `http://127.0.0.1...` (any port and path)."""
    try:
        parts = urlsplit(uri)
        parts.port  # noqa: B018 - raises ValueError for a malformed port
    except ValueError:
        return False
    return parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS


def unsafe_text_problem(text: str) -> str | None:
    """A line break, control or bidi character (safeio.text's one definition) in `text`.

    They hide or reorder what a reviewer reads in the YAML, the portal and consent prompts.
    """
    code = first_unsafe(text)
    if code is None:
        return None
    return (
        f"must not contain {code} (a line-break, control or bidi character): it hides or "
        "reorders what a reviewer reads; remove it"
    )


def punycode(host: str) -> str | None:
    """The ASCII (punycode, `xn--`) form of an internationalized host, or None if it has none."""
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return None


def _not_ascii_problem(host: str) -> str | None:
    """A host written in Unicode: it can look like another host (a homograph), and Entra and
    the token's audience compare the ASCII form, so the config says that form."""
    if host.isascii():
        return None
    ascii_form = punycode(host)
    fix = f"write {ascii_form}" if ascii_form else "write its punycode (xn--) form"
    return f"'{shown(host)}' is not ASCII; {fix}"


def _url_problems(uri: str) -> list[str]:
    """What hides a URL's real target: unsafe characters, a backslash, user information, a
    Unicode host. Nothing of the user information is echoed (it may hold a password)."""
    problem = unsafe_text_problem(uri)
    if problem:
        return [problem]
    problems: list[str] = []
    if "\\" in uri:
        problems.append(
            "must not contain a backslash: browsers read '\\' as '/', so the URL goes "
            "somewhere else than it reads; use '/'"
        )
    try:
        parts = urlsplit(uri)
        host = parts.hostname
    except ValueError:
        return problems  # the caller reports a URI it cannot parse
    if "@" in parts.netloc:
        problems.append(
            "must not contain user information (text and '@' before the host): the browser "
            "goes to the host after the '@', not to the one the URL starts with; remove it"
        )
    elif host:
        problem = _not_ascii_problem(host)
        if problem:
            problems.append(f"host {problem}")
    return problems


def display_name_problem(name: str) -> str | None:
    """An application's display name: at most 256 characters, nothing unsafe."""
    problem = unsafe_text_problem(name)
    if problem:
        return problem
    if len(name) > MAX_DISPLAY_NAME_LENGTH:
        return (
            f"is {len(name)} characters long; Entra allows at most {MAX_DISPLAY_NAME_LENGTH} "
            "in a display name"
        )
    return None


def verified_domain_problem(domain: str) -> str | None:
    """A verified domain of the tenant: a bare DNS name such as contoso.com."""
    problem = unsafe_text_problem(domain)
    if problem:
        return problem
    problem = _not_ascii_problem(domain)
    if problem:
        return problem
    labels = domain.removesuffix(".").split(".")
    if len(labels) < 2 or not all(_DNS_LABEL.fullmatch(label) for label in labels):
        return (
            f"'{shown(domain)}' is not a domain name; write the bare domain, e.g. contoso.com "
            "(no scheme, path, port or wildcard)"
        )
    return None


def redirect_uri_problems(uri: str, platform: str = "web") -> list[str]:
    """What Entra (or OAuth) rejects in one redirect URI on `platform`.

    `platform` is `web`, `spa`, or `publicClient` (alias `mobile`/`desktop`). Web and SPA URIs are
    https, or http on localhost/127.0.0.1. Mobile and desktop apps may also use a private-use scheme
    such as `msal<clientId>://auth` or `com.contoso.app://callback`.
    """
    if platform not in PLATFORMS:
        raise ValueError(f"unknown platform {platform!r}; expected one of {_join(PLATFORMS)}")
    native = platform in ("publicClient", "mobile", "desktop")
    problems = _url_problems(uri)
    if len(uri) > MAX_REDIRECT_URI_LENGTH:
        problems.append(
            f"is {len(uri)} characters long; Entra allows at most {MAX_REDIRECT_URI_LENGTH}"
        )
    if "*" in uri:
        problems.append("must not contain a wildcard '*'; list every redirect URI in full")
    bad = sorted({c for c in uri if c in REDIRECT_URI_FORBIDDEN_CHARS})
    if bad:
        problems.append(
            f"must not contain {' '.join(bad)}; Entra rejects the characters "
            f"{' '.join(REDIRECT_URI_FORBIDDEN_CHARS)} in redirect URIs"
        )
    if any(c.isspace() and first_unsafe(c) is None for c in uri):  # unsafe ones: see above
        problems.append("must not contain spaces")
    if "#" in uri:
        problems.append("must not contain a fragment ('#')")
    allowed = (
        "https, http://localhost or http://127.0.0.1, or a custom scheme such as "
        "msal<clientId>://auth or com.contoso.app://callback"
        if native
        else "https, or http://localhost or http://127.0.0.1 (any port and path)"
    )
    try:
        parts = urlsplit(uri)
        parts.port  # noqa: B018
    except ValueError:
        problems.append(f"is not a valid URI; use {allowed}")
        return problems
    scheme = parts.scheme.lower()
    if not scheme or "://" not in uri:
        problems.append(f"must be an absolute URI; use {allowed}")
    elif scheme == "https":
        if not parts.hostname:
            problems.append("must name a host after https://")
    elif scheme == "http":
        if parts.hostname not in LOOPBACK_HOSTS:
            problems.append(f"uses http; use {allowed}")
    elif not native:
        problems.append(f"uses scheme '{parts.scheme}'; use {allowed}")
    elif not _CUSTOM_SCHEME.fullmatch(parts.scheme) or scheme in _UNSAFE_SCHEMES:
        problems.append(f"uses scheme '{parts.scheme}', which is not allowed; use {allowed}")
    return problems


def redirect_uri_count_problem(count: int) -> str | None:
    """Entra's limit on the number of redirect URIs of one application."""
    if count > MAX_REDIRECT_URIS:
        return (
            f"has {count} redirect URIs; Entra allows at most {MAX_REDIRECT_URIS} per application"
        )
    return None


def duplicate_indices(values: Sequence[str]) -> list[int]:
    """Indices of values that repeat an earlier one exactly (comparison is case-sensitive)."""
    seen: set[str] = set()
    repeats = []
    for index, value in enumerate(values):
        if value in seen:
            repeats.append(index)
        seen.add(value)
    return repeats


def case_insensitive_duplicates(values: Sequence[str]) -> list[tuple[int, str]]:
    """(index, earlier value) for each value equal to an earlier *different* one but for case."""
    first: dict[str, str] = {}
    found = []
    for index, value in enumerate(values):
        earlier = first.setdefault(value.casefold(), value)
        if earlier != value:
            found.append((index, earlier))
    return found


def permission_value_problems(value: str, what: str = "scope") -> list[str]:
    """What Entra rejects in the value of a delegated scope or an app role (`what` names it)."""
    problems: list[str] = []
    if not value:
        return [f"{what} value must not be empty"]
    if len(value) > MAX_PERMISSION_VALUE_LENGTH:
        problems.append(
            f"{what} value is {len(value)} characters long; Entra allows at most "
            f"{MAX_PERMISSION_VALUE_LENGTH}"
        )
    if any(c.isspace() for c in value):
        problems.append(f"{what} value must not contain spaces")
    if value.startswith("."):
        problems.append(f"{what} value must not start with '.'")
    if "/" in value:
        dotted = value.replace("/", ".").replace("*", "all")
        problems.append(
            f"{what} value must not contain '/'; write SMART scopes with dots, e.g. '{dotted}' "
            "(patient.Observation.read for patient/Observation.read)"
        )
    others = sorted({c for c in value if not (" " < c <= "~") and not c.isspace()})
    if others:
        problems.append(
            f"{what} value must use printable ASCII characters only; found {' '.join(others)}"
        )
    return problems


def allowed_member_types_problem(types: Sequence[str]) -> str | None:
    """What Entra rejects in an app role's `allowedMemberTypes`: none, or an unknown one."""
    unknown = sorted({t for t in types if t not in ALLOWED_MEMBER_TYPES})
    if unknown:
        return f"unknown member type {_join(unknown)}; allowed: {_join(ALLOWED_MEMBER_TYPES)}"
    if not types:
        return (
            f"must name at least one of {_join(ALLOWED_MEMBER_TYPES)}: Entra assigns a role to "
            "applications, to users and groups, or to both"
        )
    return None


def assignable_problem(role: str, allowed: Sequence[str], principal_type: str) -> str | None:
    """Entra assigns a role to a user or group only if it allows `User`, to a service principal
    only if it allows `Application`."""
    needed = "Application" if principal_type == "ServicePrincipal" else "User"
    if needed in allowed:
        return None
    holder = "a service principal" if needed == "Application" else f"a {principal_type.lower()}"
    return (
        f"role '{shown(role)}' cannot be assigned to {holder}: its allowedMemberTypes "
        f"(fhirServer.roleDetails.{role}) are {_join(sorted(set(allowed))) or 'none'}; add "
        f"{needed}"
    )


def app_role_text_problem(text: str) -> str | None:
    """An app role's display name and description are required by Entra (unlike scope texts)."""
    if not text.strip():
        return (
            "must not be empty: Entra requires an app role's displayName and description; "
            "leave the key out for fhir-apps' text"
        )
    return None


def roles_and_scopes_overlap(roles: Iterable[str], scopes: Iterable[str]) -> list[str]:
    """Values that are both an app role and a delegated scope (Entra rejects the pair), sorted."""
    return sorted(set(roles) & set(scopes))


def identifier_uri_problem(
    uri: str, verified_domains: Sequence[str], tenant_id: str | None = None
) -> str | None:
    """Entra's rule for a new https identifier URI (since 2025), for apps with v1 access tokens.

    Allowed: `api://...` (its forms: `api_identifier_uri_problem`);
    `https://<tenant>.onmicrosoft.com/...`; https whose host is a verified domain of the tenant or
    a subdomain of one. Never allowed: what hides the URI's real target (`_url_problems`).
    """
    del tenant_id  # only the api:// forms involve it (api_identifier_uri_problem)
    allowed = (
        "https on a verified domain of the tenant (tenant.verifiedDomains), "
        "https://<tenant>.onmicrosoft.com/..., or api://..."
    )
    hidden = _url_problems(uri)
    if hidden:
        return hidden[0]
    if uri.startswith("api://"):
        if len(uri) == len("api://"):
            return "api:// needs a value after it, e.g. api://<appId>"
        return None
    if any(c.isspace() for c in uri) or "*" in uri or "#" in uri:
        return "must not contain spaces, wildcards or a fragment"
    try:
        parts = urlsplit(uri)
        host = parts.hostname
        parts.port  # noqa: B018
    except ValueError:
        return f"is not a valid URI; use {allowed}"
    if parts.scheme != "https":
        return f"must use https; use {allowed}"
    if not host:
        return "must name a host after https://"
    if _initial_domain(host) or _under(host, verified_domains):
        return None
    domains = _domains(verified_domains)
    if not domains:
        return (
            f"host '{host}' is not under a verified domain: tenant.verifiedDomains is empty; "
            "list the tenant's verified domains there, or use https://<tenant>.onmicrosoft.com/... "
            "or api://..."
        )
    return (
        f"host '{host}' is not under a verified domain of the tenant ({_join(domains)}); "
        f"Entra only accepts {allowed}"
    )


def _domains(verified_domains: Sequence[str]) -> list[str]:
    return [d.lower().strip(".") for d in verified_domains]


def _under(host: str, verified_domains: Sequence[str]) -> bool:
    """`host` is a verified domain or a subdomain of one."""
    host = host.lower()
    return any(host == d or host.endswith("." + d) for d in _domains(verified_domains) if d)


def _initial_domain(host: str) -> bool:
    """`<tenant>.onmicrosoft.com`, the initial domain every tenant has (which one is the
    tenant's is not known offline)."""
    host = host.lower()
    return host.endswith(".onmicrosoft.com") and host.count(".") == 2


def _is_guid(text: str) -> bool:
    return _GUID.fullmatch(text) is not None


def api_identifier_uri_problem(
    uri: str, verified_domains: Sequence[str], tenant_id: str | None = None
) -> str | None:
    """The `api://` forms Entra accepts for a new identifier URI (None for any other URI).

    Microsoft's identifier URI restrictions (IDENTIFIER_URI_DOCS) list, for api://:
    `api://<appId>`, `api://<tenantId>/<appId>`, `api://<tenantId>/<string>`,
    `api://<string>/<appId>` and `api://<string>.<verifiedDomain or initial domain>/<string>`; a
    GUID right after api:// must be the app's or the tenant's id. Offline the appId of an app
    this stack creates is unknown, so a GUID that is not `tenant_id` is taken to be the appId;
    `api://<tenantId>` alone (no path) is in no form, and neither is `api://<name>` or
    `api://<name>/<name>` without a GUID or a verified domain.
    """
    if not uri.startswith("api://"):
        return None
    first, _, path = uri.removeprefix("api://").partition("/")
    tenant = tenant_id.lower() if tenant_id else None
    if _is_guid(first):
        if not path and first.lower() == tenant:
            return (
                "api://<tenant.id> alone is not a form Entra accepts for a new identifier URI; "
                f"add a name, e.g. api://{first}/fhir (see {IDENTIFIER_URI_DOCS})"
            )
        return None
    if _is_guid(path):
        return None  # api://<string>/<appId>
    if first and (_initial_domain(first) or _under(first, verified_domains)):
        if path:
            return None
        return f"needs a path after the domain, e.g. api://{shown(first)}/fhir"
    example = f"api://{tenant_id or '<tenant.id>'}/{shown(first) or 'fhir'}"
    return (
        "is not a form Entra accepts for a new identifier URI: use api://<tenant.id>/<name> "
        f"(e.g. {example}), api://<appId>, api://<name>/<appId> or "
        f"api://<verified domain>/<name> (see {IDENTIFIER_URI_DOCS})"
    )


def access_token_version_problem(version: int, identifier_uri: str) -> str | None:
    """A FHIR server that checks `aud == URL` needs v1 tokens when its identifier URI is https."""
    if version == 2 and identifier_uri.startswith("https://"):
        return (
            "must be 1 for a server identified by an https URL: with v2 tokens 'aud' is the "
            "application id, and the FHIR server expects its URL"
        )
    return None


def ahds_url_problem(url: str) -> str | None:
    """An Azure Health Data Services FHIR service URL."""
    if _AHDS_URL.fullmatch(url):
        return None
    return (
        "must be the FHIR service URL https://<workspace>-<service>.fhir.azurehealthcareapis.com "
        "(workspace and service: 3-24 lowercase letters and digits)"
    )


def azure_api_for_fhir_url_problem(url: str) -> str | None:
    """An Azure API for FHIR service URL."""
    if _API_FOR_FHIR_URL.fullmatch(url):
        return None
    return (
        "must be the Azure API for FHIR URL https://<name>.azurehealthcareapis.com "
        "(name: 3-24 lowercase letters, digits and '-')"
    )


def fhir_rbac_role_problem(name: str) -> str | None:
    """Roles on a managed FHIR service are Azure RBAC role names."""
    if name in FHIR_RBAC_ROLES:
        return None
    return f"'{shown(name)}' is not a FHIR RBAC role; allowed: {_join(FHIR_RBAC_ROLES)}"


def secret_rotation_problem(rotation_days: int, max_lifetime_days: int) -> str | None:
    """Each of two staggered secret slots lives two rotation periods; that must fit the policy."""
    lifetime = rotation_days * SECRET_SLOTS_LIFETIME_FACTOR
    if lifetime <= max_lifetime_days:
        return None
    return (
        f"rotationDays {rotation_days} gives each secret a lifetime of {lifetime} days (two "
        f"staggered slots each live two rotation periods), more than "
        f"policy.maxSecretLifetimeDays {max_lifetime_days}; use at most "
        f"{max_lifetime_days // SECRET_SLOTS_LIFETIME_FACTOR}"
    )


def secret_lifetime_problem(lifetime_days: float, max_lifetime_days: int) -> str | None:
    """A secret's lifetime (end date minus start date, in days) against the policy and Entra."""
    ceiling = min(max_lifetime_days, MAX_SECRET_LIFETIME_DAYS)
    if lifetime_days <= ceiling:
        return None
    return (
        f"secret lifetime of {lifetime_days:g} days exceeds {ceiling} days (the tenant policy, "
        f"and Entra's ceiling of {MAX_SECRET_LIFETIME_DAYS}); prefer a certificate or a "
        "federated credential"
    )


def federated_issuer_problem(issuer: str) -> str | None:
    """A federated credential's issuer is an https URL."""
    hidden = _url_problems(issuer)
    if hidden:
        return hidden[0]
    try:
        parts = urlsplit(issuer)
    except ValueError:
        parts = None
    if parts is None or parts.scheme != "https" or not parts.hostname:
        return (
            "must be an https URL, e.g. https://token.actions.githubusercontent.com for GitHub "
            "Actions"
        )
    return None


def federated_subject_problem(subject: str) -> str | None:
    """A federated credential's subject identifies the external workload."""
    if not subject.strip():
        return "must not be empty; e.g. repo:contoso/ingest:environment:prod"
    return None


def federated_count_problem(count: int) -> str | None:
    """Entra's limit on federated identity credentials per application."""
    if count == 0:
        return "needs at least one subject (subject or subjects)"
    if count > MAX_FEDERATED_CREDENTIALS:
        return (
            f"has {count} subjects; Entra allows at most {MAX_FEDERATED_CREDENTIALS} federated "
            "credentials per application"
        )
    return None


def federated_audiences_problem(audiences: Sequence[str]) -> str | None:
    """Entra accepts exactly one audience on a federated identity credential."""
    if len(audiences) != 1:
        return (
            f"must hold exactly one audience (got {len(audiences)}); the usual value is "
            "api://AzureADTokenExchange"
        )
    return None


def object_id_problem(value: str) -> str | None:
    """Owners and principals are Entra object ids (GUIDs), never the nil GUID."""
    try:
        parsed = UUID(value)
    except (ValueError, TypeError, AttributeError):
        return (
            f"'{shown(value)}' is not an object id; use the GUID of a user or service principal, "
            "e.g. 00000000-0000-0000-0000-000000000000"
        )
    if parsed.int == 0:
        return (
            f"{NIL_GUID} is the nil GUID, a placeholder that names no user, group or service "
            "principal; use the object id of the one meant"
        )
    return None


def _arm_id_problem(value: str) -> str | None:
    """What makes an ARM id name another resource than it reads: unsafe characters, and empty,
    '.' or '..' segments (a URL path resolves them: .../rg/../other/... is another group)."""
    problem = unsafe_text_problem(value)
    if problem:
        return problem
    segments = value.split("/")[1:]
    if value.startswith("/") and any(s in ("", ".", "..") for s in segments):
        return (
            "must not have empty, '.' or '..' segments (a '//', a trailing '/', '/./' or "
            "'/../'): they make the id name another resource than it reads"
        )
    return None


def key_vault_id_problem(value: str) -> str | None:
    """The ARM id of a Key Vault."""
    problem = _arm_id_problem(value)
    if problem:
        return problem
    if _KEY_VAULT_ID.fullmatch(value):
        return None
    return (
        "must be a Key Vault resource id: /subscriptions/<guid>/resourceGroups/<group>"
        "/providers/Microsoft.KeyVault/vaults/<name>"
    )


def resource_id_problem(value: str, kind: str) -> str | None:
    """The ARM id of an existing managed FHIR service of `kind` (ahds or azure-api-for-fhir)."""
    problem = _arm_id_problem(value)
    if problem:
        return problem
    if kind == "ahds":
        if _AHDS_FHIR_ID.fullmatch(value):
            return None
        return (
            "must be a FHIR service resource id: /subscriptions/<guid>/resourceGroups/<group>"
            "/providers/Microsoft.HealthcareApis/workspaces/<workspace>/fhirservices/<service>"
        )
    if _API_FOR_FHIR_ID.fullmatch(value):
        return None
    return (
        "must be an Azure API for FHIR resource id: /subscriptions/<guid>/resourceGroups/<group>"
        "/providers/Microsoft.HealthcareApis/services/<name>"
    )


# --- Azure resources of a deployed AHDS FHIR service ------------------------------------------


def ahds_service_url(workspace: str, service: str) -> str:
    """The URL (and default token audience) of AHDS FHIR service `service` in `workspace`."""
    return f"https://{workspace}-{service}.fhir.azurehealthcareapis.com"


def smart_audience(domain: str, workspace: str, service: str) -> str:
    """The default identifier URI (token audience) of the SMART resource app of an AHDS service:
    `https://<domain>/<workspace>-<service>`, `domain` a verified domain of the tenant.

    The service's own *.azurehealthcareapis.com host cannot be the identifier URI (Entra accepts a
    new one only as api://..., under https://<tenant>.onmicrosoft.com/ or on a verified domain),
    and the api:// forms do not work either: the app accepts mapped claims (fhirUser), which
    Entra supports only for an audience on a verified domain of the tenant (or the app's GUID);
    otherwise every token request fails with AADSTS501461 (MAPPED_CLAIMS_DOCS). `<workspace>-
    <service>` is unique (it is the service's host name) and known before anything exists.
    """
    return f"https://{domain.lower().strip('.')}/{workspace}-{service}"


def ahds_names(url: str | None, resource_id: str | None) -> tuple[str, str] | None:
    """(workspace, service) of an AHDS FHIR service, from its URL or its ARM id; None if neither
    names one."""
    if url is not None:
        match = _AHDS_URL.fullmatch(url)
        if match:
            return match.group(1), match.group(2)
    if resource_id is not None and _AHDS_FHIR_ID.fullmatch(resource_id):
        parts = resource_id.split("/")
        return parts[-3].lower(), parts[-1].lower()
    return None


def mapped_claims_audience_problem(uri: str, verified_domains: Sequence[str]) -> str | None:
    """An identifier URI of an app that accepts mapped claims (acceptMappedClaims): Entra issues
    such tokens only for an audience on a verified domain of the tenant, else AADSTS501461."""
    try:
        host = urlsplit(uri).hostname if uri.startswith("https://") else None
    except ValueError:
        host = None
    if host is not None and (_initial_domain(host) or _under(host, verified_domains)):
        return None
    why = (
        "the SMART resource app accepts mapped claims (the fhirUser claim), and Entra issues "
        "such tokens only for an audience on a verified domain of the tenant; any other fails "
        f"with AADSTS501461 ({MAPPED_CLAIMS_DOCS})"
    )
    if host is None:
        return (
            "must be https on a verified domain (tenant.verifiedDomains) or "
            f"https://<tenant>.onmicrosoft.com/...: {why}"
        )
    domains = _join(_domains(verified_domains)) or "none listed"
    return (
        f"host '{shown(host)}' is not under a verified domain of the tenant "
        f"(tenant.verifiedDomains: {domains}): {why}"
    )


def ahds_name_problem(name: str, what: str) -> str | None:
    """An AHDS workspace or FHIR service name (`what` says which)."""
    if _AHDS_NAME.fullmatch(name):
        return None
    return (
        f"'{shown(name)}' is not a valid {what} name: Azure allows 3-24 lowercase letters and "
        f"digits (no '-': the URL is https://<workspace>-<service>.fhir.azurehealthcareapis.com)"
    )


def resource_group_name_problem(name: str) -> str | None:
    """An Azure resource group name."""
    if _RESOURCE_GROUP.fullmatch(name) and not name.endswith("."):
        return None
    return (
        f"'{shown(name)}' is not a valid resource group name: 1-90 letters, digits, '.', '_', '-', "
        "'(' and ')', not ending with '.'"
    )


def location_problem(location: str) -> str | None:
    """An Azure location, e.g. westeurope."""
    if _LOCATION.fullmatch(location):
        return None
    return f"'{shown(location)}' is not an Azure location; use its name, e.g. westeurope or eastus2"


def storage_account_name_problem(name: str) -> str | None:
    """An Azure storage account name (the FHIR service's export destination)."""
    if _STORAGE_ACCOUNT.fullmatch(name):
        return None
    return f"'{shown(name)}' is not a valid storage account name: 3-24 lowercase letters and digits"


def cors_origin_problem(origin: str) -> str | None:
    """A CORS origin the FHIR service allows: `https://host[:port]`, or http on localhost."""
    allowed = "an origin such as https://app.contoso.com (https, no path), or http://localhost:3000"
    hidden = _url_problems(origin)
    if hidden:
        return hidden[0]  # before any echo: user information may hold a password
    if origin == "*":
        return f"'*' lets every web site call the FHIR service with a user's token; list {allowed}"
    try:
        parts = urlsplit(origin)
        parts.port  # noqa: B018
    except ValueError:
        return f"'{shown(origin)}' is not a valid origin; use {allowed}"
    if parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS:
        pass
    elif parts.scheme != "https" or not parts.hostname:
        return f"'{shown(origin)}' is not an https origin; use {allowed}"
    if parts.path or parts.query or parts.fragment or "*" in origin or parts.username:
        return f"'{shown(origin)}' is not a bare origin (scheme, host, port); use {allowed}"
    return None


def tag_problems(tags: dict[str, str]) -> list[tuple[str | None, str]]:
    """(tag name or None for the whole map, message) for tags Azure rejects."""
    problems: list[tuple[str | None, str]] = []
    if len(tags) > MAX_TAGS:
        problems.append((None, f"has {len(tags)} tags; Azure allows at most {MAX_TAGS}"))
    for name, value in sorted(tags.items()):
        if not name or len(name) > MAX_TAG_NAME_LENGTH:
            problems.append((name, f"tag names are 1-{MAX_TAG_NAME_LENGTH} characters long"))
        bad = sorted({c for c in name if c in TAG_NAME_FORBIDDEN_CHARS})
        if bad:
            problems.append(
                (name, f"tag name must not contain {' '.join(bad)} (Azure rejects "
                 f"{' '.join(TAG_NAME_FORBIDDEN_CHARS)})")
            )  # fmt: skip
        if len(value) > MAX_TAG_VALUE_LENGTH:
            problems.append(
                (name, f"tag value is {len(value)} characters long; Azure allows at most "
                 f"{MAX_TAG_VALUE_LENGTH}")
            )  # fmt: skip
    return problems


def key_vault_secret_name_problem(name: str) -> str | None:
    """A Key Vault secret name."""
    if _KEY_VAULT_SECRET_NAME.fullmatch(name):
        return None
    return (
        f"the Key Vault secret name '{shown(name)}' is not allowed: 1-127 letters, digits and '-'"
    )


# --- SMART on FHIR -----------------------------------------------------------------------------

# A SMART clinical scope in Entra's form: `<context>.<resource>.<level>[?<query>]`, levels of
# SMART v1 (read, write, *, all) or v2 (letters of cruds). The same shape the FHIR service matches
# (microsoft/fhir-server SmartClinicalScopesMiddleware.ClinicalScopeRegEx, which also accepts '.'
# for '/').
_CLINICAL_SCOPE = re.compile(
    r"(?P<context>patient|user|system)\.(?P<resource>\*|all|[A-Za-z]+)"
    r"\.(?P<level>read|write|\*|all|[cruds]+)(?:\?(?P<query>\S+))?"
)
SMART_V1_LEVELS: Final = ("read", "write", "*", "all")
# Launch context scopes whose Entra form replaces SMART's '/' with '.'.
_LAUNCH_CONTEXT = re.compile(r"launch\.(?P<what>[A-Za-z]+)")
# A FHIR logical id (FHIR R4 datatype `id`).
_FHIR_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")
# Optional claim names: letters, digits and '_' (Entra's names, e.g. login_hint, xms_pdl).
_CLAIM_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}")
# Limits of the FHIR service's smartIdentityProviders (Microsoft Learn, "Troubleshoot identity
# provider configuration for the FHIR service").
MAX_SMART_IDENTITY_PROVIDERS: Final = 2
MAX_SMART_IDENTITY_PROVIDER_APPLICATIONS: Final = 2
SMART_DATA_ACTIONS: Final = ("Read",)
SMART_IDP_DOCS: Final = (
    "https://learn.microsoft.com/en-us/azure/healthcare-apis/fhir/"
    "troubleshoot-identity-provider-configuration"
)


def smart_clinical_scope(value: str) -> dict[str, str] | None:
    """The parts (context, resource, level, query) of a SMART clinical scope in Entra's form."""
    match = _CLINICAL_SCOPE.fullmatch(value)
    if match is None:
        return None
    return {k: v for k, v in match.groupdict().items() if v is not None}


def smart_scope_version(value: str) -> str | None:
    """`v1` (read, write, *, all) or `v2` (cruds letters) for a clinical scope, else None."""
    parts = smart_clinical_scope(value)
    if parts is None:
        return None
    return "v1" if parts["level"] in SMART_V1_LEVELS else "v2"


def mixed_smart_scopes(values: Iterable[str]) -> tuple[str, str, str] | None:
    """(what mixes, one scope, another) when `values` hold clinical scopes the FHIR service refuses
    together in one token: SMART v1 and v2 levels ("Mixed SMART v1 and v2 scopes are not
    allowed"), or two contexts (patient and user); None when they may be requested together."""
    first: dict[str, str] = {}
    contexts: dict[str, str] = {}
    for value in values:
        parts = smart_clinical_scope(value)
        if parts is None:
            continue
        first.setdefault("v1" if parts["level"] in SMART_V1_LEVELS else "v2", value)
        contexts.setdefault(parts["context"], value)
    if len(first) == 2:
        return "SMART v1 and v2 scope forms", first["v1"], first["v2"]
    if len(contexts) > 1:
        one, other = sorted(contexts)[:2]
        return f"the {one} and {other} contexts", contexts[one], contexts[other]
    return None


def smart_scope(value: str) -> str:
    """A scope value in SMART's own form: '/' where Entra needs '.', '*' for `all`, '/' for %2f
    in a granular query (`patient.all.read` → `patient/*.read`, `launch.patient` →
    `launch/patient`); other values (fhirUser, openid, online_access) as they are."""
    parts = smart_clinical_scope(value)
    if parts is not None:
        resource = "*" if parts["resource"] == "all" else parts["resource"]
        query = parts.get("query")
        tail = f"?{query.replace('%2f', '/').replace('%2F', '/')}" if query else ""
        return f"{parts['context']}/{resource}.{parts['level']}{tail}"
    launch = _LAUNCH_CONTEXT.fullmatch(value)
    if launch is not None:
        return f"launch/{launch.group('what')}"
    return value


def extension_attribute(app_id: str, name: str) -> str:
    """The name Graph gives a directory extension property `name` of the app `app_id`:
    `extension_<appId without dashes>_<name>`. A value that is not a GUID (a render's
    placeholder) is kept as it is, so that the render stays readable."""
    try:
        compact = UUID(app_id).hex
    except ValueError:
        compact = app_id
    return f"extension_{compact}_{name}"


def fhir_user_value(base_url: str, value: str) -> str:
    """The fhirUser claim value for `value`: an absolute URL as written, `Patient/<id>` or
    `Practitioner/<id>` joined to the FHIR service URL `base_url`."""
    if "://" in value:
        return value
    return f"{base_url.rstrip('/')}/{value}"


def fhir_user_value_problem(value: str) -> str | None:
    """A fhirUser value: `Patient/<id>` or `Practitioner/<id>`, relative to the FHIR service, or
    an https URL ending in one (microsoft/fhir-server FhirUserClaimParser accepts these two
    resource types only; Learn asks for the fully qualified URL, which the relative form becomes).
    """
    problem = unsafe_text_problem(value)
    if problem:
        return problem
    types = " or ".join(f"{t}/<id>" for t in FHIR_USER_RESOURCE_TYPES)
    relative = value
    if "://" in value:
        hidden = _url_problems(value)
        if hidden:
            return hidden[0]
        parts = urlsplit(value)
        if parts.scheme != "https" or not parts.hostname or parts.query or parts.fragment:
            return f"must be {types}, or an https URL of one on the FHIR service"
        relative = "/".join(parts.path.rstrip("/").split("/")[-2:])
    kind, _, ident = relative.partition("/")
    if kind in FHIR_USER_RESOURCE_TYPES and _FHIR_ID.fullmatch(ident):
        return None
    return (
        f"'{shown(value)}' is not {types} (a FHIR id: 1-64 letters, digits, '-' and '.'); the "
        "FHIR service accepts no other fhirUser"
    )


def role_scope_pair_problem(role: dict[str, object], scope: dict[str, object]) -> str | None:
    """What Entra refuses in an app role and a delegated scope that share one value: anything but
    the same id, the role's displayName and description equal to the scope's admin consent
    texts, and both enabled or both disabled (terraform-provider-azuread #971; Microsoft's SMART
    sample pairs user.all.read this way). Keys are the provider's input names."""
    if role.get("id") is None or role.get("id") != scope.get("id"):
        return (
            "has different ids (or none) as app role and as scope; Entra accepts one value as "
            "both only with the same id"
        )
    for role_key, scope_key in (
        ("displayName", "adminConsentDisplayName"),
        ("description", "adminConsentDescription"),
    ):
        if role.get(role_key) != scope.get(scope_key):
            return (
                f"the app role's {role_key} differs from the scope's {scope_key}; Entra accepts "
                "one value as both only with matching texts"
            )
    if bool(role.get("enabled", True)) != bool(scope.get("enabled", True)):
        return "is enabled as one and disabled as the other; Entra refuses the pair"
    return None


def optional_claim_problem(name: str) -> str | None:
    """An optional claim's name (login_hint, email, ...): a plain claim name."""
    if _CLAIM_NAME.fullmatch(name):
        return None
    return (
        f"'{shown(name)}' is not an optional claim name (letters, digits and '_', e.g. login_hint)"
    )


def smart_gateway_problem(url: str) -> str | None:
    """The SMART front door's gateway URL (e.g. API Management's https://<name>.azure-api.net):
    https, a host, no query or fragment."""
    hidden = _url_problems(url)
    if hidden:
        return hidden[0]
    try:
        parts = urlsplit(url)
    except ValueError:
        parts = None
    if parts is None or parts.scheme != "https" or not parts.hostname:
        return "must be the gateway's https URL, e.g. https://contoso-apim.azure-api.net"
    if parts.query or parts.fragment:
        return "must not have a query or fragment; give the gateway's base URL"
    return None


def smart_gateway_endpoints(gateway: str) -> dict[str, str]:
    """What a SMART app uses of Microsoft's SMART sample front door (API Management and the Auth
    Custom Operations function) at `gateway`: the FHIR base URL (`iss`), discovery, authorize and
    token endpoints, and the Auth Context Frontend's redirect URI."""
    base = gateway.rstrip("/")
    return {
        "fhirBaseUrl": f"{base}/smart",
        "smartConfiguration": f"{base}/smart/.well-known/smart-configuration",
        "authorizeEndpoint": f"{base}/auth/authorize",
        "tokenEndpoint": f"{base}/auth/token",
        "authContextRedirectUri": f"{base}/auth/context/",
    }


def smart_identity_provider_problems(
    providers: Sequence[tuple[str, Sequence[tuple[str, str, Sequence[str]]]]],
) -> list[tuple[tuple[str | int, ...], str]]:
    """What the FHIR service refuses in `smartIdentityProviders`: (path below it, message).

    `providers` is [(authority, [(clientId, audience, allowedDataActions), ...]), ...]. Limits
    (SMART_IDP_DOCS): at most two providers with distinct, fully qualified https authorities;
    one or two applications each; client ids unique across all providers; an audience; data
    actions exactly `Read`, once.
    """
    found: list[tuple[tuple[str | int, ...], str]] = []
    if len(providers) > MAX_SMART_IDENTITY_PROVIDERS:
        found.append(
            ((), f"has {len(providers)} providers; the FHIR service takes at most "
             f"{MAX_SMART_IDENTITY_PROVIDERS} besides Microsoft Entra ID ({SMART_IDP_DOCS})")
        )  # fmt: skip
    authorities: set[str] = set()
    client_ids: set[str] = set()
    for index, (authority, applications) in enumerate(providers):
        problem = _authority_problem(authority)
        if problem:
            found.append(((index, "authority"), problem))
        key = authority.rstrip("/").lower()
        if key in authorities:
            found.append(((index, "authority"), "is listed twice; authorities must be unique"))
        authorities.add(key)
        if not 1 <= len(applications) <= MAX_SMART_IDENTITY_PROVIDER_APPLICATIONS:
            found.append(
                ((index, "applications"), f"has {len(applications)} applications; the FHIR "
                 f"service takes 1 to {MAX_SMART_IDENTITY_PROVIDER_APPLICATIONS} per provider")
            )  # fmt: skip
        for app_index, (client_id, audience, actions) in enumerate(applications):
            path: tuple[str | int, ...] = (index, "applications", app_index)
            found += _smart_idp_application(client_id, audience, actions, path, client_ids)
    return found


def _authority_problem(authority: str) -> str | None:
    """A token authority: a fully qualified https URL (the FHIR service reads its OpenID
    configuration below it)."""
    hidden = _url_problems(authority)
    if hidden:
        return hidden[0]
    try:
        parts = urlsplit(authority)
    except ValueError:
        parts = None
    if parts is None or parts.scheme != "https" or not parts.hostname or parts.query:
        return (
            "must be the provider's token authority as an https URL, e.g. "
            "https://<tenant>.b2clogin.com/<tenant>.onmicrosoft.com/<policy>/v2.0"
        )
    return None


def _smart_idp_application(
    client_id: str,
    audience: str,
    actions: Sequence[str],
    path: tuple[str | int, ...],
    seen: set[str],
) -> list[tuple[tuple[str | int, ...], str]]:
    found: list[tuple[tuple[str | int, ...], str]] = []
    for key, value in (("clientId", client_id), ("audience", audience)):
        problem = "must not be empty" if not value.strip() else unsafe_text_problem(value)
        if problem:
            found.append(((*path, key), problem))
    if client_id in seen:
        found.append(
            ((*path, "clientId"), "is used by another application; client ids must be unique "
             "across all identity providers")
        )  # fmt: skip
    seen.add(client_id)
    if list(actions) != list(SMART_DATA_ACTIONS):
        found.append(
            ((*path, "allowedDataActions"), f"must be [{', '.join(SMART_DATA_ACTIONS)}]: the "
             "only data action the FHIR service allows another identity provider")
        )  # fmt: skip
    return found
