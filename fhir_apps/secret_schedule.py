"""When each client's secrets rotate, and by when a `pulumi up` must run (pure; no Pulumi).

Rotation only advances when `pulumi up` runs (fhir_apps.rotation): the program computes the
slots' windows from the day it runs. This module answers the operator's questions for a given
day, from the spec alone: which slot is current, when the next slot renews, and the last day an
`up` can run before the current secret ends and consumers are left without a valid one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from fhir_apps import rotation
from fhir_apps.spec.model import SecretCredential, Spec

__all__ = ["ClientSchedule", "expiring", "expiry_warnings", "schedules"]


@dataclass(frozen=True, kw_only=True)
class ClientSchedule:
    """One client's two secret slots on `today`, and the dates that follow from them."""

    key: str
    display_name: str
    rotation_days: int
    windows: tuple[rotation.SecretWindow, rotation.SecretWindow]
    current: rotation.SecretWindow
    # The other slot's window ends here: the first `up` on or after this day renews it.
    next_rotation: dt.date
    # The current secret is valid up to (not including) `current.end`; this is the last day an
    # `up` can create its successor while it is still valid.
    up_by: dt.date
    key_vault_id: str | None

    def as_dict(self) -> dict[str, object]:
        return {
            "client": self.key,
            "displayName": self.display_name,
            "rotationDays": self.rotation_days,
            "slots": [
                {
                    "slot": w.slot,
                    "start": w.start.isoformat(),
                    "end": w.end.isoformat(),
                    "current": w is self.current,
                }
                for w in self.windows
            ],
            "currentSlot": self.current.slot,
            "nextRotation": self.next_rotation.isoformat(),
            "upBy": self.up_by.isoformat(),
            "keyVaultId": self.key_vault_id,
        }


def schedules(
    spec: Spec, today: dt.date, *, computed_on: dt.date | None = None
) -> list[ClientSchedule]:
    """The schedule of every enabled client with a secret credential, in client-key order.

    computed_on: the day the slots were computed (the last `pulumi up`); default `today`.
    """
    out = []
    for key, client in spec.enabled_clients().items():
        credential = getattr(client, "credential", None)
        if not isinstance(credential, SecretCredential):
            continue
        windows = rotation.secret_windows(
            computed_on or today, credential.rotation_days, spec.policy.max_secret_lifetime_days
        )
        current = rotation.current_slot(windows)
        other = windows[0] if current is windows[1] else windows[1]
        out.append(
            ClientSchedule(
                key=key,
                display_name=spec.display_name(key),
                rotation_days=credential.rotation_days,
                windows=windows,
                current=current,
                next_rotation=other.end,
                up_by=current.end - dt.timedelta(days=1),
                key_vault_id=credential.key_vault_id or spec.secret_store.key_vault_id,
            )
        )
    return out


def expiring(
    spec: Spec, today: dt.date, window_days: int, *, computed_on: dt.date | None = None
) -> list[str]:
    """One warning per client whose current secret ends within `window_days` of `today`.

    computed_on: the day the deployed slots were computed (the last `pulumi up`, or the day a
    stack pins with `fhir-apps:today`); default `today`, i.e. as an `up` today would leave them.
    A secret that has already ended at `today` is always reported; `window_days` 0 reports
    nothing else.
    """
    warnings = []
    for schedule in schedules(spec, today, computed_on=computed_on):
        end = schedule.current.end
        left = (end - today).days
        label = f"clients.{schedule.key}: the current client secret (slot {schedule.current.slot})"
        if left <= 0:
            warnings.append(
                f"{label} ended on {end.isoformat()}; the app has no valid secret: run "
                "`pulumi up` now (it creates a new one) and give the app the new secret"
            )
        elif left <= window_days:
            warnings.append(
                f"{label} ends on {end.isoformat()}, in {left} day{'s' if left != 1 else ''}; "
                f"run `pulumi up` by {schedule.up_by.isoformat()} so its successor exists, and "
                "make sure the app reads the new one"
            )
    return warnings


def expiry_warnings(
    spec: Spec,
    today: dt.date,
    *,
    warn_days: int | None = None,
    last_up: dt.date | None = None,
    project_dir: Path | None = None,
) -> list[str]:
    """What `check` and `render` say about secrets ending soon at `today`, one line each.

    warn_days: the window (`--warn-days`), else `policy.secretExpiryWarningDays`.
    last_up: the day of the last `pulumi up` (`--last-up`): the slots as it left them.
    project_dir: where `Pulumi.<stack>.yaml` lives; a `<project>:today` pinned there freezes
        the slots at that day for every `up`, so it counts as the last up when no `last_up` is
        given, and is itself reported: pinned for good, no secret ever rotates again.
    """
    window = spec.policy.secret_expiry_warning_days if warn_days is None else warn_days
    pinned = _pinned_today(project_dir, spec.stack) if project_dir is not None else None
    lines: list[str] = []
    if pinned is not None and schedules(spec, today):
        where, day = pinned
        lines.append(
            f"{where}: pins the day secret rotation is computed from to {day.isoformat()}: "
            "every `pulumi up` keeps that day's slots, so no secret rotates and each one "
            "ends; remove the setting (`pulumi config rm today`) after the run it was for"
        )
    computed_on = last_up or (pinned[1] if pinned is not None else None)
    return lines + expiring(spec, today, window, computed_on=computed_on)


def _pinned_today(project_dir: Path, stack: str) -> tuple[str, dt.date] | None:
    """(`<file>: config.<project>:today`, the day) when the stack file pins a valid day."""
    from fhir_apps.spec.pulumifiles import stack_setting

    found = stack_setting(project_dir, stack, "today")
    if found is None:
        return None
    where, value = found
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        return None  # the program refuses it with its own message on every run
    if not rotation.FIRST_DAY <= day <= rotation.LAST_DAY:
        return None
    return where, day
