"""What a poll reports, and the facts about a follow's fetch state that the faces need.

Light on purpose: no HTTP client, no parsers, no platforms. The reader and the CLI name
these without importing the poll path (`devfeed.poller` and what it pulls in), so that
they start sooner; the poll path is imported when a poll runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from devfeed.models import FetchState, Follow, PollStatus


def utc_now() -> datetime:
    """The real clock (inject another one in tests)."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class SourceReport:
    """How polling one follow went, for the summary line."""

    follow: Follow
    status: PollStatus | None
    """How the poll ended; None when it never ran (deferred or abandoned)."""
    new_entries: int = 0
    new_stories: int = 0
    error: str | None = None
    warning: str | None = None
    failures: int = 0
    """Failed polls in a row, this one included."""
    next_due_at: datetime | None = None
    """When the follow is due again (None when abandoned: it stays due)."""
    deferred: bool = False
    """The platform's request budget was spent: not polled, due again at `next_due_at`."""
    first_fetch: bool = False
    """Nothing had been fetched from this follow before: its new stories are its backlog."""

    @property
    def label(self) -> str:
        """`new`, `unchanged` or `failed`, as the summary prints it (the daemon also
        logs `deferred` and `abandoned`)."""
        if self.deferred:
            return "deferred"
        if self.status is None:
            return "abandoned"
        if self.status is PollStatus.FAILED:
            return "failed"
        return "new" if self.new_entries else "unchanged"


def never_fetched(state: FetchState | None) -> bool:
    """Nothing has been fetched from this follow yet: all it sends is new. Pure."""
    return state is None or state.last_ok_at is None


def is_paused(state: FetchState | None) -> bool:
    """The user paused this follow (`devfeed` skips it until it is resumed). Pure."""
    return state is not None and state.paused_at is not None
