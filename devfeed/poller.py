"""Polling: which follows are due, fetching them politely, turning responses into results.

The poller owns the one `httpx.AsyncClient` (its transport can be injected), bounds the
requests in flight, sends conditional GETs, never parses an unchanged body, and records
every failure as a value on its source: one broken source never stops the others.
Every request waits for its platform's budget and a free slot on its host (`limits`);
when the source is due again is decided by `schedule` from the interval, the failures
and what the responses' headers asked for.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
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
from devfeed.limits import DEFAULT_RATES, Deferred, Rate, RequestLimits
from devfeed.models import FetchState, Follow, ParseResult, PollResult, PollStatus
from devfeed.parsepool import (
    MIN_SOURCES,
    PREPARE_IN_WORKER,
    ParsePool,
    default_workers,
    parsing_in,
)
from devfeed.platforms import UnsupportedFollow, platform_for
from devfeed.platforms.base import Context, Exchange, Fetch
from devfeed.reports import SourceReport, is_paused, never_fetched, utc_now
from devfeed.sanitize import clean_line
from devfeed.schedule import (
    Hints,
    hints_from_headers,
    is_due,
    next_poll,
    parse_retry_after,
    policy_for,
)
from devfeed.store import GROUP_ENTRIES, GROUP_WAIT_S, Store

USER_AGENT = f"devfeed/{__version__} (terminal feed reader; +https://pypi.org/project/devfeed/)"
PARSE_BUDGET_S = 60.0
"""Seconds a platform may spend in one step of its exchange (parsing a response)."""
EARLY_WRITE_MEAN_ENTRIES = 20
"""A large poll holds its results for groups (`Store.hold_writes`) until its last source is
in. When its sources have brought at least this many entries each on average, it ends the
hold earlier: once the sources still out, at that mean, could not fill a group. Waiting
for one then only leaves a larger last write for after the last parse (up to 2,000
entries, 0.2-0.4 s of a first poll with one core idle). Fewer entries a source (a poll
of unchanged feeds, a daemon's cycle with a few new posts) keep the hold: a transaction
costs ~2.5 ms besides its entries, and without the hold each result could take one."""

log = logging.getLogger(__name__)


def rates_for(config: Config) -> dict[str, Rate]:
    """The request budget of every platform: devfeed's defaults, replaced by
    `[platforms.NAME] rate_limit`."""
    rates = dict(DEFAULT_RATES)
    for name, settings in config.platforms.items():
        if settings.rate_limit is not None:
            rates[name] = settings.rate_limit
    return rates


def limits_for(config: Config) -> RequestLimits:
    """Fresh per-host caps and platform budgets for a config."""
    return RequestLimits(per_host=config.settings.per_host_concurrency, rates=rates_for(config))


def parse_workers_for(config: Config) -> int:
    """How many processes parse the feeds of a large poll: `[settings] parse_workers`, else
    one per core (0: parse in threads)."""
    workers = config.settings.parse_workers
    return default_workers() if workers is None else workers


_SECRET_PARAMS = frozenset({"key", "api_key", "apikey", "access_token", "token", "client_secret"})


def loggable(url: httpx.URL) -> str:
    """A URL for the log, with credentials in its query (`key=`, `access_token=` ...)
    masked."""
    if not any(name.lower() in _SECRET_PARAMS for name in url.params):
        return str(url)
    params = [(k, "***" if k.lower() in _SECRET_PARAMS else v) for k, v in url.params.multi_items()]
    return str(url.copy_with(params=params)).replace("%2A%2A%2A", "***")


def host_of(url: httpx.URL) -> str:
    """The host a request goes to, as the per-host cap counts it (host and port)."""
    return url.host if url.port is None else f"{url.host}:{url.port}"


@dataclass
class _Heard:
    """What the responses of one poll said about scheduling (merged as they come)."""

    hints: Hints = field(default_factory=Hints)

    def add(self, headers: Mapping[str, str], now: datetime) -> None:
        self.hints = self.hints.merge(hints_from_headers(headers, now))


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
    wait = parse_retry_after(value, now)
    return None if wait is None else wait.total_seconds()


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
        limits: RequestLimits | None = None,
        jitter: Callable[[], float] = lambda: 0.0,
        max_token_wait: float | None = None,
        parse_workers: int = 0,
    ) -> None:
        """`transport` replaces the guarded network transport (tests use MockTransport);
        `resolver` replaces the system's name resolution (tests map names to loopback);
        `jitter` draws a number in [0, 1) for each schedule (none by default: the faces
        pass `random.random`); `parse_workers` processes parse the feeds of a poll of
        `parsepool.MIN_SOURCES` follows or more (none by default: the faces pass
        `parse_workers_for(config)`)."""
        self.config = config
        self.store = store
        self._transport = transport
        self._resolver = resolver
        self._now = now
        self._limit = asyncio.Semaphore(config.settings.max_concurrency)
        self.limits = limits or limits_for(config)
        """Per-host caps and platform budgets; they outlive a poll (the daemon keeps one)."""
        self.policy = policy_for(config)
        self._jitter = jitter
        self.max_token_wait = max_token_wait
        """Longest wait for a budget token before a poll is deferred (None: always wait)."""
        self._fetching: set[asyncio.Task[PollResult]] = set()
        self.parse_workers = parse_workers
        """Processes that parse feeds in a large poll (0: every poll parses in threads)."""

    @property
    def now(self) -> datetime:
        """The poller's clock, read now."""
        return self._now()

    def reconfigure(self, config: Config) -> None:
        """Use a reloaded config from the next poll on (call between polls)."""
        self.config = config
        self.policy = policy_for(config)
        self._limit = asyncio.Semaphore(config.settings.max_concurrency)
        self.limits.reconfigure(config.settings.per_host_concurrency, rates_for(config))

    def abandon(self) -> int:
        """Give up every fetch in flight (shutting down): results already applied stay,
        abandoned follows stay due. Returns how many were abandoned."""
        for task in self._fetching:
            task.cancel()
        return len(self._fetching)

    def _next(self, at: datetime, follow: Follow, failures: int, hints: Hints) -> datetime:
        return next_poll(
            at,
            self.config.interval_for(follow),
            failures=failures,
            hints=hints,
            jitter=self._jitter(),
            policy=self.policy,
        )

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
        on_start: Callable[[int], None] | None = None,
    ) -> list[SourceReport]:
        """Poll `follows` (default: every follow in the config that is not paused); report
        each as it ends. Follows named in `follows` are polled even when paused. `on_start`
        hears how many sources will be polled."""
        states = await self.store.fetch_states()
        if follows is None:
            chosen = [f for f in self.config.follows if not is_paused(states.get(f.key))]
        else:
            chosen = list(follows)
        if only_due:
            now = self._now()
            chosen = [f for f in chosen if is_due(states.get(f.key), now)]
        if on_start is not None:
            on_start(len(chosen))
        pool = self._parse_pool(len(chosen))
        # a large poll's results share transactions until its last source is in; one whose
        # sources bring many entries, until the sources still out could not fill a group
        unfetched = len(chosen) if len(chosen) >= MIN_SOURCES else 0
        if unfetched:
            self.store.hold_writes(GROUP_WAIT_S)
        done = done_entries = 0
        closing: asyncio.Future[None] | None = None
        over = False

        def fetched(entries: int) -> None:
            nonlocal unfetched, done, done_entries, closing
            unfetched -= 1
            done += 1
            done_entries += entries
            if unfetched == 0 or (
                done_entries >= EARLY_WRITE_MEAN_ENTRIES * done
                and unfetched * done_entries < GROUP_ENTRIES * done
            ):
                self.store.hold_writes(0)
            if unfetched == 0 and pool is not None and not over:
                # every parse is over: the workers stop while the last results are written
                closing = asyncio.ensure_future(asyncio.to_thread(pool.close))

        try:
            with parsing_in(pool):
                async with self._client() as client:

                    async def one(follow: Follow) -> SourceReport:
                        report = await self._poll_one(
                            client, follow, states.get(follow.key), fetched
                        )
                        if on_report is not None:
                            on_report(report)
                        return report

                    return list(await asyncio.gather(*(one(f) for f in chosen)))
        finally:
            over = True
            self.store.hold_writes(0)
            if pool is not None:
                await (closing or asyncio.to_thread(pool.close))

    def _parse_pool(self, sources: int) -> ParsePool | None:
        """Worker processes for a poll of `sources` follows, or None to parse in threads
        (a small poll: starting the pool would cost more than it saves)."""
        if self.parse_workers < 1 or sources < MIN_SOURCES:
            return None
        pool = ParsePool(self.parse_workers, budget_s=PARSE_BUDGET_S)
        pool.start()
        return pool

    async def _poll_one(
        self,
        client: httpx.AsyncClient,
        follow: Follow,
        state: FetchState | None,
        fetched: Callable[[int], None] = lambda entries: None,
    ) -> SourceReport:
        """Fetch and parse one follow, then write its result; `fetched` hears when the
        fetch has ended, whatever its outcome, with how many entries it brought, before
        the result is handed to the store (a deferred follow's new due time is written
        first)."""
        failures = state.failures if state else 0
        heard = _Heard()
        # the fetch runs as its own task so that `abandon()` can cancel it; applying the
        # result below is never cancelled halfway (it is one short transaction)
        fetching = asyncio.create_task(self._fetch_and_parse(client, follow, state, heard))
        self._fetching.add(fetching)
        result: PollResult | None = None
        try:
            result = await fetching
        except Deferred as deferred:
            until = self._now() + timedelta(seconds=deferred.delay)
            await self.store.defer(follow, until)
            log.debug("deferred %s: %s", clean_line(follow.label), deferred)
            return SourceReport(follow, None, failures=failures, next_due_at=until, deferred=True)
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if current is not None and current.cancelling():
                raise  # this poll itself is being cancelled, not only the fetch
            return SourceReport(follow, None, failures=failures)
        except HTTPStatusError as error:
            wait = None if error.retry_after is None else timedelta(seconds=error.retry_after)
            hints = heard.hints.merge(Hints(retry_after=wait))
            result = self._failed(follow, str(error), failures, hints)
        except (FetchError, ParseError, UnsupportedFollow) as error:
            result = self._failed(follow, str(error), failures, heard.hints)
        except Exception as error:  # a bug must not stop the other sources
            result = self._failed(
                follow, f"internal error: {type(error).__name__}: {error}", failures, heard.hints
            )
        finally:
            self._fetching.discard(fetching)
            fetched(0 if result is None else len(result.entries))
        outcome = await self.store.apply(result)
        return SourceReport(
            follow=follow,
            status=result.status,
            new_entries=outcome.new_entries,
            new_stories=outcome.new_stories,
            error=result.error,
            warning=result.warning,
            failures=result.failures,
            next_due_at=result.next_due_at,
            first_fetch=never_fetched(state),
        )

    def _failed(self, follow: Follow, error: str, failures: int, hints: Hints) -> PollResult:
        fetched_at = self._now()
        return PollResult(
            follow=follow,
            fetched_at=fetched_at,
            status=PollStatus.FAILED,
            error=clean_line(error, max_length=500),
            failures=failures + 1,
            next_due_at=self._next(fetched_at, follow, failures + 1, hints),
        )

    async def _send_limited(
        self,
        client: httpx.AsyncClient,
        platform: str,
        request: httpx.Request,
        policy: TargetPolicy,
        *,
        first: bool = False,
    ) -> Fetched:
        """Send one request inside its platform's budget and its host's cap. Only the first
        request of a poll may be deferred (`Deferred`); later ones wait for their token."""
        max_wait = self.max_token_wait if first else None
        host = host_of(request.url)
        await self.store.room()  # behind: take no token and no host slot until it catches up
        async with self.limits.slot(platform, host, hostname=request.url.host, max_wait=max_wait):
            started = time.monotonic()
            try:
                fetched = await self._send(client, request, policy)
            except FetchError as error:
                log.debug("%s %s failed: %s", request.method, loggable(request.url), error)
                raise
        log.debug(
            "%s %s -> %d, %d bytes in %.0f ms",
            request.method,
            loggable(request.url),
            fetched.response.status_code,
            len(fetched.body),
            (time.monotonic() - started) * 1000,
        )
        return fetched

    async def _fetch_and_parse(
        self,
        client: httpx.AsyncClient,
        follow: Follow,
        state: FetchState | None,
        heard: _Heard,
    ) -> PollResult:
        # a follow fetched before sends mostly known entries: prepare only the new, in the
        # store (this task's own context: the parse threads it starts inherit it)
        PREPARE_IN_WORKER.set(never_fetched(state))
        platform = platform_for(follow.platform)
        settings = self.config.platform(follow.platform)
        base_url = settings.base_url or platform.default_base_url
        context = Context(base_url=base_url, settings=settings)
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
            first = True
            while step[0] == "fetch":
                fetch_step = step[1]
                request = self._request(client, fetch_step, state)
                sent_validators = any(
                    name in request.headers for name in ("if-none-match", "if-modified-since")
                )
                try:
                    fetched = await self._send_limited(
                        client, follow.platform, request, policy, first=first
                    )
                except FetchError as error:
                    step = await resume(None, error)
                    continue
                finally:
                    first = False
                response = fetched.response
                status = http_status = response.status_code
                heard.add(response.headers, self._now())
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
                            next_due_at=self._next(fetched_at, follow, 0, heard.hints),
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
            prepared=parsed.prepared,
            feed_title=parsed.feed_title,
            warning=parsed.warning,
            platform_state=parsed.platform_state,
            moved_to=moved_to,
            next_due_at=self._next(
                fetched_at, follow, 0, heard.hints.merge(Hints(min_interval=parsed.ttl))
            ),
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
                        fetched = await self._send_limited(client, "page", request, policy)
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
        """One bounded fetch (see `devfeed.fetch`), at most `max_concurrency` at once, and
        none while the store is behind (`Store.room`)."""
        limits = Limits(
            deadline_s=self.config.settings.timeout.total_seconds(),
            max_body_bytes=MAX_BODY_BYTES,
            max_redirects=MAX_REDIRECTS,
        )
        async with self._limit:
            await self.store.room()  # again: the first check may have passed long ago
            return await fetch(client, request, limits=limits, policy=policy)
