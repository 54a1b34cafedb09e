"""Politeness: token buckets as pure functions of an injected clock, per-host caps over a
real loopback server, and deferral when a platform's budget is spent."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from devfeed.config import parse_config
from devfeed.limits import (
    Bucket,
    Deferred,
    Rate,
    RequestLimits,
    bucket_key,
    parse_rate,
)
from devfeed.models import PollStatus
from devfeed.poller import Poller
from devfeed.store import Store
from tests.conftest import FROZEN_NOW
from tests.loopback import Route, serve

TINY_FEED = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>'

rates = st.builds(
    Rate,
    requests=st.integers(min_value=1, max_value=50),
    per=st.timedeltas(min_value=timedelta(seconds=1), max_value=timedelta(hours=1)),
)


@given(rates, st.lists(st.floats(min_value=0, max_value=600), max_size=150))
def test_reserved_requests_never_exceed_the_budget_in_any_window(
    rate: Rate, gaps: list[float]
) -> None:
    bucket = Bucket.full(rate, 0.0)
    now = 0.0
    sends: list[float] = []
    for gap in gaps:
        now += gap
        bucket, delay = bucket.take(rate, now)
        assert delay >= 0
        sends.append(now + delay)
    assert sends == sorted(sends), "reservations are served in order"
    for first in range(len(sends)):
        for last in range(first, len(sends)):
            window = sends[last] - sends[first]
            allowed = rate.requests + window * rate.per_second
            assert last - first + 1 <= allowed + 1e-6


@given(rates, st.lists(st.floats(min_value=0, max_value=600), max_size=50))
def test_a_bucket_is_a_pure_function_of_the_clock(rate: Rate, gaps: list[float]) -> None:
    def replay() -> list[tuple[Bucket, float]]:
        bucket, now, seen = Bucket.full(rate, 0.0), 0.0, []
        for gap in gaps:
            now += gap
            bucket, delay = bucket.take(rate, now)
            seen.append((bucket, delay))
        return seen

    assert replay() == replay()


@given(rates, st.floats(min_value=0, max_value=10_000))
def test_a_bucket_refills_to_its_budget_and_no_further(rate: Rate, idle: float) -> None:
    spent = Bucket(tokens=0.0, at=0.0)
    refilled = spent.refilled(rate, idle)
    assert 0 <= refilled.tokens <= rate.requests
    expected = min(rate.requests, idle * rate.per_second)
    assert refilled.tokens == pytest.approx(expected)
    assert (spent.wait(rate, idle) == 0) == (refilled.tokens >= 1)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_limits_defer_instead_of_waiting_too_long_and_count_instances_apart() -> None:
    clock = FakeClock()
    limits = RequestLimits(
        per_host=2,
        rates={"reddit": Rate(2, timedelta(minutes=1)), "mastodon": Rate(1, timedelta(minutes=5))},
        clock=clock,
    )
    assert limits.reserve("reddit", "www.reddit.com", max_wait=5) == 0
    assert limits.reserve("reddit", "old.reddit.com", max_wait=5) == 0, "one budget per platform"
    with pytest.raises(Deferred) as deferred:
        limits.reserve("reddit", "www.reddit.com", max_wait=5)
    assert deferred.value.delay == pytest.approx(30)
    # a deferral takes nothing: after the wait the token is there
    clock.now += 30
    assert limits.reserve("reddit", "www.reddit.com", max_wait=0) == 0
    # a later request of an exchange waits instead of deferring
    assert limits.reserve("reddit", "www.reddit.com", max_wait=None) == pytest.approx(30)
    # federated platforms: one budget per instance
    assert limits.reserve("mastodon", "fosstodon.org", max_wait=0) == 0
    assert limits.reserve("mastodon", "hachyderm.io", max_wait=0) == 0
    assert bucket_key("mastodon", "hachyderm.io") != bucket_key("mastodon", "fosstodon.org")
    assert limits.reserve("rss", "example.org", max_wait=0) == 0, "no budget: never waits"


def test_an_api_quota_is_spent_by_every_platform_that_calls_the_api() -> None:
    clock = FakeClock()
    limits = RequestLimits(
        rates={"reddit": Rate(10, timedelta(minutes=1))},
        host_rates={"api.example": Rate(2, timedelta(hours=1))},
        clock=clock,
    )
    for _ in range(20):  # the site itself (a feed) is outside the API's quota
        assert limits.reserve("stackoverflow", "stackoverflow.com", max_wait=0) == 0
    assert (
        limits.reserve("stackoverflow", "api.example:443", hostname="API.example", max_wait=0) == 0
    )
    assert limits.reserve("github", "api.example", max_wait=0) == 0
    with pytest.raises(Deferred) as deferred:
        limits.reserve("stackoverflow", "api.example", max_wait=60)
    assert deferred.value.delay == pytest.approx(1800)
    # a request that spends two budgets waits for the later token
    assert limits.reserve("reddit", "api.example", max_wait=None) == pytest.approx(1800)
    assert limits.reserve("reddit", "www.reddit.com", max_wait=0) == 0


def test_rates_as_feeds_toml_writes_them() -> None:
    assert parse_rate("300/5m") == Rate(300, timedelta(minutes=5))
    assert parse_rate(" 10 / 1m ") == Rate(10, timedelta(minutes=1))
    assert parse_rate("none").unlimited
    for junk in ("fast", "0/1m", "10/", "10/lots", "-1/1m"):
        with pytest.raises(ValueError):
            parse_rate(junk)


def test_a_thousand_follows_on_one_host_never_exceed_its_cap(tmp_path: Path) -> None:
    cap, follows = 3, 1000
    routes = {f"/f/{n}": Route(TINY_FEED, etag=f'"{n}"', delay=0.002) for n in range(follows)}
    with serve(routes) as server:
        toml = "[settings]\nmax_concurrency = 16\nper_host_concurrency = 3\n" + "".join(
            f'[[follow]]\nplatform = "rss"\nurl = "{server.base_url}/f/{n}"\n'
            for n in range(follows)
        )
        config = parse_config(toml)

        async def run() -> list[PollStatus | None]:
            async with await Store.open(tmp_path / "d.db") as store:
                poller = Poller(config, store)
                reports = await poller.poll()
                assert max(poller.limits.max_in_flight.values()) == cap
                return [r.status for r in reports]

        started = time.monotonic()
        statuses = asyncio.run(run())
        elapsed = time.monotonic() - started
    assert statuses == [PollStatus.FETCHED] * follows
    assert len(server.seen) == follows
    assert server.max_in_flight == cap, f"the server saw {server.max_in_flight} at once"
    assert elapsed < 60


async def test_a_spent_budget_defers_the_poll_without_failing_it(tmp_path: Path) -> None:
    feed = (Path(__file__).parent / "data" / "rss" / "atom.xml").read_bytes()
    transport = httpx.MockTransport(lambda r: httpx.Response(200, content=feed))
    config = parse_config(
        '[platforms.rss]\nrate_limit = "2/1h"\n'
        + "".join(
            f'[[follow]]\nplatform = "rss"\nurl = "https://x.example/{n}"\n' for n in range(3)
        )
    )
    async with await Store.open(tmp_path / "d.db") as store:
        poller = Poller(
            config, store, transport=transport, now=lambda: FROZEN_NOW, max_token_wait=10
        )
        reports = await poller.poll()
        states = await store.fetch_states()
    assert sorted(r.label if r.deferred else str(r.status) for r in reports) == [
        "deferred",
        "fetched",
        "fetched",
    ]
    (deferred,) = [r for r in reports if r.deferred]
    state = states[deferred.follow.key]
    assert state.failures == 0 and state.status is None and state.error is None
    assert state.next_due_at is not None
    assert timedelta(minutes=29) < state.next_due_at - FROZEN_NOW <= timedelta(minutes=30)
