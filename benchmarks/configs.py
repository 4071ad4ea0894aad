"""Generate a realistic config with N clients, and the plan of the flat baseline program.

The config has the shape of `config/`: a base layer with the FHIR server, the tenant and the
catalog of clients, and an environment layer that sets per-environment values (server URL,
redirect URIs, federated subjects), as `config/environments/dev.yaml` does. Every tenth client
has the same kind and credential, so the mix is the same for every N:

    0  confidential, secret, admin consent      5  public mobile (fallback public client)
    1  confidential, secret                     6  service, federated (two subjects)
    2  confidential, certificate, admin consent 7  service, federated (one subject)
    3  public spa                               8  service, certificate
    4  public spa, admin consent                9  service, secret

The plan (`plan.json`) holds, as plain values computed here, everything the baseline program
needs to register the same resources with the same inputs without the spec or the components.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import uuid
from pathlib import Path
from typing import Any

import yaml

from fhir_apps import ids, rotation
from fhir_apps.certificates import read_public_certificate
from fhir_apps.endpoints import default_scope, delegated_scopes
from fhir_apps.ids import NAMESPACE

__all__ = ["ENVIRONMENT", "MIX", "PROJECT_DIR", "generate"]

PROJECT_DIR = Path(__file__).resolve().parents[1]
ENVIRONMENT = "bench"
DOMAIN = "contoso.com"
SERVER_URL = f"https://fhir-bench.{DOMAIN}"
PREFIX = "fhir"
OWNERS = ["6f1d3c4a-2b7e-4f0a-9c1d-8e2f3a4b5c6d", "0b9e8d7c-6a5f-4e3d-8c2b-1a0f9e8d7c6b"]
TEAM_LEAD = "3c2b1a09-8f7e-4d6c-b5a4-938271605f4e"
APP_ROLES = [
    "globalReader",
    "globalWriter",
    "globalExporter",
    "globalImporter",
    "globalConverter",
    "globalAdmin",
    "smartUser",
]
SCOPES = [
    "user_impersonation",
    "launch",
    "launch.patient",
    "fhirUser",
    "patient.all.read",
    "patient.Observation.read",
    "user.all.read",
]
GROUP = "5e4d3c2b-1a09-4f8e-9d7c-6b5a49382716"
ISSUER = "https://token.actions.githubusercontent.com"
AUDIENCES = ["api://AzureADTokenExchange"]
MAX_SECRET_DAYS = 365

# (kind, detail, credential) by position modulo 10.
MIX = (
    ("confidential", "web", "secret"),
    ("confidential", "web", "secret"),
    ("confidential", "web", "certificate"),
    ("public", "spa", None),
    ("public", "spa", None),
    ("public", "mobile", None),
    ("service", "daemon", "federated"),
    ("service", "daemon", "federated"),
    ("service", "daemon", "certificate"),
    ("service", "daemon", "secret"),
)


def client_key(index: int) -> str:
    return f"app-{index:04d}"


def _client(index: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """(base layer block, environment layer block) of client `index`."""
    key = client_key(index)
    slot = index % 10
    kind, detail, credential_type = MIX[slot]
    host = f"{key}-bench.{DOMAIN}"
    base: dict[str, Any] = {"kind": kind}
    env: dict[str, Any] = {}
    if index % 3 == 0:
        base["displayName"] = f"Bench application {index}"
    if index % 7 == 0:
        base["owners"] = [TEAM_LEAD]
    if kind == "confidential":
        base["scopes"] = (
            ["user_impersonation"] if slot != 1 else ["user_impersonation", "user.all.read"]
        )
        base["adminConsent"] = slot in (0, 2)
        base["homepageUrl"] = f"https://{host}/"
        env["redirectUris"] = [f"https://{host}/signin-oidc", "http://localhost:5000/signin-oidc"]
    elif kind == "public":
        base["platform"] = detail
        if detail == "spa":
            base["scopes"] = ["launch", "launch.patient", "fhirUser", "patient.Observation.read"]
            base["adminConsent"] = slot == 4
            env["redirectUris"] = [f"https://{host}/", "http://localhost:3000/"]
        else:
            base["scopes"] = ["user_impersonation", "fhirUser"]
            base["fallbackPublicClient"] = True
            env["redirectUris"] = [
                f"msauth.com.contoso.{key.replace('-', '')}://auth",
                f"com.contoso.{key.replace('-', '')}://callback",
                "http://localhost",
            ]
    else:
        base["roles"] = {
            6: ["globalWriter", "globalImporter"],
            7: ["globalReader"],
            8: ["globalExporter", "globalReader"],
            9: ["globalReader"],
        }[slot]
    if credential_type == "secret":
        base["credential"] = {"type": "secret", "rotationDays": 90 if slot == 0 else 60}
    elif credential_type == "certificate":
        base["credential"] = {"type": "certificate", "certificateFile": "certs/exporter.pem"}
    elif credential_type == "federated":
        base["credential"] = {"type": "federated", "issuer": ISSUER}
        subjects = [f"repo:contoso/{key}:environment:{ENVIRONMENT}"]
        if slot == 6:
            subjects.append(f"repo:contoso/{key}:ref:refs/heads/main")
        env["credential"] = {"subjects": subjects}
    return base, env


def config_layers(count: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """The base and environment layers for `count` clients."""
    clients = [_client(i) for i in range(count)]
    base = {
        "tenant": {"verifiedDomains": [DOMAIN]},
        "naming": {"prefix": PREFIX},
        "owners": OWNERS,
        "policy": {"maxSecretLifetimeDays": MAX_SECRET_DAYS},
        "fhirServer": {"kind": "oss", "appRoles": APP_ROLES, "scopes": SCOPES},
        "clients": {client_key(i): block for i, (block, _) in enumerate(clients)},
        "assignments": [
            {"principalId": GROUP, "principalType": "Group", "roles": ["globalReader"]},
        ],
    }
    environment = {
        "fhirServer": {"url": SERVER_URL},
        "clients": {client_key(i): env for i, (_, env) in enumerate(clients) if env},
    }
    return base, environment


def generate(directory: Path, count: int, today: dt.date) -> Path:
    """Write the config for `count` clients and the baseline's `plan.json` under `directory`.

    Returns the config directory (`directory/config`).
    """
    config_dir = directory / "config"
    (config_dir / "environments").mkdir(parents=True, exist_ok=True)
    (config_dir / "certs").mkdir(exist_ok=True)
    shutil.copyfile(PROJECT_DIR / "config/certs/exporter.pem", config_dir / "certs/exporter.pem")
    base, environment = config_layers(count)
    for path, data in (
        (config_dir / "base.yaml", base),
        (config_dir / "environments" / f"{ENVIRONMENT}.yaml", environment),
    ):
        path.write_text(yaml.safe_dump(data, sort_keys=False, width=1000), encoding="utf-8")
    plan = baseline_plan(base, environment, config_dir, today)
    (config_dir / "plan.json").write_text(json.dumps(plan), encoding="utf-8")
    return config_dir


# -- the baseline's plan: plain values, computed once, outside any measurement ----------------


def _scope_args(value: str, scope_id: str, label: str) -> dict[str, Any]:
    action = "call" if value == "user_impersonation" else f"use {value} on"
    title = (
        f"Access {label} as the signed-in user"
        if value == "user_impersonation"
        else f"{value} on {label}"
    )
    allows = f"Allows the app to {action} the FHIR server {label} ({SERVER_URL})"
    return {
        "id": scope_id,
        "value": value,
        "type": "User",
        "enabled": True,
        "admin_consent_display_name": title,
        "admin_consent_description": f"{allows} on behalf of the signed-in user.",
        "user_consent_display_name": title,
        "user_consent_description": f"{allows} on your behalf.",
    }


def _role_args(value: str, role_id: str, label: str) -> dict[str, Any]:
    return {
        "id": role_id,
        "value": value,
        "display_name": value,
        "description": f"{value} on the FHIR server {label} ({SERVER_URL})",
        "allowed_member_types": ["Application", "User"],
        "enabled": True,
    }


def _slug(subject: str) -> str:
    # components.credentials.subject_slug, imported lazily: generating needs no Pulumi at import.
    from components.credentials import subject_slug

    return subject_slug(subject)


def _rfc3339(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def baseline_plan(
    base: dict[str, Any], environment: dict[str, Any], config_dir: Path, today: dt.date
) -> dict[str, Any]:
    scope_ids = ids.ids_for("scope", SCOPES)
    role_ids = ids.ids_for("role", APP_ROLES)
    label = f"{PREFIX}-{ENVIRONMENT}-fhir-server"
    certificate = read_public_certificate(config_dir / "certs/exporter.pem")
    certificate_plan = {
        "type": "certificate",
        "pem": certificate.pem,
        "start_date": _rfc3339(certificate.not_before),
        "end_date": _rfc3339(certificate.not_after),
        "key_id": str(uuid.uuid5(NAMESPACE, f"certificate\n{certificate.sha256}")),
    }
    owner_sets: list[list[str]] = [sorted(OWNERS)]
    clients = []
    for key in sorted(base["clients"]):
        spec = {**base["clients"][key], **environment["clients"].get(key, {})}
        credential = dict(base["clients"][key].get("credential") or {})
        credential.update(environment["clients"].get(key, {}).get("credential") or {})
        kind = spec["kind"]
        owners = sorted(set(OWNERS) | set(spec.get("owners", ())))
        if owners not in owner_sets:
            owner_sets.append(owners)
        scopes = sorted(set(spec.get("scopes", ())))
        roles = sorted(set(spec.get("roles", ())))
        redirects = spec.get("redirectUris", [])
        accesses = [{"id": scope_ids[s], "type": "Scope"} for s in scopes]
        accesses += [{"id": role_ids[r], "type": "Role"} for r in roles]
        accesses.sort(key=lambda access: (access["id"], access["type"]))
        is_spa = spec.get("platform") == "spa"
        client: dict[str, Any] = {
            "key": key,
            "kind": kind,
            "display_name": spec.get("displayName") or f"{PREFIX}-{ENVIRONMENT}-{key}",
            "owners": owner_sets.index(owners),
            "web": sorted(set(redirects)) if kind == "confidential" else [],
            "spa": sorted(set(redirects)) if kind == "public" and is_spa else [],
            "public": sorted(set(redirects)) if kind == "public" and not is_spa else [],
            "fallback": bool(spec.get("fallbackPublicClient", False)),
            "homepage_url": spec.get("homepageUrl"),
            "accesses": accesses,
            "consent": scopes if spec.get("adminConsent") and scopes else None,
            "roles": [{"value": r, "id": role_ids[r]} for r in roles],
            "redirect_uris": sorted(set(redirects)),
            "scope": (
                default_scope(SERVER_URL)
                if kind == "service"
                else delegated_scopes(SERVER_URL, scopes)
            ),
            "credential": None,
        }
        if credential.get("type") == "secret":
            windows = rotation.secret_windows(today, credential["rotationDays"], MAX_SECRET_DAYS)
            current = rotation.current_slot(windows)
            client["credential"] = {
                "type": "secret",
                "slots": [
                    {
                        "slot": w.slot,
                        "display_name": f"slot {w.slot} {w.start.isoformat()}",
                        "end_date": rotation.rfc3339(w.end),
                        "keepers": w.keepers(),
                    }
                    for w in windows
                ],
                "current": current.slot,
                "expires_on": current.end.isoformat(),
            }
        elif credential.get("type") == "certificate":
            client["credential"] = certificate_plan
        elif credential.get("type") == "federated":
            client["credential"] = {
                "type": "federated",
                "items": [
                    {
                        "slug": _slug(subject),
                        "description": f"{ISSUER} {subject}",
                        "issuer": ISSUER,
                        "subject": subject,
                        "audiences": AUDIENCES,
                    }
                    for subject in sorted(set(credential["subjects"]))
                ],
            }
        clients.append(client)
    return {
        "server": {
            "display_name": label,
            "audience": SERVER_URL,
            "owners": 0,
            "scopes": [_scope_args(v, i, label) for v, i in scope_ids.items()],
            "roles": [_role_args(v, i, label) for v, i in role_ids.items()],
            "scope_ids": scope_ids,
            "role_ids": role_ids,
        },
        "owner_sets": owner_sets,
        "clients": clients,
        "assignments": [
            {"principal": GROUP, "role": "globalReader", "role_id": role_ids["globalReader"]}
        ],
    }
