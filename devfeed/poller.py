"""Polling: which follows are due, fetching them politely, turning responses into results.

The poller owns the one `httpx.AsyncClient` (its transport can be injected), bounds the
requests in flight, sends conditional GETs, never parses an unchanged body, and records
every failure as a value on its source: one broken source never stops the others.
Scheduling (`next_due`) is a pure function of the state and the clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

import httpx

from devfeed import __version__
from devfeed.config import Config
from devfeed.errors import FetchError, HTTPStatusError, ParseError
from devfeed.fetch import (
    MAX_BODY_BYTES,
    MAX_REDIRECTS,
    Fetched,
    GuardedTransport,
    Limits,
    Resolver,
    TargetPolicy,
    fetch,
)
from devfeed.models import FetchState, Follow, ParseResult, PollResult, PollStatus
from devfeed.platforms import UnsupportedFollow, platform_for
from devfeed.platforms.base import Context, Exchange, Fetch
from devfeed.sanitize import clean_line
from devfeed.store import Store

USER_AGENT = f"devfeed/{__version__} (terminal feed reader; +https://pypi.org/project/devfeed/)"
MAX_BACKOFF = timedelta(days=1)
RETRY_AFTER_MIN = timedelta(minutes=1)
RETRY_AFTER_MAX = timedelta(hours=24)
PARSE_BUDGET_S = 60.0
"""Seconds a platform may spend in one step of its exchange (parsing a response)."""


def utc_now() -> datetime:
    """The real clock (inject another one in tests)."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class SourceReport:
    """How polling one follow went, for the summary line."""

    follow: Follow
    status: PollStatus
    new_entries: int = 0
    new_stories: int = 0
    error: str | None = None
    warning: str | None = None

    @property
    def label(self) -> str:
        """`new`, `unchanged` or `failed`, as the summary prints it."""
        if self.status is PollStatus.FAILED:
            return "failed"
        return "new" if self.new_entries else "unchanged"


def next_due(
    fetched_at: datetime,
    interval: timedelta,
    failures: int,
    ttl: timedelta | None = None,
    retry_after: timedelta | None = None,
) -> datetime:
    """When a follow is due again: its interval (or the feed's longer `<ttl>`), doubled for
    each consecutive failure up to a day, and never before a server's `Retry-After`
    (clamped to between a minute and a day). Pure."""
    wait = max(interval, ttl or timedelta(0))
    if failures:
        wait = min(interval * (2 ** min(failures, 16)), max(MAX_BACKOFF, interval))
    if retry_after is not None:
        wait = max(wait, min(max(retry_after, RETRY_AFTER_MIN), RETRY_AFTER_MAX))
    return fetched_at + wait


def is_paused(state: FetchState | None) -> bool:
    """The user paused this follow (`devfeed` skips it until it is resumed). Pure."""
    return state is not None and state.paused_at is not None


def is_due(state: FetchState | None, now: datetime) -> bool:
    """A follow never polled, or whose due time has come, is due. Pure."""
    return state is None or state.next_due_at is None or state.next_due_at <= now


_Step = tuple[Literal["fetch"], Fetch] | tuple[Literal["done"], ParseResult]


def _resume(exchange: Exchange, response: httpx.Response | None, error: Exception | None) -> _Step:
    """Resume a platform's exchange with a response or an error (in a worker thread: it
    may parse). StopIteration cannot cross a thread's future, so it becomes "done"."""
    try:
        fetch = exchange.send(response) if error is None else exchange.throw(error)  # type: ignore[arg-type]
    except StopIteration as stop:
        return ("done", stop.value)
    return ("fetch", fetch)


def _retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds from a `Retry-After` header (delta-seconds or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def _status_error(response: httpx.Response, now: datetime, detail: str = "") -> HTTPStatusError:
    reason = clean_line(response.reason_phrase, max_length=80)
    return HTTPStatusError(
        f"HTTP {response.status_code} {reason}{detail}".strip(),
        status=response.status_code,
        retry_after=_retry_after(response.headers.get("retry-after"), now),
    )


class _ParseTimeout(ParseError):
    """A platform's step outlived `PARSE_BUDGET_S`; its thread is still running."""


class Poller:
    """Polls follows and applies each result to the store as soon as it is ready."""

    def __init__(
        self,
        config: Config,
        store: Store,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        now: Callable[[], datetime] = utc_now,
        resolver: Resolver | None = None,
    ) -> None:
        """`transport` replaces the guarded network transport (tests use MockTransport);
        `resolver` replaces the system's name resolution (tests map names to loopback)."""
        self.config = config
        self.store = store
        self._transport = transport
        self._resolver = resolver
        self._now = now
        self._limit = asyncio.Semaphore(config.settings.max_concurrency)

    def _client(self) -> httpx.AsyncClient:
        # redirects are followed by `fetch`, which re-checks every hop
        return httpx.AsyncClient(
            transport=self._transport or GuardedTransport(self._resolver),
            headers={"User-Agent": self.config.settings.user_agent or USER_AGENT},
            follow_redirects=False,
            timeout=httpx.Timeout(self.config.settings.timeout.total_seconds()),
            trust_env=False,
        )

    async def poll(
        self,
        follows: Sequence[Follow] | None = None,
        *,
        only_due: bool = False,
        on_report: Callable[[SourceReport], None] | None = None,
    ) -> list[SourceReport]:
        """Poll `follows` (default: every follow in the config that is not paused); report
        each as it ends. Follows named in `follows` are polled even when paused."""
        states = await self.store.fetch_states()
        if follows is None:
            chosen = [f for f in self.config.follows if not is_paused(states.get(f.key))]
        else:
            chosen = list(follows)
        if only_due:
            now = self._now()
            chosen = [f for f in chosen if is_due(states.get(f.key), now)]
        async with self._client() as client:

            async def one(follow: Follow) -> SourceReport:
                report = await self._poll_one(client, follow, states.get(follow.key))
                if on_report is not None:
                    on_report(report)
                return report

            return list(await asyncio.gather(*(one(f) for f in chosen)))

    async def _poll_one(
        self, client: httpx.AsyncClient, follow: Follow, state: FetchState | None
    ) -> SourceReport:
        interval = self.config.interval_for(follow)
        failures = state.failures if state else 0
        try:
            result = await self._fetch_and_parse(client, follow, state)
        except HTTPStatusError as error:
            wait = error.retry_after
            retry_after = None if wait is None else timedelta(seconds=wait)
            result = self._failed(follow, str(error), interval, failures, retry_after)
        except (FetchError, ParseError, UnsupportedFollow) as error:
            result = self._failed(follow, str(error), interval, failures)
        except Exception as error:  # a bug must not stop the other sources
            result = self._failed(
                follow, f"internal error: {type(error).__name__}: {error}", interval, failures
            )
        outcome = await self.store.apply(result)
        return SourceReport(
            follow=follow,
            status=result.status,
            new_entries=outcome.new_entries,
            new_stories=outcome.new_stories,
            error=result.error,
            warning=result.warning,
        )

    def _failed(
        self,
        follow: Follow,
        error: str,
        interval: timedelta,
        failures: int,
        retry_after: timedelta | None = None,
    ) -> PollResult:
        fetched_at = self._now()
        return PollResult(
            follow=follow,
            fetched_at=fetched_at,
            status=PollStatus.FAILED,
            error=clean_line(error, max_length=500),
            failures=failures + 1,
            next_due_at=next_due(fetched_at, interval, failures + 1, retry_after=retry_after),
        )

    async def _fetch_and_parse(
        self, client: httpx.AsyncClient, follow: Follow, state: FetchState | None
    ) -> PollResult:
        platform = platform_for(follow.platform)
        settings = self.config.platform(follow.platform)
        base_url = settings.base_url or platform.default_base_url
        context = Context(base_url=base_url, settings=settings)
        interval = self.config.interval_for(follow)
        # the hosts the user configured may be anywhere; every other host must be public
        policy = TargetPolicy.for_configured((follow.url, follow.instance, base_url))
        exchange = platform.exchange(follow, state, context)
        validators: dict[str, str | None] = {
            "etag": state.etag if state else None,
            "last_modified": state.last_modified if state else None,
        }
        body_hash = state.body_hash if state else None
        http_status: int | None = None
        moved_to: str | None = None
        running = False  # a timed-out step still owns the generator: never close it then

        async def resume(response: httpx.Response | None, error: Exception | None) -> _Step:
            nonlocal running
            running = True
            try:
                step = await asyncio.wait_for(
                    asyncio.to_thread(_resume, exchange, response, error), PARSE_BUDGET_S
                )
            except TimeoutError:
                raise _ParseTimeout(f"parsing took longer than {PARSE_BUDGET_S:g} s") from None
            running = False
            return step

        try:
            step: _Step = ("fetch", next(exchange))
            while step[0] == "fetch":
                fetch_step = step[1]
                request = self._request(client, fetch_step, state)
                sent_validators = any(
                    name in request.headers for name in ("if-none-match", "if-modified-since")
                )
                try:
                    fetched = await self._send(client, request, policy)
                except FetchError as error:
                    step = await resume(None, error)
                    continue
                response = fetched.response
                status = http_status = response.status_code
                if status == 304 and not sent_validators:
                    # a 304 to a request that asked nothing would be "unchanged" forever
                    detail = " to a request without validators"
                    step = await resume(None, _status_error(response, self._now(), detail))
                    continue
                if fetch_step.conditional and follow.url and request.url == httpx.URL(follow.url):
                    moved_to = fetched.moved_to
                if (fetch_step.conditional and status < 300) or status == 304:
                    validators = {
                        "etag": response.headers.get("etag") or validators["etag"],
                        "last_modified": response.headers.get("last-modified")
                        or validators["last_modified"],
                    }
                    new_hash = hashlib.sha256(fetched.body).hexdigest()
                    if status == 304 or new_hash == body_hash:
                        fetched_at = self._now()
                        return PollResult(
                            follow=follow,
                            fetched_at=fetched_at,
                            status=PollStatus.UNCHANGED,
                            http_status=status,
                            body_hash=body_hash,
                            moved_to=moved_to,
                            next_due_at=next_due(fetched_at, interval, 0),
                            **validators,
                        )
                    body_hash = new_hash
                if status >= 300:
                    step = await resume(None, _status_error(response, self._now()))
                else:
                    step = await resume(response, None)
        finally:
            if not running:
                exchange.close()
        parsed = step[1]
        assert isinstance(parsed, ParseResult)
        fetched_at = self._now()
        return PollResult(
            follow=follow,
            fetched_at=fetched_at,
            status=PollStatus.FETCHED,
            http_status=http_status,
            body_hash=body_hash,
            entries=parsed.entries,
            feed_title=parsed.feed_title,
            warning=parsed.warning,
            platform_state=parsed.platform_state,
            moved_to=moved_to,
            next_due_at=next_due(fetched_at, interval, 0, parsed.ttl),
            **validators,
        )

    async def run_exchange(
        self, exchange: Exchange, *, configured: Sequence[str | None] = ()
    ) -> ParseResult:
        """Drive one exchange that belongs to no follow (a page the user added by hand)
        with the same client, limits and error handling as a poll: failed fetches and
        4xx/5xx are thrown into it. Nothing is conditional and nothing is stored.
        `configured` are the URLs or hosts the user named (see `TargetPolicy`)."""
        policy = TargetPolicy.for_configured(configured)
        async with self._client() as client:
            step = _resume(exchange, None, None)
            try:
                while step[0] == "fetch":
                    request = self._request(client, step[1], None)
                    try:
                        fetched = await self._send(client, request, policy)
                    except FetchError as error:
                        step = await asyncio.to_thread(_resume, exchange, None, error)
                        continue
                    response = fetched.response
                    if response.status_code >= 300:
                        status = _status_error(response, self._now())
                        step = await asyncio.to_thread(_resume, exchange, None, status)
                    else:
                        step = await asyncio.to_thread(_resume, exchange, response, None)
            finally:
                exchange.close()
        parsed = step[1]
        assert isinstance(parsed, ParseResult)
        return parsed

    def _request(
        self, client: httpx.AsyncClient, fetch: Fetch, state: FetchState | None
    ) -> httpx.Request:
        """The platform's request built through the client, so its defaults (User-Agent)
        apply; the stored validators go on the conditional one."""
        planned = fetch.request
        request = client.build_request(
            planned.method, planned.url, headers=planned.headers, content=planned.content
        )
        if fetch.conditional and state is not None:
            if state.etag:
                request.headers["If-None-Match"] = state.etag
            if state.last_modified:
                request.headers["If-Modified-Since"] = state.last_modified
        return request

    async def _send(
        self, client: httpx.AsyncClient, request: httpx.Request, policy: TargetPolicy
    ) -> Fetched:
        """One bounded fetch (see `devfeed.fetch`), at most `max_concurrency` at once."""
        limits = Limits(
            deadline_s=self.config.settings.timeout.total_seconds(),
            max_body_bytes=MAX_BODY_BYTES,
            max_redirects=MAX_REDIRECTS,
        )
        async with self._limit:
            return await fetch(client, request, limits=limits, policy=policy)


async def run_until_stopped(
    poller: Poller,
    stop: asyncio.Event,
    *,
    on_report: Callable[[SourceReport], None] | None = None,
    max_sleep: timedelta = timedelta(minutes=1),
) -> int:
    """Poll what is due, sleep until the next follow is due (at most `max_sleep`), repeat
    until `stop` is set. Returns the number of cycles run."""
    cycles = 0
    while not stop.is_set():
        await poller.poll(only_due=True, on_report=on_report)
        cycles += 1
        states = await poller.store.fetch_states()
        now = poller._now()
        due_times = [
            state.next_due_at
            for follow in poller.config.follows
            if (state := states.get(follow.key)) is not None and state.next_due_at is not None
        ]
        wait = min([*(d - now for d in due_times), max_sleep])
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=max(wait.total_seconds(), 1.0))
    return cycles
