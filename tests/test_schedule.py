"""Scheduling as pure functions of (interval, failures, hints, jitter, clock), then the
poller honouring what servers say over MockTransport."""

from __future__ import annotations

import email.utils
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from devfeed.config import parse_config
from devfeed.errors import ConfigError
from devfeed.poller import Poller
from devfeed.schedule import (
    Hints,
    Policy,
    base_wait,
    hints_from_headers,
    is_due,
    is_unhealthy,
    next_poll,
    parse_retry_after,
)
from devfeed.store import Store
from tests.conftest import DATA, FROZEN_NOW

POLICY = Policy()
nows = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)
intervals = st.timedeltas(min_value=timedelta(seconds=1), max_value=timedelta(days=366))
waits = st.none() | st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=3650))
hints = st.builds(Hints, retry_after=waits, min_interval=waits, fresh_for=waits)
failures = st.integers(min_value=0, max_value=10_000)
jitters = st.floats(min_value=0.0, max_value=1.0, exclude_max=True)


def clamped(hint: timedelta | None) -> timedelta:
    return min(hint or timedelta(0), POLICY.max_hint)


@given(nows, intervals, failures, hints, jitters)
def test_the_next_poll_is_always_within_bounds(
    now: datetime, interval: timedelta, failed: int, said: Hints, jitter: float
) -> None:
    due = next_poll(now, interval, failures=failed, hints=said, jitter=jitter)
    # never sooner than the interval, whatever happened
    assert due >= now + interval
    # never later than the longest wait any rule allows, plus the jitter
    longest = max(interval, POLICY.max_backoff, POLICY.unhealthy_retry, POLICY.max_hint)
    assert due <= now + longest * (1 + POLICY.jitter)
    # a source that keeps failing is retried (rarely), never dropped
    if is_unhealthy(failed):
        assert due >= now + POLICY.unhealthy_retry


@given(nows, intervals, failures, hints, jitters)
def test_retry_after_and_every_other_server_hint_is_honoured_up_to_the_clamp(
    now: datetime, interval: timedelta, failed: int, said: Hints, jitter: float
) -> None:
    due = next_poll(now, interval, failures=failed, hints=said, jitter=jitter)
    assert due >= now + clamped(said.retry_after)
    assert due >= now + clamped(said.min_interval)
    assert due >= now + clamped(said.fresh_for)


@given(intervals, st.integers(min_value=0, max_value=200))
def test_back_off_grows_with_each_failure_and_never_shrinks(
    interval: timedelta, failed: int
) -> None:
    assert base_wait(interval, failed + 1) >= base_wait(interval, failed)
    if 0 < failed < POLICY.unhealthy_after:
        expected = min(interval * 2**failed, max(POLICY.max_backoff, interval))
        assert abs(base_wait(interval, failed) - expected) < timedelta(milliseconds=1)


@given(nows, intervals, failures, hints)
def test_jitter_only_ever_adds_and_is_bounded(
    now: datetime, interval: timedelta, failed: int, said: Hints
) -> None:
    plain = next_poll(now, interval, failures=failed, hints=said, jitter=0.0)
    most = next_poll(now, interval, failures=failed, hints=said, jitter=0.999999)
    assert plain <= most <= now + (plain - now) * (1 + POLICY.jitter)


def test_the_schedule_in_examples() -> None:
    half_hour = timedelta(minutes=30)
    assert next_poll(FROZEN_NOW, half_hour) == FROZEN_NOW + half_hour
    assert next_poll(FROZEN_NOW, half_hour, jitter=0.5) == FROZEN_NOW + half_hour * 1.05
    assert [base_wait(half_hour, n) for n in range(6)] == [
        half_hour,
        timedelta(hours=1),
        timedelta(hours=2),
        timedelta(hours=4),
        timedelta(hours=8),
        timedelta(hours=6),  # unhealthy from the fifth failure: every 6 hours
    ]
    a_day = timedelta(days=1)
    assert base_wait(a_day, 3) == a_day, "the back-off cap is never below the interval"
    longer = Hints(retry_after=timedelta(days=400))
    assert next_poll(FROZEN_NOW, half_hour, hints=longer) == FROZEN_NOW + POLICY.max_hint
    assert is_due(None, FROZEN_NOW)


@given(nows, st.integers(min_value=0, max_value=10**9))
def test_retry_after_in_seconds(now: datetime, seconds: int) -> None:
    assert parse_retry_after(str(seconds), now) == timedelta(seconds=seconds)


@given(nows, st.integers(min_value=-(10**8), max_value=10**8))
def test_retry_after_as_an_http_date(now: datetime, offset: int) -> None:
    now = now.replace(microsecond=0)
    header = email.utils.format_datetime(now + timedelta(seconds=offset), usegmt=True)
    assert parse_retry_after(header, now) == timedelta(seconds=max(offset, 0))


@pytest.mark.parametrize("junk", ["", "soon", "-5", "1.5", "٣", "Mon, 99 Foo 2026", None])
def test_retry_after_junk_is_no_hint(junk: str | None) -> None:
    assert parse_retry_after(junk, FROZEN_NOW) is None


def test_hints_from_headers() -> None:
    date = email.utils.format_datetime(FROZEN_NOW, usegmt=True)
    expires = email.utils.format_datetime(FROZEN_NOW + timedelta(hours=3), usegmt=True)
    headers = httpx.Headers(
        {"Cache-Control": "public, max-age=600", "Age": "100", "X-Poll-Interval": "60"}
    )
    assert hints_from_headers(headers, FROZEN_NOW) == Hints(
        min_interval=timedelta(seconds=60), fresh_for=timedelta(seconds=500)
    )
    by_date = httpx.Headers({"Expires": expires, "Date": date, "Retry-After": "30"})
    assert hints_from_headers(by_date, FROZEN_NOW) == Hints(
        retry_after=timedelta(seconds=30), fresh_for=timedelta(hours=3)
    )
    uncached = httpx.Headers({"Cache-Control": "no-cache, max-age=900", "Expires": expires})
    assert hints_from_headers(uncached, FROZEN_NOW) == Hints()
    max_age_wins = httpx.Headers({"Cache-Control": 'max-age="120"', "Expires": expires})
    assert hints_from_headers(max_age_wins, FROZEN_NOW).fresh_for == timedelta(minutes=2)


def test_interval_tiers_and_platform_defaults_in_feeds_toml() -> None:
    config = parse_config(
        '[settings]\npoll_interval = "45m"\n'
        '[platforms.reddit]\npoll_interval = "hourly"\nrate_limit = "20/1m"\n'
        '[[follow]]\nplatform = "rss"\nurl = "https://a.example/feed"\ninterval = "realtime"\n'
        '[[follow]]\nplatform = "reddit"\nprofile = "python"\n'
        '[[follow]]\nplatform = "reddit"\nprofile = "rust"\ninterval = "Daily"\n'
        '[[follow]]\nplatform = "rss"\nurl = "https://b.example/feed"\n'
    )
    assert [config.interval_for(f) for f in config.follows] == [
        timedelta(minutes=2),
        timedelta(hours=1),
        timedelta(days=1),
        timedelta(minutes=45),
    ]
    rate = config.platform("reddit").rate_limit
    assert rate is not None and (rate.requests, rate.per) == (20, timedelta(minutes=1))


@pytest.mark.parametrize(
    ("text", "field", "message"),
    [
        ('interval = "weekly"', "interval", "or name a tier: realtime, hourly, daily"),
        ('interval = "400d"', "interval", "longer than a year"),
    ],
)
def test_bad_intervals_are_named(text: str, field: str, message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        parse_config(f'[[follow]]\nplatform = "rss"\nurl = "https://a.example/f"\n{text}\n')
    assert raised.value.field == field and message in str(raised.value)


def test_a_bad_rate_limit_is_named() -> None:
    with pytest.raises(ConfigError) as raised:
        parse_config('[platforms.reddit]\nrate_limit = "lots"\n')
    assert raised.value.entry == "[platforms.reddit]" and raised.value.field == "rate_limit"
    assert "'300/5m'" in str(raised.value)


async def poll_once(
    tmp_path: Path, handler: httpx.MockTransport, extra: str = ""
) -> tuple[datetime, int]:
    config = parse_config(
        f'{extra}[[follow]]\nplatform = "rss"\nurl = "https://s.example/feed"\ninterval = "30m"\n'
    )
    async with await Store.open(tmp_path / "d.db") as store:
        await Poller(
            config, store, transport=handler, now=lambda: FROZEN_NOW, jitter=lambda: 0.0
        ).poll()
        (state,) = (await store.fetch_states()).values()
    assert state.next_due_at is not None
    return state.next_due_at, state.failures


ATOM = (DATA / "rss" / "atom.xml").read_bytes()
PODCAST = (DATA / "rss" / "podcast.xml").read_bytes()


@pytest.mark.parametrize(
    ("status", "headers", "body", "wait", "failures"),
    [
        (200, {}, ATOM, timedelta(minutes=30), 0),
        (200, {"Cache-Control": "max-age=7200"}, ATOM, timedelta(hours=2), 0),
        (200, {"X-Poll-Interval": "3600"}, ATOM, timedelta(hours=1), 0),
        (200, {}, PODCAST, timedelta(hours=2), 0),  # <ttl>120</ttl>
        (429, {"Retry-After": "18000"}, b"", timedelta(hours=5), 1),
        (503, {"Retry-After": "Sat, 28 Nov 2026 20:00:00 GMT"}, b"", timedelta(hours=8), 1),
        (500, {}, b"", timedelta(hours=1), 1),  # back-off: twice the interval
        (429, {"Retry-After": "99999999"}, b"", timedelta(days=1), 1),  # clamped
    ],
)
async def test_the_poller_schedules_by_what_the_server_said(
    tmp_path: Path,
    status: int,
    headers: dict[str, str],
    body: bytes,
    wait: timedelta,
    failures: int,
) -> None:
    transport = httpx.MockTransport(lambda r: httpx.Response(status, headers=headers, content=body))
    due, failed = await poll_once(tmp_path, transport)
    assert (due - FROZEN_NOW, failed) == (wait, failures)


async def test_a_304_is_scheduled_by_its_own_headers(tmp_path: Path) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.headers.get("if-none-match") == '"v1"':
            return httpx.Response(304, headers={"ETag": '"v1"', "Cache-Control": "max-age=5400"})
        return httpx.Response(200, headers={"ETag": '"v1"'}, content=ATOM)

    first, _ = await poll_once(tmp_path, httpx.MockTransport(handler))
    again, failed = await poll_once(tmp_path, httpx.MockTransport(handler))
    assert (first - FROZEN_NOW, again - FROZEN_NOW, failed) == (
        timedelta(minutes=30),
        timedelta(minutes=90),
        0,
    )
