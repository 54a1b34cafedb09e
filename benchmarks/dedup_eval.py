"""How well and how fast devfeed makes one story per thing.

Quality: ingests the labeled set (`tests/data/dedup/labeled.jsonl`, written by
`make_dedup_set.py`) into a real store, poll result by poll result in a shuffled order,
and prints pairwise precision and recall against the labels (targets: 0.99 and 0.95).
`--compare-url-libs` repeats it with the other URL normalizers under `canonical_url`.

Cost: ingests synthetic entries (articles, the posts and submissions that share them,
cross-posted notes, singletons) into a real SQLite file and prints entries/s.

    python benchmarks/dedup_eval.py --quick                  # the labeled set + 10k entries
    python benchmarks/dedup_eval.py                          # + 100k and 1M entries
    python benchmarks/dedup_eval.py --compare-url-libs --scale
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import platform
import random
import sqlite3
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from itertools import combinations
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from people import NAMES  # noqa: E402

from devfeed import dedup  # noqa: E402
from devfeed.dedup import urls as dedup_urls  # noqa: E402
from devfeed.models import Follow, ParsedEntry, PollResult, PollStatus  # noqa: E402
from devfeed.store import Store  # noqa: E402

LABELED = ROOT / "tests" / "data" / "dedup" / "labeled.jsonl"
PRECISION_TARGET = 0.99
RECALL_TARGET = 0.95
BATCH = 50


# -- quality -----------------------------------------------------------------------------


def load_labeled(path: Path = LABELED) -> list[tuple[str, ParsedEntry]]:
    """(label, entry) for every row of the labeled set."""
    rows: list[tuple[str, ParsedEntry]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        label = row.pop("label")
        rows.append((label, ParsedEntry.model_validate(row)))
    return rows


def _follow_for(entry: ParsedEntry) -> Follow:
    via = f"-{entry.boosted_by}" if entry.boosted_by else ""
    return Follow(platform=entry.platform, url=f"https://follows.example/{entry.platform}{via}")


async def ingest_labeled(
    path: Path, rows: list[tuple[str, ParsedEntry]], seed: int
) -> dict[tuple[str, str], int]:
    """Ingest the rows in a shuffled order; returns each entry's story id."""
    shuffled = list(rows)
    random.Random(seed).shuffle(shuffled)
    at = datetime(2027, 1, 1, tzinfo=UTC)
    async with await Store.open(path) as store:
        for start in range(0, len(shuffled), BATCH):
            by_follow: dict[Follow, list[ParsedEntry]] = defaultdict(list)
            for _, entry in shuffled[start : start + BATCH]:
                by_follow[_follow_for(entry)].append(entry)
            for follow, entries in by_follow.items():
                await store.apply(
                    PollResult(
                        follow=follow,
                        fetched_at=at,
                        status=PollStatus.FETCHED,
                        entries=tuple(entries),
                        next_due_at=at + timedelta(hours=1),
                    )
                )
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT platform, native_id, story_id FROM entries")
        return {(platform, native_id): story for platform, native_id, story in rows}


def pairwise(
    labels: dict[tuple[str, str], str], stories: dict[tuple[str, str], int]
) -> tuple[float, float, list[tuple[Any, Any]], list[tuple[Any, Any]]]:
    """Pairwise precision and recall, the wrongly merged pairs and the missed pairs."""
    true_positive = false_positive = false_negative = 0
    merged_wrongly: list[tuple[Any, Any]] = []
    missed: list[tuple[Any, Any]] = []
    for a, b in combinations(sorted(labels), 2):
        same_label = labels[a] == labels[b]
        same_story = stories[a] == stories[b]
        if same_label and same_story:
            true_positive += 1
        elif same_story:
            false_positive += 1
            merged_wrongly.append((a, b))
        elif same_label:
            false_negative += 1
            missed.append((a, b))
    precision = true_positive / ((true_positive + false_positive) or 1)
    recall = true_positive / ((true_positive + false_negative) or 1)
    return precision, recall, merged_wrongly, missed


def url_normalizers() -> dict[str, Callable[[str], str]]:
    """The libraries to compare under `canonical_url` (those installed)."""
    found: dict[str, Callable[[str], str]] = {
        "w3lib": dedup.w3lib_normalize,
        "stdlib only": lambda url: url,
    }
    try:
        from url_normalize import url_normalize

        found["url-normalize"] = lambda url: url_normalize(url) or url
    except ImportError:
        pass
    try:
        import courlan

        found["courlan"] = lambda url: courlan.normalize_url(url, strict=True)
    except ImportError:
        pass
    return found


def evaluate(name: str, normalizer: Callable[[str], str], seeds: list[int], verbose: bool) -> bool:
    dedup_urls.BASE_NORMALIZER = normalizer
    dedup.canonical_url.cache_clear()
    rows = load_labeled()
    labels = {(e.platform, e.native_id): label for label, e in rows}
    results = []
    partitions: set[frozenset[frozenset[tuple[str, str]]]] = set()
    for seed in seeds:
        with tempfile.TemporaryDirectory() as tmp:
            started = time.perf_counter()
            stories = asyncio.run(ingest_labeled(Path(tmp) / "eval.db", rows, seed))
            elapsed = time.perf_counter() - started
        groups: dict[int, set[tuple[str, str]]] = defaultdict(set)
        for key, story in stories.items():
            groups[story].add(key)
        partitions.add(frozenset(frozenset(g) for g in groups.values()))
        results.append((*pairwise(labels, stories), elapsed, len(groups)))
    links = [u for _, e in rows for u in (e.link, e.url) if u]
    started = time.perf_counter()
    for _ in range(20):
        dedup.canonical_url.cache_clear()
        for url in links:
            dedup.canonical_url(url)
    per_url = (time.perf_counter() - started) / (20 * len(links)) * 1e6
    precision = min(r[0] for r in results)
    recall = min(r[1] for r in results)
    same = len(partitions) == 1
    print(
        f"| {name:<14} | {len(labels):>7} | {len({e.platform for _, e in rows}):>9} | "
        f"{len(set(labels.values())):>7} | {results[0][5]:>7} | {precision:>9.4f} | "
        f"{recall:>6.4f} | {'yes' if same else 'NO':>16} | {per_url:>6.1f} |"
    )
    if verbose:
        _, _, wrong, missed, *_ = results[0]
        for a, b in wrong[:20]:
            print(f"    merged wrongly: {labels[a]} {a} ~ {labels[b]} {b}")
        for a, b in missed[:20]:
            print(f"    missed: {labels[a]} {a} ~ {b}")
    dedup_urls.BASE_NORMALIZER = dedup.w3lib_normalize
    dedup.canonical_url.cache_clear()
    return precision >= PRECISION_TARGET and recall >= RECALL_TARGET


# -- cost --------------------------------------------------------------------------------

WORDS = [
    "".join(random.Random(n).choice("bcdfghjklmnprstvwz") + random.Random(n * 7 + k).choice("aeiou") for k in range(random.Random(n).randint(2, 4)))  # noqa: E501
    for n in range(3000)
]  # fmt: skip
PLATFORMS = ("rss", "hackernews", "lobsters", "reddit", "mastodon", "bluesky", "devto", "youtube")


def _user(n: int) -> str:
    """A commenter's made-up user name, one per number, none the start of another."""
    return "user" + hashlib.blake2b(str(n).encode(), digest_size=4).hexdigest()


def synthetic(count: int, seed: int = 1) -> Iterator[ParsedEntry]:
    """`count` entries: articles with their submissions and shares (tracking variants),
    cross-posted notes, YouTube videos shared by short links, and singletons, spread over a
    year."""
    rnd = random.Random(seed)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    made = thing = 0
    while made < count:
        thing += 1
        at = start + timedelta(seconds=thing * 31_536_000 // max(count // 2, 1))
        author = NAMES[rnd.randint(1, 5000) % len(NAMES)]
        kind = rnd.random()
        if kind < 0.45:
            url = f"https://blog{thing % 997}.example.org/posts/{thing}/"
            title = " ".join(rnd.choices(WORDS, k=rnd.randint(4, 9)))
            batch = [
                ParsedEntry(platform="rss", native_id=url, url=url, title=title, author=author,
                            text=" ".join(rnd.choices(WORDS, k=40)), published=at)
            ]  # fmt: skip
            for n in range(rnd.choice([0, 0, 1, 2, 3])):
                platform = rnd.choice(PLATFORMS[1:6])
                batch.append(
                    ParsedEntry(platform=platform, native_id=f"{thing}-{n}",
                                url=f"https://{platform}.example/{thing}/{n}",
                                link=f"{url}?utm_source={platform}", title=title,
                                author=_user(rnd.randint(1, 10**6)), kind="discussion"
                                if platform in ("hackernews", "lobsters", "reddit") else "post",
                                published=at + timedelta(hours=n + 1), comments=n)
                )  # fmt: skip
        elif kind < 0.7:
            text = " ".join(rnd.choices(WORDS, k=rnd.randint(12, 45)))
            batch = [
                ParsedEntry(platform="mastodon", native_id=f"m{thing}",
                            url=f"https://m.example/@{thing % 5000}/{thing}", title=text[:60],
                            text=text, author=author, author_handle=f"@p{thing % 5000}@m.example",
                            kind="post", published=at)
            ]  # fmt: skip
            if rnd.random() < 0.5:
                batch.append(
                    ParsedEntry(platform="bluesky", native_id=f"b{thing}",
                                url=f"https://bsky.example/{thing}", title=text[:60],
                                text=text + " " + rnd.choice(WORDS), author=author,
                                author_handle=f"p{thing % 5000}.bsky.example", kind="post",
                                published=at + timedelta(minutes=5))
                )  # fmt: skip
        elif kind < 0.8:
            video = f"{thing:011d}"[-11:]
            batch = [
                ParsedEntry(platform="youtube", native_id=f"yt:{video}",
                            url=f"https://www.youtube.com/watch?v={video}", kind="video",
                            title=" ".join(rnd.choices(WORDS, k=6)), author=author,
                            duration_s=600, published=at),
                ParsedEntry(platform="mastodon", native_id=f"mv{thing}",
                            url=f"https://m.example/@v/{thing}", kind="post", title="watch",
                            link=f"https://youtu.be/{video}?t=5", author="Viewer",
                            published=at + timedelta(hours=1)),
            ]  # fmt: skip
        else:
            text = " ".join(rnd.choices(WORDS, k=rnd.randint(3, 30)))
            platform = rnd.choice(PLATFORMS)
            batch = [
                ParsedEntry(platform=platform, native_id=f"s{thing}",
                            url=f"https://{platform}.example/s/{thing}", title=text[:60],
                            text=text, author=author, kind="post", published=at)
            ]  # fmt: skip
        for entry in batch[: count - made]:
            made += 1
            yield entry


async def ingest_synthetic(path: Path, count: int, batch: int) -> tuple[float, int]:
    follows = [Follow(platform="rss", url=f"https://feeds.example/{n}.xml") for n in range(200)]
    at = datetime(2027, 1, 1, tzinfo=UTC)
    pending: list[ParsedEntry] = []
    polls = 0
    elapsed = 0.0  # time in `apply` only: making the synthetic entries is not dedup's cost
    async with await Store.open(path) as store:
        for entry in synthetic(count):
            pending.append(entry)
            if len(pending) == batch:
                started = time.perf_counter()
                await store.apply(_poll(follows[polls % len(follows)], pending, at))
                elapsed += time.perf_counter() - started
                polls += 1
                pending = []
        if pending:
            started = time.perf_counter()
            await store.apply(_poll(follows[polls % len(follows)], pending, at))
            elapsed += time.perf_counter() - started
    with sqlite3.connect(path) as db:
        stories = db.execute("SELECT count(*) FROM stories").fetchone()[0]
    return elapsed, stories


def _poll(follow: Follow, entries: list[ParsedEntry], at: datetime) -> PollResult:
    return PollResult(
        follow=follow,
        fetched_at=at,
        status=PollStatus.FETCHED,
        entries=tuple(entries),
        next_due_at=at + timedelta(hours=1),
    )


def cost(counts: list[int], batch: int) -> None:
    print()
    print(f"Dedup cost: ingesting into a real SQLite file (WAL, FTS5), {batch} entries a poll")
    print()
    print("| entries | stories | seconds | entries/s | database MB |")
    print("|--------:|--------:|--------:|----------:|------------:|")
    for count in counts:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "cost.db"
            elapsed, stories = asyncio.run(ingest_synthetic(path, count, batch))
            size = sum(f.stat().st_size for f in Path(tmp).iterdir()) / 1e6
        print(
            f"| {count:>7} | {stories:>7} | {elapsed:>7.1f} | {count / elapsed:>9.0f} | "
            f"{size:>11.1f} |",
            flush=True,
        )


TABLE_HEAD = (
    "| URL library    | entries | platforms | labeled | stories | precision | recall "
    "| same every order | µs/URL |"
)
TABLE_RULE = (
    "|----------------|--------:|----------:|--------:|--------:|----------:|-------:"
    "|-----------------:|-------:|"
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the labeled set and 10k entries")
    parser.add_argument("--scale", type=int, nargs="*", help="entry counts for the cost table")
    parser.add_argument("--batch", type=int, default=100, help="entries per poll result")
    parser.add_argument("--seeds", type=int, default=5, help="shuffled ingestion orders")
    parser.add_argument("--compare-url-libs", action="store_true")
    parser.add_argument("--verbose", action="store_true", help="list wrong and missed pairs")
    args = parser.parse_args(argv)
    machine = f"{platform.machine()}, {os.cpu_count()} cores"
    print(
        f"machine: {machine}, Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}"
    )
    print()
    print(f"Pairwise quality on {LABELED.relative_to(ROOT)}, {args.seeds} shuffled orders")
    print("(the worst order shown; 'same every order': one partition for every order)")
    print()
    print(TABLE_HEAD)
    print(TABLE_RULE)
    seeds = list(range(args.seeds))
    ok = evaluate("w3lib (used)", dedup.w3lib_normalize, seeds, args.verbose)
    if args.compare_url_libs:
        for name, normalizer in url_normalizers().items():
            if name != "w3lib":
                evaluate(name, normalizer, seeds, args.verbose)
    print()
    verdict = "met" if ok else "NOT MET"
    print(f"targets: precision >= {PRECISION_TARGET}, recall >= {RECALL_TARGET}: {verdict}")
    counts = (
        args.scale if args.scale is not None else ([10_000] if args.quick else [100_000, 1_000_000])
    )
    if counts:
        cost(counts, args.batch)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
