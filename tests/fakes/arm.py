"""A fake Azure Resource Manager on 127.0.0.1 over HTTPS holding one AHDS FHIR service: GET and
PUT with ETags (If-Match, 412 on a stale one) and a provisioning state that goes from `Updating`
to `Succeeded` (or to `script`ed states) on the next reads, as ARM's long-running PUT does."""

from __future__ import annotations

import copy
import uuid
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.graph import TOKEN, FakeGraph, Seen, _error

SERVICE_ID = (
    "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-fhir/providers/"
    "Microsoft.HealthcareApis/workspaces/ws1/fhirservices/svc1"
)


def service(audience: str = "https://ws1-svc1.fhir.azurehealthcareapis.com") -> dict[str, Any]:
    """The service as ARM returns it (read-only properties included)."""
    return {
        "id": SERVICE_ID,
        "name": "ws1/svc1",
        "type": "Microsoft.HealthcareApis/workspaces/fhirservices",
        "location": "westeurope",
        "kind": "fhir-R4",
        "etag": '"1"',
        "identity": {"type": "SystemAssigned", "principalId": "p"},
        "tags": {"owner": "clinical-it"},
        "systemData": {"createdBy": "someone"},
        "properties": {
            "provisioningState": "Succeeded",
            "eventState": "Disabled",
            "authenticationConfiguration": {
                "authority": "https://login.microsoftonline.com/t",
                "audience": audience,
                "smartProxyEnabled": False,
            },
            "corsConfiguration": {
                "origins": ["https://app.contoso.com"],
                "allowCredentials": False,
            },
        },
    }


@dataclass
class FakeArm(FakeGraph):
    resource: dict[str, Any] = field(default_factory=service)
    puts: list[dict[str, Any]] = field(default_factory=list)
    # States the service reports after a PUT, one per read, before Succeeded.
    states_after_put: list[str] = field(default_factory=lambda: ["Updating"])

    def __post_init__(self) -> None:
        super().__post_init__()
        self.url = self.url.removesuffix("/v1.0")
        self._pending: list[str] = []

    def handle(self, request: Seen) -> tuple[int, dict[str, str], Any]:
        with self._lock:
            self.seen.append(request)
            if request.authorization != f"Bearer {TOKEN}":
                return _error(401, "AuthenticationFailed", "no token")
            for index, canned in enumerate(self.script):
                if request.method == canned.method and request.path.startswith(canned.prefix):
                    del self.script[index]
                    return canned.status, canned.headers, canned.body
            if request.path != SERVICE_ID or request.query.get("api-version") != "2024-03-31":
                return _error(404, "ResourceNotFound", f"{request.path} was not found")
            if request.method == "GET":
                return self._get()
            if request.method == "PUT":
                return self._put(request)
            return _error(405, "MethodNotAllowed", request.method)

    def _get(self) -> tuple[int, dict[str, str], Any]:
        body = copy.deepcopy(self.resource)
        if self._pending:
            body["properties"]["provisioningState"] = self._pending.pop(0)
        return 200, {"ETag": self.resource["etag"]}, body

    def _put(self, request: Seen) -> tuple[int, dict[str, str], Any]:
        if request.if_match not in (None, self.resource["etag"]):
            return _error(412, "PreconditionFailed", "The resource was changed (etag)")
        body = request.body or {}
        self.puts.append(copy.deepcopy(body))
        updated = copy.deepcopy(body)
        updated.update(
            id=SERVICE_ID,
            name=self.resource["name"],
            type=self.resource["type"],
            etag=f'"{uuid.uuid4().hex[:6]}"',
            systemData=self.resource["systemData"],
        )
        updated["properties"]["provisioningState"] = "Succeeded"
        self.resource = updated
        self._pending = list(self.states_after_put)
        answer = copy.deepcopy(updated)
        answer["properties"]["provisioningState"] = "Accepted"
        return 201, {"ETag": updated["etag"]}, answer
