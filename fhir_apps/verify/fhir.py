"""The calls to the FHIR server and what their answers mean.

- `GET /metadata` (no token): the server answers, and its capability statement's OAuth
  security extension (SMART `oauth-uris`) points at this tenant's authority;
- `GET /Patient?_count=1` with the token: the token is accepted (not 401) and, for a client
  with a reading role, authorized (200);
- `POST /Patient/$validate` with `{"resourceType": "Patient"}`: a harmless probe for a client
  with a writing role -- it validates a resource and stores nothing.

Nothing here writes data. 403, 429 and 5xx are retryable (RBAC and role assignments take
minutes to reach the server; 429 says when to come back); 401 is not: the server refused the
token itself, which waiting does not change.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Final

from fhir_apps.safeio.text import shown
from fhir_apps.verify.http import Answer, HttpClient, UnreachableError, host_of
from fhir_apps.verify.model import Secret
from fhir_apps.verify.retry import parse_retry_after

__all__ = ["READ", "VALIDATE", "FhirResult", "call_with_token", "check_metadata"]

OAUTH_URIS: Final = "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris"
READ: Final = ("GET", "/Patient?_count=1")
VALIDATE: Final = ("POST", "/Patient/$validate")
_FHIR_JSON: Final = "application/fhir+json"


@dataclass(frozen=True)
class FhirResult:
    """One FHIR check: passed or not, in one line, and whether trying again may help."""

    ok: bool
    detail: str
    retry_reason: str | None = None
    retry_after: float | None = None


def check_metadata(http: HttpClient, base: str, authority: str, now: dt.datetime) -> FhirResult:
    """The capability statement answers and names this tenant's authority."""
    try:
        answer = http.get(f"{base}/metadata", {"Accept": _FHIR_JSON})
    except UnreachableError as error:
        return FhirResult(False, f"FHIR server unreachable: {error}")
    if answer.status != 200:
        return _unexpected(answer, "GET /metadata", now)
    body = answer.body
    if not isinstance(body, dict) or body.get("resourceType") != "CapabilityStatement":
        return FhirResult(
            False,
            f"GET /metadata on {shown(host_of(base))} answered 200 without a "
            "CapabilityStatement: is server.url the FHIR base URL?",
        )
    uris = _oauth_uris(body)
    if not uris:
        return FhirResult(
            False,
            "the capability statement declares no OAuth endpoints (rest.security oauth-uris): "
            "is authentication enabled on the FHIR server?",
        )
    expected = authority.rstrip("/").lower() + "/"
    foreign = sorted(uri for uri in uris.values() if not uri.lower().startswith(expected))
    if foreign:
        return FhirResult(
            False,
            f"the FHIR server's OAuth endpoints point at {shown(foreign[0], 120)}, not this "
            f"tenant's authority {shown(authority, 120)}: set the server's authority to it",
        )
    return FhirResult(True, "GET /metadata → 200; its OAuth endpoints are this tenant's")


def _oauth_uris(capability: dict[str, Any]) -> dict[str, str]:
    """`{token: uri, authorize: uri, ...}` from every rest entry's security extension."""
    found: dict[str, str] = {}
    for rest in _list(capability.get("rest")):
        security = rest.get("security") if isinstance(rest, dict) else None
        if not isinstance(security, dict):
            continue
        for extension in _list(security.get("extension")):
            if not isinstance(extension, dict) or extension.get("url") != OAUTH_URIS:
                continue
            for item in _list(extension.get("extension")):
                if isinstance(item, dict) and isinstance(item.get("valueUri"), str):
                    found[str(item.get("url"))] = item["valueUri"]
    return found


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def call_with_token(
    http: HttpClient,
    base: str,
    call: tuple[str, str],
    token: Secret,
    *,
    authorized: bool,
    refused: str,
    now: dt.datetime,
) -> FhirResult:
    """`call` (READ or VALIDATE) with the bearer token, judged.

    authorized: whether the client's roles allow the call (expect 200); otherwise 403 is the
    expected answer, and it still proves the token was accepted. refused: what a 403 means for
    this client, in words ("role FHIR Data Reader not in effect ...").
    """
    method, path = call
    what = f"{method} {path}"
    headers = {"Authorization": f"Bearer {token.reveal()}", "Accept": _FHIR_JSON}
    try:
        if method == "GET":
            answer = http.get(f"{base}{path}", headers)
        else:
            headers["Content-Type"] = _FHIR_JSON
            answer = http.post_json(f"{base}{path}", {"resourceType": "Patient"}, headers)
    except UnreachableError as error:
        return FhirResult(False, f"FHIR server unreachable: {error}")
    if answer.status == 200:
        return _answered(answer, what, call)
    if answer.status == 403 and not authorized:
        return FhirResult(True, f"{what} → 403: token accepted; the client's roles do not allow it")
    if answer.status == 403:
        words = f"403 from FHIR on {what}: {refused}"
        return FhirResult(False, words, retry_reason=words)
    if answer.status == 401:
        return FhirResult(False, _unauthorized(answer, what))
    return _unexpected(answer, what, now)


def _answered(answer: Answer, what: str, call: tuple[str, str]) -> FhirResult:
    expected = "Bundle" if call == READ else "OperationOutcome"
    body = answer.body
    if not isinstance(body, dict) or body.get("resourceType") != expected:
        return FhirResult(
            False, f"{what} answered 200 without a {expected}: is server.url the FHIR base URL?"
        )
    return FhirResult(True, f"{what} → 200")


def _unauthorized(answer: Answer, what: str) -> str:
    """401: the server refused the token; its WWW-Authenticate usually says why."""
    challenge = answer.header("www-authenticate") or ""
    reason = ""
    marker = 'error_description="'
    if marker in challenge:
        reason = challenge.split(marker, 1)[1].split('"', 1)[0]
    told = f" ({shown(reason, 160)})" if reason else ""
    return (
        f"401 from FHIR on {what}: the server refused the token{told}; its audience or "
        "authority setting differs from this stack's server.audience and tenant"
    )


def _unexpected(answer: Answer, what: str, now: dt.datetime) -> FhirResult:
    status = answer.status
    if status == 429:
        words = f"429 from FHIR on {what} (throttled)"
        after = parse_retry_after(answer.header("retry-after"), now)
        return FhirResult(False, words, retry_reason=words, retry_after=after)
    if status >= 500:
        words = f"FHIR answered {status} on {what}"
        return FhirResult(False, words, retry_reason=words)
    if 300 <= status < 400:
        target = shown(host_of(answer.header("location") or "elsewhere"), 120)
        return FhirResult(
            False,
            f"{what} was redirected ({status}) to {target}: set server.url to the FHIR "
            "base URL itself",
        )
    if status == 404:
        return FhirResult(False, f"404 from FHIR on {what}: is server.url the FHIR base URL?")
    return FhirResult(False, f"FHIR answered {status} on {what}")
