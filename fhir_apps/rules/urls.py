"""Entra's rules for the URLs of an app registration: redirect URIs, identifier URIs (and the
tenant's verified domains they depend on), the access token version they need, CORS origins."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Final
from urllib.parse import urlsplit

from fhir_apps.rules.text import joined, not_ascii_problem, unsafe_text_problem, url_problems
from fhir_apps.safeio.text import first_unsafe, shown

__all__ = [
    "IDENTIFIER_URI_DOCS",
    "LOOPBACK_HOSTS",
    "MAPPED_CLAIMS_DOCS",
    "MAX_REDIRECT_URIS",
    "MAX_REDIRECT_URI_LENGTH",
    "PLATFORMS",
    "REDIRECT_URI_FORBIDDEN_CHARS",
    "access_token_version_problem",
    "api_identifier_uri_problem",
    "cors_origin_problem",
    "identifier_uri_problem",
    "is_loopback_http",
    "mapped_claims_audience_problem",
    "redirect_uri_count_problem",
    "redirect_uri_problems",
    "service_client_redirect_uris_problem",
    "verified_domain_problem",
]

MAX_REDIRECT_URIS: Final = 256
MAX_REDIRECT_URI_LENGTH: Final = 256
REDIRECT_URI_FORBIDDEN_CHARS: Final = "!$'(),;"
LOOPBACK_HOSTS: Final = ("localhost", "127.0.0.1")
# Redirect URI platforms: Entra's `web`, `spa` and `publicClient` (mobile and desktop apps).
PLATFORMS: Final = ("web", "spa", "publicClient", "mobile", "desktop")
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


def is_loopback_http(uri: str) -> bool:
    """True for `http://localhost...` and `http://127.0.0.1...` (any port and path)."""
    try:
        parts = urlsplit(uri)
        parts.port  # noqa: B018 - raises ValueError for a malformed port
    except ValueError:
        return False
    return parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS


def verified_domain_problem(domain: str) -> str | None:
    """A verified domain of the tenant: a bare DNS name such as contoso.com."""
    problem = unsafe_text_problem(domain)
    if problem:
        return problem
    problem = not_ascii_problem(domain)
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
        raise ValueError(f"unknown platform {platform!r}; expected one of {joined(PLATFORMS)}")
    native = platform in ("publicClient", "mobile", "desktop")
    problems = url_problems(uri)
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


def identifier_uri_problem(uri: str, verified_domains: Sequence[str]) -> str | None:
    """Entra's rule for a new https identifier URI (since 2025), for apps with v1 access tokens.

    Allowed: `api://...` (its forms: `api_identifier_uri_problem`);
    `https://<tenant>.onmicrosoft.com/...`; https whose host is a verified domain of the tenant or
    a subdomain of one. Never allowed: what hides the URI's real target (`url_problems`).
    """
    allowed = (
        "https on a verified domain of the tenant (tenant.verifiedDomains), "
        "https://<tenant>.onmicrosoft.com/..., or api://..."
    )
    hidden = url_problems(uri)
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
        f"host '{host}' is not under a verified domain of the tenant ({joined(domains)}); "
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
    domains = joined(_domains(verified_domains)) or "none listed"
    return (
        f"host '{shown(host)}' is not under a verified domain of the tenant "
        f"(tenant.verifiedDomains: {domains}): {why}"
    )


def cors_origin_problem(origin: str) -> str | None:
    """A CORS origin the FHIR service allows: `https://host[:port]`, or http on localhost."""
    allowed = "an origin such as https://app.contoso.com (https, no path), or http://localhost:3000"
    hidden = url_problems(origin)
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


def service_client_redirect_uris_problem(uris: Sequence[str]) -> str | None:
    """A service client (client-credentials flow) signs no user in, so it has no redirect URI."""
    if not uris:
        return None
    return (
        "a service client uses the client-credentials flow and has no redirect URIs; remove "
        "them, or use kind confidential for a web app"
    )
