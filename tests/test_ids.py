"""Ids and names that must never churn: scope and role ids (pinned ids win) and RBAC role
assignment names."""

from __future__ import annotations

import uuid

from fhir_apps.arm import role_assignment_name
from fhir_apps.ids import NAMESPACE, derived_id, ids_for

AUDIENCE = "https://fhir.contoso.com"
FHIR_SERVICE = (
    "/subscriptions/11111111-2222-4333-8444-555555555555/resourceGroups/rg/providers/"
    "Microsoft.HealthcareApis/workspaces/ws/fhirservices/svc"
)
READERS = "5e4d3c2b-1a09-4f8e-9d7c-6b5a49382716"


def test_namespace_is_fixed_forever() -> None:
    # Changing it would re-key every scope and role in every tenant.
    assert uuid.uuid5(uuid.NAMESPACE_URL, "urn:fhir-apps") == NAMESPACE
    assert str(NAMESPACE) == "39b597f1-a0de-5f32-b3de-6cf7f6035335"


def test_derived_ids_are_golden() -> None:
    # Golden values: a change here means every deployed scope/role id would change.
    assert (
        derived_id("scope", AUDIENCE, "user_impersonation")
        == "c1c330e9-90aa-57e1-b973-167f79d6cb60"
    )
    assert derived_id("role", AUDIENCE, "globalReader") == "47754dbd-9ced-5ed9-9596-99281145d4f1"


def test_ids_depend_on_kind_audience_and_value() -> None:
    base = derived_id("scope", AUDIENCE, "launch")
    assert derived_id("role", AUDIENCE, "launch") != base
    assert derived_id("scope", AUDIENCE + "/", "launch") != base
    assert derived_id("scope", AUDIENCE, "Launch") != base
    assert derived_id("scope", AUDIENCE, "launch") == base


def test_ids_for_sorts_dedups_and_prefers_pins() -> None:
    pinned = uuid.UUID("7F3E2D1C-0B9A-4C8D-A7E6-F5D4C3B2A190")
    ids = ids_for(
        "scope",
        AUDIENCE,
        ["user_impersonation", "launch", "launch"],
        {"user_impersonation": pinned},
    )
    assert list(ids) == ["launch", "user_impersonation"]
    assert ids["user_impersonation"] == "7f3e2d1c-0b9a-4c8d-a7e6-f5d4c3b2a190"
    assert ids["launch"] == "4c9d32b9-b4a4-5361-a31a-3c5a91398efb"  # derived, golden


def test_a_pin_for_an_unused_value_adds_nothing() -> None:
    assert ids_for("role", AUDIENCE, [], {"globalAdmin": uuid.uuid4()}) == {}


def test_role_assignment_names_are_golden() -> None:
    # Golden values: a change here renames (deletes and re-creates) every RBAC role assignment
    # of every managed stack, and ARM refuses the new one while the old one holds the role.
    assert role_assignment_name(FHIR_SERVICE, READERS, "FHIR Data Reader") == (
        "08a5570e-fff6-5c66-bfa1-c7259ad41999"
    )
    assert role_assignment_name(FHIR_SERVICE, READERS, "FHIR Data Writer") == (
        "83ddc59a-946c-5e7a-b4b4-11e248239eb6"
    )
    assert role_assignment_name(FHIR_SERVICE, READERS, "FHIR SMART User") == (
        "4ba19998-1e4c-595f-af6a-9d41081d9280"
    )


def test_role_assignment_names_ignore_the_case_and_trailing_slash_of_ids() -> None:
    # ARM compares resource ids case-insensitively and may return a scope with a trailing slash.
    assert role_assignment_name(
        FHIR_SERVICE.upper() + "/", READERS.upper(), "FHIR Data Reader"
    ) == ("08a5570e-fff6-5c66-bfa1-c7259ad41999")
