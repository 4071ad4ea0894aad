"""Client secrets written where applications read them: an existing Azure Key Vault.

`pulumi_azure_native.keyvault` is imported in the constructor, only when a stack writes secrets
(see docs/performance.md, "Start-up").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

import pulumi

from fhir_apps import arm

__all__ = ["KeyVaultSecrets", "KeyVaultSecretsArgs", "VaultSecret"]

TYPE = "fhir-apps:key_vault_secrets:KeyVaultSecrets"


@dataclass(frozen=True, kw_only=True)
class VaultSecret:
    """One client's current secret and where it goes.

    key_vault_id: the ARM id of an existing vault (`credential.keyVaultId` or
        `secretStore.keyVaultId`).
    value: the current secret (an output of the client's password slot; kept secret).
    expires_on: the current slot's end date; the vault secret expires then too.
    """

    key_vault_id: str
    value: pulumi.Input[str]
    expires_on: dt.date


@dataclass(frozen=True, kw_only=True)
class KeyVaultSecretsArgs:
    """Inputs of KeyVaultSecrets.

    secrets: `{client key: VaultSecret}`; each is written as `<client key>-client-secret`.
    """

    secrets: Mapping[str, VaultSecret]


class KeyVaultSecrets(pulumi.ComponentResource):
    """One azure-native keyvault Secret `<name>-<client key>` per client, named
    `<client key>-client-secret` in its vault, with `attributes.expires` = the end of the current
    password slot. When the slot rotates, the value and expiry change in place (a new version of
    the same secret), so readers of the latest version always get a valid secret.

    Outputs:
        secret_ids: `{client key: ARM id of the vault secret}`.
    """

    secret_ids: dict[str, str]

    def __init__(
        self, name: str, args: KeyVaultSecretsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(TYPE, name, None, opts)
        import pulumi_azure_native.keyvault as keyvault

        self.secret_ids = {}
        for key, secret in sorted(args.secrets.items()):
            group, vault = arm.key_vault_parts(secret.key_vault_id)
            keyvault.Secret(
                f"{name}-{key}",
                keyvault.SecretArgs(
                    resource_group_name=group,
                    vault_name=vault,
                    secret_name=arm.key_vault_secret_name(key),
                    properties=keyvault.SecretPropertiesArgs(
                        # Mocks and older engines do not apply additional_secret_outputs, so
                        # the value is marked secret here as well.
                        value=pulumi.Output.secret(secret.value),
                        content_type="text/plain",
                        attributes=keyvault.SecretAttributesArgs(
                            enabled=True, expires=arm.epoch_seconds(secret.expires_on)
                        ),
                    ),
                ),
                opts=pulumi.ResourceOptions(parent=self, additional_secret_outputs=["properties"]),
            )
            self.secret_ids[key] = arm.key_vault_secret_id(secret.key_vault_id, key)
        self.register_outputs({"secret_ids": self.secret_ids})
