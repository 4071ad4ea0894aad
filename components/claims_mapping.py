"""The fhirUser claim: who a signed-in user is in FHIR, in their access and ID tokens.

The FHIR service's SMART logic limits a user with the FHIR SMART User role to their own
compartment, which it reads from the `fhirUser` claim of the access token (Microsoft Learn,
"SMART on FHIR"; microsoft/fhir-server SmartClinicalScopesMiddleware refuses patient and user
scopes without it: ErrorOnMissingFhirUserClaim defaults to true). Entra puts a directory
attribute into a token only through a claims mapping policy, so this component builds, as
Microsoft's SMART sample does by hand (docs/ad-apps/set-fhir-user-mapping.md):

- `<name>-extension`: the `fhirUser` directory extension property on the SMART resource app
  (Graph, through a dynamic provider: the azuread provider has no resource for it);
- `<name>-policy`: a claims mapping policy that emits the user's
  `extension_<appId>_fhirUser` as the JWT claim `fhirUser`;
- `<name>-assignment-<key>`: the policy assigned to the resource app's service principal (access
  tokens for the FHIR service) and to each SMART client's (their ID tokens). The applications
  accept mapped claims (`api.mappedClaimsEnabled`); the resource app's audience is therefore on a
  verified domain (AADSTS501461);
- `<name>-user-<objectId>`: each configured user's value (`fhirServer.fhirUsers`), through Graph.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_azuread as azuread

from components.extension_property import ExtensionProperty, UserExtensionValue
from fhir_apps.fhir_constants import FHIR_USER_CLAIM, FHIR_USER_EXTENSION, RESOURCE_APP_KEY
from fhir_apps.rules.smart import extension_attribute, fhir_user_value
from fhir_apps.spec.model import FhirUser

__all__ = ["FhirUserClaims", "FhirUserClaimsArgs", "claims_mapping_definition"]

TYPE = "fhir-apps:claims_mapping:FhirUserClaims"


def claims_mapping_definition(attribute: str) -> str:
    """The policy: the basic claim set, plus the user's directory extension `attribute` as the
    JWT claim fhirUser (Microsoft Learn, "Claims mapping policy type": Source user, ExtensionID)."""
    return json.dumps(
        {
            "ClaimsMappingPolicy": {
                "Version": 1,
                "IncludeBasicClaimSet": "true",
                "ClaimsSchema": [
                    {"Source": "user", "ExtensionID": attribute, "JwtClaimType": FHIR_USER_CLAIM}
                ],
            }
        },
        sort_keys=True,
    )


@dataclass(frozen=True, kw_only=True)
class FhirUserClaimsArgs:
    """Inputs of FhirUserClaims.

    application_object_id, application_client_id: the SMART resource app (the extension lives
        on it and is named after its appId).
    resource_service_principal_id: its service principal (access tokens for the FHIR service).
    client_service_principal_ids: `{client key: service principal id}` of the SMART clients
        (their ID tokens).
    fhir_users: `fhirServer.fhirUsers`; service_url: the FHIR service URL a relative value
        (`Patient/<id>`) is joined to.
    display_name: the policy's display name.
    protect: Pulumi `protect` on the extension (deleting it deletes every user's value), the
        policy and its assignments.
    """

    application_object_id: pulumi.Input[str]
    application_client_id: pulumi.Output[str]
    resource_service_principal_id: pulumi.Input[str]
    client_service_principal_ids: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    fhir_users: tuple[FhirUser, ...] = ()
    service_url: str
    display_name: str
    protect: bool = False


class FhirUserClaims(pulumi.ComponentResource):
    """The fhirUser extension, its claims mapping policy and assignments, and users' values.

    Outputs:
        attribute_name: `extension_<appId without dashes>_fhirUser`.
        policy_id: the claims mapping policy's id.
    """

    attribute_name: pulumi.Output[str]
    policy_id: pulumi.Output[str]

    def __init__(
        self, name: str, args: FhirUserClaimsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(TYPE, name, None, opts)
        extension = ExtensionProperty(
            f"{name}-extension",
            application_object_id=args.application_object_id,
            property_name=FHIR_USER_EXTENSION,
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        self.attribute_name = args.application_client_id.apply(
            lambda app_id: extension_attribute(app_id, FHIR_USER_EXTENSION)
        )
        policy = azuread.ClaimsMappingPolicy(
            f"{name}-policy",
            azuread.ClaimsMappingPolicyArgs(
                display_name=args.display_name,
                definitions=[self.attribute_name.apply(claims_mapping_definition)],
            ),
            # The policy names the extension: it must exist before the policy is used.
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect, depends_on=[extension]),
        )
        # The resource app's assignment is named after its component, like every resource of it.
        principals = {RESOURCE_APP_KEY: args.resource_service_principal_id}
        principals.update(sorted(args.client_service_principal_ids.items()))
        for key, principal in principals.items():
            azuread.ServicePrincipalClaimsMappingPolicyAssignment(
                f"{name}-assignment-{key}",
                azuread.ServicePrincipalClaimsMappingPolicyAssignmentArgs(
                    claims_mapping_policy_id=policy.id, service_principal_id=principal
                ),
                opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
            )
        for user in sorted(args.fhir_users, key=lambda u: str(u.user_id)):
            UserExtensionValue(
                f"{name}-user-{user.user_id}",
                user_id=str(user.user_id),
                attribute=self.attribute_name,
                value=fhir_user_value(args.service_url, user.fhir_user),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[extension]),
            )
        self.policy_id = policy.id
        self.register_outputs({"attribute_name": self.attribute_name, "policy_id": self.policy_id})
