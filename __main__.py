"""The Pulumi program: load this stack's spec, build the components, export the outputs."""

import datetime as dt
from pathlib import Path

import pulumi

from components.errors import StackError
from components.stack import build, check_stack_settings
from fhir_apps.spec.errors import ConfigError
from fhir_apps.spec.loader import load_spec_with_warnings

# The project's own settings, declared without a namespace in Pulumi.yaml: Pulumi files them
# under the project's name (`fhir-apps:environment` here, `<name>:environment` in a project made
# with `pulumi new --name <name>`), and `pulumi.Config()` reads that namespace, whatever the name.
SETTINGS = ("environment", "configDir", "today", "serverUrl")
SHIPPED_PROJECT = "fhir-apps"


def refuse_settings_of_the_shipped_name(project: str, stack: str) -> None:
    """A stack file copied from the template into a renamed project still says `fhir-apps:<key>`,
    which the program would silently ignore (deploying the wrong environment): stop with the fix."""
    if project == SHIPPED_PROJECT:
        return
    shipped = pulumi.Config(SHIPPED_PROJECT)
    for key in SETTINGS:
        if shipped.get(key) is not None:
            raise pulumi.RunError(
                f"{SHIPPED_PROJECT}:{key}: this project is named {project!r}, so its settings are "
                f"{project}:<key>; run `pulumi config rm {SHIPPED_PROJECT}:{key}` and "
                f"`pulumi config set {key} <value>` for stack {stack!r}"
            )


project = pulumi.get_project()
stack = pulumi.get_stack()
cfg = pulumi.Config()
refuse_settings_of_the_shipped_name(project, stack)
# A relative configDir is relative to the project, not to wherever pulumi was started.
config_dir = Path(__file__).resolve().parent / (cfg.get("configDir") or "config")
today_text = cfg.get("today")
try:
    today = dt.date.fromisoformat(today_text) if today_text else dt.datetime.now(dt.UTC).date()
except ValueError:
    message = f"{project}:today: must be a date YYYY-MM-DD, got {today_text!r}"
    raise pulumi.RunError(message) from None
try:
    environment = cfg.get("environment") or stack
    spec, warnings = load_spec_with_warnings(
        config_dir, environment=environment, stack=stack, today=today
    )
    for warning in warnings:
        pulumi.log.warn(warning)
    check_stack_settings(
        spec,
        server_url=cfg.get("serverUrl"),
        server_url_key=f"{project}:serverUrl",
        provider_tenant_id=pulumi.Config("azuread").get("tenantId"),
    )
    outputs = build(spec, today=today, config_dir=config_dir)
except (ConfigError, StackError) as err:
    # A clean message without a traceback: these errors name the file or key and the remedy.
    # Anything else is a bug in the program and keeps its traceback.
    raise pulumi.RunError(str(err)) from None
for output_name, value in outputs.items():
    pulumi.export(output_name, value)
