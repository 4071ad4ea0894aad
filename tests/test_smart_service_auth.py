"""SMART on an existing AHDS service: the dynamic provider that changes only its audience and
SMART identity providers, against a fake Azure Resource Manager on the loopback interface; and
the stack that uses it instead of deploying the service."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme

from components.fhir_service_auth import FhirServiceAuthenticationProvider
from components.graph import GraphClient, GraphError
from fhir_apps.render.engine import SECRET
from tests.component_helpers import make_spec, run_build
from tests.fakes.arm import SERVICE_ID, FakeArm
from tests.fakes.graph import Canned
from tests.test_smart_graph import FakeCredential

OLD = "https://ws1-svc1.fhir.azurehealthcareapis.com"
NEW = "https://contoso.com/ws1-svc1"
B2C = {
    "authority": "https://contoso.b2clogin.com/contoso.onmicrosoft.com/B2C_1A_SMART/v2.0",
    "applications": [{"clientId": "b2c", "audience": "b2c", "allowedDataActions": ["Read"]}],
}


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def arm(ca: trustme.CA) -> Iterator[FakeArm]:
    server = FakeArm(ca).start()
    yield server
    server.stop()


@pytest.fixture
def waits() -> list[float]:
    return []


@pytest.fixture
def provider(
    arm: FakeArm, ca: trustme.CA, tmp_path: Path, waits: list[float]
) -> FhirServiceAuthenticationProvider:
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    client = GraphClient(
        FakeCredential(),
        base_url=arm.url,
        scope="https://management.azure.com/.default",
        verify=str(bundle),
        sleep=waits.append,
    )
    return FhirServiceAuthenticationProvider(client, poll_seconds=5, sleep=waits.append)


def _props(audience: str = NEW, providers: list[Any] | None = None) -> dict[str, Any]:
    return {
        "resourceId": SERVICE_ID,
        "audience": audience,
        "smartIdentityProviders": providers or [],
    }


def test_create_changes_only_the_audience_and_identity_providers(
    arm: FakeArm, provider: FhirServiceAuthenticationProvider, waits: list[float]
) -> None:
    result = provider.create(_props(providers=[B2C]))
    (put,) = arm.puts
    # Read-only properties are not sent back; everything else is the service as it was.
    assert set(put) == {"location", "kind", "identity", "tags", "properties"}
    assert set(put["properties"]) == {"authenticationConfiguration", "corsConfiguration"}
    assert put["properties"]["authenticationConfiguration"] == {
        "authority": "https://login.microsoftonline.com/t",
        "audience": NEW,
        "smartProxyEnabled": False,
        "smartIdentityProviders": [B2C],
    }
    assert put["tags"] == {"owner": "clinical-it"}
    (write,) = arm.requests("PUT")
    assert write.if_match == '"1"' and write.query == {"api-version": "2024-03-31"}
    assert waits == [5]  # one poll saw Updating, the next Succeeded
    assert result.id == SERVICE_ID
    assert result.outs is not None
    assert (result.outs["previousAudience"], result.outs["previousSmartIdentityProviders"]) == (
        OLD,
        [],
    )


def test_read_reports_the_service_s_values_and_a_deleted_service_as_gone(
    arm: FakeArm, provider: FhirServiceAuthenticationProvider
) -> None:
    result = provider.read(SERVICE_ID, {"previousAudience": OLD})
    assert result.inputs == _props(OLD)
    assert result.outs is not None and result.outs["previousAudience"] == OLD
    arm.script.append(Canned("GET", SERVICE_ID, 404, body={"error": {"code": "NotFound"}}))
    assert provider.read(SERVICE_ID, {}).id is None


def test_update_keeps_what_was_there_before_the_stack(
    arm: FakeArm, provider: FhirServiceAuthenticationProvider
) -> None:
    created = provider.create(_props())
    assert created.outs is not None
    updated = provider.update(SERVICE_ID, created.outs, _props("https://contoso.com/other"))
    assert arm.resource["properties"]["authenticationConfiguration"]["audience"] == (
        "https://contoso.com/other"
    )
    assert updated.outs is not None and updated.outs["previousAudience"] == OLD


def test_delete_puts_the_previous_audience_back(
    arm: FakeArm, provider: FhirServiceAuthenticationProvider
) -> None:
    created = provider.create(_props(providers=[B2C]))
    assert created.outs is not None
    provider.delete(SERVICE_ID, created.outs)
    authentication = arm.resource["properties"]["authenticationConfiguration"]
    assert authentication["audience"] == OLD
    assert "smartIdentityProviders" not in authentication


def test_delete_leaves_an_audience_someone_else_set_since(
    arm: FakeArm, provider: FhirServiceAuthenticationProvider
) -> None:
    created = provider.create(_props())
    assert created.outs is not None
    arm.resource["properties"]["authenticationConfiguration"]["audience"] = "https://theirs"
    provider.delete(SERVICE_ID, created.outs)
    assert len(arm.puts) == 1


def test_a_concurrent_change_is_not_overwritten(
    arm: FakeArm, provider: FhirServiceAuthenticationProvider
) -> None:
    arm.script.append(
        Canned("PUT", SERVICE_ID, 412, body={"error": {"code": "PreconditionFailed",
               "message": "The resource was changed (etag)"}})
    )  # fmt: skip
    with pytest.raises(GraphError, match=r"412 PreconditionFailed"):
        provider.create(_props())


def test_a_failed_change_is_reported_with_its_state(
    arm: FakeArm, provider: FhirServiceAuthenticationProvider
) -> None:
    arm.states_after_put = ["Updating", "Failed"]
    with pytest.raises(GraphError) as caught:
        provider.create(_props())
    assert "ended as Failed" in str(caught.value) and "\n" not in str(caught.value)


def test_diff_replaces_only_for_another_service() -> None:
    provider = FhirServiceAuthenticationProvider()
    old = {**_props(), "previousAudience": OLD}
    assert provider.diff(SERVICE_ID, old, _props()).changes is False
    moved = provider.diff(SERVICE_ID, old, _props("https://contoso.com/x"))
    assert (moved.changes, moved.replaces) == (True, [])
    other = provider.diff(SERVICE_ID, old, {**_props(), "resourceId": SERVICE_ID + "x"})
    assert other.replaces == ["resourceId"]


def test_the_stack_changes_an_existing_service_instead_of_deploying_one() -> None:
    spec = make_spec(
        tenant={"verifiedDomains": ["contoso.com"]},
        fhirServer={
            "kind": "ahds",
            "url": OLD,
            "resourceId": SERVICE_ID,
            "smart": True,
            "scopes": ["user_impersonation", "launch"],
            "smartIdentityProviders": [B2C],
        },
    )
    run = run_build(spec)
    (auth,) = [r for r in run.resources.values() if r.name == "fhir-service-authentication"]
    assert auth.type == "pulumi-python:dynamic/fhir-apps:FhirServiceAuthentication"
    assert auth.inputs == {"__provider": SECRET, **_props(providers=[B2C])}
    assert not [r for r in run.resources.values() if r.type.startswith("azure-native:health")]
    assert run.outputs["server"]["audience"] == NEW


def test_the_pickled_provider_keeps_only_its_arm_settings() -> None:
    import pickle

    import dill

    provider = FhirServiceAuthenticationProvider(poll_seconds=0, sleep=print)
    restored = dill.loads(dill.dumps(provider, protocol=pickle.DEFAULT_PROTOCOL, recurse=True))
    assert (restored.base_url, restored.scope) == (
        "https://management.azure.com",
        "https://management.azure.com/.default",
    )
    assert restored._poll[:2] == (10.0, 90) and restored._client is None
