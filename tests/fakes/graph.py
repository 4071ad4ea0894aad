"""A fake Microsoft Graph on 127.0.0.1 over HTTPS: applications' directory extension properties
and users' extension values, as Graph v1.0 serves them.

It answers the requests the dynamic providers in `components.extension_property` make, checks
the bearer token, and can be told to answer as Graph does under load or without permission:
`script` is a list of (method, path prefix, status, headers, body) answers given, in order, to
the first matching requests before the normal ones (429 with Retry-After, 503, 403, ...).
"""

from __future__ import annotations

import json
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any

import trustme

from tests.fakes.https import HttpsServer, Request, Response

TOKEN = "graph-token-7d41"  # what the fake credential hands out; the server demands it


@dataclass
class Seen:
    """One request as the server received it."""

    method: str
    path: str
    query: dict[str, str]
    authorization: str | None
    body: Any
    if_match: str | None = None


@dataclass
class Canned:
    method: str
    prefix: str
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None


@dataclass
class FakeGraph:
    ca: trustme.CA
    applications: dict[str, dict[str, Any]] = field(default_factory=dict)  # objectId -> app
    users: dict[str, dict[str, Any]] = field(default_factory=dict)  # objectId -> user
    script: list[Canned] = field(default_factory=list)
    seen: list[Seen] = field(default_factory=list)
    # Graph's answer to a second extension property of one name (status, code).
    duplicate_answer: tuple[int, str] = (400, "Request_BadRequest")

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        # The loopback HTTPS server the verify tests use too; this fake only answers requests.
        self._server = HttpsServer(self.ca, self._respond)
        self.url = f"{self._server.url}/v1.0"

    def _respond(self, request: Request) -> Response:
        status, headers, body = self.handle(
            Seen(
                method=request.method,
                path=request.path,
                query=request.query,
                authorization=request.headers.get("authorization"),
                body=json.loads(request.body) if request.body else None,
                if_match=request.headers.get("if-match"),
            )
        )
        return Response(status, body, headers)

    def start(self) -> FakeGraph:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    # --- the directory -----------------------------------------------------------------------

    def add_application(self, app_id: str | None = None) -> str:
        """A registered application; returns its object id."""
        object_id = str(uuid.uuid4())
        self.applications[object_id] = {
            "appId": app_id or str(uuid.uuid4()),
            "displayName": "fhir-dev-fhir-server",
            "extensionProperties": {},
        }
        return object_id

    def add_user(self) -> str:
        user_id = str(uuid.uuid4())
        self.users[user_id] = {"id": user_id}
        return user_id

    def requests(self, method: str | None = None) -> list[Seen]:
        return [s for s in self.seen if method is None or s.method == method]

    # --- requests ----------------------------------------------------------------------------

    def handle(self, request: Seen) -> tuple[int, dict[str, str], Any]:
        with self._lock:
            self.seen.append(request)
            if request.authorization != f"Bearer {TOKEN}":
                return _error(401, "InvalidAuthenticationToken", "Access token is empty.")
            for index, canned in enumerate(self.script):
                if request.method == canned.method and request.path.startswith(canned.prefix):
                    del self.script[index]
                    return canned.status, canned.headers, canned.body
            path = request.path.removeprefix("/v1.0")
            segments = [s for s in path.split("/") if s]
            if segments[:1] == ["applications"] and len(segments) >= 3:
                return self._extension_properties(request, segments)
            if segments[:1] == ["users"] and len(segments) == 2:
                return self._user(request, segments[1])
            return _error(404, "Request_ResourceNotFound", f"no route {path}")

    def _extension_properties(
        self, request: Seen, segments: list[str]
    ) -> tuple[int, dict[str, str], Any]:
        app = self.applications.get(segments[1])
        if app is None or segments[2] != "extensionProperties":
            return _error(404, "Request_ResourceNotFound", f"Resource '{segments[1]}' not found")
        properties: dict[str, dict[str, Any]] = app["extensionProperties"]
        if len(segments) == 3 and request.method == "GET":
            return 200, {}, {"value": list(properties.values())}
        if len(segments) == 3 and request.method == "POST":
            body = request.body or {}
            full = f"extension_{app['appId'].replace('-', '')}_{body.get('name')}"
            if any(p["name"] == full for p in properties.values()):
                status, code = self.duplicate_answer
                return _error(status, code, f"Property with name '{full}' already exists.")
            created = {
                "id": str(uuid.uuid4()),
                "deletedDateTime": None,
                "appDisplayName": app["displayName"],
                "dataType": body.get("dataType"),
                "isMultiValued": bool(body.get("isMultiValued", False)),
                "isSyncedFromOnPremises": False,
                "name": full,
                "targetObjects": body.get("targetObjects", []),
            }
            properties[created["id"]] = created
            return 201, {}, created
        item = properties.get(segments[3]) if len(segments) == 4 else None
        if item is None:
            return _error(404, "Request_ResourceNotFound", f"Resource '{segments[-1]}' not found")
        if request.method == "GET":
            return 200, {}, item
        if request.method == "DELETE":
            del properties[segments[3]]
            return 204, {}, None
        return _error(405, "Request_BadRequest", "method not allowed")

    def _user(self, request: Seen, user_id: str) -> tuple[int, dict[str, str], Any]:
        user = self.users.get(user_id)
        if user is None:
            return _error(404, "Request_ResourceNotFound", f"Resource '{user_id}' not found")
        if request.method == "PATCH":
            for key, value in (request.body or {}).items():
                if value is None:
                    user.pop(key, None)
                else:
                    user[key] = value
            return 204, {}, None
        if request.method == "GET":
            wanted = request.query.get("$select", "").split(",")
            return 200, {}, {key: user.get(key) for key in wanted if key}
        return _error(405, "Request_BadRequest", "method not allowed")


def _error(status: int, code: str, message: str) -> tuple[int, dict[str, str], Any]:
    return status, {}, {"error": {"code": code, "message": message}}
