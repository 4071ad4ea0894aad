"""A minimal Microsoft Graph client for the live tests (standard library only).

It signs in as the same principal the azuread provider uses, from the same ARM_* variables:
a client secret, or workload identity federation (OIDC, e.g. GitHub Actions).
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

GRAPH = "https://graph.microsoft.com/v1.0"
LOGIN = "https://login.microsoftonline.com"


def missing_credentials() -> list[str]:
    """What is missing for the provider and this client to sign in (empty when ready)."""
    missing = [name for name in ("ARM_TENANT_ID", "ARM_CLIENT_ID") if not os.environ.get(name)]
    if not (os.environ.get("ARM_CLIENT_SECRET") or _oidc_available()):
        missing.append("ARM_CLIENT_SECRET or ARM_USE_OIDC=true with an OIDC token")
    return missing


def _oidc_available() -> bool:
    if os.environ.get("ARM_USE_OIDC", "").lower() != "true":
        return False
    return bool(
        os.environ.get("ARM_OIDC_TOKEN")
        or (
            os.environ.get("ACTIONS_ID_TOKEN_REQUEST_URL")
            and os.environ.get("ACTIONS_ID_TOKEN_REQUEST_TOKEN")
        )
    )


def _oidc_token() -> str:
    if token := os.environ.get("ARM_OIDC_TOKEN"):
        return token
    url = os.environ["ACTIONS_ID_TOKEN_REQUEST_URL"] + "&audience=api://AzureADTokenExchange"
    request = urllib.request.Request(
        url, headers={"Authorization": f"Bearer {os.environ['ACTIONS_ID_TOKEN_REQUEST_TOKEN']}"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return str(json.load(response)["value"])


class Graph:
    """GET requests to Microsoft Graph with an app-only token; retries while objects replicate."""

    def __init__(self) -> None:
        form = {
            "client_id": os.environ["ARM_CLIENT_ID"],
            "grant_type": "client_credentials",
            "scope": "https://graph.microsoft.com/.default",
        }
        if secret := os.environ.get("ARM_CLIENT_SECRET"):
            form["client_secret"] = secret
        else:
            form["client_assertion_type"] = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
            form["client_assertion"] = _oidc_token()
        request = urllib.request.Request(
            f"{LOGIN}/{os.environ['ARM_TENANT_ID']}/oauth2/v2.0/token",
            data=urllib.parse.urlencode(form).encode(),
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            self._token = str(json.load(response)["access_token"])

    def get(self, path: str, *, attempts: int = 8) -> Any:
        """GET `GRAPH + path`; a 404 is retried (Entra replicates new objects slowly)."""
        for attempt in range(attempts):
            request = urllib.request.Request(
                GRAPH + path, headers={"Authorization": f"Bearer {self._token}"}
            )
            try:
                with urllib.request.urlopen(request, timeout=30) as response:
                    return json.load(response)
            except urllib.error.HTTPError as err:
                if err.code != 404 or attempt == attempts - 1:
                    raise
                time.sleep(2**attempt)
        raise AssertionError("unreachable")

    def application(self, client_id: str) -> Any:
        return self.get(f"/applications(appId='{client_id}')")

    def service_principal(self, client_id: str) -> Any:
        return self.get(f"/servicePrincipals(appId='{client_id}')")
