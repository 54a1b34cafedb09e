"""The operations both faces call: one function per thing a user can ask for.

The CLI parses arguments and calls one of these; the TUI's workers do the same. Each
opens the store it needs, does the work through the core, and returns values (never
prints). No domain decision lives in the faces.

The poll path (`devfeed.poller`: the HTTP client, the platforms, the parsers) and the
page fetcher are imported by the functions that fetch, not here: the reader and most
commands never fetch, and start ~0.1 s sooner without them
(`tests/test_architecture.py` keeps it so).
"""

from __future__ import annotations

import asyncio
import json
import random
import signal
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from devfeed import lunch, opener
from devfeed.config import Config
from devfeed.daemon import Daemon, LockHolder, PollerLock, cycle_of, lock_holder
from devfeed.dedup import describe_join, youtube_video_id
from devfeed.durations import format_interval
from devfeed.errors import UsageError
from devfeed.export import GROUP_BY, iso, markdown, stories_json
from devfeed.following import find_follow
from devfeed.hints import hint_for
from devfeed.models import Cycle, Follow, ParseResult, PollStatus, Story
from devfeed.notify import notify
from devfeed.reports import SourceReport, utc_now
from devfeed.sanitize import clean_line, clean_text, safe_url
from devfeed.schedule import is_unhealthy, policy_for
from devfeed.store import EntryJoin, FeedQuery, IngestPolicy, Store, View
from devfeed.vault import VaultReport, write_vault

if TYPE_CHECKING:
    import httpx

QUEUES = ("saved", "lunch")
DAEMON_TOKEN_WAIT_S = 10.0
"""The daemon puts a poll off rather than wait longer than this for its platform's budget."""


def ingest_policy(config: Config) -> IngestPolicy:
    """What `[settings]` says about ingesting."""
    return IngestPolicy(resurrect_on_new_sighting=config.settings.resurrect_on_new_sighting)


async def poll(
    config: Config,
    db_path: Path,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    now: Callable[[], datetime] = utc_now,
    only_due: bool = False,
    follows: Sequence[Follow] | None = None,
    on_report: Callable[[SourceReport], None] | None = None,
    on_start: Callable[[int], None] | None = None,
) -> list[SourceReport]:
    """Poll the config's follows once (or only those that are due, or only `follows`)
    into the store, record the cycle and run the notification hook. Refused
    (`AlreadyPolling`) while another process polls the same database."""
    from devfeed.poller import Poller, parse_workers_for

    with PollerLock(db_path, "once", now=now):
        async with await Store.open(db_path, ingest_policy(config), poller=True) as store:
            poller = Poller(
                config,
                store,
                transport=transport,
                now=now,
                jitter=random.random,
                parse_workers=parse_workers_for(config),
            )
            started = now()
            reports = await poller.poll(
                follows, only_due=only_due, on_report=on_report, on_start=on_start
            )
            await store.record_cycle(cycle_of(reports, "once", started, now()))
    await notify(config.settings.notify_command, reports)
    return reports


def find_follows(config: Config, names: Sequence[str]) -> list[Follow]:
    """The follows `names` mean (a key, what `follow` would make of it, or a name; see
    `following.find_follow`), once each, in the order given. Raises `UsageError`."""
    found: list[Follow] = []
    for name in names:
        follow = config.follows[find_follow(config.follows, name)]
        if follow not in found:
            found.append(follow)
    return found


async def collect(store: Store, query: FeedQuery, limit: int | None) -> list[Story]:
    """Up to `limit` stories of a view (all when None), newest first, page by page."""
    stories: list[Story] = []
    cursor = None
    while limit is None or len(stories) < limit:
        size = 200 if limit is None else min(200, limit - len(stories))
        page = await store.feed_page(query, after=cursor, limit=size)
        stories.extend(page.stories)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    return stories


async def list_stories(db_path: Path, query: FeedQuery, limit: int | None) -> list[Story]:
    """Stories of a view, newest first."""
    async with await Store.open(db_path) as store:
        return await collect(store, query, limit)


async def mark(
    db_path: Path,
    story_id: int,
    *,
    now: datetime,
    read: bool | None = None,
    saved: bool | None = None,
    lunch: bool | None = None,
) -> Story:
    """Change the user's state of one story; returns the story as it now is."""
    async with await Store.open(db_path) as store:
        story = await store.story(story_id)
        if read is not None:
            story = await store.set_read(story_id, read)
        if saved is not None:
            story = await store.save(story_id, now, saved)
        if lunch is not None:
            story = await store.lunch(story_id, now, lunch)
        return story


@dataclass(frozen=True)
class Explanation:
    """Why a story's entries are one story (`devfeed why`)."""

    story: Story
    entries: tuple[EntryJoin, ...]

    def _label(self, entry_id: int) -> str:
        for entry in self.entries:
            if entry.entry_id == entry_id:
                return f"#{entry_id} ({entry.platform})"
        return f"#{entry_id}"

    def reasons(self, entry: EntryJoin) -> list[str]:
        """Why `entry` is in the story, one line per reason."""
        if not entry.reasons:
            return [describe_join({"rule": "first"})]
        return [describe_join(reason, self._label) for reason in entry.reasons]

    def to_json(self) -> dict[str, Any]:
        """`why --json`: the story id and title, and per entry its reasons and sightings."""
        return {
            "id": self.story.id,
            "title": self.story.title,
            "entries": [
                {
                    "entry": e.entry_id,
                    "platform": e.platform,
                    "native_id": e.native_id,
                    "title": e.title,
                    "author": e.author,
                    "url": e.url,
                    "link": e.link,
                    "why": self.reasons(e),
                    "reasons": list(e.reasons),
                    "sightings": [{"follow": f, "boosted_by": b} for f, b in e.follows],
                }
                for e in self.entries
            ],
        }


async def why(db_path: Path, story_id: int) -> Explanation:
    """A story with the reason each of its entries belongs to it."""
    async with await Store.open(db_path) as store:
        story = await store.story(story_id)
        return Explanation(story=story, entries=tuple(await store.joins(story_id)))


async def export_queue(
    db_path: Path, queue: str, fmt: str, *, now: datetime, group_by: str = "day"
) -> str:
    """A queue as Markdown (`md`, grouped by `day`, `tag` or `platform`) or JSON (`json`)."""
    if queue not in QUEUES:
        raise UsageError(f"there is no queue {queue!r}; choose one of {', '.join(QUEUES)}")
    if group_by not in GROUP_BY:
        raise UsageError(f"cannot group by {group_by!r}; choose one of {', '.join(GROUP_BY)}")
    stories = await list_stories(db_path, FeedQuery(view=View(queue)), None)
    if fmt == "json":
        return json.dumps(stories_json(stories), indent=2, ensure_ascii=False) + "\n"
    if fmt == "md":
        return markdown(stories, queue=queue, exported_at=now, group_by=group_by)
    raise UsageError(f"unknown export format {fmt!r}; choose md or json")


def render_queue(
    stories: list[Story], queue: str, fmt: str, *, now: datetime, group_by: str = "day"
) -> str:
    """A queue's stories as the text of an export."""
    if fmt == "json":
        return json.dumps(stories_json(stories), indent=2, ensure_ascii=False) + "\n"
    return markdown(stories, queue=queue, exported_at=now, group_by=group_by)


def export_format_for(path: Path) -> str:
    """The export format a file name asks for: `json` for *.json, else Markdown."""
    return "json" if path.suffix.lower() == ".json" else "md"


async def export_to_file(store: Store, queue: str, path: Path, *, now: datetime) -> int:
    """Write a queue of an open store to `path` (JSON for *.json, Markdown otherwise);
    returns how many stories were written. Raises `UsageError` when it cannot write."""
    fmt = export_format_for(path)
    if queue not in QUEUES:
        raise UsageError(f"there is no queue {queue!r}; choose one of {', '.join(QUEUES)}")
    stories = await collect(store, FeedQuery(view=View(queue)), None)
    text = render_queue(stories, queue, fmt, now=now)
    try:
        await asyncio.to_thread(_write_text, path, text)
    except OSError as error:
        raise UsageError(f"cannot write {path}: {error.strerror or error}") from None
    return len(stories)


def _write_text(path: Path, text: str) -> None:
    path.expanduser().write_text(text, encoding="utf-8")


async def export_vault(db_path: Path, queue: str, folder: Path) -> VaultReport:
    """A queue as one Markdown note per story in `folder` (updated in place on re-runs)."""
    if queue not in QUEUES:
        raise UsageError(f"there is no queue {queue!r}; choose one of {', '.join(QUEUES)}")
    stories = await list_stories(db_path, FeedQuery(view=View(queue)), None)
    return await asyncio.to_thread(write_vault, folder, stories, queue)


# -- queueing by id or by URL -----------------------------------------------------------

ConfigSource = Config | Callable[[], Config]
"""A config, or how to load it (only URLs need one: an id works with a broken feeds.toml)."""


@dataclass(frozen=True)
class Added:
    """A story put in (or taken out of) a queue, and what the user should know."""

    story: Story
    """The story as it now is."""
    warning: str | None = None
    """Something that went wrong but did not stop it (the page could not be fetched)."""


def parse_target(target: str) -> int | str:
    """A story id (digits) or a safe http(s) URL. Raises `UsageError` for anything else."""
    text = target.strip()
    if text.isdigit():
        return int(text)
    url = safe_url(text)
    if url is None:
        raise UsageError(
            f"{clean_line(target, max_length=80)!r} is neither a story id nor an http(s) URL "
            "devfeed can fetch (a host, a valid port, no user info)"
        )
    return url


def _config_of(config: ConfigSource) -> Config:
    return config if isinstance(config, Config) else config()


async def fetch_page(
    config: Config,
    store: Store,
    url: str,
    *,
    now: datetime,
    transport: httpx.AsyncBaseTransport | None = None,
) -> ParseResult:
    """What `url` is, as one entry: fetched through the poller's client and limits, or
    the URL alone with a warning when it cannot be fetched (never raises for that)."""
    from devfeed.pages import YOUTUBE_BASE, fallback_entry, page_exchange
    from devfeed.poller import Poller

    youtube = config.platform("youtube").base_url or YOUTUBE_BASE
    poller = Poller(config, store, transport=transport, now=lambda: now)
    try:
        return await poller.run_exchange(
            page_exchange(url, youtube_base=youtube), configured=(url, youtube)
        )
    except Exception as error:  # offline-safe: whatever failed, the URL is still saved
        why = clean_line(f"{type(error).__name__}: {error}", max_length=200)
        return ParseResult(
            entries=(fallback_entry(url),),
            warning=f"could not read the page ({why}); saved with its URL as the title",
        )


async def _resolve(
    store: Store,
    target: str,
    *,
    queue: str,
    config: ConfigSource,
    now: datetime,
    transport: httpx.AsyncBaseTransport | None,
    fetch: bool,
) -> Added:
    """The story `target` names. A URL the store does not know yet is fetched and filed;
    a known story is fetched again when it only has its URL as a title, or when Lunch
    needs the length of a video that lacks one (a YouTube feed never says). A failed
    fetch never adds anything to a story that exists. `fetch=False` only looks."""
    parsed = parse_target(target)
    if isinstance(parsed, int):
        story = await store.story(parsed)
        url = safe_url(story.url) if story.url else None
        video = story.kind == "video" or (url is not None and youtube_video_id(url) is not None)
        if not (fetch and queue == "lunch" and video and not story.duration_s and url):
            return Added(story)
        existing: Story | None = story
        parsed = url
    else:
        existing = await store.story_for_url(parsed)
        if not fetch:
            if existing is None:
                raise UsageError(f"there is no story with the URL {parsed}")
            return Added(existing)
        placeholder = existing is not None and existing.title == existing.url
        if existing is not None and not placeholder and (queue == "saved" or existing.duration_s):
            return Added(existing)
    result = await fetch_page(_config_of(config), store, parsed, now=now, transport=transport)
    entry = result.entries[0]
    if existing is not None:
        from devfeed.pages import fallback_entry  # loaded by `fetch_page` by now

        if entry == fallback_entry(parsed):  # nothing learned: leave the story as it is
            return Added(existing, result.warning)
        if existing.url:  # stay in the story the user meant
            entry = entry.model_copy(update={"url": existing.url, "link": None})
    story = await store.add_by_hand(entry, now)
    return Added(story, result.warning)


def _tags(tags: Sequence[str]) -> list[str]:
    cleaned = (clean_line(tag, max_length=60).lstrip("#").strip() for tag in tags)
    return list(dict.fromkeys(tag for tag in cleaned if tag))


async def save(
    db_path: Path,
    target: str,
    *,
    now: datetime,
    config: ConfigSource,
    note: str | None = None,
    tags: Sequence[str] = (),
    untag: Sequence[str] = (),
    undo: bool = False,
    transport: httpx.AsyncBaseTransport | None = None,
) -> Added:
    """Put a story (an id, or any http(s) URL: fetched and filed) in Saved, or take it
    out (`undo`). `note` replaces the note ("" removes it); `tags` are added and `untag`
    removed. The note and tags stay when a story leaves Saved."""
    async with await Store.open(db_path) as store:
        added = await _resolve(
            store,
            target,
            queue="saved",
            config=config,
            now=now,
            transport=transport,
            fetch=not undo,
        )
        story = await store.save(added.story.id, now, not undo)
        if note is not None:
            story = await store.set_note(story.id, clean_text(note, max_length=5000).strip())
        if tags or untag:
            drop = set(_tags(untag))
            kept = [t for t in story.saved_tags if t not in drop]
            story = await store.set_saved_tags(story.id, _tags([*kept, *_tags(tags)]))
        return Added(story, added.warning)


async def queue_lunch(
    db_path: Path,
    target: str,
    *,
    now: datetime,
    config: ConfigSource,
    undo: bool = False,
    transport: httpx.AsyncBaseTransport | None = None,
) -> Added:
    """Queue a story (an id, or any http(s) URL: fetched for its title and length) for
    Lunch, or take it out (`undo`)."""
    async with await Store.open(db_path) as store:
        added = await _resolve(
            store,
            target,
            queue="lunch",
            config=config,
            now=now,
            transport=transport,
            fetch=not undo,
        )
        story = await store.lunch(added.story.id, now, not undo)
        warning = added.warning
        if not undo and not story.duration_s and warning is None:
            warning = "its length is not known, so the lunch planner will leave it out"
        return Added(story, warning)


async def lunch_done(db_path: Path, story_id: int, *, now: datetime, done: bool = True) -> Story:
    """Mark a Lunch video watched (it leaves the queue, stays in `View.LUNCH_DONE`), or
    put it back in the queue (`done=False`)."""
    async with await Store.open(db_path) as store:
        return await store.lunch_done(story_id, now, done)


def _minutes(config: ConfigSource, minutes: int | None) -> int:
    return minutes if minutes is not None else _config_of(config).settings.lunch_minutes


async def lunch_plan(
    db_path: Path, *, config: ConfigSource, minutes: int | None = None
) -> lunch.Plan:
    """The plan that best fills a break of `minutes` (default `[settings] lunch_minutes`)."""
    wanted = _minutes(config, minutes)
    if not 1 <= wanted <= lunch.MAX_MINUTES:
        raise UsageError(f"a lunch break is 1 to {lunch.MAX_MINUTES} minutes, not {wanted}")
    async with await Store.open(db_path) as store:
        return lunch.plan(await store.lunch_queue(), wanted)


@dataclass(frozen=True)
class Played:
    """How playing a plan went."""

    plan: lunch.Plan
    argv: tuple[str, ...]
    """The player's command line."""
    exit_code: int
    """The player's exit status."""
    marked_done: tuple[Story, ...]
    """The videos marked watched (all of the plan's when the player exited 0, else none)."""
    skipped: tuple[Story, ...] = ()
    """Videos of the plan without a safe http(s) URL: not played, not marked."""


async def play_plan(
    store: Store,
    plan: lunch.Plan,
    player: Sequence[str],
    *,
    now: datetime,
    keep: bool = False,
    run: Callable[[Sequence[str]], int] = opener.run_player,
) -> Played:
    """Play a plan's videos as one playlist (`player` argv, `--`, the URLs; no shell) and,
    when the player exits 0 and `keep` is false, mark them watched. `run` blocks until the
    player exits (the TUI calls this inside `App.suspend()`)."""
    playable = [s for s in plan.videos if s.url and safe_url(s.url)]
    skipped = tuple(s for s in plan.videos if s not in playable)
    argv = opener.player_argv([s.url for s in playable if s.url], player)
    code = await asyncio.to_thread(run, argv)
    marked: list[Story] = []
    if code == 0 and not keep:
        for story in playable:
            marked.append(await store.lunch_done(story.id, now))
    return Played(plan, tuple(argv), code, tuple(marked), skipped)


async def lunch_play(
    config: Config,
    db_path: Path,
    *,
    now: datetime,
    minutes: int | None = None,
    keep: bool = False,
    run: Callable[[Sequence[str]], int] = opener.run_player,
) -> Played:
    """Plan the break and play the plan in `[settings] player`."""
    plan = await lunch_plan(db_path, config=config, minutes=minutes)
    if not plan.videos:
        raise UsageError("nothing in the Lunch queue fits the break")
    async with await Store.open(db_path) as store:
        return await play_plan(store, plan, config.settings.player, now=now, keep=keep, run=run)


@dataclass(frozen=True)
class Source:
    """A follow and how polling it has gone."""

    follow: Follow
    interval_s: int
    status: PollStatus | None
    error: str | None
    failures: int
    entries: int
    last_polled_at: datetime | None
    last_ok_at: datetime | None
    next_due_at: datetime | None
    feed_title: str | None
    warning: str | None = None
    moved_to: str | None = None
    """Where the follow's URL permanently redirects to (update feeds.toml to it)."""
    paused_at: datetime | None = None
    """When the user paused it (the poller skips it); None when it is polled."""
    unread: int | None = None
    """Unread stories it brought, when counted (the reader's Sources screen counts)."""

    @property
    def hint(self) -> str | None:
        """What to do about the last error, if anything."""
        return hint_for(self.follow.platform, self.error)

    unhealthy: bool = False
    """Failed `[settings] unhealthy_after` times in a row (retried rarely, never dropped)."""

    def to_json(self) -> dict[str, Any]:
        """The `sources --json` fields (a contract: add fields, never rename)."""
        return {
            "key": self.follow.key,
            "platform": self.follow.platform,
            "name": self.follow.label,
            "target": self.follow.target,
            "instance": self.follow.instance,
            "interval": format_interval(timedelta(seconds=self.interval_s)),
            "interval_s": self.interval_s,
            "status": self.status.value if self.status else None,
            "error": self.error,
            "failures": self.failures,
            "entries": self.entries,
            "last_polled_at": iso(self.last_polled_at) if self.last_polled_at else None,
            "last_ok_at": iso(self.last_ok_at) if self.last_ok_at else None,
            "next_due_at": iso(self.next_due_at) if self.next_due_at else None,
            "feed_title": self.feed_title,
            "warning": self.warning,
            "moved_to": self.moved_to,
            "paused": self.paused_at is not None,
            "hint": self.hint,
            "unhealthy": self.unhealthy,
        }


async def sources(config: Config, db_path: Path) -> list[Source]:
    """Every follow of the config with its fetch state, in config order."""
    async with await Store.open(db_path) as store:
        return await sources_from(config, store)


async def sources_from(config: Config, store: Store, *, unread: bool = False) -> list[Source]:
    """Every follow of the config with its fetch state, in config order, from an open
    store; with `unread`, also how many unread stories each brought (reads every story's
    follow facets: slower on a big store)."""
    states = await store.fetch_states()
    counts = await store.entry_counts()
    unread_counts = await store.unread_counts() if unread else None
    result: list[Source] = []
    policy = policy_for(config)
    for follow in config.follows:
        state = states.get(follow.key)
        result.append(
            Source(
                follow=follow,
                interval_s=int(config.interval_for(follow).total_seconds()),
                status=state.status if state else None,
                error=state.error if state else None,
                failures=state.failures if state else 0,
                entries=counts.get(follow.key, 0),
                last_polled_at=state.last_polled_at if state else None,
                last_ok_at=state.last_ok_at if state else None,
                next_due_at=state.next_due_at if state else None,
                feed_title=state.feed_title if state else None,
                warning=state.warning if state else None,
                moved_to=state.moved_to if state else None,
                paused_at=state.paused_at if state else None,
                unread=None if unread_counts is None else unread_counts.get(follow.key, 0),
                unhealthy=is_unhealthy(state.failures, policy) if state else False,
            )
        )
    return result


async def run_daemon(
    config: Config,
    db_path: Path,
    *,
    load_config: Callable[[], Config] | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    max_sleep: timedelta = timedelta(minutes=1),
) -> int:
    """Poll each follow on its schedule until SIGTERM/SIGINT; SIGHUP (or a changed
    feeds.toml) reloads the follows through `load_config`. Returns the cycles run.
    Refused (`AlreadyPolling`) while another process polls the same database."""
    from devfeed.poller import Poller, parse_workers_for

    loop = asyncio.get_running_loop()
    with PollerLock(db_path, "daemon", now=utc_now):
        async with await Store.open(db_path, ingest_policy(config), poller=True) as store:
            poller = Poller(
                config,
                store,
                transport=transport,
                jitter=random.random,
                max_token_wait=DAEMON_TOKEN_WAIT_S,
                parse_workers=parse_workers_for(config),
            )
            daemon = Daemon(poller, load_config=load_config, max_sleep=max_sleep)
            handlers = {
                signal.SIGTERM: daemon.request_stop,
                signal.SIGINT: daemon.request_stop,
                signal.SIGHUP: daemon.request_reload,
            }
            for signum, handler in handlers.items():
                loop.add_signal_handler(signum, handler)
            try:
                return await daemon.run()
            finally:
                for signum in handlers:
                    loop.remove_signal_handler(signum)


@dataclass(frozen=True)
class Status:
    """What `devfeed status` reports."""

    daemon: LockHolder | None
    """Who polls the database now (None: nobody)."""
    last_cycle: Cycle | None
    """The most recent poll cycle (daemon or --once)."""
    next_due_at: datetime | None
    """When the next follow is due (now, for one never polled); None without follows."""
    next_source: Source | None
    """The follow due next."""
    sources: list[Source]
    """Every follow with its state."""

    @property
    def unhealthy(self) -> list[Source]:
        """Sources that failed too often in a row (retried rarely, never dropped)."""
        return [s for s in self.sources if s.unhealthy]

    def to_json(self) -> dict[str, Any]:
        """The `status --json` document (a contract: add fields, never rename)."""
        cycle = self.last_cycle
        return {
            "daemon": {
                "running": self.daemon is not None,
                "pid": self.daemon.pid if self.daemon else None,
                "mode": self.daemon.mode if self.daemon else None,
                "since": self.daemon.since if self.daemon else None,
            },
            "last_cycle": None
            if cycle is None
            else {
                "mode": cycle.mode,
                "pid": cycle.pid,
                "started_at": iso(cycle.started_at),
                "finished_at": iso(cycle.finished_at),
                "sources": cycle.sources,
                "new_stories": cycle.new_stories,
                "failed": cycle.failed,
                "deferred": cycle.deferred,
            },
            "next_due_at": iso(self.next_due_at) if self.next_due_at else None,
            "next_source": self.next_source.to_json() if self.next_source else None,
            "sources": len(self.sources),
            "unhealthy": [s.to_json() for s in self.unhealthy],
        }


async def status(config: Config, db_path: Path, *, now: datetime) -> Status:
    """Whether a daemon polls the database, its last cycle, the next due poll and the
    unhealthy sources."""
    found = await sources(config, db_path)
    async with await Store.open(db_path) as store:
        last = await store.last_cycle()
    next_source: Source | None = None
    next_due_at: datetime | None = None
    for source in found:
        if source.paused_at is not None:
            continue
        due = source.next_due_at or now
        if next_due_at is None or due < next_due_at:
            next_source, next_due_at = source, due
    return Status(
        daemon=lock_holder(db_path),
        last_cycle=last,
        next_due_at=next_due_at,
        next_source=next_source,
        sources=found,
    )
