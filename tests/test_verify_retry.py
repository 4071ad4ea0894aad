"""verify's retry policy: exponential backoff within a wait bound, Retry-After honoured as given."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from fhir_apps.verify.retry import Outcome, RetryPolicy, parse_retry_after, run_with_retry
from tests.fakes.clock import FakeClock

NOW = dt.datetime(2026, 3, 1, 12, 0, 0, tzinfo=dt.UTC)


def _always_retry(calls: list[int]) -> Outcome[str]:
    calls.append(1)
    return Outcome("still failing", "role not yet in the token")


def test_backoff_doubles_from_5_s_up_to_60_s_and_stops_at_the_bound() -> None:
    clock, calls = FakeClock(), []
    done = run_with_retry(lambda: _always_retry(calls), RetryPolicy(budget=300), clock)
    # 5+10+20+40+60+60 = 195; the next 60 s would end at 255, within 300; then 315 > 300.
    assert clock.sleeps == [5, 10, 20, 40, 60, 60, 60]
    assert len(calls) == 8
    assert not done.final
    assert done.value == "still failing"
    assert done.gave_up == "gave up after waiting up to 300 s (--wait)"
    assert done.waits[0] == "waited 5 s: role not yet in the token"


def test_a_zero_bound_tries_once_and_never_sleeps() -> None:
    clock, calls = FakeClock(), []
    done = run_with_retry(lambda: _always_retry(calls), RetryPolicy(budget=0), clock)
    assert (len(calls), clock.sleeps, done.final) == (1, [], False)


def test_a_final_outcome_ends_the_loop_at_once() -> None:
    clock = FakeClock()
    outcomes = iter([Outcome("wait", "403"), Outcome("done")])
    done = run_with_retry(lambda: next(outcomes), RetryPolicy(), clock)
    assert (done.value, done.final, clock.sleeps, done.gave_up) == ("done", True, [5], None)
    assert done.waited == 5


def test_retry_after_is_waited_exactly_even_above_the_backoff_cap() -> None:
    clock = FakeClock()
    outcomes = iter([Outcome("throttled", "429", retry_after=90), Outcome("ok")])
    done = run_with_retry(lambda: next(outcomes), RetryPolicy(budget=100), clock)
    assert clock.sleeps == [90]
    assert done.waits == ["waited 90 s (Retry-After): 429"]


def test_retry_after_beyond_what_is_left_gives_up_without_sleeping() -> None:
    clock = FakeClock()
    outcomes = iter([Outcome("x", "403"), Outcome("throttled", "429", retry_after=60)])
    done = run_with_retry(lambda: next(outcomes), RetryPolicy(budget=30), clock)
    assert clock.sleeps == [5]
    assert done.gave_up == (
        "the server asked to retry after 60 s, beyond the wait bound of 30 s (--wait)"
    )


@settings(max_examples=100, deadline=None)
@given(
    budget=st.floats(min_value=0, max_value=2000, allow_nan=False),
    asked=st.lists(st.one_of(st.none(), st.floats(min_value=0, max_value=500)), max_size=30),
)
def test_the_total_wait_never_exceeds_the_bound(budget: float, asked: list[float | None]) -> None:
    clock = FakeClock()
    delays = iter(asked)
    done = run_with_retry(
        lambda: Outcome(None, "again", next(delays, None)), RetryPolicy(budget=budget), clock
    )
    assert sum(clock.sleeps) <= budget
    assert len(done.waits) == len(clock.sleeps)


def test_retry_after_in_seconds_or_as_an_http_date() -> None:
    assert parse_retry_after("120", NOW) == 120
    assert parse_retry_after(" 7 ", NOW) == 7
    assert parse_retry_after("Sun, 01 Mar 2026 12:00:30 GMT", NOW) == 30
    assert parse_retry_after("Sun, 01 Mar 2026 11:00:00 GMT", NOW) == 0  # already past
    assert parse_retry_after("99999999999", NOW) == 3600  # capped: reported as too long


def test_unreadable_retry_after_falls_back_to_backoff() -> None:
    for value in (None, "", "soon", "-5", "1.5e3", "Mon, 99 Foo 2026"):
        assert parse_retry_after(value, NOW) is None, value
