"""When each follow is polled next. Pure: no I/O; the clock and the randomness come in.

The plan for one follow after one poll:

- success: its interval (from the follow, its platform, or `[settings] poll_interval`),
  stretched when the server asks to be left alone longer (`Cache-Control: max-age`,
  `Expires`, RSS `<ttl>`, GitHub's `X-Poll-Interval`, Stack Exchange's `backoff`,
  `Retry-After`);
- failure: exponential back-off from the interval (2×, 4×, 8× ... capped), never sooner
  than a `Retry-After`; after `unhealthy_after` failures in a row the source is unhealthy
  and retried rarely (`unhealthy_retry`), never dropped;
- then up to `jitter` more (10 %), so follows added together drift apart.

Every server hint is clamped to `max_hint` (a day): a server cannot park a follow for a
year. The jitter only ever adds time, so an interval or a `Retry-After` is always honoured.
"""

from __future__ import annotations

import email.utils
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from devfeed.models import FetchState

if TYPE_CHECKING:
    from devfeed.config import Config


@dataclass(frozen=True)
class Policy:
    """The knobs of scheduling (the defaults are what the daemon uses)."""

    jitter: float = 0.1
    """Up to this fraction of the wait is added at random."""
    max_hint: timedelta = timedelta(days=1)
    """Server hints longer than this are clamped to it."""
    max_backoff: timedelta = timedelta(hours=12)
    """Back-off never grows past this (or past the interval, when that is longer)."""
    unhealthy_after: int = 5
    """Failures in a row after which a source is unhealthy."""
    unhealthy_retry: timedelta = timedelta(hours=6)
    """How often an unhealthy source is retried (or its interval, when that is longer)."""


@dataclass(frozen=True)
class Hints:
    """What the server (or the platform) said about when to come back."""

    retry_after: timedelta | None = None
    """Do not ask again before this (`Retry-After`, Stack Exchange `backoff`)."""
    min_interval: timedelta | None = None
    """Do not poll more often than this (RSS `<ttl>`, GitHub `X-Poll-Interval`)."""
    fresh_for: timedelta | None = None
    """The response stays fresh this long (`Cache-Control: max-age`, `Expires`)."""

    def merge(self, other: Hints) -> Hints:
        """Both sets of hints: the longest of each wins."""
        return Hints(
            retry_after=_longest(self.retry_after, other.retry_after),
            min_interval=_longest(self.min_interval, other.min_interval),
            fresh_for=_longest(self.fresh_for, other.fresh_for),
        )

    def longest(self) -> timedelta | None:
        """The longest wait any hint asks for."""
        return _longest(_longest(self.retry_after, self.min_interval), self.fresh_for)


def _longest(a: timedelta | None, b: timedelta | None) -> timedelta | None:
    if a is None:
        return b
    if b is None:
        return a
    return max(a, b)


def _http_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        when = email.utils.parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when


def _seconds(value: str | None) -> timedelta | None:
    """Whole seconds as a header writes them ("120"); None for anything else."""
    if value is None:
        return None
    text = value.strip()
    if not text.isascii() or not text.isdigit() or len(text) > 12:
        return None
    return timedelta(seconds=int(text))


def parse_retry_after(value: str | None, now: datetime) -> timedelta | None:
    """A `Retry-After` value (delta-seconds or an HTTP date) as a wait from `now`."""
    seconds = _seconds(value)
    if seconds is not None:
        return seconds
    when = _http_date(value)
    if when is None:
        return None
    return max(timedelta(0), when - now)


def _cache_control(value: str) -> dict[str, str | None]:
    directives: dict[str, str | None] = {}
    for part in value.split(","):
        name, _, argument = part.strip().partition("=")
        if name:
            directives[name.strip().lower()] = argument.strip().strip('"') if argument else None
    return directives


def _freshness(headers: Mapping[str, str], now: datetime) -> timedelta | None:
    """How long a response stays fresh: `max-age` minus `Age`, else `Expires` - `Date`."""
    cache_control = _cache_control(headers.get("cache-control", ""))
    if "no-store" in cache_control or "no-cache" in cache_control:
        return None
    age = _seconds(headers.get("age")) or timedelta(0)
    max_age = _seconds(cache_control.get("max-age"))
    if max_age is not None:
        return max(timedelta(0), max_age - age)
    expires = _http_date(headers.get("expires"))
    if expires is None:
        return None
    date = _http_date(headers.get("date")) or now
    return max(timedelta(0), expires - date)


def hints_from_headers(headers: Mapping[str, str], now: datetime) -> Hints:
    """The scheduling hints of one response's headers (keys are case-insensitive in
    httpx's `Headers`; a plain dict must use lower-case keys)."""
    return Hints(
        retry_after=parse_retry_after(headers.get("retry-after"), now),
        min_interval=_seconds(headers.get("x-poll-interval")),
        fresh_for=_freshness(headers, now),
    )


def policy_for(config: Config) -> Policy:
    """The scheduling policy a config asks for."""
    return Policy(unhealthy_after=config.settings.unhealthy_after)


def is_unhealthy(failures: int, policy: Policy = Policy()) -> bool:
    """A source that failed this many times in a row is unhealthy."""
    return failures >= policy.unhealthy_after


def _clamp(hint: timedelta | None, policy: Policy) -> timedelta:
    if hint is None:
        return timedelta(0)
    return min(max(hint, timedelta(0)), policy.max_hint)


def base_wait(interval: timedelta, failures: int, policy: Policy = Policy()) -> timedelta:
    """The wait before jitter and hints: the interval, or the back-off after failures."""
    if failures <= 0:
        return interval
    if is_unhealthy(failures, policy):
        return max(policy.unhealthy_retry, interval)
    cap = max(policy.max_backoff, interval)
    doubled = interval.total_seconds() * 2.0 ** min(failures, 64)  # floats do not overflow here
    return min(timedelta(seconds=doubled), cap) if doubled < cap.total_seconds() else cap


def next_poll(
    now: datetime,
    interval: timedelta,
    *,
    failures: int = 0,
    hints: Hints = Hints(),
    jitter: float = 0.0,
    policy: Policy = Policy(),
) -> datetime:
    """When a follow polled at `now` is due again.

    `failures` counts the failed polls in a row, this one included (0 after a success);
    `jitter` is a random number in [0, 1) (inject it: this function draws none)."""
    wait = max(base_wait(interval, failures, policy), _clamp(hints.longest(), policy))
    spread = policy.jitter * min(max(jitter, 0.0), 1.0)
    return now + wait * (1 + spread)


def is_due(state: FetchState | None, now: datetime) -> bool:
    """A follow never polled, or whose due time has come, is due."""
    return state is None or state.next_due_at is None or state.next_due_at <= now
