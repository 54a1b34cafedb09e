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
from devfeed.models import FetchState, Follow, ParseResult, PollResult, PollStatus
from devfeed.platforms import UnsupportedFollow, platform_for
from devfeed.platforms.base import Context, Exchange, Fetch
from devfeed.sanitize import clean_line
from devfeed.store import Store

USER_AGENT = f"devfeed/{__version__} (terminal feed reader; +https://pypi.org/project/devfeed/)"
MAX_BODY_BYTES = 15 * 1024 * 1024
MAX_REDIRECTS = 5
MAX_BACKOFF = timedelta(days=1)


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
    fetched_at: datetime, interval: timedelta, failures: int, ttl: timedelta | None = None
) -> datetime:
    """When a follow is due again: its interval (or the feed's longer `<ttl>`), doubled for
    each consecutive failure up to a day. Pure."""
    wait = max(interval, ttl or timedelta(0))
    if failures:
        wait = min(interval * (2 ** min(failures, 16)), max(MAX_BACKOFF, interval))
    return fetched_at + wait


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


def _status_error(response: httpx.Response) -> HTTPStatusError:
    reason = clean_line(response.reason_phrase, max_length=80)
    return HTTPStatusError(
        f"HTTP {response.status_code} {reason}".strip(),
        status=response.status_code,
        retry_after=_retry_after(response.headers.get("retry-after"), datetime.now(UTC)),
    )


@dataclass(frozen=True)
class _Fetched:
    response: httpx.Response
    body: bytes


class Poller:
    """Polls follows and applies each result to the store as soon as it is ready."""

    def __init__(
        self,
        config: Config,
        store: Store,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        now: Callable[[], datetime] = utc_now,
    ) -> None:
        self.config = config
        self.store = store
        self._transport = transport
        self._now = now
        self._limit = asyncio.Semaphore(config.settings.max_concurrency)

    def _client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            transport=self._transport,
            headers={"User-Agent": self.config.settings.user_agent or USER_AGENT},
            follow_redirects=True,
            max_redirects=MAX_REDIRECTS,
            timeout=httpx.Timeout(self.config.settings.timeout.total_seconds()),
        )

    async def poll(
        self,
        follows: Sequence[Follow] | None = None,
        *,
        only_due: bool = False,
        on_report: Callable[[SourceReport], None] | None = None,
    ) -> list[SourceReport]:
        """Poll `follows` (default: every follow in the config); report each as it ends."""
        chosen = list(self.config.follows if follows is None else follows)
        states = await self.store.fetch_states()
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

    def _failed(self, follow: Follow, error: str, interval: timedelta, failures: int) -> PollResult:
        fetched_at = self._now()
        return PollResult(
            follow=follow,
            fetched_at=fetched_at,
            status=PollStatus.FAILED,
            error=clean_line(error, max_length=500),
            failures=failures + 1,
            next_due_at=next_due(fetched_at, interval, failures + 1),
        )

    async def _fetch_and_parse(
        self, client: httpx.AsyncClient, follow: Follow, state: FetchState | None
    ) -> PollResult:
        platform = platform_for(follow.platform)
        settings = self.config.platform(follow.platform)
        base_url = settings.base_url or platform.default_base_url
        context = Context(base_url=base_url, settings=settings)
        interval = self.config.interval_for(follow)
        exchange = platform.exchange(follow, state, context)
        validators: dict[str, str | None] = {
            "etag": state.etag if state else None,
            "last_modified": state.last_modified if state else None,
        }
        body_hash = state.body_hash if state else None
        http_status: int | None = None
        step: _Step = ("fetch", next(exchange))
        try:
            while step[0] == "fetch":
                fetch = step[1]
                try:
                    fetched = await self._send(client, self._request(client, fetch, state))
                except FetchError as error:
                    step = await asyncio.to_thread(_resume, exchange, None, error)
                    continue
                response = fetched.response
                http_status = response.status_code
                if fetch.conditional and response.status_code < 400:
                    validators = {
                        "etag": response.headers.get("etag") or validators["etag"],
                        "last_modified": response.headers.get("last-modified")
                        or validators["last_modified"],
                    }
                    new_hash = hashlib.sha256(fetched.body).hexdigest()
                    if response.status_code == 304 or new_hash == body_hash:
                        fetched_at = self._now()
                        return PollResult(
                            follow=follow,
                            fetched_at=fetched_at,
                            status=PollStatus.UNCHANGED,
                            http_status=response.status_code,
                            body_hash=body_hash,
                            next_due_at=next_due(fetched_at, interval, 0),
                            **validators,
                        )
                    body_hash = new_hash
                if response.status_code >= 400:
                    step = await asyncio.to_thread(_resume, exchange, None, _status_error(response))
                else:
                    step = await asyncio.to_thread(_resume, exchange, response, None)
        finally:
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
            next_due_at=next_due(fetched_at, interval, 0, parsed.ttl),
            **validators,
        )

    async def run_exchange(self, exchange: Exchange) -> ParseResult:
        """Drive one exchange that belongs to no follow (a page the user added by hand)
        with the same client, limits and error handling as a poll: failed fetches and
        4xx/5xx are thrown into it. Nothing is conditional and nothing is stored."""
        async with self._client() as client:
            step = _resume(exchange, None, None)
            try:
                while step[0] == "fetch":
                    request = self._request(client, step[1], None)
                    try:
                        fetched = await self._send(client, request)
                    except FetchError as error:
                        step = await asyncio.to_thread(_resume, exchange, None, error)
                        continue
                    response = fetched.response
                    if response.status_code >= 400:
                        status = _status_error(response)
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

    async def _send(self, client: httpx.AsyncClient, request: httpx.Request) -> _Fetched:
        deadline = self.config.settings.timeout.total_seconds()
        async with self._limit:
            try:
                async with asyncio.timeout(deadline):
                    response = await client.send(request, stream=True)
                    try:
                        chunks: list[bytes] = []
                        size = 0
                        async for chunk in response.aiter_bytes():
                            size += len(chunk)
                            if size > MAX_BODY_BYTES:
                                raise FetchError(
                                    f"the response is larger than {MAX_BODY_BYTES // 2**20} MiB"
                                )
                            chunks.append(chunk)
                    finally:
                        await response.aclose()
            except TimeoutError:
                raise FetchError(f"no complete answer within {deadline:g} s") from None
            except httpx.TooManyRedirects:
                raise FetchError(f"more than {MAX_REDIRECTS} redirects") from None
            except httpx.HTTPError as error:
                detail = clean_line(str(error), max_length=200) or type(error).__name__
                raise FetchError(f"{type(error).__name__}: {detail}") from None
        body = b"".join(chunks)
        # the parsers read `response.content`: hand them the bytes we already hold
        finished = httpx.Response(
            status_code=response.status_code,
            headers=[
                (k, v)
                for k, v in response.headers.items()
                if k.lower() not in ("content-encoding", "content-length", "transfer-encoding")
            ],
            content=body,
            request=response.request,
        )
        return _Fetched(response=finished, body=body)


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
