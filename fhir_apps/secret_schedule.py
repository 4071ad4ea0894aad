"""When each client's secrets rotate, and by when a `pulumi up` must run (pure; no Pulumi).

Rotation only advances when `pulumi up` runs (fhir_apps.rotation): the program computes the
slots' windows from the day it runs. This module answers the operator's questions for a given
day, from the spec alone: which slot is current, when the next slot renews, and the last day an
`up` can run before the current secret ends and consumers are left without a valid one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from fhir_apps import rotation
from fhir_apps.spec.model import SecretCredential, Spec

__all__ = ["ClientSchedule", "expiring", "schedules"]


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


def schedules(spec: Spec, today: dt.date) -> list[ClientSchedule]:
    """The schedule of every enabled client with a secret credential, in client-key order."""
    out = []
    for key, client in spec.enabled_clients().items():
        credential = getattr(client, "credential", None)
        if not isinstance(credential, SecretCredential):
            continue
        windows = rotation.secret_windows(
            today, credential.rotation_days, spec.policy.max_secret_lifetime_days
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


def expiring(spec: Spec, today: dt.date, window_days: int) -> list[str]:
    """One warning per client whose current secret ends within `window_days` of `today`."""
    warnings = []
    for schedule in schedules(spec, today):
        left = (schedule.current.end - today).days
        if left <= window_days:
            warnings.append(
                f"clients.{schedule.key}: the current client secret (slot "
                f"{schedule.current.slot}) ends on {schedule.current.end.isoformat()}, in "
                f"{left} day{'s' if left != 1 else ''}; run `pulumi up` by "
                f"{schedule.up_by.isoformat()} so its successor exists, and make sure the app "
                "reads the new one"
            )
    return warnings
