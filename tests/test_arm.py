"""fhir_apps.arm: ARM ids and names derived without any lookup (pure)."""

from __future__ import annotations

import datetime as dt

import pytest

from fhir_apps import arm, rules

SCOPE = (
    "/subscriptions/11111111-2222-4333-8444-555555555555/resourceGroups/rg/providers/"
    "Microsoft.HealthcareApis/workspaces/ws/fhirservices/svc"
)
PRINCIPAL = "5e4d3c2b-1a09-4f8e-9d7c-6b5a49382716"


def test_role_definition_id_is_in_the_scope_subscription() -> None:
    assert arm.role_definition_id(SCOPE, "FHIR Data Reader") == (
        "/subscriptions/11111111-2222-4333-8444-555555555555/providers/"
        "Microsoft.Authorization/roleDefinitions/4c8d0bbc-75d3-4935-991f-5f3c56d81508"
    )
    with pytest.raises(ValueError, match="is not an ARM id"):
        arm.subscription_of("rg/x")


def test_role_assignment_names_are_deterministic_guids() -> None:
    name = arm.role_assignment_name(SCOPE, PRINCIPAL, "FHIR Data Reader")
    assert name == arm.role_assignment_name(
        SCOPE.upper() + "/", PRINCIPAL.upper(), "FHIR Data Reader"
    )
    others = {
        arm.role_assignment_name(SCOPE, PRINCIPAL, "FHIR Data Writer"),
        arm.role_assignment_name(SCOPE + "x", PRINCIPAL, "FHIR Data Reader"),
    }
    assert len({name, *others}) == 3
    assert len(name) == 36 and name.count("-") == 4


def test_key_vault_parts_and_secret_ids() -> None:
    vault = "/subscriptions/s/resourceGroups/rg-kv/providers/Microsoft.KeyVault/vaults/kv1"
    assert arm.key_vault_parts(vault) == ("rg-kv", "kv1")
    assert arm.key_vault_secret_id(vault, "web") == f"{vault}/secrets/web-client-secret"
    with pytest.raises(ValueError, match="is not a Key Vault resource id"):
        arm.key_vault_parts("/subscriptions/s/resourceGroups/rg")


def test_epoch_seconds_is_midnight_utc() -> None:
    assert arm.epoch_seconds(dt.date(1970, 1, 2)) == 86400
    assert arm.epoch_seconds(dt.date(2025, 7, 24)) == 1753315200


@pytest.mark.parametrize(
    ("rule", "good", "bad"),
    [
        (lambda v: rules.ahds_name_problem(v, "workspace"), ["abc", "a" * 24, "ws01"],
         ["ab", "a" * 25, "Ws01", "ws-01", "ws_01"]),
        (rules.resource_group_name_problem, ["rg", "rg-fhir_(1).x", "a" * 90],
         ["", "a" * 91, "rg.", "rg fhir", "rg/x"]),
        (rules.location_problem, ["westeurope", "West Europe"], ["", "west-europe", "x!"]),
        (rules.storage_account_name_problem, ["stexport01"], ["st", "St-Export"]),
        (rules.cors_origin_problem, ["https://a.contoso.com", "https://a.com:8443",
                                     "http://localhost:3000"],
         ["*", "http://a.com", "https://a.com/", "https://*.a.com", "ftp://a.com"]),
        (rules.key_vault_secret_name_problem, ["web-client-secret"], ["web_app-client-secret"]),
    ],
)  # fmt: skip
def test_azure_name_rules(rule, good, bad) -> None:  # type: ignore[no-untyped-def]
    assert [v for v in good if rule(v)] == []
    assert [v for v in bad if not rule(v)] == []


def test_smart_audience_is_an_identifier_uri_entra_accepts() -> None:
    # On a verified domain: the SMART app accepts mapped claims (fhirUser), which Entra allows
    # only for such an audience (AADSTS501461).
    uri = rules.smart_audience("Contoso.com", "ws", "fhir")
    assert uri == "https://contoso.com/ws-fhir"
    assert rules.identifier_uri_problem(uri, ["contoso.com"]) is None
    assert rules.mapped_claims_audience_problem(uri, ["contoso.com"]) is None
