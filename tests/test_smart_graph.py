"""The Graph dynamic providers against a fake Microsoft Graph on the loopback interface.

The real providers and the real HTTP client (requests, TLS) run; only Graph is a fake
(tests/fakes/graph.py), so these tests see exactly the requests `pulumi up` would send.
"""

from __future__ import annotations

import base64
import email.utils
import pickle
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dill
import pytest
import trustme
from azure import identity

from components.extension_property import (
    ExtensionPropertyProvider,
    UserExtensionValueProvider,
)
from components.graph import GraphClient, GraphError, credential_settings, deployer_credential
from tests.fakes.graph import TOKEN, Canned, FakeGraph

APP_ID = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
ATTRIBUTE = "extension_0a1b2c3d4e5f4a6b8c7d9e0f1a2b3c4d_fhirUser"
INPUTS = {
    "name": "fhirUser",
    "dataType": "String",
    "targetObjects": ["User"],
    "isMultiValued": False,
}


class _Token:
    def __init__(self, token: str) -> None:
        self.token = token
        self.expires_on = int(time.time()) + 3600


class FakeCredential:
    """Hands out the token the fake Graph accepts and records the scopes asked for."""

    def __init__(self) -> None:
        self.scopes: list[str] = []

    def get_token(self, *scopes: str, **_: Any) -> _Token:
        self.scopes.extend(scopes)
        return _Token(TOKEN)


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def graph(ca: trustme.CA) -> Iterator[FakeGraph]:
    server = FakeGraph(ca).start()
    yield server
    server.stop()


@pytest.fixture
def waits() -> list[float]:
    return []


@pytest.fixture
def client(graph: FakeGraph, ca: trustme.CA, tmp_path: Path, waits: list[float]) -> GraphClient:
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    return GraphClient(FakeCredential(), base_url=graph.url, verify=str(bundle), sleep=waits.append)


@pytest.fixture
def app(graph: FakeGraph) -> str:
    return graph.add_application(APP_ID)


def _extension(client: GraphClient) -> ExtensionPropertyProvider:
    return ExtensionPropertyProvider(client=client)


# --- create, read, delete ------------------------------------------------------------------


def test_create_posts_the_extension_and_returns_its_graph_path(
    graph: FakeGraph, client: GraphClient, app: str
) -> None:
    result = _extension(client).create({"applicationObjectId": app, **INPUTS})
    (post,) = graph.requests("POST")
    assert post.path == f"/v1.0/applications/{app}/extensionProperties"
    assert post.body == INPUTS
    assert post.authorization == f"Bearer {TOKEN}"
    (created,) = graph.applications[app]["extensionProperties"].values()
    assert result.id == f"/applications/{app}/extensionProperties/{created['id']}"
    assert result.outs is not None
    assert result.outs["attributeName"] == ATTRIBUTE
    assert result.outs["name"] == "fhirUser"
    assert client.scope == "https://graph.microsoft.com/.default"


@pytest.mark.parametrize("answer", [(400, "Request_BadRequest"), (409, "Conflict")])
def test_create_adopts_an_existing_identical_extension(
    graph: FakeGraph, client: GraphClient, app: str, answer: tuple[int, str]
) -> None:
    graph.duplicate_answer = answer
    first = _extension(client).create({"applicationObjectId": app, **INPUTS})
    again = _extension(client).create({"applicationObjectId": app, **INPUTS})
    assert again.id == first.id
    assert len(graph.applications[app]["extensionProperties"]) == 1
    assert [s.method for s in graph.seen] == ["POST", "POST", "GET"]


def test_create_refuses_an_existing_extension_of_another_type(
    graph: FakeGraph, client: GraphClient, app: str
) -> None:
    _extension(client).create({"applicationObjectId": app, **INPUTS, "dataType": "Integer"})
    with pytest.raises(GraphError) as caught:
        _extension(client).create({"applicationObjectId": app, **INPUTS})
    message = str(caught.value)
    assert "\n" not in message
    assert ATTRIBUTE in message and "dataType" in message and "409" in message


def test_a_bad_request_that_is_not_a_duplicate_is_reported(
    graph: FakeGraph, client: GraphClient, app: str
) -> None:
    graph.script.append(
        Canned(
            "POST",
            "/v1.0/applications",
            400,
            body={"error": {"code": "Request_BadRequest", "message": "Invalid value: dataType"}},
        )
    )
    with pytest.raises(GraphError, match=r"400 Request_BadRequest: Invalid value: dataType"):
        _extension(client).create({"applicationObjectId": app, **INPUTS})


def test_read_returns_inputs_for_an_import_by_id(
    graph: FakeGraph, client: GraphClient, app: str
) -> None:
    created = _extension(client).create({"applicationObjectId": app, **INPUTS})
    # An import hands read the id alone.
    result = _extension(client).read(created.id, {})
    assert result.id == created.id
    assert result.inputs == {"applicationObjectId": app, **INPUTS}
    assert result.outs is not None and result.outs["attributeName"] == ATTRIBUTE


def test_read_of_a_deleted_extension_reports_it_gone(
    graph: FakeGraph, client: GraphClient, app: str
) -> None:
    created = _extension(client).create({"applicationObjectId": app, **INPUTS})
    graph.applications[app]["extensionProperties"].clear()
    assert _extension(client).read(created.id, {}).id is None


def test_delete_removes_it_and_tolerates_one_already_gone(
    graph: FakeGraph, client: GraphClient, app: str
) -> None:
    created = _extension(client).create({"applicationObjectId": app, **INPUTS})
    _extension(client).delete(created.id, {})
    assert graph.applications[app]["extensionProperties"] == {}
    _extension(client).delete(created.id, {})  # 404: already gone, no error
    assert [s.method for s in graph.requests("DELETE")] == ["DELETE", "DELETE"]


def test_an_id_of_another_form_is_refused_clearly(client: GraphClient) -> None:
    with pytest.raises(ValueError, match=r"/applications/<application objectId>"):
        _extension(client).read("fhirUser", {})


# --- throttling and errors -------------------------------------------------------------------


def test_throttled_requests_wait_for_retry_after_and_succeed(
    graph: FakeGraph, client: GraphClient, app: str, waits: list[float]
) -> None:
    busy = {"error": {"code": "TooManyRequests", "message": "throttled"}}
    graph.script += [
        Canned("POST", "/v1.0/applications", 429, {"Retry-After": "7"}, busy),
        Canned("POST", "/v1.0/applications", 503, {}, busy),
    ]
    _extension(client).create({"applicationObjectId": app, **INPUTS})
    assert waits == [7.0, 2.0]  # Retry-After, then the backoff of the second attempt
    assert len(graph.requests("POST")) == 3
    assert len(graph.applications[app]["extensionProperties"]) == 1


def test_throttling_that_does_not_end_fails_after_five_attempts(
    graph: FakeGraph, client: GraphClient, app: str, waits: list[float]
) -> None:
    busy = {"error": {"code": "TooManyRequests", "message": "throttled"}}
    graph.script += [
        Canned("POST", "/v1.0/applications", 429, {"Retry-After": "3600"}, busy) for _ in range(9)
    ]
    with pytest.raises(GraphError) as caught:
        _extension(client).create({"applicationObjectId": app, **INPUTS})
    assert len(graph.requests("POST")) == 5
    assert waits == [60.0] * 4  # an hour's Retry-After is cut to a minute
    assert "429 TooManyRequests: throttled (still 429 after 5 attempts)" in str(caught.value)


def test_retry_after_as_an_http_date(
    graph: FakeGraph, client: GraphClient, app: str, waits: list[float]
) -> None:
    later = email.utils.formatdate(time.time() + 30, usegmt=True)
    graph.script.append(Canned("GET", "/v1.0/applications", 429, {"Retry-After": later}))
    created = _extension(client).create({"applicationObjectId": app, **INPUTS})
    _extension(client).read(created.id, {})
    assert len(waits) == 1 and 25.0 <= waits[0] <= 30.0


def test_forbidden_is_one_line_without_retry_or_token(
    graph: FakeGraph, client: GraphClient, app: str, waits: list[float]
) -> None:
    denied = {
        "error": {
            "code": "Authorization_RequestDenied",
            "message": "Insufficient privileges to complete the operation.",
        }
    }
    graph.script.append(Canned("POST", "/v1.0/applications", 403, body=denied))
    with pytest.raises(GraphError) as caught:
        _extension(client).create({"applicationObjectId": app, **INPUTS})
    message = str(caught.value)
    assert message == (
        f"Microsoft Graph POST /applications/{app}/extensionProperties: 403 "
        "Authorization_RequestDenied: Insufficient privileges to complete the operation."
    )
    assert TOKEN not in message and waits == []
    assert len(graph.requests("POST")) == 1


def test_graph_errors_are_escaped(graph: FakeGraph, client: GraphClient, app: str) -> None:
    hostile = {"error": {"code": "x\nInjected", "message": "line\u202eone\nline two"}}
    graph.script.append(Canned("POST", "/v1.0/applications", 400, body=hostile))
    with pytest.raises(GraphError) as caught:
        _extension(client).create({"applicationObjectId": app, **INPUTS})
    message = str(caught.value)
    assert "\n" not in message and "\u202e" not in message
    assert "x\\nInjected" in message


def test_the_client_refuses_a_base_url_in_clear_text() -> None:
    with pytest.raises(ValueError, match="must be https"):
        GraphClient(FakeCredential(), base_url="http://graph.example/v1.0")


# --- diff and check ------------------------------------------------------------------------


def test_every_input_change_replaces_the_extension_deleting_it_first() -> None:
    provider = ExtensionPropertyProvider()
    old = {"applicationObjectId": "a", **INPUTS, "extensionPropertyId": "x"}
    same = provider.diff("id", old, {"applicationObjectId": "a", **INPUTS})
    assert same.changes is False and same.replaces == []
    renamed = provider.diff("id", old, {"applicationObjectId": "a", **INPUTS, "name": "npi"})
    assert (renamed.changes, renamed.replaces, renamed.delete_before_replace) == (
        True,
        ["name"],
        True,
    )


def test_check_names_each_bad_input() -> None:
    result = ExtensionPropertyProvider().check(
        {}, {"applicationObjectId": "", "name": "fhir-user", "dataType": "Text"}
    )
    assert sorted(f.property for f in result.failures) == [
        "applicationObjectId",
        "dataType",
        "name",
        "targetObjects",
    ]


# --- users' values -------------------------------------------------------------------------


def test_user_value_is_written_read_updated_and_cleared(
    graph: FakeGraph, client: GraphClient
) -> None:
    user = graph.add_user()
    provider = UserExtensionValueProvider(client=client)
    value = "https://ws-fhir.fhir.azurehealthcareapis.com/Patient/PatientA"
    props = {"userId": user, "attribute": ATTRIBUTE, "value": value}
    created = provider.create(props)
    assert created.id == f"/users/{user}/{ATTRIBUTE}"
    assert graph.users[user][ATTRIBUTE] == value
    (patch,) = graph.requests("PATCH")
    assert (patch.path, patch.body) == (f"/v1.0/users/{user}", {ATTRIBUTE: value})
    read = provider.read(created.id, {})
    assert read.outs == props and read.inputs == props
    moved = {**props, "value": value.replace("Patient/PatientA", "Practitioner/P1")}
    diff = provider.diff(created.id, props, moved)
    assert (diff.changes, diff.replaces) == (True, [])
    provider.update(created.id, props, moved)
    assert graph.users[user][ATTRIBUTE].endswith("/Practitioner/P1")
    provider.delete(created.id, moved)
    assert ATTRIBUTE not in graph.users[user]
    assert provider.read(created.id, {}).id is None


def test_user_value_of_a_deleted_user(graph: FakeGraph, client: GraphClient) -> None:
    provider = UserExtensionValueProvider(client=client)
    gone = f"/users/{'1' * 8}-1111-4111-8111-{'1' * 12}/{ATTRIBUTE}"
    assert provider.read(gone, {}).id is None
    provider.delete(gone, {})  # nothing to clear: no error


def test_a_changed_user_replaces_the_value() -> None:
    provider = UserExtensionValueProvider()
    old = {"userId": "u1", "attribute": ATTRIBUTE, "value": "Patient/1"}
    assert provider.diff("id", old, {**old, "userId": "u2"}).replaces == ["userId"]


# --- what Pulumi stores, and the deploying identity ----------------------------------------


def test_the_pickled_provider_holds_no_client_and_no_token(client: GraphClient) -> None:
    provider = ExtensionPropertyProvider(client=client)
    provider._config = {"azuread:tenantId": "t"}
    blob = dill.dumps(provider, protocol=pickle.DEFAULT_PROTOCOL, recurse=True)
    assert TOKEN.encode() not in blob and b"FakeCredential" not in blob
    assert b"components.extension_property" in blob  # the class by reference
    restored = dill.loads(base64.b64decode(base64.b64encode(blob)))
    assert restored.base_url == "https://graph.microsoft.com/v1.0"
    assert restored._client is None and restored._config == {}


@pytest.mark.parametrize(
    ("env", "kind"),
    [
        ({}, "cli"),
        ({"ARM_TENANT_ID": "t", "ARM_CLIENT_ID": "c", "ARM_CLIENT_SECRET": "s"}, "secret"),
        ({"ARM_TENANT_ID": "t", "ARM_CLIENT_ID": "c", "ARM_USE_OIDC": "true"}, "oidc"),
        ({"ARM_CLIENT_ID": "c", "ARM_USE_MSI": "true"}, "msi"),
        ({"ARM_TENANT_ID": "t", "ARM_CLIENT_ID": "c", "ARM_CLIENT_CERTIFICATE_PATH": "p"},
         "certificate"),
        ({"ARM_TENANT_ID": "t", "ARM_USE_OIDC": "true"}, "cli"),  # OIDC needs a client id
    ],
)  # fmt: skip
def test_sign_in_follows_the_azuread_provider_variables(env: dict[str, str], kind: str) -> None:
    assert credential_settings(env).kind == kind


def test_stack_settings_count_when_variables_are_absent() -> None:
    settings = credential_settings({}, {"azuread:tenantId": "t", "azuread:clientId": "c",
                                        "azuread:useOidc": True})  # fmt: skip
    assert (settings.kind, settings.tenant_id, settings.client_id) == ("oidc", "t", "c")


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"ARM_TENANT_ID": "11111111-1111-4111-8111-111111111111"}, identity.AzureCliCredential),
        (
            {
                "ARM_TENANT_ID": "11111111-1111-4111-8111-111111111111",
                "ARM_CLIENT_ID": "22222222-2222-4222-8222-222222222222",
                "ARM_CLIENT_SECRET": "not-a-real-secret",
            },
            identity.ClientSecretCredential,
        ),
        (
            {
                "ARM_TENANT_ID": "11111111-1111-4111-8111-111111111111",
                "ARM_CLIENT_ID": "22222222-2222-4222-8222-222222222222",
                "ARM_USE_OIDC": "true",
                "ARM_OIDC_TOKEN": "header.payload.signature",
            },
            identity.ClientAssertionCredential,
        ),
    ],
)
def test_the_credential_is_azure_identity_s(env: dict[str, str], expected: type) -> None:
    assert isinstance(deployer_credential(env), expected)


def test_a_value_s_attribute_may_be_unknown_at_the_first_preview() -> None:
    from pulumi.runtime import rpc

    provider = UserExtensionValueProvider()
    props = {"userId": "u1", "attribute": rpc.UNKNOWN, "value": "https://f/Patient/1"}
    assert provider.check({}, props).failures == []
    (failure,) = provider.check({}, {**props, "attribute": "fhirUser"}).failures
    assert failure.property == "attribute"
    assert provider.check({}, {**props, "attribute": ATTRIBUTE}).failures == []
