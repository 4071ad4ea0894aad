"""Bounded retries for what Entra and the FHIR server need time for.

A fresh app registration, secret, role assignment or Azure RBAC assignment can take minutes to
reach the token service and the FHIR server, so a check that fails for such a reason is tried
again with exponential backoff, until a total wait bound (`--wait`). A 429 names its own delay in
Retry-After, which is honoured as given (never shortened) as long as it fits in the bound.

The clock is injected (`Clock`), so tests run the real policy without waiting.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar

__all__ = [
    "Attempt",
    "Clock",
    "Outcome",
    "RetryPolicy",
    "SystemClock",
    "parse_retry_after",
    "run_with_retry",
]

T = TypeVar("T")

# A Retry-After beyond this is not a throttle but an outage; it is treated as "too long".
MAX_RETRY_AFTER = 3600.0


class Clock(Protocol):
    """Time as the retry loop and the expiry checks see it."""

    def monotonic(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...

    def now(self) -> dt.datetime:
        """The current UTC time (aware)."""
        ...


class SystemClock:
    """The real clock."""

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class RetryPolicy:
    """Backoff `first_delay`, doubling up to `max_delay`, while the total wait stays within
    `budget` seconds (0: one attempt only)."""

    budget: float = 300.0
    first_delay: float = 5.0
    max_delay: float = 60.0

    def delay(self, retry_number: int) -> float:
        """The wait before retry number `retry_number` (1-based) when the server names none."""
        return float(min(self.max_delay, self.first_delay * 2 ** (retry_number - 1)))


@dataclass(frozen=True)
class Outcome(Generic[T]):
    """The result of one attempt: final (`retry_reason` None) or worth another try.

    retry_reason: why another attempt may succeed, in words ("role globalReader not yet in
    the token"); retry_after: the delay the server asked for (Retry-After), if any.
    """

    value: T
    retry_reason: str | None = None
    retry_after: float | None = None


@dataclass
class Attempt(Generic[T]):
    """The last outcome and what waiting it took: one line per retry, for the report."""

    value: T
    final: bool
    waits: list[str] = field(default_factory=list)
    waited: float = 0.0
    gave_up: str | None = None


def run_with_retry(
    attempt: Callable[[], Outcome[T]], policy: RetryPolicy, clock: Clock
) -> Attempt[T]:
    """Call `attempt` until it is final or the wait bound would be exceeded.

    `gave_up` says why the loop stopped with a retryable outcome: the bound, or a Retry-After
    longer than what is left of it.
    """
    start = clock.monotonic()
    waits: list[str] = []
    retry_number = 0
    while True:
        outcome = attempt()
        if outcome.retry_reason is None:
            return Attempt(outcome.value, True, waits, clock.monotonic() - start)
        retry_number += 1
        spent = clock.monotonic() - start
        left = policy.budget - spent
        delay = (
            outcome.retry_after if outcome.retry_after is not None else policy.delay(retry_number)
        )
        if delay > left:
            return Attempt(outcome.value, False, waits, spent, _why_stopped(outcome, delay, policy))
        asked = " (Retry-After)" if outcome.retry_after is not None else ""
        waits.append(f"waited {delay:g} s{asked}: {outcome.retry_reason}")
        clock.sleep(delay)


def _why_stopped(outcome: Outcome[T], delay: float, policy: RetryPolicy) -> str:
    if outcome.retry_after is not None:
        return (
            f"the server asked to retry after {delay:g} s, beyond the wait bound of "
            f"{policy.budget:g} s (--wait)"
        )
    return f"gave up after waiting up to {policy.budget:g} s (--wait)"


def parse_retry_after(value: str | None, now: dt.datetime) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP date (RFC 9110).

    None when absent or unreadable (the caller then backs off on its own); a date in the past
    is 0; anything beyond MAX_RETRY_AFTER is capped there, so the caller reports it as too long.
    """
    if value is None:
        return None
    text = value.strip()
    if text.isdigit():
        return min(float(int(text[:12])), MAX_RETRY_AFTER)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return min(max(0.0, (when - now).total_seconds()), MAX_RETRY_AFTER)
