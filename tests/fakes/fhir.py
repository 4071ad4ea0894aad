"""A fake open-source FHIR server: it validates bearer tokens against the fake tenant's key,
audience and issuer, and authorizes by the `roles` claim as the default roles.json does.

Scripts make it answer as a real server does while things settle: `script[client_id]` is a list
of answers (status and headers) given, in order, before the normal one; `always[client_id]`
is an answer given every time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import jwt
import trustme

from tests.fakes.https import HttpsServer, Request, Response
from tests.fakes.idp import FakeIdp

_READERS = {"globalreader", "globalexporter", "globalwriter", "globaladmin"}
_WRITERS = {"globalwriter", "globaladmin"}
OAUTH_URIS = "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris"


@dataclass
class FakeFhir:
    ca: trustme.CA
    idp: FakeIdp
    authority: str | None = None  # what /metadata advertises (default: the fake tenant's)
    script: dict[str, list[Response]] = field(default_factory=dict)
    always: dict[str, Response] = field(default_factory=dict)
    calls: list[tuple[str, str, str | None]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.server = HttpsServer(self.ca, self.handle)

    @property
    def url(self) -> str:
        return self.server.url

    def handle(self, request: Request) -> Response:
        if request.path == "/metadata" and request.method == "GET":
            self.calls.append(("GET", "/metadata", None))
            return Response(200, self._capability())
        claims = self._claims(request)
        if isinstance(claims, Response):
            self.calls.append((request.method, request.path, None))
            return claims
        client = str(claims.get("appid"))
        self.calls.append((request.method, request.path, client))
        if client in self.always:
            return self.always[client]
        if self.script.get(client):
            return self.script[client].pop(0)
        return self._authorized(request, {r.lower() for r in claims.get("roles", [])})

    def _capability(self) -> dict[str, Any]:
        authority = self.authority or self.idp.authority
        return {
            "resourceType": "CapabilityStatement",
            "status": "active",
            "kind": "instance",
            "fhirVersion": "4.0.1",
            "rest": [
                {
                    "mode": "server",
                    "security": {
                        "extension": [
                            {
                                "url": OAUTH_URIS,
                                "extension": [
                                    {"url": "token", "valueUri": f"{authority}/oauth2/token"},
                                    {
                                        "url": "authorize",
                                        "valueUri": f"{authority}/oauth2/authorize",
                                    },
                                ],
                            }
                        ]
                    },
                }
            ],
        }

    def _claims(self, request: Request) -> dict[str, Any] | Response:
        token = request.bearer()
        if token is None:
            return _unauthorized("no bearer token")
        try:
            return dict(
                jwt.decode(
                    token,
                    self.idp.key.public_key(),
                    algorithms=["RS256"],
                    audience=self.url,
                    issuer=self.idp.issuer_v1,
                )
            )
        except jwt.PyJWTError as error:
            return _unauthorized(type(error).__name__)

    def _authorized(self, request: Request, roles: set[str]) -> Response:
        if request.method == "GET" and request.path == "/Patient":
            if roles & _READERS:
                return Response(200, {"resourceType": "Bundle", "type": "searchset", "total": 0})
            return _forbidden()
        if request.method == "POST" and request.path == "/Patient/$validate":
            if roles & (_WRITERS | {"globalreader"}):
                return Response(200, {"resourceType": "OperationOutcome", "issue": []})
            return _forbidden()
        return Response(404, {"resourceType": "OperationOutcome"})


def _unauthorized(why: str) -> Response:
    return Response(
        401,
        {"resourceType": "OperationOutcome"},
        {"WWW-Authenticate": f'Bearer error="invalid_token", error_description="{why}"'},
    )


def _forbidden() -> Response:
    return Response(403, {"resourceType": "OperationOutcome"})
