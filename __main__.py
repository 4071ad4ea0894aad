"""The Pulumi program: load this stack's spec, build the components, export the outputs."""

import datetime as dt
from pathlib import Path

import pulumi

from components.stack import build, check_stack_settings
from fhir_apps.spec.errors import ConfigError, StackError
from fhir_apps.spec.loader import load_spec_with_warnings

cfg = pulumi.Config("fhir-apps")
stack = pulumi.get_stack()
# A relative configDir is relative to the project, not to wherever pulumi was started.
config_dir = Path(__file__).resolve().parent / (cfg.get("configDir") or "config")
today_text = cfg.get("today")
try:
    today = dt.date.fromisoformat(today_text) if today_text else dt.datetime.now(dt.UTC).date()
except ValueError:
    message = f"fhir-apps:today: must be a date YYYY-MM-DD, got {today_text!r}"
    raise pulumi.RunError(message) from None
try:
    environment = cfg.get("environment") or stack
    spec, warnings = load_spec_with_warnings(config_dir, environment=environment, stack=stack)
    for warning in warnings:
        pulumi.log.warn(warning)
    check_stack_settings(
        spec,
        server_url=cfg.get("serverUrl"),
        provider_tenant_id=pulumi.Config("azuread").get("tenantId"),
    )
    outputs = build(spec, today=today, config_dir=config_dir)
except (ConfigError, StackError) as err:
    # A clean message without a traceback: these errors name the file or key and the remedy.
    # Anything else is a bug in the program and keeps its traceback.
    raise pulumi.RunError(str(err)) from None
for output_name, value in outputs.items():
    pulumi.export(output_name, value)
