"""How long the Lunch planner takes: queue sizes x break lengths, median of several runs.

    python benchmarks/lunch_planner.py

Prints a table. The planner is exact to the second (bitset subset sum); this shows it
stays far below what a keypress can notice even at the largest queue and break.
"""

from __future__ import annotations

import random
import statistics
import time
from datetime import UTC, datetime, timedelta

from devfeed.lunch import plan
from devfeed.models import Story

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def queue(size: int, rng: random.Random) -> list[Story]:
    return [
        Story(
            id=n,
            title=f"Video {n}",
            url=f"https://videos.example/{n}",
            kind="video",
            duration_s=rng.randint(5 * 60, 90 * 60),
            published=NOW - timedelta(days=30),
            author=None,
            summary="",
            read=False,
            saved=False,
            lunch=True,
            lunch_at=NOW - timedelta(minutes=rng.randint(0, 100_000)),
        )
        for n in range(1, size + 1)
    ]


def main() -> None:
    rng = random.Random(7)
    print(f"{'videos':>7} {'break':>7} {'median ms':>10} {'max ms':>8} {'filled':>8}")
    for size in (10, 50, 200, 1000):
        stories = queue(size, rng)
        for minutes in (45, 240, 1440):
            times = []
            for _ in range(7):
                start = time.perf_counter()
                result = plan(stories, minutes)
                times.append((time.perf_counter() - start) * 1000)
            filled = result.total_s / result.budget_s
            print(
                f"{size:>7} {minutes:>6}m {statistics.median(times):>10.2f} "
                f"{max(times):>8.2f} {filled:>8.1%}"
            )


if __name__ == "__main__":
    main()
