"""SMART on FHIR: scope forms, the fhirUser claim, optional claims, the SMART front door
(gateway) and the FHIR service's other identity providers."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Final
from urllib.parse import urlsplit
from uuid import UUID

from fhir_apps.fhir_constants import FHIR_USER_RESOURCE_TYPES
from fhir_apps.rules.text import unsafe_text_problem, url_problems
from fhir_apps.safeio.text import shown

__all__ = [
    "MAX_SMART_IDENTITY_PROVIDERS",
    "MAX_SMART_IDENTITY_PROVIDER_APPLICATIONS",
    "SMART_DATA_ACTIONS",
    "SMART_IDP_DOCS",
    "SMART_V1_LEVELS",
    "extension_attribute",
    "fhir_user_value",
    "fhir_user_value_problem",
    "mixed_smart_scopes",
    "optional_claim_problem",
    "smart_audience",
    "smart_clinical_scope",
    "smart_gateway_endpoints",
    "smart_gateway_problem",
    "smart_identity_provider_problems",
    "smart_scope",
    "smart_scope_version",
]

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
        hidden = url_problems(value)
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
    hidden = url_problems(url)
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
    hidden = url_problems(authority)
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
