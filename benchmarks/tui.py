"""The reader at 10k, 100k and 1M stories: first paint, time per scroll page, peak memory.

    python benchmarks/tui.py                 # 10k, 100k, 1M (seeds once into ~/.cache)
    python benchmarks/tui.py --sizes 10000   # one size
    python benchmarks/tui.py --stories-only  # faster seeding: stories without entries

Each size runs in its own process (so peak RSS is that size's), headless (`run_test`,
120x40). First paint: from starting the app until the screen's painting pass that drew
the feed's first stories has returned (wall clock; the CPU time the process spent is
printed beside it, as it hardly depends on other load on the machine). A scroll page:
`page down` on the list until the screen is refreshed again, reading the next page from
the store when the list needs it (20 pages, median and worst). Peak memory: the
process's VmHWM. Targets (issue 5): first paint <= 150 ms at every size, and 1M within
50 MB of 10k.

From launch: what a user waits for, from starting the measuring process until the same
painting pass, with what the `devfeed` command imports before its reader starts
(`devfeed.cli`), the store opened and the first paint (the interpreter's own start
included; wall clock, measured against the time the process was launched).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import platform
import resource
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
SIZES = (10_000, 100_000, 1_000_000)
PAGES = 20


async def measure(db: Path) -> dict[str, float]:
    """Open the reader on `db` and time it (run in a child process)."""
    from devfeed.collector import fewer_collections

    # what `devfeed tui` has imported when the reader starts, as it imports it (with
    # fewer garbage collections)
    with fewer_collections():
        from textual.screen import Screen

        import devfeed.cli  # noqa: F401
        from devfeed.config import parse_config
        from devfeed.store import Store
        from devfeed.tui.app import DevfeedApp
        from devfeed.tui.screens.reader import ReaderScreen
        from devfeed.tui.widgets.story_list import StoryList

    painted = asyncio.Event()
    painted_at: list[float] = []
    """Wall and CPU time when the pass that drew the first story returned: the waiter
    below wakes later, after whatever the loop runs first (the filter pane's lists)."""
    drew_a_story = False
    draw_row = StoryList._render_story

    def render_story(story_list: StoryList, row: int, width: int, base: Any) -> Any:
        nonlocal drew_a_story
        drew_a_story = True
        return draw_row(story_list, row, width, base)

    def after_painting(paint: Any) -> Any:
        def painting(screen: Screen[Any], *args: Any, **kwargs: Any) -> Any:
            done = paint(screen, *args, **kwargs)
            if drew_a_story and not painted_at:  # this pass drew the first page: it is out
                painted_at.extend((time.perf_counter(), time.process_time(), time.time()))
                painted.set()
            return done

        return painting

    StoryList._render_story = render_story  # type: ignore[method-assign]
    # the screen's two painting passes: a full layout, and partial updates
    Screen._refresh_layout = after_painting(Screen._refresh_layout)  # type: ignore[method-assign]
    Screen._compositor_refresh = after_painting(Screen._compositor_refresh)  # type: ignore[method-assign]

    async with await Store.open(db) as store:
        app = DevfeedApp(store, parse_config(""), now=lambda: NOW)
        gc.freeze()  # as `devfeed tui` does before it runs the app (`cli._open_reader`)
        start, cpu_start = time.perf_counter(), time.process_time()
        async with app.run_test(size=(120, 40)) as pilot:
            await painted.wait()
            first_paint = painted_at[0] - start
            first_paint_cpu = painted_at[1] - cpu_start
            screen = app.screen
            assert isinstance(screen, ReaderScreen)
            story_list = screen.story_list
            assert story_list.stories, "the feed is empty"
            await pilot.pause()
            await app.workers.wait_for_complete()
            pages: list[float] = []
            for _ in range(PAGES):
                refreshed = asyncio.Event()
                began = time.perf_counter()
                story_list.action_page_down()
                if story_list.is_fetching:
                    await app.workers.wait_for_complete()
                    await asyncio.sleep(0)  # let the page's message be handled
                app.call_after_refresh(refreshed.set)
                await refreshed.wait()
                pages.append(time.perf_counter() - began)
            rows_loaded = len(story_list.stories)
    peak_kb = peak_rss_kb()
    return {
        "first_paint_ms": first_paint * 1000,
        "first_paint_cpu_ms": first_paint_cpu * 1000,
        "painted_epoch": painted_at[2],
        "page_median_ms": statistics.median(pages) * 1000,
        "page_max_ms": max(pages) * 1000,
        "peak_mb": peak_kb / 1024,
        "rows_loaded": rows_loaded,
    }


def peak_rss_kb() -> int:
    """This process's peak resident set size. Linux's VmHWM, which starts afresh at exec
    (`ru_maxrss` keeps the parent's peak across fork and exec: the seeding's)."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def seeded(size: int, stories_only: bool, cache: Path) -> tuple[Path, float]:
    """A database with `size` synthetic stories (made once, then reused)."""
    from devfeed.store.schema import SCHEMA_VERSION
    from devfeed.store.synthetic import seed_synthetic

    suffix = "stories" if stories_only else "full"
    # by schema version: a store seeded by another version (or a branch's) is not reused
    path = cache / f"bench-{size}-{suffix}-v{SCHEMA_VERSION}.db"
    if path.exists():
        return path, 0.0
    cache.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    for stale in cache.glob(partial.name + "*"):
        stale.unlink()
    began = time.perf_counter()
    asyncio.run(seed_synthetic(partial, size, now=NOW, with_entries=not stories_only))
    partial.rename(path)
    return path, time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--stories-only", action="store_true")
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "devfeed-bench")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(asyncio.run(measure(args.child))))
        return
    print(f"machine: {platform.processor() or platform.machine()}, {platform.platform()}, "
          f"Python {platform.python_version()}")  # fmt: skip
    print(
        "| stories | first paint (CPU) | from launch | scroll page (median / worst) | peak RSS "
        "| seeded in |"
    )
    print("|---:|---:|---:|---:|---:|---:|")
    for size in args.sizes:
        db, seed_s = seeded(size, args.stories_only, args.cache)
        launched = time.time()
        done = subprocess.run(
            [sys.executable, __file__, "--child", str(db)],
            capture_output=True,
            text=True,
            check=True,
        )
        result = json.loads(done.stdout.strip().splitlines()[-1])
        seeded_in = f"{seed_s:.1f} s" if seed_s else "(cached)"
        print(
            f"| {size:,} | {result['first_paint_ms']:.0f} ms "
            f"({result['first_paint_cpu_ms']:.0f} ms) | "
            f"{(result['painted_epoch'] - launched) * 1000:.0f} ms | "
            f"{result['page_median_ms']:.1f} / "
            f"{result['page_max_ms']:.1f} ms | {result['peak_mb']:.0f} MB | {seeded_in} |"
        )


if __name__ == "__main__":
    main()
