"""The flat baseline: the same resources as the real program, with none of its machinery.

It registers, with the same SDK, the same resources (types, names, parents, inputs) and exports
the same stack outputs as `__main__.py` does for a config made by `benchmarks.configs`, from a
plan of precomputed plain values (`<configDir>/plan.json`): no spec, no validation, no
components (the component resources are plain `pulumi.ComponentResource`s of the same type, so
the URNs and parents match). What `render` costs beyond this is the program's own overhead.
"""

import json
from pathlib import Path

import pulumi
import pulumi_azuread as azuread

plan = json.loads(
    (Path(pulumi.Config("fhir-apps").require("configDir")) / "plan.json").read_text("utf-8")
)
config = azuread.get_client_config_output()
tenant = config.tenant_id


def _with_deployer(group: list[str]) -> pulumi.Output[list[str]]:
    return config.object_id.apply(lambda me: sorted({*group, me}))


owner_sets = [_with_deployer(group) for group in plan["owner_sets"]]
authority = tenant.apply(lambda t: f"https://login.microsoftonline.com/{t}")
token_endpoint = tenant.apply(lambda t: f"https://login.microsoftonline.com/{t}/oauth2/v2.0/token")
no_implicit_grant = azuread.ApplicationWebImplicitGrantArgs(
    access_token_issuance_enabled=False, id_token_issuance_enabled=False
)

server = plan["server"]
server_component = pulumi.ComponentResource(
    "fhir-apps:fhir_resource_app:FhirResourceApp", "fhir-server"
)
server_app = azuread.Application(
    "fhir-server-app",
    display_name=server["display_name"],
    sign_in_audience="AzureADMyOrg",
    identifier_uris=[server["audience"]],
    api=azuread.ApplicationApiArgs(
        requested_access_token_version=1,
        oauth2_permission_scopes=[
            azuread.ApplicationApiOauth2PermissionScopeArgs(**s) for s in server["scopes"]
        ],
    ),
    app_roles=[azuread.ApplicationAppRoleArgs(**r) for r in server["roles"]],
    web=azuread.ApplicationWebArgs(implicit_grant=no_implicit_grant),
    owners=owner_sets[server["owners"]],
    prevent_duplicate_names=True,
    opts=pulumi.ResourceOptions(parent=server_component, delete_before_replace=True),
)
server_sp = azuread.ServicePrincipal(
    "fhir-server-sp",
    client_id=server_app.client_id,
    app_role_assignment_required=True,
    owners=owner_sets[server["owners"]],
    opts=pulumi.ResourceOptions(parent=server_component),
)

TYPES = {
    "confidential": "fhir-apps:confidential_client:ConfidentialClient",
    "public": "fhir-apps:public_client:PublicClient",
    "service": "fhir-apps:service_client:ServiceClient",
}
client_outputs = {}
secrets: dict[str, pulumi.Output[str]] = {}
for client in plan["clients"]:
    key = client["key"]
    component = pulumi.ComponentResource(TYPES[client["kind"]], key)
    owners = owner_sets[client["owners"]]
    app = azuread.Application(
        f"{key}-app",
        display_name=client["display_name"],
        sign_in_audience="AzureADMyOrg",
        owners=owners,
        prevent_duplicate_names=True,
        fallback_public_client_enabled=client["fallback"],
        web=azuread.ApplicationWebArgs(
            redirect_uris=client["web"],
            homepage_url=client["homepage_url"],
            implicit_grant=no_implicit_grant,
        ),
        single_page_application=azuread.ApplicationSinglePageApplicationArgs(
            redirect_uris=client["spa"]
        ),
        public_client=azuread.ApplicationPublicClientArgs(redirect_uris=client["public"]),
        required_resource_accesses=[
            azuread.ApplicationRequiredResourceAccessArgs(
                resource_app_id=server_app.client_id,
                resource_accesses=[
                    azuread.ApplicationRequiredResourceAccessResourceAccessArgs(**access)
                    for access in client["accesses"]
                ],
            )
        ],
        opts=pulumi.ResourceOptions(parent=component, delete_before_replace=True),
    )
    sp = azuread.ServicePrincipal(
        f"{key}-sp",
        client_id=app.client_id,
        owners=owners,
        opts=pulumi.ResourceOptions(parent=component),
    )
    if client["consent"]:
        azuread.ServicePrincipalDelegatedPermissionGrant(
            f"{key}-consent",
            service_principal_object_id=sp.object_id,
            resource_service_principal_object_id=server_sp.object_id,
            claim_values=client["consent"],
            opts=pulumi.ResourceOptions(parent=component),
        )
    for role in client["roles"]:
        azuread.AppRoleAssignment(
            f"{key}-role-{role['value']}",
            app_role_id=role["id"],
            principal_object_id=sp.object_id,
            resource_object_id=server_sp.object_id,
            opts=pulumi.ResourceOptions(parent=component),
        )
    outputs = {
        "kind": client["kind"],
        "clientId": app.client_id,
        "tenantId": tenant,
        "authority": authority,
        "tokenEndpoint": token_endpoint,
        "scope": client["scope"],
        "redirectUris": client["redirect_uris"],
        "credentialType": None,
    }
    credential = client["credential"]
    if credential is not None:
        outputs["credentialType"] = credential["type"]
        holder = pulumi.ComponentResource(
            "fhir-apps:credentials:ClientCredential",
            f"{key}-credential",
            opts=pulumi.ResourceOptions(parent=component),
        )
        child = pulumi.ResourceOptions(parent=holder)
        if credential["type"] == "secret":
            for slot in credential["slots"]:
                password = azuread.ApplicationPassword(
                    f"{key}-credential-secret-{slot['slot']}",
                    application_id=app.id,
                    display_name=slot["display_name"],
                    end_date=slot["end_date"],
                    rotate_when_changed=slot["keepers"],
                    opts=child,
                )
                if slot["slot"] == credential["current"]:
                    secrets[key] = pulumi.Output.secret(password.value)
            outputs["secretExpiresOn"] = credential["expires_on"]
        elif credential["type"] == "certificate":
            azuread.ApplicationCertificate(
                f"{key}-credential-certificate",
                application_id=app.id,
                value=credential["pem"],
                encoding="pem",
                type="AsymmetricX509Cert",
                start_date=credential["start_date"],
                end_date=credential["end_date"],
                key_id=credential["key_id"],
                opts=child,
            )
        else:
            for item in credential["items"]:
                azuread.ApplicationFederatedIdentityCredential(
                    f"{key}-credential-federated-{item['slug']}",
                    application_id=app.id,
                    display_name=item["slug"],
                    description=item["description"],
                    issuer=item["issuer"],
                    subject=item["subject"],
                    audiences=item["audiences"],
                    opts=child,
                )
    client_outputs[key] = outputs

assignments = pulumi.ComponentResource("fhir-apps:role_assignments:RoleAssignments", "assignments")
for assignment in plan["assignments"]:
    azuread.AppRoleAssignment(
        f"assignments-{assignment['principal']}-{assignment['role']}",
        app_role_id=assignment["role_id"],
        principal_object_id=assignment["principal"],
        resource_object_id=server_sp.object_id,
        opts=pulumi.ResourceOptions(parent=assignments),
    )

pulumi.export("tenantId", tenant)
pulumi.export(
    "server",
    {
        "kind": "oss",
        "audience": server["audience"],
        "authority": authority,
        "clientId": server_app.client_id,
        "servicePrincipalObjectId": server_sp.object_id,
        "scopeIds": server["scope_ids"],
        "roleIds": server["role_ids"],
    },
)
pulumi.export("clients", client_outputs)
pulumi.export("clientSecrets", pulumi.Output.secret(secrets))
