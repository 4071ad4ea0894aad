"""The one HTTP client `verify` uses, for MSAL and for its own calls.

A requests Session (MSAL takes it as `http_client`), so both trust the same CAs: the system's,
or `REQUESTS_CA_BUNDLE` for a private CA or a TLS-inspecting proxy. Every request has a
timeout, answers are read within a size bound, and a network failure becomes one line in words
(never the exception's text, which may quote a URL with a query string).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlsplit

import requests

from fhir_apps.safeio.jsonfile import JsonFileError, parse_json
from fhir_apps.safeio.text import shown

__all__ = [
    "MAX_BODY_BYTES",
    "Answer",
    "HttpClient",
    "UnreachableError",
    "describe_network_error",
    "host_of",
    "make_session",
]

# A capability statement is tens of kB, a JWKS a few; 8 MiB bounds a hostile or broken answer.
MAX_BODY_BYTES: Final = 8 * 1024 * 1024
DEFAULT_TIMEOUT: Final = 30.0
USER_AGENT: Final = "fhir-apps-verify"


class UnreachableError(Exception):
    """No HTTP answer (connection, TLS, timeout); `str()` is one line in words."""


@dataclass(frozen=True)
class Answer:
    """An HTTP answer: status, the headers `verify` reads, and the body as JSON when it is."""

    status: int
    headers: dict[str, str]
    body: Any = None
    body_problem: str | None = None

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


class _TimeoutSession(requests.Session):
    """A Session with a default timeout: requests has none, and MSAL sets none either."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self.timeout = timeout
        self.headers["User-Agent"] = USER_AGENT

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("timeout", self.timeout)
        return super().request(method, url, *args, **kwargs)


def make_session(*, verify: bool | str = True, timeout: float = DEFAULT_TIMEOUT) -> Any:
    """A Session for MSAL and `HttpClient`; `verify` as in requests (a CA bundle path)."""
    session = _TimeoutSession(timeout)
    session.verify = verify
    return session


def host_of(url: str) -> str:
    """`host[:port]` of `url`, for messages (never the path or query)."""
    try:
        return urlsplit(url).netloc or url
    except ValueError:
        return url


def describe_network_error(error: Exception, url: str) -> str:
    """What went wrong reaching `url`, in words a platform engineer acts on."""
    host = shown(host_of(url), 120)
    if isinstance(error, requests.exceptions.SSLError):
        return (
            f"TLS to {host} failed: its certificate is not trusted here (for a private CA or a "
            "TLS-inspecting proxy set REQUESTS_CA_BUNDLE)"
        )
    if isinstance(error, requests.exceptions.Timeout):
        return f"{host} did not answer in time"
    if isinstance(error, requests.exceptions.ConnectionError):
        return f"cannot connect to {host} (refused, unresolvable or unreachable)"
    return f"request to {host} failed ({type(error).__name__})"


class HttpClient:
    """GET and POST that return an `Answer` or raise `UnreachableError`; no redirects followed.

    A redirect is not followed because the request may carry a bearer token, and the FHIR API
    does not redirect; it is reported with its target host instead.
    """

    def __init__(self, session: Any) -> None:
        self.session = session

    def get(self, url: str, headers: dict[str, str] | None = None) -> Answer:
        return self._send("GET", url, headers or {}, None)

    def post_json(self, url: str, body: Any, headers: dict[str, str] | None = None) -> Answer:
        return self._send("POST", url, headers or {}, body)

    def _send(self, method: str, url: str, headers: dict[str, str], body: Any) -> Answer:
        try:
            response = self.session.request(
                method, url, headers=headers, json=body, stream=True, allow_redirects=False
            )
        except requests.exceptions.RequestException as error:
            raise UnreachableError(describe_network_error(error, url)) from None
        try:
            raw = response.raw.read(MAX_BODY_BYTES + 1, decode_content=True)
        except Exception as error:  # a connection reset mid-body is still "unreachable"
            raise UnreachableError(describe_network_error(error, url)) from None
        finally:
            response.close()
        answer_headers = {name.lower(): value for name, value in response.headers.items()}
        body, problem = _json_body(raw, url)
        return Answer(response.status_code, answer_headers, body, problem)


def _json_body(raw: bytes, url: str) -> tuple[Any, str | None]:
    if not raw:
        return None, "empty body"
    if len(raw) > MAX_BODY_BYTES:
        return None, f"body larger than {MAX_BODY_BYTES // (1024 * 1024)} MiB"
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None, "body is not UTF-8"
    try:
        return parse_json(text, shown(host_of(url), 120)), None
    except JsonFileError:
        return None, "body is not JSON"
