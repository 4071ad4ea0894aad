"""fhir_apps.rotation: two staggered secret slots, computed from the date alone."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fhir_apps.rotation import EPOCH, SecretWindow, current_slot, rfc3339, secret_windows

START = dt.date(2025, 1, 1)
TWO_YEARS = 2 * 366
# (rotationDays, policy.maxSecretLifetimeDays): the defaults, a short period, the extremes.
POLICIES = [(90, 365), (30, 365), (60, 120), (1, 2), (182, 365), (365, 730)]

dates = st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2100, 12, 31))


@st.composite
def policies(draw: st.DrawFn) -> tuple[int, int]:
    maximum = draw(st.integers(min_value=2, max_value=730))
    return draw(st.integers(min_value=1, max_value=maximum // 2)), maximum


def _days(start: dt.date, count: int) -> list[dt.date]:
    return [start + dt.timedelta(days=n) for n in range(count)]


@pytest.mark.parametrize(("rotation_days", "max_days"), POLICIES)
def test_every_day_for_two_years_a_valid_secret_exists(rotation_days: int, max_days: int) -> None:
    for day in _days(START, TWO_YEARS):
        windows = secret_windows(day, rotation_days, max_days)
        valid = [w.slot for w in windows if w.is_valid_on(day)]
        assert valid, f"{day}: no valid slot in {windows}"
        assert current_slot(windows).is_valid_on(day), f"{day}: current slot not valid"


@pytest.mark.parametrize(("rotation_days", "max_days"), POLICIES)
def test_every_day_for_two_years_no_end_date_exceeds_the_policy(
    rotation_days: int, max_days: int
) -> None:
    for day in _days(START, TWO_YEARS):
        for window in secret_windows(day, rotation_days, max_days):
            lifetime = (window.end - day).days
            assert 0 < lifetime <= max_days, f"{day}: {window} lives {lifetime} > {max_days} days"
            assert (window.end - window.start).days == 2 * rotation_days


@pytest.mark.parametrize(("rotation_days", "max_days"), POLICIES)
def test_the_current_secret_outlives_a_skipped_period(rotation_days: int, max_days: int) -> None:
    # A consumer given today's current secret can use it for the next rotation_days days even
    # if no deployment runs in between.
    for day in _days(START, TWO_YEARS):
        current = current_slot(secret_windows(day, rotation_days, max_days))
        assert (current.end - day).days > rotation_days, f"{day}: {current}"
        assert (day - current.start).days < rotation_days, f"{day}: {current} is stale"


@pytest.mark.parametrize(("rotation_days", "max_days"), POLICIES)
def test_slots_renew_alternately_once_per_period(rotation_days: int, max_days: int) -> None:
    previous = secret_windows(START, rotation_days, max_days)
    renewals = 0
    for day in _days(START + dt.timedelta(days=1), TWO_YEARS):
        windows = secret_windows(day, rotation_days, max_days)
        changed = [new for old, new in zip(previous, windows, strict=True) if old != new]
        assert len(changed) <= 1, f"{day}: both slots renewed at once"
        for window in changed:
            old = previous[0] if window.slot == "a" else previous[1]
            # A slot renews exactly when its window ends, never earlier.
            assert window.start == old.end == day, f"{day}: {old} -> {window}"
            # The secret it replaces stopped being current one period ago.
            assert current_slot(previous) != old, f"{day}: renewed the current secret"
        renewals += len(changed)
        previous = windows
    # The loop above proves nothing if no slot ever renews: one slot renews on every day that
    # is a whole number of periods after the epoch.
    boundaries = [
        day
        for day in _days(START + dt.timedelta(days=1), TWO_YEARS)
        if (day - dt.date(2024, 1, 1)).days % rotation_days == 0
    ]
    assert boundaries, "the two years hold no period boundary: the test proves nothing"
    assert renewals == len(boundaries)


@given(day=dates, policy=policies())
def test_same_day_gives_identical_windows_and_keepers(
    day: dt.date, policy: tuple[int, int]
) -> None:
    first = secret_windows(day, *policy)
    second = secret_windows(day, *policy)
    assert first == second
    assert [w.keepers() for w in first] == [w.keepers() for w in second]


@given(day=dates, policy=policies())
def test_any_day_and_policy_keeps_the_invariants(day: dt.date, policy: tuple[int, int]) -> None:
    rotation_days, max_days = policy
    a, b = secret_windows(day, rotation_days, max_days)
    assert (a.slot, b.slot) == ("a", "b")
    assert a.is_valid_on(day) and b.is_valid_on(day)
    assert abs((a.start - b.start).days) == rotation_days  # staggered by one period
    for window in (a, b):
        assert (window.end - day).days <= max_days
        assert (window.start - EPOCH).days % rotation_days == 0


@given(day=dates, policy=policies(), later=st.integers(min_value=0, max_value=800))
def test_keepers_change_exactly_when_the_window_changes(
    day: dt.date, policy: tuple[int, int], later: int
) -> None:
    other = day + dt.timedelta(days=later)
    for old, new in zip(secret_windows(day, *policy), secret_windows(other, *policy), strict=True):
        assert (old.keepers() == new.keepers()) == (old == new)


def test_keepers_and_rfc3339_formats() -> None:
    window = SecretWindow(slot="b", start=dt.date(2025, 3, 26), end=dt.date(2025, 9, 22))
    assert window.keepers() == {"slot": "b", "start": "2025-03-26", "end": "2025-09-22"}
    assert rfc3339(window.end) == "2025-09-22T00:00:00Z"


# Window 2025-03-26 .. 2025-09-22: valid from its start day up to, not including, its end day
# (the password's endDate is midnight UTC at the start of the end day).
BOUNDARY_WINDOW = SecretWindow(slot="b", start=dt.date(2025, 3, 26), end=dt.date(2025, 9, 22))


@pytest.mark.parametrize(
    ("day", "valid"),
    [
        (dt.date(2025, 3, 25), False),  # the day before the start
        (dt.date(2025, 3, 26), True),  # the start day is included
        (dt.date(2025, 6, 1), True),
        (dt.date(2025, 9, 21), True),  # the last whole day
        (dt.date(2025, 9, 22), False),  # the end day is excluded: it expires at its midnight
        (dt.date(2025, 9, 23), False),
    ],
)
def test_is_valid_on_includes_the_start_day_and_excludes_the_end_day(
    day: dt.date, valid: bool
) -> None:
    assert BOUNDARY_WINDOW.is_valid_on(day) is valid


def test_is_valid_on_a_one_day_window_is_exactly_that_day() -> None:
    window = SecretWindow(slot="a", start=dt.date(2024, 2, 29), end=dt.date(2024, 3, 1))
    assert [window.is_valid_on(d) for d in _days(dt.date(2024, 2, 28), 3)] == [False, True, False]


def test_known_windows_for_the_default_policy() -> None:
    a, b = secret_windows(dt.date(2025, 6, 1), 90, 365)
    assert a == SecretWindow(slot="a", start=dt.date(2024, 12, 26), end=dt.date(2025, 6, 24))
    assert b == SecretWindow(slot="b", start=dt.date(2025, 3, 26), end=dt.date(2025, 9, 22))
    assert current_slot((a, b)) is b


def test_dates_before_the_epoch_work() -> None:
    day = EPOCH - dt.timedelta(days=1)
    assert all(window.is_valid_on(day) for window in secret_windows(day, 10, 20))


@pytest.mark.parametrize(
    ("rotation_days", "max_days", "message"),
    [
        (
            200,
            365,
            "rotation_days (200) * 2 exceeds the maximum secret lifetime (365 days): "
            "each slot lives two rotation periods",
        ),
        (0, 365, "rotation_days must be at least 1, got 0"),
    ],
)
def test_a_policy_that_cannot_hold_two_periods_is_refused(
    rotation_days: int, max_days: int, message: str
) -> None:
    with pytest.raises(ValueError) as raised:
        secret_windows(START, rotation_days, max_days)
    assert str(raised.value) == message
