"""fhir_apps.ids: scope and role ids never churn, and pinned ids win."""

from __future__ import annotations

import uuid

from fhir_apps.ids import NAMESPACE, derived_id, ids_for

AUDIENCE = "https://fhir.contoso.com"


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
    assert ids["launch"] == derived_id("scope", AUDIENCE, "launch")


def test_a_pin_for_an_unused_value_adds_nothing() -> None:
    assert ids_for("role", AUDIENCE, [], {"globalAdmin": uuid.uuid4()}) == {}
