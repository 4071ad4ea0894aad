"""Two-slot client secret rotation, computed from a date (pure; no Pulumi).

Why two slots: `rotate_when_changed` replaces a password (the old one is deleted), and the
provider's time-based rotation only fires on `pulumi refresh`. With two slots whose windows are
staggered by one rotation period, the program alone decides when a slot is renewed, and a
consumer always holds a secret that stays valid:

    slot a:  |---- window a0 ----|---- window a1 ----|---- window a2 ----|
    slot b:             |---- window b0 ----|---- window b1 ----|
             0          P        2P         3P       4P

Each window lasts two rotation periods (2P) and each slot starts a new window every 2P, so on any
day both slots are valid and the one that started last is "current". The current secret was
created at most P days ago and expires at least P days from now, so:

- after a slot is renewed, the secret it replaces stopped being current P days earlier;
- a deployment may be skipped for up to P days without any secret expiring unnoticed;
- an end date is never more than 2P days after the day it is computed, and the config requires
  2P <= policy.maxSecretLifetimeDays, so no secret outlives the policy.

Windows are anchored to a fixed epoch, so the same day (and the same period) always gives the
same windows: re-running `pulumi up` on one day changes nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final, Literal

__all__ = [
    "EPOCH",
    "FIRST_DAY",
    "LAST_DAY",
    "SLOTS",
    "DayOutOfRangeError",
    "SecretWindow",
    "current_slot",
    "rfc3339",
    "secret_windows",
]

# Fixed for ever: moving it would shift every window and rotate every secret at once.
EPOCH: Final = dt.date(2024, 1, 1)

# The days secrets can be computed from. Windows reach up to 2 * 730 days either side of the
# day, and `date` ends at 0001-01-01 and 9999-12-31 (OverflowError beyond); these bounds keep
# every date computed from the day far inside that, and still cover any day a render or a
# deployment is made or pinned to (`--today`, `fhir-apps:today`).
FIRST_DAY: Final = dt.date(2000, 1, 1)
LAST_DAY: Final = dt.date(9000, 12, 31)

SlotName = Literal["a", "b"]
SLOTS: Final[tuple[SlotName, SlotName]] = ("a", "b")


@dataclass(frozen=True, kw_only=True)
class SecretWindow:
    """The validity window of one password slot: valid from `start` (inclusive) to `end`."""

    slot: SlotName
    start: dt.date
    end: dt.date

    def is_valid_on(self, day: dt.date) -> bool:
        """Whether a password with this window is valid during the whole of `day` (UTC)."""
        return self.start <= day < self.end

    def keepers(self) -> dict[str, str]:
        """The `rotate_when_changed` map: it changes exactly when the window does."""
        return {"slot": self.slot, "start": self.start.isoformat(), "end": self.end.isoformat()}


class DayOutOfRangeError(ValueError):
    """`today` is outside the days secret rotation supports; the message names the setting."""


def rfc3339(day: dt.date) -> str:
    """Midnight UTC of `day` in the RFC 3339 form the provider takes (`2025-01-31T00:00:00Z`)."""
    return f"{day.isoformat()}T00:00:00Z"


def secret_windows(
    today: dt.date, rotation_days: int, max_lifetime_days: int
) -> tuple[SecretWindow, SecretWindow]:
    """The windows of slots a and b on `today`, for rotation every `rotation_days` days.

    Raises ValueError when two periods exceed `max_lifetime_days` (the config checks this
    first, with the file and key; this guard keeps the function safe on its own), and
    DayOutOfRangeError (the program reports it as a StackError, without a traceback) when
    `today` is outside FIRST_DAY..LAST_DAY.
    """
    if not FIRST_DAY <= today <= LAST_DAY:
        raise DayOutOfRangeError(
            f"fhir-apps:today: {today.isoformat()} is outside the days secret rotation "
            f"supports, {FIRST_DAY.isoformat()} to {LAST_DAY.isoformat()}; pin a day in that "
            "range"
        )
    if rotation_days < 1:
        raise ValueError(f"rotation_days must be at least 1, got {rotation_days}")
    if 2 * rotation_days > max_lifetime_days:
        raise ValueError(
            f"rotation_days ({rotation_days}) * 2 exceeds the maximum secret lifetime "
            f"({max_lifetime_days} days): each slot lives two rotation periods"
        )
    period = rotation_days
    days = (today - EPOCH).days
    windows = []
    for offset, slot in enumerate(SLOTS):
        # Floor division keeps this right for dates before the epoch too.
        cycle = (days - offset * period) // (2 * period)
        start = EPOCH + dt.timedelta(days=cycle * 2 * period + offset * period)
        windows.append(
            SecretWindow(slot=slot, start=start, end=start + dt.timedelta(days=2 * period))
        )
    return windows[0], windows[1]


def current_slot(windows: tuple[SecretWindow, SecretWindow]) -> SecretWindow:
    """The window that started last: the secret consumers should be given today."""
    return max(windows, key=lambda w: w.start)
