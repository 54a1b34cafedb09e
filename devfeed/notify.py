"""The notification hook: `[settings] notify_command` run when follows marked
`notify = true` bring new stories.

The command is an argument list run without a shell; the summary is appended as the last
argument, sanitized, one line, short, and never starting with a dash (so it cannot be read
as an option). A missing or failing command is logged and never stops polling.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable, Sequence

from devfeed.reports import SourceReport
from devfeed.sanitize import clean_line
from devfeed.words import plural

log = logging.getLogger(__name__)

MAX_SUMMARY = 200
MAX_NAMES = 3
TIMEOUT_S = 10.0


def summary(reports: Iterable[SourceReport]) -> str | None:
    """ "3 new stories: Simon Willison (2), #python on fosstodon.org (1)", or None when no
    follow marked `notify` brought anything. A follow's first fetch brings its backlog,
    which is not news: it is left out. Pure."""
    counts = [
        (r.follow.label, r.new_stories)
        for r in reports
        if r.follow.notify and r.new_stories and not r.first_fetch
    ]
    if not counts:
        return None
    total = sum(n for _, n in counts)
    names = [f"{clean_line(label, max_length=40)} ({n})" for label, n in counts[:MAX_NAMES]]
    if len(counts) > MAX_NAMES:
        names.append(f"{len(counts) - MAX_NAMES} more")
    noun = plural(total, "story", "stories")
    return clean_line(f"{total} new {noun}: {', '.join(names)}", max_length=MAX_SUMMARY)


async def run_hook(command: Sequence[str], text: str, *, limit_s: float = TIMEOUT_S) -> bool:
    """Run `command + [text]` (no shell, no stdin); True when it exited 0. Never raises."""
    argv = [*command, text.lstrip("-")]
    try:
        process = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
    except OSError as error:
        log.warning("notify_command %s cannot run: %s", command[0], error)
        return False
    try:
        async with asyncio.timeout(limit_s):
            _, stderr = await process.communicate()
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()
        log.warning("notify_command %s took longer than %g s: killed", command[0], limit_s)
        return False
    if process.returncode != 0:
        detail = clean_line(stderr.decode("utf-8", "replace"), max_length=200)
        log.warning("notify_command %s exited %s: %s", command[0], process.returncode, detail)
        return False
    return True


async def notify(command: Sequence[str] | None, reports: Iterable[SourceReport]) -> bool:
    """Run the hook when there is a command and something to say; True when it ran fine."""
    text = summary(reports)
    if not command or text is None:
        return False
    return await run_hook(command, text)
