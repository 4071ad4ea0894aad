"""Entra endpoints a client needs, made from the tenant id (pure; no Pulumi)."""

from __future__ import annotations

from collections.abc import Iterable

from fhir_apps.fhir_constants import AUTHORITY_HOST

__all__ = ["authority", "default_scope", "delegated_scopes", "token_endpoint"]


def authority(tenant_id: str) -> str:
    """The authority MSAL takes, and the one the open-source FHIR server validates against."""
    return f"{AUTHORITY_HOST}/{tenant_id}"


def token_endpoint(tenant_id: str) -> str:
    """The v2.0 token endpoint (client credentials, auth code redemption, refresh)."""
    return f"{authority(tenant_id)}/oauth2/v2.0/token"


# Scope strings join audience and value with one "/" as written: Entra splits a scope at its last
# "/", so an audience that ends in "/" correctly yields "https://host//.default".
def default_scope(audience: str) -> str:
    """`<audience>/.default`: what a client-credentials (service) client requests."""
    return f"{audience}/.default"


def delegated_scopes(audience: str, values: Iterable[str]) -> str:
    """Space-separated full scope strings `<audience>/<value>`, sorted, for delegated flows."""
    return " ".join(f"{audience}/{value}" for value in sorted(set(values)))
