"""components.stack.build: the whole set of components for one spec, and its outputs."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

import components
from components.stack import build, check_stack_settings
from fhir_apps.fhir_constants import RESOURCE_APP_KEY
from fhir_apps.ids import derived_id
from tests.component_helpers import (
    FEDERATED,
    GROUP,
    PASSWORD,
    ROLE_ASSIGNMENT,
    ahds_server,
    make_spec,
    run_build,
    urn_msg,
)

AUDIENCE = "https://fhir-dev.contoso.com"
USER = "55555555-5555-4555-8555-555555555555"

MAXIMAL: dict[str, Any] = {
    "web": {
        "kind": "confidential",
        "redirectUris": ["https://web.contoso.com/cb"],
        "scopes": ["user_impersonation"],
        "adminConsent": True,
        "credential": {"type": "secret", "rotationDays": 30},
    },
    "web2": {
        "kind": "confidential",
        "redirectUris": ["https://web2.contoso.com/cb"],
        "credential": {"type": "secret", "rotationDays": 60},
    },
    "spa": {"kind": "public", "platform": "spa", "redirectUris": ["https://spa.contoso.com/"]},
    "daemon": {
        "kind": "service",
        "roles": ["globalReader"],
        "credential": {"type": "federated", "issuer": "https://i", "subjects": ["a", "b", "c"]},
    },
}
ASSIGNMENTS = [
    {"principalId": GROUP, "principalType": "Group", "roles": ["globalReader", "globalWriter"]},
    {"principalId": USER, "principalType": "User", "roles": ["globalAdmin"]},
]


@pytest.fixture(scope="module")
def maximal() -> Any:
    return run_build(make_spec(clients=MAXIMAL, assignments=ASSIGNMENTS))


def test_logical_names_and_urns_are_unique(maximal: Any) -> None:
    assert maximal.duplicates == []
    names = Counter(r.name for r in maximal.resources.values())
    assert [name for name, count in names.items() if count > 1] == []


STACK_T = "pulumi:pulumi:Stack"
RESOURCE_APP_T = "fhir-apps:fhir_resource_app:FhirResourceApp"
CONFIDENTIAL_T = "fhir-apps:confidential_client:ConfidentialClient"
PUBLIC_T = "fhir-apps:public_client:PublicClient"
SERVICE_T = "fhir-apps:service_client:ServiceClient"
CREDENTIAL_T = "fhir-apps:credentials:ClientCredential"
ASSIGNMENTS_T = "fhir-apps:role_assignments:RoleAssignments"
# Every resource of the maximal stack: logical name -> (its type, its parent's type).
# A child that loses its component parent (and lands under the stack) or moves to another
# component fails here.
EXPECTED_PARENTS: dict[str, tuple[str, str]] = {
    "fhir-server": (RESOURCE_APP_T, STACK_T),
    "fhir-server-app": ("azuread:index/application:Application", RESOURCE_APP_T),
    "fhir-server-sp": ("azuread:index/servicePrincipal:ServicePrincipal", RESOURCE_APP_T),
    **{
        name: type_and_parent
        for key, kind_t in (("web", CONFIDENTIAL_T), ("web2", CONFIDENTIAL_T),
                            ("spa", PUBLIC_T), ("daemon", SERVICE_T))
        for name, type_and_parent in {
            key: (kind_t, STACK_T),
            f"{key}-app": ("azuread:index/application:Application", kind_t),
            f"{key}-sp": ("azuread:index/servicePrincipal:ServicePrincipal", kind_t),
        }.items()
    },
    "web-consent": (
        "azuread:index/servicePrincipalDelegatedPermissionGrant:"
        "ServicePrincipalDelegatedPermissionGrant",
        CONFIDENTIAL_T,
    ),
    **{
        name: type_and_parent
        for key, kind_t in (("web", CONFIDENTIAL_T), ("web2", CONFIDENTIAL_T))
        for name, type_and_parent in {
            f"{key}-credential": (CREDENTIAL_T, kind_t),
            f"{key}-credential-secret-a": (PASSWORD, CREDENTIAL_T),
            f"{key}-credential-secret-b": (PASSWORD, CREDENTIAL_T),
        }.items()
    },
    "daemon-credential": (CREDENTIAL_T, SERVICE_T),
    "daemon-credential-federated-a-ca978112": (FEDERATED, CREDENTIAL_T),
    "daemon-credential-federated-b-3e23e816": (FEDERATED, CREDENTIAL_T),
    "daemon-credential-federated-c-2e7d2c03": (FEDERATED, CREDENTIAL_T),
    "daemon-role-globalReader": (ROLE_ASSIGNMENT, SERVICE_T),
    "assignments": (ASSIGNMENTS_T, STACK_T),
    f"assignments-{GROUP}-globalReader": (ROLE_ASSIGNMENT, ASSIGNMENTS_T),
    f"assignments-{GROUP}-globalWriter": (ROLE_ASSIGNMENT, ASSIGNMENTS_T),
    f"assignments-{USER}-globalAdmin": (ROLE_ASSIGNMENT, ASSIGNMENTS_T),
}  # fmt: skip


def test_every_resource_has_its_expected_type_and_parent(maximal: Any) -> None:
    by_urn = maximal.resources
    (stack,) = [r for r in by_urn.values() if r.type == STACK_T]
    assert stack.parent is None, urn_msg(stack)
    found = {r.name: (r.type, by_urn[r.parent].type) for r in by_urn.values() if r is not stack}
    assert found == EXPECTED_PARENTS


def test_children_are_named_after_their_component(maximal: Any) -> None:
    by_urn = maximal.resources
    children = [r for r in by_urn.values() if r.parent and by_urn[r.parent].type != STACK_T]
    # Every child the table lists (the components themselves hang from the stack).
    assert sorted(r.name for r in children) == sorted(
        name for name, (_, parent) in EXPECTED_PARENTS.items() if parent != STACK_T
    )
    for resource in children:
        parent = by_urn[resource.parent]
        assert resource.name.startswith(f"{parent.name}-"), urn_msg(resource)


def test_only_the_current_secrets_leave_the_program_and_only_as_secrets(maximal: Any) -> None:
    assert maximal.outputs["clientSecrets"] == "[secret]"
    secrets = maximal.raw_outputs["clientSecrets"]["value"]
    assert sorted(secrets) == ["web", "web2"]
    assert all(value.startswith("MOCKSECRET-") for value in secrets.values())
    # Nothing else (inputs, other outputs) carries a secret value.
    assert "MOCKSECRET-" not in maximal.text()
    for key in ("web", "web2"):
        assert "clientSecret" not in maximal.outputs["clients"][key]


def test_people_and_groups_get_app_role_assignments(maximal: Any) -> None:
    assignments = {
        r.name: r for r in maximal.of_type(ROLE_ASSIGNMENT).values() if r.name.startswith("assign")
    }
    expected = {
        f"assignments-{GROUP}-globalReader": (GROUP, "globalReader"),
        f"assignments-{GROUP}-globalWriter": (GROUP, "globalWriter"),
        f"assignments-{USER}-globalAdmin": (USER, "globalAdmin"),
    }
    assert sorted(assignments) == sorted(expected)
    for name, (principal, role) in expected.items():
        assignment = assignments[name]
        assert assignment.inputs == {
            "appRoleId": derived_id("role", role),
            "principalObjectId": principal,
            "resourceObjectId": "<objectId of fhir-server-sp>",
        }, urn_msg(assignment)


def test_reordering_assignments_changes_nothing() -> None:
    first = run_build(make_spec(assignments=ASSIGNMENTS))
    second = run_build(make_spec(assignments=list(reversed(ASSIGNMENTS))))
    assert {u: r.inputs for u, r in first.resources.items()} == {
        u: r.inputs for u, r in second.resources.items()
    }


def test_assignment_import_ids_land_on_their_principal_and_role() -> None:
    import_id = "/servicePrincipals/res/appRoleAssignedTo/grp-reader"
    assignments = [
        {"principalId": USER, "principalType": "User", "roles": ["globalAdmin"]},
        {
            "principalId": GROUP,
            "principalType": "Group",
            "roles": ["globalReader", "globalWriter"],
            "importIds": {"globalReader": import_id},
        },
    ]
    run = run_build(make_spec(assignments=assignments))
    imported = {r.name: r.import_id for r in run.of_type(ROLE_ASSIGNMENT).values() if r.import_id}
    assert imported == {f"assignments-{GROUP}-globalReader": import_id}
    assert len(run.of_type(ROLE_ASSIGNMENT)) == 3


def test_an_assignment_to_an_undefined_role_fails_clearly() -> None:
    bad = [{"principalId": GROUP, "principalType": "Group", "roles": ["globalNothing"]}]
    with pytest.raises(
        Exception,
        match=r"^assignments: role 'globalNothing' is not defined by fhirServer\.appRoles; ",
    ):
        run_build(make_spec(assignments=bad))


def test_managed_kinds_without_a_service_scope_say_rbac_is_not_applied(caplog: Any) -> None:
    # The config rules demand fhirServer.resourceId here; a hand-made spec still gets no silent
    # gap: nothing is assigned, and the run says which keys were not applied.
    clients = {"daemon": {**MAXIMAL["daemon"], "roles": ["FHIR Data Reader"]}}
    assignments = [{**ASSIGNMENTS[0], "roles": ["FHIR Data Reader"]}]
    run = run_build(make_spec(fhirServer=ahds_server(), assignments=assignments, clients=clients))
    assert run.of_type(ROLE_ASSIGNMENT) == {}
    assert not [r for r in run.resources.values() if r.type.startswith("azure-native")]
    assert (
        "assignments[0], clients.daemon.roles: not applied for kind 'ahds': no FHIR service "
        "scope; set fhirServer.resourceId (or fhirServer.deploy)"
    ) in caplog.text


def test_two_runs_are_identical(maximal: Any) -> None:
    again = run_build(make_spec(clients=MAXIMAL, assignments=ASSIGNMENTS))
    assert again.text() == maximal.text()


def test_the_server_name_is_reserved() -> None:
    clients = {RESOURCE_APP_KEY: MAXIMAL["spa"]}
    message = (
        r"^clients\.fhir-server: client key 'fhir-server' is reserved for the FHIR resource app$"
    )
    with pytest.raises(ValueError, match=message):
        run_build(make_spec(clients=clients))


def test_stack_settings_must_match_the_yaml() -> None:
    spec = make_spec(tenant={"id": "33333333-3333-4333-8333-333333333333"})
    check_stack_settings(spec)
    check_stack_settings(
        spec, server_url=AUDIENCE, provider_tenant_id="33333333-3333-4333-8333-333333333333"
    )
    with pytest.raises(ValueError, match=r"^fhir-apps:serverUrl is 'https://other' but"):
        check_stack_settings(spec, server_url="https://other")
    with pytest.raises(ValueError, match=r"^azuread:tenantId is 'x' but tenant.id"):
        check_stack_settings(spec, provider_tenant_id="x")


def test_public_surface() -> None:
    assert components.__all__ == sorted(components.__all__)
    assert set(components.__all__) == {
        "ClientCredential",
        "ClientCredentialArgs",
        "ConfidentialClient",
        "ConfidentialClientArgs",
        "CredentialContext",
        "FhirRbac",
        "FhirRbacArgs",
        "FhirResourceApp",
        "FhirResourceAppArgs",
        "FhirService",
        "FhirServiceArgs",
        "KeyVaultSecrets",
        "KeyVaultSecretsArgs",
        "PublicClient",
        "PublicClientArgs",
        "RbacGrant",
        "RoleAssignments",
        "RoleAssignmentsArgs",
        "ServiceClient",
        "ServiceClientArgs",
        "VaultSecret",
        "build",
    }
    assert components.build is build
    for name in components.__all__:
        assert getattr(components, name) is not None


def test_args_types_are_frozen_keyword_only_dataclasses() -> None:
    import dataclasses

    for name in components.__all__:
        if name.endswith("Args") or name in ("CredentialContext", "RbacGrant", "VaultSecret"):
            params = getattr(components, name).__dataclass_params__
            assert params.frozen, name
            fields = dataclasses.fields(getattr(components, name))
            assert all(f.kw_only for f in fields), name
