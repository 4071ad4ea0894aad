"""Directory extension properties and users' values of them, through Microsoft Graph.

The SMART resource app needs a `fhirUser` directory extension property (Graph
`POST /applications/{id}/extensionProperties`) that holds each user's FHIR identity, and users
need their value written (`PATCH /users/{id}`); the azuread provider has resources for neither.
Microsoft's SMART sample does both with PowerShell scripts run by hand
(`Create-FhirUserDirectoryExtension.ps1`, `Add-FhirUserInfoToUser.ps1`); here they are two
Pulumi dynamic providers, so `pulumi up` creates, reads (refresh, import) and deletes them with
the deploying identity (`components.graph.deployer_credential`).

- `ExtensionProperty`: create is idempotent (an extension of the same name that exists already
  is adopted, e.g. after a lost state or one made by the sample's script); read reports a
  deleted one as gone; delete tolerates one already gone; every input change replaces it (Graph
  cannot update an extension property), the old one deleted first (the name is unique on the
  app). Import by id: `/applications/<app objectId>/extensionProperties/<id>`.
- `UserExtensionValue`: a user's value of an extension property; a changed value updates in
  place, delete clears it. Id: `/users/<user objectId>/<attribute>`.

Pulumi pickles a provider instance into the state (`__provider`, kept secret by the SDK): these
classes live in an importable module, so what is stored is a reference to the class plus the
instance's few plain settings, never a client, a credential or a token.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

import pulumi
from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    ConfigureRequest,
    CreateResult,
    DiffResult,
    ReadResult,
    Resource,
    ResourceProvider,
    UpdateResult,
)
from pulumi.runtime import rpc

from components.graph import GRAPH_SCOPE, GRAPH_URL, GraphClient, GraphError, deployer_credential
from fhir_apps.safeio.text import shown

__all__ = [
    "EXTENSION_PROPERTY_INPUTS",
    "ExtensionProperty",
    "ExtensionPropertyProvider",
    "GraphProvider",
    "UserExtensionValue",
    "UserExtensionValueProvider",
]

# Graph's rules for an extension property: a name of letters and digits (Graph prefixes it with
# extension_<appId>_), one of these data types, one or more of these target object types.
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9]{0,63}")
DATA_TYPES: Final = ("Binary", "Boolean", "DateTime", "Integer", "LargeInteger", "String")
TARGET_OBJECTS: Final = (
    "AdministrativeUnit",
    "Application",
    "Device",
    "Group",
    "Organization",
    "User",
)
# Inputs of ExtensionProperty; a change of any of them replaces it.
EXTENSION_PROPERTY_INPUTS: Final = (
    "applicationObjectId",
    "name",
    "dataType",
    "targetObjects",
    "isMultiValued",
)
_EXTENSION_ID = re.compile(r"/applications/(?P<app>[^/]+)/extensionProperties/(?P<ext>[^/]+)")
_USER_VALUE_ID = re.compile(r"/users/(?P<user>[^/]+)/(?P<attribute>extension_[A-Za-z0-9_]+)")
_ATTRIBUTE = re.compile(r"extension_[0-9a-fA-F]{32}_[A-Za-z][A-Za-z0-9]*")


class GraphProvider(ResourceProvider):
    """What the providers share: a client made on first use from the deploying identity (or
    injected by tests) for Graph (or, with `base_url` and `scope`, another Microsoft API), and
    the stack's azuread settings from `configure`."""

    def __init__(
        self,
        client: GraphClient | None = None,
        base_url: str = GRAPH_URL,
        scope: str = GRAPH_SCOPE,
    ) -> None:
        super().__init__()
        self.base_url = base_url
        self.scope = scope
        self._client = client
        self._config: dict[str, Any] = {}

    def __getstate__(self) -> dict[str, Any]:
        # Only plain settings go into the state: never a client (it holds a credential).
        return {"base_url": self.base_url, "scope": self.scope}

    def __setstate__(self, state: Mapping[str, Any]) -> None:
        self.__init__(  # type: ignore[misc]
            base_url=state.get("base_url", GRAPH_URL), scope=state.get("scope", GRAPH_SCOPE)
        )

    def configure(self, req: ConfigureRequest) -> None:
        # The azuread provider's own settings (tenant, client, OIDC/MSI flags), where present.
        keys = ("tenantId", "clientId", "useOidc", "useMsi", "clientCertificatePath")
        self._config = {
            f"azuread:{key}": req.config.get(f"azuread:{key}")
            for key in keys
            if req.config.get(f"azuread:{key}") is not None
        }

    @property
    def client(self) -> GraphClient:
        if self._client is None:
            self._client = GraphClient(
                deployer_credential(config=self._config), base_url=self.base_url, scope=self.scope
            )
        return self._client


# --- the extension property -------------------------------------------------------------------


class ExtensionPropertyProvider(GraphProvider):
    """CRUD of one directory extension property of an application (see the module docstring)."""

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        failures = []
        if not str(news.get("applicationObjectId") or "").strip():
            failures.append(CheckFailure("applicationObjectId", "is required"))
        if not _NAME.fullmatch(str(news.get("name", ""))):
            failures.append(CheckFailure("name", "must be 1-64 letters and digits"))
        if news.get("dataType") not in DATA_TYPES:
            failures.append(CheckFailure("dataType", f"must be one of {', '.join(DATA_TYPES)}"))
        targets = news.get("targetObjects") or []
        if not targets or any(t not in TARGET_OBJECTS for t in targets):
            failures.append(
                CheckFailure("targetObjects", f"must be some of {', '.join(TARGET_OBJECTS)}")
            )
        return CheckResult(news, failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        replaces = [
            key for key in EXTENSION_PROPERTY_INPUTS if _norm(olds.get(key)) != _norm(news.get(key))
        ]
        return DiffResult(
            changes=bool(replaces),
            replaces=replaces,
            stables=[],
            delete_before_replace=True,
        )

    def create(self, props: dict[str, Any]) -> CreateResult:
        app = str(props["applicationObjectId"])
        path = f"/applications/{app}/extensionProperties"
        body = {
            "name": props["name"],
            "dataType": props["dataType"],
            "targetObjects": list(props["targetObjects"]),
            "isMultiValued": bool(props.get("isMultiValued", False)),
        }
        reply = self.client.call("POST", path, body, allow=(400, 409))
        if reply.status < 300:
            return CreateResult(_extension_id(app, reply.body["id"]), _outs(app, reply.body))
        # Graph refuses a second property of one name (a lost state, or one the SMART sample's
        # script made): the app's own property of that name is adopted when it is the same.
        existing = self._existing(app, str(props["name"]), body)
        if existing is None:
            error = reply.body.get("error")
            code = str(error.get("code", "badRequest")) if isinstance(error, dict) else "unknown"
            raise GraphError("POST", path, reply.status, code, reply.error_message())
        return CreateResult(_extension_id(app, existing["id"]), _outs(app, existing))

    def _existing(self, app: str, name: str, wanted: Mapping[str, Any]) -> dict[str, Any] | None:
        """The app's extension property `name`, when it exists and is what the program asks
        for; None when there is none; an error that says what differs otherwise."""
        listing = self.client.call("GET", f"/applications/{app}/extensionProperties")
        for item in listing.body.get("value", []):
            if _short_name(str(item.get("name", ""))) != name:
                continue
            differs = [
                key
                for key in ("dataType", "targetObjects", "isMultiValued")
                if _norm(item.get(key)) != _norm(wanted[key])
            ]
            if differs:
                raise GraphError(
                    "POST",
                    f"/applications/{app}/extensionProperties",
                    409,
                    "conflict",
                    f"extension property {shown(str(item.get('name')))} exists with another "
                    f"{', '.join(differs)}; delete it, or change the program to match",
                )
            return dict(item)
        return None

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        app, ext = _parse_extension_id(id_)
        reply = self.client.call(
            "GET", f"/applications/{app}/extensionProperties/{ext}", allow=(404,)
        )
        if reply.status == 404:
            return ReadResult(None, {})  # gone: the engine drops it (refresh) or refuses (import)
        outs = _outs(app, reply.body)
        inputs = {key: outs[key] for key in EXTENSION_PROPERTY_INPUTS}
        return ReadResult(id_, outs, inputs)

    def update(self, _id: str, _olds: dict[str, Any], _news: dict[str, Any]) -> UpdateResult:
        # diff() replaces on every input change: Graph has no update for extension properties.
        raise GraphError("PATCH", _id, None, "notSupported", "extension properties are replaced")

    def delete(self, id_: str, _props: dict[str, Any]) -> None:
        app, ext = _parse_extension_id(id_)
        self.client.call("DELETE", f"/applications/{app}/extensionProperties/{ext}", allow=(404,))


def _extension_id(app: str, ext: str) -> str:
    return f"/applications/{app}/extensionProperties/{ext}"


def _parse_extension_id(id_: str) -> tuple[str, str]:
    match = _EXTENSION_ID.fullmatch(id_)
    if match is None:
        raise ValueError(
            f"extension property id {shown(id_)} is not "
            "/applications/<application objectId>/extensionProperties/<id>"
        )
    return match.group("app"), match.group("ext")


def _short_name(full: str) -> str:
    """`fhirUser` from Graph's `extension_<appId>_fhirUser`."""
    prefix, sep, rest = full.partition("_")
    if prefix == "extension" and sep:
        return rest.partition("_")[2] or full
    return full


def _outs(app: str, item: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "applicationObjectId": app,
        "name": _short_name(str(item.get("name", ""))),
        "dataType": item.get("dataType"),
        "targetObjects": sorted(item.get("targetObjects") or []),
        "isMultiValued": bool(item.get("isMultiValued", False)),
        "extensionPropertyId": item.get("id"),
        "attributeName": item.get("name"),
        "appDisplayName": item.get("appDisplayName"),
    }


def _norm(value: Any) -> Any:
    """Inputs compare as values: lists ignoring order, a missing flag as false."""
    if isinstance(value, list | tuple):
        return sorted(str(v) for v in value)
    if value is None:
        return False
    return value


class ExtensionProperty(Resource, module="fhir-apps", name="ExtensionProperty"):
    """A directory extension property of an application (Graph `extensionProperty`). Graph names
    it `extension_<appId without dashes>_<name>` (`rules.smart.extension_attribute`), which is
    how claims mapping policies and user objects refer to it."""

    def __init__(
        self,
        name: str,
        *,
        application_object_id: pulumi.Input[str],
        property_name: str,
        data_type: str = "String",
        target_objects: tuple[str, ...] = ("User",),
        opts: pulumi.ResourceOptions | None = None,
        provider: ExtensionPropertyProvider | None = None,
    ) -> None:
        super().__init__(
            provider or ExtensionPropertyProvider(),
            name,
            {
                "applicationObjectId": application_object_id,
                "name": property_name,
                "dataType": data_type,
                "targetObjects": sorted(target_objects),
                "isMultiValued": False,
            },
            opts,
        )


# --- a user's value ---------------------------------------------------------------------------


class UserExtensionValueProvider(GraphProvider):
    """A user's value of a directory extension property (`PATCH /users/{id}`)."""

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        failures = []
        if not str(news.get("userId") or "").strip():
            failures.append(CheckFailure("userId", "is required"))
        attribute = news.get("attribute")
        # Before the app exists (a first preview) its appId, hence the name, is not known yet.
        if attribute != rpc.UNKNOWN and not _ATTRIBUTE.fullmatch(str(attribute or "")):
            failures.append(CheckFailure("attribute", "must be extension_<appId>_<name>"))
        if not isinstance(news.get("value"), str) or not news["value"]:
            failures.append(CheckFailure("value", "must be a non-empty text"))
        return CheckResult(news, failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        replaces = [key for key in ("userId", "attribute") if olds.get(key) != news.get(key)]
        changed = bool(replaces) or olds.get("value") != news.get("value")
        return DiffResult(changes=changed, replaces=replaces, stables=[])

    def create(self, props: dict[str, Any]) -> CreateResult:
        user, attribute = str(props["userId"]), str(props["attribute"])
        self.client.call("PATCH", f"/users/{user}", {attribute: props["value"]})
        return CreateResult(f"/users/{user}/{attribute}", _value_outs(user, attribute, props))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        user, attribute = _parse_value_id(id_)
        reply = self.client.call("GET", f"/users/{user}?$select=id,{attribute}", allow=(404,))
        value = reply.body.get(attribute) if reply.status != 404 else None
        if value is None:
            return ReadResult(None, {})  # the user, or their value, is gone
        outs = _value_outs(user, attribute, {"value": value})
        return ReadResult(id_, outs, dict(outs))

    def update(self, id_: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        user, attribute = _parse_value_id(id_)
        self.client.call("PATCH", f"/users/{user}", {attribute: news["value"]})
        return UpdateResult(_value_outs(user, attribute, news))

    def delete(self, id_: str, _props: dict[str, Any]) -> None:
        user, attribute = _parse_value_id(id_)
        # Graph clears an extension value that is set to null; a deleted user has none left.
        self.client.call("PATCH", f"/users/{user}", {attribute: None}, allow=(404,))


def _parse_value_id(id_: str) -> tuple[str, str]:
    match = _USER_VALUE_ID.fullmatch(id_)
    if match is None:
        raise ValueError(f"user value id {shown(id_)} is not /users/<user objectId>/<attribute>")
    return match.group("user"), match.group("attribute")


def _value_outs(user: str, attribute: str, props: Mapping[str, Any]) -> dict[str, Any]:
    return {"userId": user, "attribute": attribute, "value": props.get("value")}


class UserExtensionValue(Resource, module="fhir-apps", name="UserExtensionValue"):
    """A user's value of a directory extension property, e.g. their fhirUser."""

    def __init__(
        self,
        name: str,
        *,
        user_id: str,
        attribute: pulumi.Input[str],
        value: str,
        opts: pulumi.ResourceOptions | None = None,
        provider: UserExtensionValueProvider | None = None,
    ) -> None:
        super().__init__(
            provider or UserExtensionValueProvider(),
            name,
            {"userId": user_id, "attribute": attribute, "value": value},
            opts,
        )
