"""Ids and names that must never churn: scope and role ids (pinned ids win) and RBAC role
assignment names."""

from __future__ import annotations

import uuid

from fhir_apps.arm import role_assignment_name
from fhir_apps.ids import NAMESPACE, derived_id, ids_for

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
    # Golden values: a change here means every deployed scope/role id would change. Computed
    # without uuid: SHA-1 of NAMESPACE's 16 bytes + "<kind>\n<value>", first 16 bytes, version
    # nibble 5, variant bits 10 (RFC 4122 section 4.3).
    assert derived_id("scope", "user_impersonation") == "1338ff5b-a492-52e8-9d9f-644e30c3b00b"
    assert derived_id("role", "globalReader") == "d5394a4a-65d8-5764-a54b-b9ac43adcf88"


def test_ids_depend_on_kind_and_value_only() -> None:
    base = derived_id("scope", "launch")
    assert derived_id("role", "launch") != base
    assert derived_id("scope", "Launch") != base
    assert derived_id("scope", "launch") == base


def test_ids_for_sorts_dedups_and_prefers_pins() -> None:
    pinned = uuid.UUID("7F3E2D1C-0B9A-4C8D-A7E6-F5D4C3B2A190")
    ids = ids_for(
        "scope",
        ["user_impersonation", "launch", "launch"],
        {"user_impersonation": pinned},
    )
    assert list(ids) == ["launch", "user_impersonation"]
    assert ids["user_impersonation"] == "7f3e2d1c-0b9a-4c8d-a7e6-f5d4c3b2a190"
    assert ids["launch"] == "fe34d0e5-0c60-5cd4-a649-b8459dcb9784"  # derived, golden


def test_a_pin_for_an_unused_value_adds_nothing() -> None:
    assert ids_for("role", [], {"globalAdmin": uuid.uuid4()}) == {}


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
