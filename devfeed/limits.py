"""Politeness around every request: per-host concurrency caps and request budgets.

A big follow list must never hammer one server. These limits apply to every request of an
exchange (the poller asks for a slot around each send):

- at most `per_host` requests in flight to one host (host and port), whatever the platform;
- a token bucket per platform (per instance for federated ones), sized after what the
  platform allows anonymous clients: Mastodon 300 per 5 minutes per instance, Reddit about
  10 a minute ...; and one per API host with a quota (Stack Exchange 300 a day). A request
  waits for its tokens; the first request of a poll that would wait longer than the
  caller allows is *deferred* instead (the follow is polled later, not a failure).

The buckets are pure functions of an injected clock (`Bucket.take(rate, now)`);
`RequestLimits` holds their state and the semaphores for one poller. No HTTP, no store.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import timedelta

from devfeed.durations import parse_interval

_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\S+)\s*$")


@dataclass(frozen=True)
class Rate:
    """A request budget: `requests` per `per`, with bursts up to `requests`.
    `requests == 0` means no budget at all (`rate_limit = "none"`)."""

    requests: int
    """How many requests the period allows (0: unlimited)."""
    per: timedelta
    """The period."""

    @property
    def unlimited(self) -> bool:
        """No budget applies."""
        return self.requests == 0

    @property
    def per_second(self) -> float:
        """Tokens added per second."""
        return self.requests / self.per.total_seconds()

    def __str__(self) -> str:
        if self.unlimited:
            return "none"
        return f"{self.requests}/{int(self.per.total_seconds())}s"


NO_LIMIT = Rate(0, timedelta(seconds=1))


def parse_rate(text: str) -> Rate:
    """A budget as feeds.toml writes it: "300/5m", "10/1m", "10000/1d", or "none".

    Raises ValueError with a message meant for the user."""
    if text.strip().lower() in ("none", "off", "unlimited"):
        return NO_LIMIT
    match = _RATE.match(text)
    if not match:
        raise ValueError(
            f"{text!r} is not a rate; write it like '300/5m' (requests per duration) or 'none'"
        )
    requests = int(match.group(1))
    if requests <= 0:
        raise ValueError(f"{text!r} must allow at least one request (or write 'none')")
    return Rate(requests, parse_interval(match.group(2)))


DEFAULT_RATES: Mapping[str, Rate] = {
    "mastodon": Rate(300, timedelta(minutes=5)),
    "peertube": Rate(50, timedelta(seconds=10)),
    "bluesky": Rate(3000, timedelta(minutes=5)),
    "reddit": Rate(10, timedelta(minutes=1)),
    "lobsters": Rate(30, timedelta(minutes=1)),
    "devto": Rate(3, timedelta(seconds=1)),
    "hackernews": Rate(10_000, timedelta(hours=1)),
}
"""What each platform allows an anonymous client; `[platforms.NAME] rate_limit` replaces
it (an API key usually buys more). Platforms not listed have no budget, only the host cap."""

HOST_RATES: Mapping[str, Rate] = {
    "api.stackexchange.com": Rate(300, timedelta(days=1)),
    "api.github.com": Rate(60, timedelta(hours=1)),
}
"""APIs with a quota per client whoever calls them: Stack Exchange (300 a day without a
key) and GitHub (60 an hour without a token). Stack Overflow and GitHub follows read
their sites' feeds, which these quotas do not cover; a request to the API spends both
its platform's budget and this one."""

PER_INSTANCE: frozenset[str] = frozenset({"mastodon", "peertube"})
"""Federated platforms: each instance has its own budget."""


@dataclass(frozen=True)
class Bucket:
    """A token bucket's state at one moment. Pure: every method takes the clock's reading.

    Tokens may go below zero: each `take` reserves the next free token, so concurrent
    callers queue in order without retry loops."""

    tokens: float
    """Tokens available at `at` (negative: already reserved ahead)."""
    at: float
    """When `tokens` was true (seconds on the limiter's clock)."""

    @classmethod
    def full(cls, rate: Rate, now: float) -> Bucket:
        """A bucket that can burst its whole budget at `now`."""
        return cls(tokens=float(rate.requests), at=now)

    def refilled(self, rate: Rate, now: float) -> Bucket:
        """The bucket at `now` (never more than the budget; time never runs backwards)."""
        if now <= self.at:
            return self
        tokens = min(float(rate.requests), self.tokens + (now - self.at) * rate.per_second)
        return Bucket(tokens=tokens, at=now)

    def wait(self, rate: Rate, now: float) -> float:
        """Seconds from `now` until a token is free (0 when one is free now)."""
        current = self.refilled(rate, now)
        if current.tokens >= 1:
            return 0.0
        return (1 - current.tokens) / rate.per_second

    def take(self, rate: Rate, now: float) -> tuple[Bucket, float]:
        """Reserve one token: the new state, and how long to wait before using it."""
        delay = self.wait(rate, now)
        current = self.refilled(rate, now)
        return replace(current, tokens=current.tokens - 1), delay


class Deferred(Exception):
    """The request's budget has no token within the allowed wait: poll later."""

    def __init__(self, delay: float) -> None:
        super().__init__(f"the request budget is spent for {delay:.0f} s")
        self.delay = delay
        """Seconds until a token is free."""


def bucket_key(platform: str, host: str) -> str:
    """Which platform budget a request of `platform` to `host` spends."""
    if platform in PER_INSTANCE:
        return f"{platform}@{host}"
    return platform


@dataclass
class _HostSlots:
    semaphore: asyncio.Semaphore
    in_flight: int = 0


@dataclass
class RequestLimits:
    """The per-host caps and platform budgets of one poller (its mutable state)."""

    per_host: int = 4
    """Requests in flight at once to one host."""
    rates: Mapping[str, Rate] = field(default_factory=lambda: dict(DEFAULT_RATES))
    """Budget per platform name."""
    host_rates: Mapping[str, Rate] = field(default_factory=lambda: dict(HOST_RATES))
    """Budget per host name (an API's quota)."""
    clock: Callable[[], float] = time.monotonic
    """Seconds, monotonic (inject a fake one in tests)."""
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    """How to wait for a token."""
    _buckets: dict[str, Bucket] = field(default_factory=dict, init=False, repr=False)
    _hosts: dict[str, _HostSlots] = field(default_factory=dict, init=False, repr=False)
    max_in_flight: dict[str, int] = field(default_factory=dict, init=False)
    """Most requests ever in flight per host (for benchmarks and tests)."""

    def reconfigure(self, per_host: int, rates: Mapping[str, Rate]) -> None:
        """New caps and budgets (on a config reload, between cycles); spent tokens stay
        spent so a reload never buys a burst."""
        if per_host != self.per_host:
            self._hosts.clear()
        self.per_host = per_host
        self.rates = dict(rates)

    def rate_for(self, platform: str) -> Rate | None:
        """The budget of a platform, None when it has none."""
        rate = self.rates.get(platform)
        return None if rate is None or rate.unlimited else rate

    def _budgets(self, platform: str, host: str, hostname: str) -> list[tuple[str, Rate]]:
        budgets: list[tuple[str, Rate]] = []
        rate = self.rate_for(platform)
        if rate is not None:
            budgets.append((bucket_key(platform, host), rate))
        api = self.host_rates.get(hostname.lower())
        if api is not None and not api.unlimited:
            budgets.append((f"host:{hostname.lower()}", api))
        return budgets

    def reserve(
        self, platform: str, host: str, *, hostname: str | None = None, max_wait: float | None
    ) -> float:
        """Take a token from every budget the request spends (its platform's, its API
        host's); returns the seconds to wait before sending.

        Raises `Deferred` (taking nothing) when the wait would exceed `max_wait`."""
        budgets = self._budgets(platform, host, hostname or host)
        if not budgets:
            return 0.0
        now = self.clock()
        buckets = [
            (key, rate, self._buckets.get(key) or Bucket.full(rate, now)) for key, rate in budgets
        ]
        delay = max(bucket.wait(rate, now) for _, rate, bucket in buckets)
        if max_wait is not None and delay > max_wait:
            raise Deferred(delay)
        waits = []
        for key, rate, bucket in buckets:
            self._buckets[key], wait = bucket.take(rate, now)
            waits.append(wait)
        return max(waits)

    @asynccontextmanager
    async def slot(
        self,
        platform: str,
        host: str,
        *,
        hostname: str | None = None,
        max_wait: float | None = None,
    ) -> AsyncIterator[None]:
        """Wait for the request's tokens, then for a free slot on the host (`host` with
        its port; `hostname` without, for API quotas); hold the slot while the request
        runs. Raises `Deferred` before waiting at all."""
        delay = self.reserve(platform, host, hostname=hostname, max_wait=max_wait)
        if delay > 0:
            await self.sleep(delay)
        slots = self._hosts.get(host)
        if slots is None:
            slots = self._hosts[host] = _HostSlots(asyncio.Semaphore(self.per_host))
        async with slots.semaphore:
            slots.in_flight += 1
            self.max_in_flight[host] = max(self.max_in_flight.get(host, 0), slots.in_flight)
            try:
                yield
            finally:
                slots.in_flight -= 1
