"""A client secret read from the Key Vault the stack wrote it to (`keyVaultSecretId`).

That is the copy the applications read, so it is worth proving it works, not only the stack
output. The data plane is reached with a token for `https://vault.azure.net` from the Azure CLI
(`az account get-access-token`): in CI the job has already signed in with `azure/login`. The
token, like the secret, never leaves `Secret`.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable
from typing import Final

from fhir_apps.safeio.text import shown
from fhir_apps.verify.http import HttpClient, UnreachableError
from fhir_apps.verify.model import Secret

__all__ = ["KeyVaultError", "az_vault_token", "public_vault_url", "read_vault_secret"]

VAULT_RESOURCE: Final = "https://vault.azure.net"
API_VERSION: Final = "7.4"
_SECRET_ID = re.compile(
    r"^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.KeyVault/vaults/"
    r"([A-Za-z0-9-]{3,24})/secrets/([A-Za-z0-9-]{1,127})$",
    re.IGNORECASE,
)


class KeyVaultError(Exception):
    """The secret cannot be read; `str()` is one line naming the vault and the fix."""


def public_vault_url(vault: str) -> str:
    """The data-plane URL of a vault in Azure's public cloud."""
    return f"https://{vault}.vault.azure.net"


def az_vault_token() -> Secret:
    """A Key Vault access token from the Azure CLI's sign-in."""
    az = shutil.which("az")
    if az is None:
        raise KeyVaultError(
            "the Azure CLI (az) is not on PATH, so Key Vault cannot be read: sign in with "
            "`az login`, or use --secret-source outputs"
        )
    command = [az, "account", "get-access-token", "--resource", VAULT_RESOURCE]
    command += ["--query", "accessToken", "--output", "tsv"]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired):
        raise KeyVaultError("`az account get-access-token` did not run") from None
    token = done.stdout.strip()
    if done.returncode != 0 or not token:
        raise KeyVaultError(
            "`az account get-access-token` failed: sign in with `az login` (or azure/login in CI)"
        )
    return Secret(token)


def read_vault_secret(
    secret_id: str,
    http: HttpClient,
    token: Callable[[], Secret],
    vault_url: Callable[[str], str] = public_vault_url,
) -> Secret:
    """The current version of the secret whose ARM id is `secret_id`."""
    found = _SECRET_ID.match(secret_id.rstrip("/"))
    if not found:
        raise KeyVaultError(
            f"keyVaultSecretId '{shown(secret_id, 200)}' is not a Key Vault secret's ARM id"
        )
    vault, name = found.groups()
    url = f"{vault_url(vault).rstrip('/')}/secrets/{name}?api-version={API_VERSION}"
    headers = {"Authorization": f"Bearer {token().reveal()}"}
    try:
        answer = http.get(url, headers)
    except UnreachableError as error:
        raise KeyVaultError(f"Key Vault {vault}: {error}") from None
    if answer.status in (401, 403):
        raise KeyVaultError(
            f"Key Vault {vault} refused to read secret {name} (HTTP {answer.status}): the "
            "signed-in identity needs a data-plane role such as Key Vault Secrets User"
        )
    if answer.status == 404:
        raise KeyVaultError(
            f"Key Vault {vault} has no secret {name}: was the stack deployed with "
            "credential.keyVaultId (or secretStore.keyVaultId)?"
        )
    value = answer.body.get("value") if isinstance(answer.body, dict) else None
    if answer.status != 200 or not isinstance(value, str) or not value:
        raise KeyVaultError(f"Key Vault {vault}: secret {name} not readable (HTTP {answer.status})")
    return Secret(value)
