"""The Lunch planner: which queued videos best fill a break. Pure: no I/O, no clock.

The plan is the set of videos with the most seconds that does not go over the break (a
0/1 knapsack whose weight is its value: subset sum). It is solved exactly, to the
second, with one bitset of reachable totals per suffix of the queue (Python integers as
bitsets: 200 videos and a 4-hour break take well under a millisecond per video), so no
rounding can make a plan that fits look as if it did not.

Ties (several sets with the same total) go to age: the oldest-queued video that can be
part of a best plan is in it, then the next oldest, and so on. Videos whose length is not
known cannot be planned and are reported apart; a queue longer than `MAX_VIDEOS` is
planned over its oldest `MAX_VIDEOS` videos.

How a face uses it (the CLI's `lunch plan/play` and the TUI's Lunch screen do the same):

    plan = devfeed.lunch.plan(await store.lunch_queue(), minutes)   # pure, < 2 ms
    await store.lunch_done(story_id, now)                           # watched: out of the queue
    played = await devfeed.api.play_plan(store, plan, config.settings.player, now=now)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from devfeed.models import Follow, Story
from devfeed.store.feed import FeedQuery

MAX_VIDEOS = 200
"""At most this many videos (the oldest queued) are planned; the rest wait."""
MAX_MINUTES = 24 * 60
"""The longest break the planner accepts."""


@dataclass(frozen=True)
class Plan:
    """What to watch in a break, and what was left out and why."""

    videos: tuple[Story, ...]
    """The chosen videos in the order to watch them: oldest queued first."""
    total_s: int
    """Their total length in seconds (never more than `budget_s`)."""
    budget_s: int
    """The break, in seconds."""
    left_out: tuple[Story, ...] = ()
    """Videos with a known length that are not in the plan (oldest queued first)."""
    unknown: tuple[Story, ...] = ()
    """Videos whose length is not known: they cannot be planned."""

    @property
    def spare_s(self) -> int:
        """Seconds of the break the plan leaves free."""
        return self.budget_s - self.total_s


def queue_order(story: Story) -> tuple[datetime, datetime, int]:
    """Oldest first: by the time it was queued, then published, then id."""
    queued = story.lunch_at or story.saved_at or story.published
    return (queued.astimezone(UTC), story.published.astimezone(UTC), story.id)


def best_subset(durations: Sequence[int], budget: int) -> tuple[int, ...]:
    """Indexes of the subset of `durations` (positive seconds, in order of preference) with
    the largest total not over `budget`; among equal totals, the one that takes the
    earliest index it can, then the next. Exact; O(n · budget / word size)."""
    if budget <= 0:
        return ()
    mask = (1 << (budget + 1)) - 1
    # reachable[i]: bit t set when some subset of durations[i:] sums to exactly t
    reachable = [0] * (len(durations) + 1)
    reachable[len(durations)] = 1
    for i in range(len(durations) - 1, -1, -1):
        bits = reachable[i + 1]
        reachable[i] = (bits | (bits << durations[i])) & mask
    remaining = reachable[0].bit_length() - 1  # the best total
    chosen: list[int] = []
    for i, seconds in enumerate(durations):
        if seconds <= remaining and (reachable[i + 1] >> (remaining - seconds)) & 1:
            chosen.append(i)
            remaining -= seconds
    assert remaining == 0
    return tuple(chosen)


def plan(queued: Sequence[Story], minutes: int) -> Plan:
    """The plan that best fills a break of `minutes` from the queued videos `queued`
    (any order; what `Store.lunch_queue()` returns)."""
    if not 1 <= minutes <= MAX_MINUTES:
        raise ValueError(f"a lunch break is 1 to {MAX_MINUTES} minutes, not {minutes}")
    budget = minutes * 60
    ordered = sorted(queued, key=queue_order)
    unknown = tuple(s for s in ordered if not s.duration_s or s.duration_s <= 0)
    known = [s for s in ordered if s.duration_s and s.duration_s > 0]
    planned, waiting = known[:MAX_VIDEOS], known[MAX_VIDEOS:]
    picked = set(best_subset([s.duration_s or 0 for s in planned], budget))
    videos = tuple(s for i, s in enumerate(planned) if i in picked)
    left_out = tuple(s for i, s in enumerate(planned) if i not in picked) + tuple(waiting)
    return Plan(
        videos=videos,
        total_s=sum(s.duration_s or 0 for s in videos),
        budget_s=budget,
        left_out=left_out,
        unknown=unknown,
    )


LUNCH_KINDS = frozenset({"video", "podcast"})
"""Kinds that may go to Lunch."""


def can_queue_for_lunch(story: Story) -> bool:
    """Whether a story may go to the Lunch queue (a video or a podcast episode)."""
    return story.kind in LUNCH_KINDS


def suggestion_follows(follows: Iterable[Follow]) -> frozenset[str]:
    """Keys of the follows whose long videos are offered for Lunch: profiles and feeds
    (someone the user chose), not hashtags (anyone)."""
    return frozenset(follow.key for follow in follows if follow.hashtag is None)


def suggestions_query(follows: Sequence[Follow], long_video_minutes: int) -> FeedQuery:
    """Unread long videos from followed profiles that never were in the Lunch queue (what
    the reader's Lunch screen offers, one key to accept)."""
    return FeedQuery(
        kinds=LUNCH_KINDS,
        follows=suggestion_follows(follows),
        unread_only=True,
        min_duration_s=long_video_minutes * 60,
        lunch_candidates=True,
    )
