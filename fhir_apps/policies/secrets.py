"""The client-secret lifetime check: a secret's end date against the tenant's longest lifetime.

Secrets are ApplicationPassword, ServicePrincipalPassword and Application's own `password`
block; their dates come as RFC3339 `endDate` / `startDate` or a Go duration `endDateRelative`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Final

from fhir_apps import rules
from fhir_apps.policies.inputs import known
from fhir_apps.resource_types import APPLICATION, APPLICATION_PASSWORD, SERVICE_PRINCIPAL_PASSWORD

__all__ = ["DEFAULT_MAX_SECRET_LIFETIME_DAYS", "go_duration", "secret_lifetime_violations"]

# The project's default policy, 12 months or less (the spec's `policy.maxSecretLifetimeDays`
# defaults to it too); rules.MAX_SECRET_LIFETIME_DAYS is Entra's ceiling.
DEFAULT_MAX_SECRET_LIFETIME_DAYS: Final = 365

_GO_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")
_GO_UNIT_SECONDS: Final = {
    "ns": 1e-9,
    "us": 1e-6,
    "µs": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
}


def go_duration(text: str) -> timedelta | None:
    """A Go duration such as `240h` or `2400h30m` (endDateRelative's format); None if invalid."""
    if not text or _GO_DURATION_PART.sub("", text) != "":
        return None
    seconds = sum(
        float(number) * _GO_UNIT_SECONDS[unit] for number, unit in _GO_DURATION_PART.findall(text)
    )
    return timedelta(seconds=seconds)


def _rfc3339(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _today(config: Mapping[str, Any]) -> date:
    # `today` is not part of the pack's config schema: only the offline check pins it, so that a
    # render made for a given date is judged against that date.
    pinned = config.get("today")
    if isinstance(pinned, date):
        return pinned
    if isinstance(pinned, str):
        return date.fromisoformat(pinned)
    return datetime.now(UTC).date()


def _password_lifetime_problem(
    where: str, password: Mapping[str, Any], max_days: int, today: date
) -> str | None:
    end_text = password.get("endDate")
    relative = password.get("endDateRelative")
    start_text = password.get("startDate")
    if not known(end_text) and end_text is not None:
        return None
    if not known(relative) and relative is not None:
        return None
    if not known(start_text) and start_text is not None:
        return None
    start = datetime.combine(today, time(), UTC)
    if isinstance(start_text, str):
        parsed_start = _rfc3339(start_text)
        if parsed_start is None:
            return f"{where}startDate '{start_text}' is not an RFC3339 date"
        start = parsed_start
    if isinstance(end_text, str):
        end = _rfc3339(end_text)
        if end is None:
            return f"{where}endDate '{end_text}' is not an RFC3339 date"
    elif isinstance(relative, str):
        duration = go_duration(relative)
        if duration is None:
            return f"{where}endDateRelative '{relative}' is not a duration such as 2160h"
        end = start + duration
    else:
        return (
            f"{where}no endDate: without endDate or endDateRelative the azuread provider makes a "
            f"secret valid for two years; set an endDate at most {max_days} days after its start"
        )
    lifetime = round((end - start).total_seconds() / 86400, 2)
    problem = rules.secret_lifetime_problem(lifetime, max_days)
    return f"{where}{problem}" if problem else None


def secret_lifetime_violations(
    resource_type: str, inputs: Mapping[str, Any], config: Mapping[str, Any] | None = None
) -> list[str]:
    """Client secrets (ApplicationPassword, ServicePrincipalPassword, Application.password) whose
    end date lies more than `maxSecretLifetimeDays` (default 365, ceiling 730) after their start
    date, or after today when they have none.
    """
    config = config or {}
    max_days = int(config.get("maxSecretLifetimeDays", DEFAULT_MAX_SECRET_LIFETIME_DAYS))
    today = _today(config)
    if resource_type in (APPLICATION_PASSWORD, SERVICE_PRINCIPAL_PASSWORD):
        problem = _password_lifetime_problem("", inputs, max_days, today)
    elif resource_type == APPLICATION and isinstance(inputs.get("password"), Mapping):
        problem = _password_lifetime_problem("password: ", inputs["password"], max_days, today)
    else:
        return []
    return [problem] if problem else []
