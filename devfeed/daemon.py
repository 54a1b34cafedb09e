"""The poller that runs until stopped: one per database, polite, reloadable.

- `PollerLock`: an `fcntl.flock` on `<db>.lock` held by whatever polls the database (the
  daemon, or a `poll --once`); a second one is refused with the holder's pid.
- `Daemon`: polls what is due, records the cycle, logs one line per cycle and one per
  failing source, runs the notification hook, then sleeps until the next follow is due.
  `request_stop()` (SIGTERM/SIGINT) lets requests in flight finish for a grace period,
  abandons the rest and returns; everything already fetched is committed (each result is
  its own short transaction, none spans network I/O). `request_reload()` (SIGHUP) and a
  changed feeds.toml reload the follows between cycles.

Owns no signal handlers and no logging handlers (the caller installs them).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import fcntl
import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Literal

from devfeed.config import Config
from devfeed.errors import ConfigError, StoreError, UsageError
from devfeed.models import Cycle, PollStatus
from devfeed.notify import notify
from devfeed.reports import SourceReport, is_paused
from devfeed.sanitize import clean_line
from devfeed.schedule import is_unhealthy
from devfeed.words import plural

if TYPE_CHECKING:  # the poll path is imported where a poll runs (`api`), not here
    from devfeed.poller import Poller

log = logging.getLogger(__name__)

Mode = Literal["once", "daemon"]


def lock_path(db_path: Path) -> Path:
    """The lock file of a database: beside it, `<name>.lock`."""
    return db_path.with_name(db_path.name + ".lock")


@dataclass(frozen=True)
class LockHolder:
    """Who polls a database now."""

    pid: int | None
    """Its process id (None when the lock file says nothing readable)."""
    mode: str | None
    """`daemon` or `once`."""
    since: str | None
    """When it took the lock (ISO 8601, UTC)."""


class AlreadyPolling(UsageError):
    """Another devfeed process holds the database's poller lock."""

    def __init__(self, db_path: Path, holder: LockHolder) -> None:
        who = f"pid {holder.pid}" if holder.pid else "another process"
        what = "a devfeed daemon" if holder.mode == "daemon" else "another devfeed poll"
        since = f" since {holder.since}" if holder.since else ""
        stop = f"stop it first (kill {holder.pid})" if holder.pid else "stop it first"
        super().__init__(f"{what} ({who}{since}) is already polling {db_path}; {stop}")
        self.holder = holder


def _read_holder(fd: int) -> LockHolder:
    try:
        raw = os.pread(fd, 4096, 0).decode("utf-8", "replace")
        data = json.loads(raw) if raw.strip() else {}
    except (OSError, ValueError):
        data = {}
    pid = data.get("pid") if isinstance(data, dict) else None
    mode = data.get("mode") if isinstance(data, dict) else None
    since = data.get("since") if isinstance(data, dict) else None
    return LockHolder(
        pid=pid if isinstance(pid, int) else None,
        mode=mode if isinstance(mode, str) else None,
        since=since if isinstance(since, str) else None,
    )


class PollerLock:
    """The one-poller-per-database lock (a context manager)."""

    def __init__(self, db_path: Path, mode: Mode, *, now: Callable[[], datetime]) -> None:
        self.db_path = db_path
        self.path = lock_path(db_path)
        self.mode = mode
        self._now = now
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock or raise `AlreadyPolling` naming the holder."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as error:
            raise StoreError(
                f"cannot create the poller lock {self.path}: {error.strerror}"
            ) from None
        # `status` peeks with a shared lock for an instant: retry a few times before
        # believing that someone else polls
        for attempt in range(10):
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as error:
                if error.errno not in (errno.EWOULDBLOCK, errno.EAGAIN):
                    os.close(fd)
                    raise
                if attempt == 9:
                    holder = _read_holder(fd)
                    os.close(fd)
                    raise AlreadyPolling(self.db_path, holder) from None
                time.sleep(0.02)
        os.ftruncate(fd, 0)
        since = self._now().strftime("%Y-%m-%dT%H:%M:%SZ")
        os.pwrite(
            fd, json.dumps({"pid": os.getpid(), "mode": self.mode, "since": since}).encode(), 0
        )
        self._fd = fd

    def release(self) -> None:
        """Let go (the file stays; an unlocked file means nobody polls)."""
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, 0)
            os.close(self._fd)  # closing drops the flock
            self._fd = None

    def __enter__(self) -> PollerLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


def lock_holder(db_path: Path) -> LockHolder | None:
    """Who holds the poller lock of a database, or None when nobody polls it."""
    try:
        fd = os.open(lock_path(db_path), os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except OSError as error:
            if error.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
                return _read_holder(fd)
            raise
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


def cycle_of(
    reports: list[SourceReport], mode: Mode, started_at: datetime, finished_at: datetime
) -> Cycle:
    """The record of one cycle, from its reports."""
    return Cycle(
        mode=mode,
        pid=os.getpid(),
        started_at=started_at,
        finished_at=finished_at,
        sources=sum(1 for r in reports if r.status is not None),
        new_stories=sum(r.new_stories for r in reports),
        failed=sum(1 for r in reports if r.status is PollStatus.FAILED),
        deferred=sum(1 for r in reports if r.deferred),
    )


def _in(delta: timedelta) -> str:
    seconds = max(0, round(delta.total_seconds()))
    if seconds < 120:
        return f"{seconds}s"
    if seconds < 7200:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


class Daemon:
    """Polls each follow on its schedule until asked to stop."""

    def __init__(
        self,
        poller: Poller,
        *,
        load_config: Callable[[], Config] | None = None,
        grace: float = 2.0,
        max_sleep: timedelta = timedelta(minutes=1),
        min_sleep: timedelta = timedelta(seconds=1),
    ) -> None:
        self.poller = poller
        self._load_config = load_config
        self.grace = grace
        """Seconds requests in flight may take to finish once a stop is asked for."""
        self.max_sleep = max_sleep
        """Longest sleep between cycles (feeds.toml is checked for changes on each wake)."""
        self.min_sleep = min_sleep
        """Shortest sleep between cycles."""
        self.stopping = asyncio.Event()
        self._reload = asyncio.Event()
        self._config_stamp = self._stamp(poller.config)
        self.cycles = 0
        """Cycles that polled something."""

    # -- control, from signal handlers ------------------------------------------------------
    def request_stop(self) -> None:
        """Finish (or, after the grace period, abandon) the cycle and return. Asked twice,
        abandon requests in flight at once."""
        if self.stopping.is_set():
            self.poller.abandon()
        self.stopping.set()

    def request_reload(self) -> None:
        """Reload feeds.toml before the next cycle."""
        self._reload.set()

    # -- the loop ---------------------------------------------------------------------------
    async def run(self) -> int:
        """Run cycles until stopped; returns how many polled something."""
        config = self.poller.config
        log.info(
            "devfeed daemon started (pid %d): %d follows, database %s",
            os.getpid(),
            len(config.follows),
            self.poller.store.path,
        )
        while not self.stopping.is_set():
            self._maybe_reload()
            await self.cycle()
            if self.stopping.is_set():
                break
            await self._sleep()
        log.info("devfeed daemon stopped after %d %s", self.cycles, plural(self.cycles, "cycle"))
        return self.cycles

    async def cycle(self) -> list[SourceReport]:
        """Poll what is due now, once; record, log and notify."""
        started = self.poller.now
        clock = time.monotonic()
        polling = asyncio.create_task(self.poller.poll(only_due=True, on_report=self._on_report))
        stopping = asyncio.create_task(self.stopping.wait())
        try:
            await asyncio.wait({polling, stopping}, return_when=asyncio.FIRST_COMPLETED)
            if not polling.done():
                log.info("stopping: requests in flight get %g s to finish", self.grace)
                await asyncio.wait({polling}, timeout=self.grace)
                if not polling.done():
                    abandoned = self.poller.abandon()
                    log.info("stopping: abandoned %d sources (they stay due)", abandoned)
            reports = await polling
        finally:
            stopping.cancel()
        if not reports:
            return reports
        self.cycles += 1
        cycle = cycle_of(reports, "daemon", started, self.poller.now)
        await self.poller.store.record_cycle(cycle)
        next_due = await self.next_due()
        abandoned = sum(1 for r in reports if r.label == "abandoned")
        log.info(
            "cycle %d: %d sources polled, %d new stories, %d failed, %d deferred%s in %.1f s; %s",
            self.cycles,
            cycle.sources,
            cycle.new_stories,
            cycle.failed,
            cycle.deferred,
            f", {abandoned} abandoned" if abandoned else "",
            time.monotonic() - clock,
            f"next poll in {_in(next_due - self.poller.now)}" if next_due else "nothing to poll",
        )
        await notify(self.poller.config.settings.notify_command, reports)
        return reports

    def _on_report(self, report: SourceReport) -> None:
        where = f"{clean_line(report.follow.label, max_length=60)} ({report.follow.platform})"
        retry = (
            f"; next try in {_in(report.next_due_at - self.poller.now)}"
            if report.next_due_at
            else ""
        )
        if report.status is PollStatus.FAILED:
            unhealthy = is_unhealthy(report.failures, self.poller.policy)
            log.warning(
                "failed %s: %s (%d in a row%s)%s",
                where,
                report.error,
                report.failures,
                ", unhealthy" if unhealthy else "",
                retry,
            )
        else:
            log.debug("%s %s%s", report.label, where, retry)

    async def next_due(self) -> datetime | None:
        """When the next follow of the config is due (now for one never polled); paused
        follows are never due."""
        states = await self.poller.store.fetch_states()
        now = self.poller.now
        due: list[datetime] = []
        for follow in self.poller.config.follows:
            state = states.get(follow.key)
            if is_paused(state):
                continue
            due.append(state.next_due_at if state and state.next_due_at else now)
        return min(due, default=None)

    async def _sleep(self) -> None:
        next_due = await self.next_due()
        wait = self.max_sleep if next_due is None else next_due - self.poller.now
        wait = min(max(wait, self.min_sleep), self.max_sleep)
        stop = asyncio.create_task(self.stopping.wait())
        reload = asyncio.create_task(self._reload.wait())
        try:
            await asyncio.wait(
                {stop, reload}, timeout=wait.total_seconds(), return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            stop.cancel()
            reload.cancel()

    # -- reloading --------------------------------------------------------------------------
    @staticmethod
    def _stamp(config: Config) -> int | None:
        if config.path is None:
            return None
        try:
            return config.path.stat().st_mtime_ns
        except OSError:
            return None

    def _maybe_reload(self) -> None:
        changed = self._stamp(self.poller.config) != self._config_stamp
        if not (self._reload.is_set() or changed) or self._load_config is None:
            return
        why = "SIGHUP" if self._reload.is_set() else "feeds.toml changed"
        self._reload.clear()
        self._config_stamp = self._stamp(self.poller.config)
        try:
            config = self._load_config()
        except ConfigError as error:
            log.error("reload (%s) failed, keeping the follows as they were: %s", why, error)
            return
        old = {f.key for f in self.poller.config.follows}
        new = {f.key for f in config.follows}
        self.poller.reconfigure(config)
        self._config_stamp = self._stamp(config)
        log.info(
            "reloaded (%s): %d follows, %d added, %d removed",
            why,
            len(new),
            len(new - old),
            len(old - new),
        )
