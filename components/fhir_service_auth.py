"""SMART on an AHDS FHIR service this stack does not deploy (`fhirServer.resourceId`): only its
audience and its SMART identity providers change.

The stack owns the SMART resource app, not the service, so it must not take the service over
(an azure-native `FhirService` would own every setting, and delete the service with the stack).
`FhirServiceAuthentication` is a dynamic provider that reads the service through Azure Resource
Manager and writes it back with `authenticationConfiguration.audience` and
`smartIdentityProviders` replaced, nothing else: ARM has no PATCH for a FHIR service's
properties (`FhirServicePatchResource` holds tags and identity only), so it is read-modify-write,
guarded by the ETag (If-Match) so that a concurrent change is not overwritten, and followed until
the service reports `Succeeded`. The values it replaced are kept in the state and put back on
delete, unless someone has changed the audience since (then it is left alone). Microsoft's SMART
sample asks for the same change by hand on an existing service ("If you use an existing FHIR
server, you will need to do this step manually": docs/deployment.md).

It signs in as the deploying identity (`components.graph.deployer_credential`), which needs
permission to write the service (e.g. Contributor on it), as azure-native does for `deploy`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any, Final

import pulumi
from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    CreateResult,
    DiffResult,
    ReadResult,
    Resource,
    UpdateResult,
)

from components.extension_property import GraphProvider
from components.graph import ARM_SCOPE, ARM_URL, GraphClient, GraphError
from fhir_apps.rules.azure import resource_id_problem
from fhir_apps.safeio.text import shown
from fhir_apps.spec.model import SmartIdentityProvider

__all__ = ["API_VERSION", "FhirServiceAuthentication", "FhirServiceAuthenticationProvider"]

# The Microsoft.HealthcareApis version pulumi-azure-native 3.29 deploys services with.
API_VERSION: Final = "2024-03-31"
# What a GET returns that a PUT must not send back: ARM read-only properties.
_READ_ONLY_TOP: Final = ("id", "name", "type", "etag", "systemData")
_READ_ONLY_PROPERTIES: Final = ("provisioningState", "eventState", "privateEndpointConnections")
_DONE: Final = "Succeeded"
_FAILED: Final = ("Failed", "Canceled")
POLL_SECONDS: Final = 10.0
POLL_ATTEMPTS: Final = 90  # 15 minutes: the portal says an authentication change takes ~10


class FhirServiceAuthenticationProvider(GraphProvider):
    """Read-modify-write of an existing FHIR service's audience and SMART identity providers."""

    def __init__(
        self,
        client: GraphClient | None = None,
        base_url: str = ARM_URL,
        scope: str = ARM_SCOPE,
        *,
        poll_seconds: float = POLL_SECONDS,
        poll_attempts: int = POLL_ATTEMPTS,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        super().__init__(client, base_url, scope)
        self._poll = (poll_seconds, poll_attempts, sleep)

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        failures = []
        problem = resource_id_problem(str(news.get("resourceId") or ""), "ahds")
        if problem:
            failures.append(CheckFailure("resourceId", problem))
        if not str(news.get("audience") or "").strip():
            failures.append(CheckFailure("audience", "is required"))
        return CheckResult(news, failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        replaces = ["resourceId"] if olds.get("resourceId") != news.get("resourceId") else []
        changed = [
            key
            for key in ("audience", "smartIdentityProviders")
            if _norm(olds.get(key)) != _norm(news.get(key))
        ]
        return DiffResult(changes=bool(replaces or changed), replaces=replaces, stables=[])

    def create(self, props: dict[str, Any]) -> CreateResult:
        resource_id = str(props["resourceId"])
        before = self._authentication(self._get(resource_id).body)
        self._write(resource_id, props)
        outs = {
            **_wanted(props),
            "previousAudience": before.get("audience"),
            "previousSmartIdentityProviders": before.get("smartIdentityProviders") or [],
        }
        return CreateResult(resource_id, outs)

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        reply = self.client.call("GET", _path(id_), allow=(404,))
        if reply.status == 404:
            return ReadResult(None, {})
        current = self._authentication(reply.body)
        outs = {
            **props,
            "resourceId": id_,
            "audience": current.get("audience"),
            "smartIdentityProviders": current.get("smartIdentityProviders") or [],
        }
        return ReadResult(id_, outs, _wanted(outs))

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        self._write(id_, news)
        kept = {k: olds.get(k) for k in ("previousAudience", "previousSmartIdentityProviders")}
        return UpdateResult({**_wanted(news), **kept})

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        reply = self.client.call("GET", _path(id_), allow=(404,))
        if reply.status == 404:
            return  # the service is gone: nothing to put back
        if self._authentication(reply.body).get("audience") != props.get("audience"):
            return  # changed since: someone else's setting now, leave it
        previous = {
            "resourceId": id_,
            "audience": props.get("previousAudience"),
            "smartIdentityProviders": props.get("previousSmartIdentityProviders") or [],
        }
        self._write(id_, previous, reply)

    # --- ARM --------------------------------------------------------------------------------

    def _get(self, resource_id: str) -> Any:
        return self.client.call("GET", _path(resource_id))

    @staticmethod
    def _authentication(body: Mapping[str, Any]) -> dict[str, Any]:
        properties = body.get("properties") or {}
        return dict(properties.get("authenticationConfiguration") or {})

    def _write(self, resource_id: str, props: Mapping[str, Any], current: Any = None) -> None:
        """PUT the service as it is, with the audience and identity providers of `props`, and
        wait until it is provisioned."""
        current = current or self._get(resource_id)
        body = _put_body(current.body, props)
        headers = {"If-Match": current.etag} if current.etag else {}
        self.client.call("PUT", _path(resource_id), body, headers=headers)
        self._wait(resource_id)

    def _wait(self, resource_id: str) -> None:
        seconds, attempts, sleep = self._poll
        state = "unknown"
        for _ in range(attempts):
            properties = self._get(resource_id).body.get("properties") or {}
            state = str(properties.get("provisioningState", _DONE))
            if state == _DONE:
                return
            if state in _FAILED:
                break
            sleep(seconds)
        raise GraphError(
            "PUT",
            _path(resource_id),
            None,
            "provisioningState",
            f"the FHIR service's authentication change ended as {shown(state)}; see its "
            "activity log",
        )


def _path(resource_id: str) -> str:
    return f"{resource_id}?api-version={API_VERSION}"


def _wanted(props: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "resourceId": props.get("resourceId"),
        "audience": props.get("audience"),
        "smartIdentityProviders": list(props.get("smartIdentityProviders") or []),
    }


def _put_body(current: Mapping[str, Any], props: Mapping[str, Any]) -> dict[str, Any]:
    """The service as read, minus read-only properties, with our two settings: the authority,
    CORS, export, identity, tags and everything else stay as they are."""
    body = {k: v for k, v in current.items() if k not in _READ_ONLY_TOP}
    properties = {
        k: v for k, v in (current.get("properties") or {}).items() if k not in _READ_ONLY_PROPERTIES
    }
    authentication = dict(properties.get("authenticationConfiguration") or {})
    authentication["audience"] = props.get("audience")
    providers = list(props.get("smartIdentityProviders") or [])
    if providers:
        authentication["smartIdentityProviders"] = providers
    else:
        authentication.pop("smartIdentityProviders", None)
    properties["authenticationConfiguration"] = authentication
    body["properties"] = properties
    return body


def _norm(value: Any) -> Any:
    return value or None


def identity_providers(providers: tuple[SmartIdentityProvider, ...]) -> list[dict[str, Any]]:
    """`smartIdentityProviders` in ARM's JSON form."""
    return [
        {
            "authority": provider.authority,
            "applications": [
                {
                    "clientId": app.client_id,
                    "audience": app.audience,
                    "allowedDataActions": list(app.allowed_data_actions),
                }
                for app in provider.applications
            ],
        }
        for provider in providers
    ]


class FhirServiceAuthentication(Resource, module="fhir-apps", name="FhirServiceAuthentication"):
    """The audience and SMART identity providers of an existing AHDS FHIR service."""

    def __init__(
        self,
        name: str,
        *,
        resource_id: str,
        audience: str,
        smart_identity_providers: tuple[SmartIdentityProvider, ...] = (),
        opts: pulumi.ResourceOptions | None = None,
        provider: FhirServiceAuthenticationProvider | None = None,
    ) -> None:
        super().__init__(
            provider or FhirServiceAuthenticationProvider(),
            name,
            {
                "resourceId": resource_id,
                "audience": audience,
                "smartIdentityProviders": identity_providers(smart_identity_providers),
            },
            opts,
        )
