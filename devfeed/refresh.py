"""Polling on the reader's behalf, with progress: in a child process (what `devfeed` does,
so that fetching and parsing never take the reader's event loop or its GIL) or in this
process (the offline demo, whose transport lives here, and tests).

Either way the poll writes through its own store connection; the reader sees the new
stories through `PRAGMA data_version`, as it sees a daemon's. Never imports the faces.
"""

from __future__ import annotations

import asyncio
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from devfeed.api import poll
from devfeed.config import Config
from devfeed.errors import UsageError
from devfeed.reports import SourceReport, utc_now
from devfeed.sanitize import clean_line
from devfeed.words import plural

if TYPE_CHECKING:
    import httpx


@dataclass(frozen=True)
class PollProgress:
    """How far a poll has come."""

    total: int
    """Sources to poll."""
    done: int = 0
    """Sources polled so far."""
    new: int = 0
    """New entries so far."""
    failed: int = 0
    """Sources that failed so far."""
    last: str | None = None
    """The line about the source that finished last (`new 3 Maya Chen (rss)`)."""
    finished: bool = False
    """The poll is over."""

    def line(self) -> str:
        """One line for a status bar."""
        if self.finished:
            failed = f", {self.failed} failed" if self.failed else ""
            return f"polled {self.done} {plural(self.done, 'source')}: {self.new} new{failed}"
        return f"polling {self.done}/{self.total} · {self.new} new" + (
            f" · {self.failed} failed" if self.failed else ""
        )


ProgressCallback = Callable[[PollProgress], None]


class PollRunner(Protocol):
    """Polls the follows with the given keys (None: every follow that is not paused) and
    reports progress; returns the final progress."""

    async def __call__(
        self, keys: Sequence[str] | None, total: int, on_progress: ProgressCallback
    ) -> PollProgress: ...


def poll_argv(config: Config, db_path: Path, keys: Sequence[str] | None) -> list[str]:
    """The command line of a child `devfeed poll --once` for these follows."""
    argv = [sys.executable, "-m", "devfeed", "--db", str(db_path)]
    if config.path is not None:
        argv += ["--config", str(config.path)]
    argv += ["poll", "--once"]
    for key in keys or ():
        argv += ["--source", key]
    return argv


_LINE = re.compile(r"^(new|unchanged|failed)\s+(\d+)?")


def progress_after(progress: PollProgress, line: str) -> PollProgress:
    """The progress after one line of `devfeed poll --once` (lines that are not about a
    source change nothing). Pure."""
    match = _LINE.match(line)
    if match is None:
        return progress
    status, count = match.group(1), match.group(2)
    return replace(
        progress,
        done=progress.done + 1,
        new=progress.new + (int(count) if status == "new" and count else 0),
        failed=progress.failed + (status == "failed"),
        last=clean_line(line, max_length=200),
    )


class SubprocessPoller:
    """Runs `devfeed poll --once` in a child process and follows its report lines."""

    def __init__(self, config: Config, db_path: Path) -> None:
        self._config = config
        self._db_path = db_path

    async def __call__(
        self, keys: Sequence[str] | None, total: int, on_progress: ProgressCallback
    ) -> PollProgress:
        process = await asyncio.create_subprocess_exec(
            *poll_argv(self._config, self._db_path, keys),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        assert process.stderr is not None
        progress = PollProgress(total=total)
        errors: list[str] = []
        try:
            async for raw in process.stderr:
                line = raw.decode("utf-8", "replace").rstrip("\n")
                if line.startswith("devfeed: error:"):
                    errors.append(clean_line(line.removeprefix("devfeed: error:"), max_length=300))
                updated = progress_after(progress, line)
                if updated is not progress:
                    progress = updated
                    on_progress(progress)
            code = await process.wait()
        except BaseException:
            if process.returncode is None:
                process.kill()
                await process.wait()
            raise
        if code not in (0, 1):
            raise UsageError(errors[0] if errors else f"devfeed poll exited with {code}")
        progress = replace(progress, finished=True)
        on_progress(progress)
        return progress


class InProcessPoller:
    """Runs the poller in this process, on its own store connection."""

    def __init__(
        self,
        config: Config,
        db_path: Path,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        now: Callable[[], datetime] = utc_now,
    ) -> None:
        self._config = config
        self._db_path = db_path
        self._transport = transport
        self._now = now

    async def __call__(
        self, keys: Sequence[str] | None, total: int, on_progress: ProgressCallback
    ) -> PollProgress:
        follows = None
        if keys is not None:
            wanted = set(keys)
            follows = [f for f in self._config.follows if f.key in wanted]
        progress = PollProgress(total=total if follows is None else len(follows))

        def report(item: SourceReport) -> None:
            nonlocal progress
            progress = replace(
                progress,
                done=progress.done + 1,
                new=progress.new + item.new_entries,
                failed=progress.failed + (item.label == "failed"),
                last=clean_line(f"{item.label} {item.follow.label}", max_length=200),
            )
            on_progress(progress)

        await poll(
            self._config,
            self._db_path,
            transport=self._transport,
            now=self._now,
            follows=follows,
            on_report=report,
        )
        progress = replace(progress, finished=True)
        on_progress(progress)
        return progress
