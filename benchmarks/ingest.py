"""How fast `Store.apply` files poll results: entries/s with dedup and FTS (issue 8).

Synthetic entries (`dedup_eval.synthetic`: articles with the submissions and posts that
share them, cross-posted notes, YouTube videos shared by short links, singletons) go into
a real SQLite file (WAL, FTS5, facets) as poll results of `--batch` entries, the way a
feed's poll arrives. Only the time inside `apply` counts. Four rows:

  empty store, new entries       every entry is new to an empty store;
  empty store, known entries     the same results applied again (a re-poll);
  N-story store, new entries     new entries into a store already holding N stories;
  N-story store, known entries   the same results again;
  N-story store, new, K at once  the new entries again into a fresh copy, handed over
                                 `--together` results at a time (one commit for them, as
                                 when a poll's results wait for the database);
  N-story store, new, prepared   the same with each entry's dedup keys computed
                                 beforehand, as the poller's parse workers do (their CPU
                                 time per entry is printed below the table).

Below the table, plain SQLite on the same titles and texts (a table with an FTS5 index,
filled by a trigger per row or in one statement, 1,000 rows a transaction), measured in
the same run: the issue's target is "close to what raw SQLite with FTS5 does here", and
this machine's speed moves by a factor of two from one hour to the next, so the best row
is also given as a ratio to each.

    python benchmarks/ingest.py                   # 20k entries, empty and 1M-story stores
    python benchmarks/ingest.py --quick           # a quick look (a tiny store)
    python benchmarks/ingest.py --profile         # + cProfile of the N-story new entries

The pre-filled store is written through `apply` too (in bigger results) and kept under
`--cache` (default ~/.cache/devfeed-bench) for the next run; each run works on a copy.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import os
import platform
import pstats
import shutil
import sqlite3
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, datetime, timedelta
from itertools import islice
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from dedup_eval import synthetic  # noqa: E402

from devfeed.dedup import prepare_all  # noqa: E402
from devfeed.models import Follow, ParsedEntry, PollResult, PollStatus  # noqa: E402
from devfeed.store import Store  # noqa: E402
from devfeed.store.schema import SCHEMA_VERSION  # noqa: E402

TARGET = 10_000
"""Entries/s into a store of 1M stories (issue 8)."""
FOLLOWS = [Follow(platform="rss", url=f"https://feeds.example/{n}.xml") for n in range(500)]
AT = datetime(2027, 1, 1, tzinfo=UTC)
PREFILL_BATCH = 500


def _poll(follow: Follow, entries: list[ParsedEntry]) -> PollResult:
    return PollResult(
        follow=follow,
        fetched_at=AT,
        status=PollStatus.FETCHED,
        entries=tuple(entries),
        next_due_at=AT + timedelta(hours=1),
    )


def _results(entries: Iterator[ParsedEntry], count: int, batch: int) -> list[PollResult]:
    results: list[PollResult] = []
    while count > 0:
        chunk = list(islice(entries, min(batch, count)))
        if not chunk:
            break
        results.append(_poll(FOLLOWS[len(results) % len(FOLLOWS)], chunk))
        count -= len(chunk)
    return results


async def _prefill(path: Path, stories: int, entries: Iterator[ParsedEntry]) -> int:
    """Apply results until the store holds `stories` stories; returns the entries used."""
    used = made = 0
    async with await Store.open(path) as store:
        while made < stories:
            chunk = list(islice(entries, PREFILL_BATCH))
            outcome = await store.apply(_poll(FOLLOWS[used % len(FOLLOWS)], chunk))
            made += outcome.new_stories
            used += len(chunk)
    return used


async def _timed(path: Path, results: list[PollResult], profile: bool, together: int = 1) -> float:
    """Seconds inside `apply` for `results`, handed over `together` at a time (the store
    writes results that wait together, in one transaction, as during a poll)."""
    profiler = cProfile.Profile() if profile else None
    elapsed = 0.0
    async with await Store.open(path, poller=True) as store:  # as the poller opens it
        for start in range(0, len(results), together):
            if profiler:
                profiler.enable()
            started = time.perf_counter()
            await asyncio.gather(*map(store.apply, results[start : start + together]))
            elapsed += time.perf_counter() - started
            if profiler:
                profiler.disable()
    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(30)
        print(out.getvalue(), file=sys.stderr)
    return elapsed


def _count(path: Path, table: str) -> int:
    with closing(sqlite3.connect(path)) as db:
        return int(db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def _prefilled(cache: Path, stories: int, stream_size: int) -> tuple[Path, int]:
    """A cached store of `stories` stories (made when missing) and how many entries of the
    synthetic stream it took."""
    cache.mkdir(parents=True, exist_ok=True)
    path = cache / f"ingest-{stories}-v{SCHEMA_VERSION}.db"
    used_file = path.with_suffix(".used")
    if not path.exists() or not used_file.exists():
        for stale in (path, used_file):
            stale.unlink(missing_ok=True)
        partial = path.with_suffix(".partial")
        partial.unlink(missing_ok=True)
        started = time.perf_counter()
        used = asyncio.run(_prefill(partial, stories, synthetic(stream_size)))
        with closing(sqlite3.connect(partial)) as db:
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        partial.rename(path)
        used_file.write_text(str(used))
        print(
            f"(pre-filled {stories} stories from {used} entries in "
            f"{time.perf_counter() - started:.0f} s: {path})",
            file=sys.stderr,
        )
    return path, int(used_file.read_text())


def _raw_sqlite(path: Path, results: list[PollResult], per_row: bool) -> float:
    """Rows/s of plain SQLite on the same titles and texts: `executemany` into a table
    with an FTS5 index over both, 1,000 rows a transaction, WAL and `synchronous =
    NORMAL` as the store. The index is filled by a trigger per row (`per_row`, as the
    issue measured its ~12,000 rows/s) or in one statement a transaction (the way the
    store does it since migration 9, several times as fast). The issue's "close to what
    raw SQLite with FTS5 does here", measured in the same minute as the rows above: this
    machine's speed moves by a factor of two from one hour to the next."""
    rows = [(e.title, e.text) for r in results for e in r.entries]
    with closing(sqlite3.connect(path, isolation_level=None)) as db:
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = NORMAL")
        db.execute("CREATE TABLE docs (id INTEGER PRIMARY KEY, title TEXT, summary TEXT)")
        db.execute(
            "CREATE VIRTUAL TABLE docs_fts USING fts5 "
            "(title, summary, content = 'docs', content_rowid = 'id')"
        )
        if per_row:
            db.execute(
                "CREATE TRIGGER docs_fts_insert AFTER INSERT ON docs BEGIN "
                "INSERT INTO docs_fts (rowid, title, summary) "
                "VALUES (new.id, new.title, new.summary); END"
            )
        started = time.perf_counter()
        for start in range(0, len(rows), 1000):
            db.execute("BEGIN")
            db.executemany(
                "INSERT INTO docs (id, title, summary) VALUES (?, ?, ?)",
                [(start + n + 1, *row) for n, row in enumerate(rows[start : start + 1000])],
            )
            if not per_row:
                db.execute(
                    "INSERT INTO docs_fts (rowid, title, summary) "
                    "SELECT id, title, summary FROM docs WHERE id > ?",
                    (start,),
                )
            db.execute("COMMIT")
        return len(rows) / (time.perf_counter() - started)


def _copy(cached: Path, to: Path) -> None:
    """A working copy of the cached store, on disk before the clock starts, so that the
    kernel's write-back of the 2 GB copy is not in a timed row."""
    shutil.copyfile(cached, to)
    os.sync()


def _row(label: str, stories: int, count: int, seconds: float) -> str:
    rate = count / seconds
    return f"| {label:<42} | {stories:>9,} | {count:>7,} | {seconds:>7.2f} | {rate:>9,.0f} |"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a tiny run (a smoke test)")
    parser.add_argument("--prefill", type=int, default=1_000_000, help="stories already stored")
    parser.add_argument("--entries", type=int, default=20_000, help="entries measured")
    parser.add_argument("--batch", type=int, default=40, help="entries per poll result")
    parser.add_argument(
        "--together", type=int, default=25, help="results handed over at once (last row)"
    )
    parser.add_argument("--profile", action="store_true", help="cProfile to stderr")
    parser.add_argument(
        "--cache", type=Path, default=Path.home() / ".cache" / "devfeed-bench", help="store cache"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.prefill, args.entries = min(args.prefill, 300), min(args.entries, 200)
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, SQLite {sqlite3.sqlite_version}"
    )
    print(f"{args.entries} entries measured, {args.batch} a poll result; time inside apply only")
    print()
    print(f"| {'store':<42} |   stories | entries | seconds | entries/s |")
    print(f"|{'-' * 44}|----------:|--------:|--------:|----------:|")
    stream_size = 2 * (max(args.prefill, 1000) + args.entries)
    rate = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        empty = Path(tmp) / "empty.db"
        results = _results(synthetic(stream_size), args.entries, args.batch)
        count = sum(len(r.entries) for r in results)
        seconds = asyncio.run(_timed(empty, results, profile=False))
        print(_row("empty, new entries", 0, count, seconds), flush=True)
        stories = _count(empty, "stories")
        seconds = asyncio.run(_timed(empty, results, profile=False))
        print(_row("empty, known entries", stories, count, seconds), flush=True)

        cached, used = _prefilled(args.cache, args.prefill, stream_size)
        filled = Path(tmp) / "filled.db"
        _copy(cached, filled)
        stories = _count(filled, "stories")
        stream = synthetic(stream_size)
        for _ in islice(stream, used):
            pass
        results = _results(stream, args.entries, args.batch)
        count = sum(len(r.entries) for r in results)
        seconds = asyncio.run(_timed(filled, results, profile=args.profile))
        rate = count / seconds
        print(_row(f"{stories:,} stories, new entries", stories, count, seconds), flush=True)
        seconds = asyncio.run(_timed(filled, results, profile=False))
        stories = _count(filled, "stories")
        print(_row(f"{stories:,} stories, known", stories, count, seconds), flush=True)
        filled = Path(tmp) / "filled-together.db"
        _copy(cached, filled)
        stories = _count(filled, "stories")
        seconds = asyncio.run(_timed(filled, results, profile=False, together=args.together))
        rate = max(rate, count / seconds)
        label = f"{stories:,} stories, new, {args.together} at once"
        print(_row(label, stories, count, seconds), flush=True)
        # what the poller hands over: dedup keys computed by the parse workers, a feed at a
        # time, with numpy loaded (the rows above prepared in the store, without it)
        import numpy  # noqa: F401

        started = time.process_time()
        ready = [r.model_copy(update={"prepared": prepare_all(r.entries)}) for r in results]
        prep_us = (time.process_time() - started) / count * 1e6
        for together in (1, args.together):
            filled = Path(tmp) / f"filled-prepared-{together}.db"
            _copy(cached, filled)
            seconds = asyncio.run(_timed(filled, ready, profile=False, together=together))
            rate = max(rate, count / seconds)
            label = f"{stories:,} stories, new, prepared" + (
                f", {together} at once" if together > 1 else ""
            )
            print(_row(label, stories, count, seconds), flush=True)
            filled.unlink()
        per_row = _raw_sqlite(Path(tmp) / "raw-per-row.db", results, per_row=True)
        batched = _raw_sqlite(Path(tmp) / "raw-batched.db", results, per_row=False)
    print()
    print(
        f"prepared: dedup keys (URL keys, fingerprint, index keys) computed beforehand, as "
        f"the parse workers do: {prep_us:.0f} µs of CPU an entry, not counted in the row"
    )
    print()
    print(
        "raw SQLite on the same titles and texts, a table with an FTS5 index, 1,000 rows a "
        f"transaction: {per_row:,.0f} rows/s with a trigger per row (best row / raw = "
        f"{rate / per_row:.2f}), {batched:,.0f} rows/s with the index filled in one "
        f"statement (best row / raw = {rate / batched:.2f})"
    )
    verdict = "met" if rate >= TARGET else "NOT MET"
    print(f"target: >= {TARGET:,} new entries/s into the pre-filled store (best row): {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
