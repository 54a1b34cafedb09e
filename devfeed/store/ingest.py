"""Applying a `PollResult`: one `BEGIN IMMEDIATE` transaction per source, idempotent.

The result is a complete snapshot of the follow's fetch state plus the entries it parsed:
applying the same result twice leaves the database exactly as applying it once.

Known entries are refreshed (counts, length, an edited title). New entries are filed into
stories by the rules of `devfeed.dedup`: their URL keys are looked up in `story_keys` and
their fingerprints among the same person's in `near_people` (a short index range per
time bucket and person, never a scan), `plan_batch`
groups them, and a group that spans several stories merges them into the oldest. Each
touched story then shows its best sighting again (`_sync_stories`).
"""

from __future__ import annotations

import json
import math
import sqlite3
from array import array
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiosqlite

from devfeed.dedup import (
    MAX_TEXT_CHARS,
    NEAR_WINDOW_S,
    Fingerprint,
    Group,
    KnownEntry,
    NewEntry,
    Prepared,
    account_hash,
    entry_identity,
    fingerprint,
    index_keys,
    person_probes,
    plan_batch,
    prepare_all,
    shown_kind,
    sighting_rank,
)
from devfeed.models import Follow, ParsedEntry, PollResult, PollStatus
from devfeed.store.connection import run, transaction
from devfeed.store.schema import fold_tag

CHUNK = 400  # host parameters per IN (...) list, well under SQLite's limit
HAND_FOLLOW_KEY = "devfeed:added-by-hand"
"""`follows.key` of the pseudo-follow that "sees" every story added by hand (`manual`)."""
MAX_NEAR_CANDIDATES = 2000
"""One lookup (an author key, a run of nearby 3-day buckets, at most `CHUNK` of them) reads
at most this many of the person's entries, the newest: a bound on the work per batch, at
the price of order-independence when one person posts more than that in a few days (a spam
wave)."""


@dataclass(frozen=True)
class ApplyOutcome:
    """What applying one result changed."""

    new_entries: int
    """Entries the store did not have."""
    new_stories: int
    """Stories created by those entries."""


def ts(value: datetime | None) -> int | None:
    """A datetime as stored: whole seconds since the epoch, UTC."""
    return int(value.timestamp()) if value is not None else None


def ts_up(value: datetime) -> float:
    """A due time as stored: seconds since the epoch to the millisecond (a REAL in the
    column), rounded up, so that a poll is never earlier than the scheduler asked (a
    `Retry-After` is honoured) and one-second intervals stay one second."""
    return math.ceil(value.timestamp() * 1000) / 1000


@contextmanager
def _cursor(db: sqlite3.Connection, sql: str, params: Any = ()) -> Iterator[sqlite3.Cursor]:
    cursor = db.execute(sql, params)
    try:
        yield cursor
    finally:
        cursor.close()


def _chunks(items: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


async def upsert_follow(db: aiosqlite.Connection, follow: Follow) -> int:
    """The row id of a follow, creating the row when it is new. Call inside a transaction."""
    return await run(db, _upsert_follow, follow)


def _upsert_follow(db: sqlite3.Connection, follow: Follow) -> int:
    db.execute(
        "INSERT INTO follows (key, platform, label) VALUES (?, ?, ?) "
        "ON CONFLICT (key) DO UPDATE SET label = excluded.label WHERE label != excluded.label",
        (follow.key, follow.platform, follow.label),
    )
    row = db.execute("SELECT id FROM follows WHERE key = ?", (follow.key,)).fetchone()
    assert row is not None
    return int(row[0])


def _write_state(db: sqlite3.Connection, follow_id: int, result: PollResult) -> None:
    ok = result.status is not PollStatus.FAILED
    db.execute(
        """
        UPDATE follows SET
            etag = CASE WHEN :ok THEN :etag ELSE etag END,
            last_modified = CASE WHEN :ok THEN :last_modified ELSE last_modified END,
            body_hash = CASE WHEN :ok THEN :body_hash ELSE body_hash END,
            feed_title = coalesce(:feed_title, feed_title),
            last_polled_at = :fetched_at,
            last_ok_at = CASE WHEN :ok THEN :fetched_at ELSE last_ok_at END,
            status = :status, error = :error, failures = :failures, next_due_at = :next_due_at,
            warning = CASE WHEN :ok THEN :warning ELSE warning END,
            platform_state = coalesce(:platform_state, platform_state),
            moved_to = CASE WHEN :ok THEN :moved_to ELSE moved_to END
        WHERE id = :id
        """,
        {
            "ok": ok,
            "etag": result.etag,
            "last_modified": result.last_modified,
            "body_hash": result.body_hash,
            "feed_title": result.feed_title,
            "fetched_at": ts(result.fetched_at),
            "status": result.status.value,
            "error": result.error,
            "failures": result.failures,
            "next_due_at": ts_up(result.next_due_at),
            "warning": result.warning,
            "platform_state": (
                None
                if result.platform_state is None
                else json.dumps(result.platform_state, sort_keys=True)
            ),
            "moved_to": result.moved_to,
            "id": follow_id,
        },
    )


@dataclass(frozen=True)
class IngestPolicy:
    """How ingesting treats the user's state (from `[settings]`)."""

    resurrect_on_new_sighting: bool = False
    """A new entry joining a read story makes it unread again."""


@dataclass(frozen=True)
class _Known:
    id: int
    story_id: int
    title: str
    duration_s: int | None
    comments: int | None
    score: int | None


def _published(entry: ParsedEntry, seen: int) -> int:
    """When an entry was published as stored on its story: a date in the future is a lie."""
    return min(ts(entry.published) or seen, seen)


def _known_entries(
    db: sqlite3.Connection, entries: Iterable[ParsedEntry]
) -> dict[tuple[str, str], _Known]:
    """The stored entries among `entries`, by (platform, native id)."""
    by_platform: dict[str, list[str]] = {}
    for entry in entries:
        by_platform.setdefault(entry.platform, []).append(entry.native_id)
    found: dict[tuple[str, str], _Known] = {}
    for platform, native_ids in by_platform.items():
        for chunk in _chunks(native_ids):
            marks = ",".join("?" * len(chunk))
            sql = (
                "SELECT native_id, id, story_id, title, duration_s, comments, score FROM entries "
                f"WHERE platform = ? AND native_id IN ({marks})"
            )
            with _cursor(db, sql, (platform, *chunk)) as cursor:
                for row in cursor.fetchall():
                    found[(platform, row[0])] = _Known(*row[1:])
    return found


def _update_known(
    db: sqlite3.Connection, entries: Sequence[ParsedEntry], known: dict[tuple[str, str], _Known]
) -> set[int]:
    """Refresh what changes on a known entry (counts, length, an edited title); returns
    the stories whose shown fields may have changed. A value the platform did not send
    this time keeps the stored one."""
    rows: list[tuple[Any, ...]] = []
    stories: set[int] = set()
    for entry in entries:
        old = known.get((entry.platform, entry.native_id))
        if old is None:
            continue
        title = entry.title or old.title
        duration = entry.duration_s if entry.duration_s is not None else old.duration_s
        comments = entry.comments if entry.comments is not None else old.comments
        score = entry.score if entry.score is not None else old.score
        if (title, duration, comments, score) == (
            old.title,
            old.duration_s,
            old.comments,
            old.score,
        ):
            continue
        rows.append((title, duration, comments, score, old.id))
        if (title, duration) != (old.title, old.duration_s):
            stories.add(old.story_id)
    if rows:
        db.executemany(
            "UPDATE entries SET title = ?, duration_s = ?, comments = ?, score = ? WHERE id = ?",
            rows,
        )
    return stories


def _follow_key(db: sqlite3.Connection, follow_id: int) -> str:
    with _cursor(db, "SELECT key FROM follows WHERE id = ?", (follow_id,)) as cursor:
        row = cursor.fetchone()
    return str(row[0]) if row else ""


def _next_id(db: sqlite3.Connection, table: str) -> int:
    with _cursor(db, f"SELECT coalesce(max(id), 0) + 1 FROM {table}") as cursor:
        row = cursor.fetchone()
    return int(row[0]) if row else 1


def _print_of(row: Any, published: int) -> Fingerprint | None:
    return fingerprint(
        platform=row["platform"],
        kind=row["kind"],
        title=row["title"],
        text=row["text"],
        author=row["author"],
        handle=row["author_handle"],
        url=row["url"],
        published=published,
    )


def _key_owners(db: sqlite3.Connection, keys: Iterable[str]) -> dict[str, KnownEntry]:
    """The stored entry holding each URL key, with its story."""
    found: dict[str, KnownEntry] = {}
    for chunk in _chunks(sorted(set(keys))):
        marks = ",".join("?" * len(chunk))
        sql = (
            "SELECT k.key, e.id, e.story_id FROM story_keys k JOIN entries e ON e.id = k.entry_id "
            f"WHERE k.key IN ({marks})"
        )
        with _cursor(db, sql, tuple(chunk)) as cursor:
            for key, entry_id, story_id in cursor.fetchall():
                found[key] = KnownEntry(entry_id, story_id)
    return found


_INSERT_NEAR_PEOPLE = (
    "INSERT OR IGNORE INTO near_people (person, bucket, entry_id, published, account, keys) "
    "VALUES (?, ?, ?, ?, ?, ?)"
)
"""Writes `near_rows`."""


def near_rows(print_: Fingerprint, entry_id: int, keys: Sequence[int]) -> list[tuple[Any, ...]]:
    """The `near_people` rows of a fingerprinted entry: one per author key."""
    blob = array("q", keys).tobytes()
    bucket = print_.published // NEAR_WINDOW_S
    account = account_hash(print_.account)
    return [
        (person, bucket, entry_id, print_.published, account, blob)
        for person in sorted(print_.authors)
    ]


NEAR_BACKFILL_S = 30 * 24 * 3600
"""Migration 9 indexes the entries published in the last 30 days of the store."""


def fill_near_people(db: sqlite3.Connection) -> None:
    """Migration 9: index by person the fingerprinted entries published within
    `NEAR_BACKFILL_S` of the newest (`near_index` knew which entries had a fingerprint and
    when they were published), then drop `near_index`. Runs inside the migration's
    transaction. Older entries stay where they are but are no longer near-duplicate
    candidates: only a backlog more than a month old could have matched them, and URL
    keys still do; fingerprinting all of a million-entry store would take minutes."""
    db.execute("CREATE TEMP TABLE near_old (entry_id INTEGER PRIMARY KEY, published INTEGER) ")
    db.execute(
        "INSERT INTO near_old SELECT entry_id, min(published) FROM near_index "
        "WHERE published >= (SELECT max(published) FROM near_index) - ? GROUP BY entry_id",
        (NEAR_BACKFILL_S,),
    )
    sql = (
        "SELECT e.id, e.platform, e.kind, e.title, "
        f"substr(e.text, 1, {MAX_TEXT_CHARS}) AS text, e.author, e.author_handle, e.url, "
        "n.published FROM near_old n JOIN entries e ON e.id = n.entry_id"
    )
    with _cursor(db, sql) as cursor:
        while rows := cursor.fetchmany(5000):
            found = []
            for row in rows:
                print_ = _print_of(row, row["published"])
                if print_ is not None:
                    found.extend(near_rows(print_, row["id"], index_keys(print_)))
            db.executemany(_INSERT_NEAR_PEOPLE, found)
    db.execute("DROP TABLE near_old")
    db.execute("DROP TABLE near_index")


def _newest_near(db: sqlite3.Connection, sql: str, params: tuple[Any, ...]) -> list[Any]:
    """The rows of a `near_people` query, at most `MAX_NEAR_CANDIDATES`, the newest. The
    query is asked first without an order: `ORDER BY ... LIMIT` makes SQLite sort even a
    handful of rows, which costs four times the search. Only a person with more rows than
    that in the buckets (a spam wave) is asked again, in order."""
    with _cursor(db, f"{sql} LIMIT ?", (*params, MAX_NEAR_CANDIDATES + 1)) as cursor:
        cursor.row_factory = None  # plain tuples: a busy person has many rows
        rows = cursor.fetchall()
    if len(rows) <= MAX_NEAR_CANDIDATES:
        return rows
    newest = f"{sql} ORDER BY bucket DESC, entry_id DESC LIMIT ?"
    with _cursor(db, newest, (*params, MAX_NEAR_CANDIDATES)) as cursor:
        cursor.row_factory = None
        return cursor.fetchall()


_NEAR_COLUMNS = "entry_id, published, account, keys"
"""What a `near_people` lookup reads of each row."""


def _person_keys(
    lookup: tuple[str, int, int],
) -> tuple[range, tuple[str, ...], tuple[str, str] | None]:
    """Where a lookup (an author key, a first and a last bucket) looks in `near_people`:
    its buckets and their neighbours, the key's exact spellings (`person_probes`), and
    the range of the longer keys that start with it, if any."""
    author, first, last = lookup
    exact, prefix = person_probes(author)
    longer = None if prefix is None else (prefix + "\0", prefix + "\U0010ffff")
    return range(first - 1, last + 2), exact, longer


def _lookup_rows(db: sqlite3.Connection, lookup: tuple[str, int, int]) -> list[Any]:
    """A person's `near_people` rows for one lookup (`_person_keys`), one query each for
    the key's exact spellings and for the longer keys that start with it, per `CHUNK`
    buckets: each at most `MAX_NEAR_CANDIDATES` rows, the newest (`_newest_near`)."""
    buckets, exact, between = _person_keys(lookup)
    marks = ",".join("?" * len(exact))
    columns = f"SELECT {_NEAR_COLUMNS} FROM near_people WHERE "
    rows = []
    # the buckets by name: the table is keyed by bucket first (migration 10)
    for named in _chunks(buckets):
        window = f"bucket IN ({','.join('?' * len(named))}) AND "
        queries = [(f"{columns}{window}person IN ({marks})", (*named, *exact))]
        if between is not None:
            queries.append((f"{columns}{window}person BETWEEN ? AND ?", (*named, *between)))
        for sql, params in queries:
            rows += _newest_near(db, sql, params)
    return rows


PROBES_PER_QUERY = 128
"""Index ranges (`_probes`) that one query of `_person_rows` reads at most, four host
parameters each: 513 with the limit, under the 999 that SQLite before 3.32 allows. The
list is padded to a power of two with ranges that hold nothing, so that a few statements
serve every batch from the connection's statement cache."""
_EMPTY_PROBE = (-1, 0, "\U0010ffff", "")
"""A range from a higher to a lower key: it holds no row."""


def _probes(lookup: tuple[str, int, int]) -> list[tuple[int, str, str]]:
    """The `near_people` key ranges `_lookup_rows` reads for a lookup: (bucket, lowest
    person, highest person), an exact spelling being a range of one key."""
    buckets, exact, longer = _person_keys(lookup)
    people = [(person, person) for person in exact] + ([longer] if longer else [])
    return [(bucket, lo, hi) for bucket in buckets for lo, hi in people]


def _person_rows(
    db: sqlite3.Connection, lookups: Sequence[tuple[str, int, int]]
) -> list[list[Any]]:
    """`_lookup_rows` for each lookup, read together: the key ranges of many lookups in
    one query (`PROBES_PER_QUERY`), where one by one a batch of new entries asked ~1.3
    queries an entry, each with its fixed cost. A query's limit is the sum of its
    lookups' bounds. A lookup with more rows than `MAX_NEAR_CANDIDATES`, or every lookup
    of a query that reached its limit, is read again on its own, so the rows are always
    the ones `_lookup_rows` gives."""
    found: list[list[Any]] = [[] for _ in lookups]
    alone: list[int] = []  # lookups read on their own
    pending: list[tuple[int, list[tuple[int, str, str]]]] = []

    def read_pending() -> None:
        rows = _read_probes(db, pending)
        if rows is None:
            alone.extend(index for index, _ in pending)
            return
        for row in rows:
            found[row[0]].append(row[1:])
        alone.extend(index for index, _ in pending if len(found[index]) > MAX_NEAR_CANDIDATES)

    taken = 0  # ranges in `pending`
    for index, lookup in enumerate(lookups):
        probes = _probes(lookup)
        if len(probes) > PROBES_PER_QUERY:
            alone.append(index)
            continue
        if taken + len(probes) > PROBES_PER_QUERY:
            read_pending()
            pending, taken = [], 0
        pending.append((index, probes))
        taken += len(probes)
    if pending:
        read_pending()
    for index in alone:
        found[index] = _lookup_rows(db, lookups[index])
    return found


def _read_probes(
    db: sqlite3.Connection, pending: Sequence[tuple[int, Sequence[tuple[int, str, str]]]]
) -> list[Any] | None:
    """The rows in the pending lookups' key ranges, each with its lookup's index first, in
    one query; None when there are more than the lookups' bounds together."""
    params: list[Any] = []
    for index, ranges in pending:
        for bucket, lo, hi in ranges:
            params += (index, bucket, lo, hi)
    count = len(params) // 4
    padded = 1 << (count - 1).bit_length()
    params += _EMPTY_PROBE * (padded - count)
    limit = MAX_NEAR_CANDIDATES * len(pending)
    sql = (
        f"WITH probe (lookup, bucket, lo, hi) AS (VALUES {','.join(['(?,?,?,?)'] * padded)}) "
        f"SELECT probe.lookup, {_NEAR_COLUMNS} FROM probe CROSS JOIN near_people "
        # CROSS JOIN: SQLite keeps the ranges outside, each a search of the primary key
        "WHERE near_people.bucket = probe.bucket AND person BETWEEN probe.lo AND probe.hi "
        "LIMIT ?"
    )
    params.append(limit + 1)
    with _cursor(db, sql, params) as cursor:
        cursor.row_factory = None
        rows = cursor.fetchall()
    return rows if len(rows) <= limit else None


def _near_neighbours(
    db: sqlite3.Connection, fresh: Sequence[NewEntry]
) -> dict[int, list[KnownEntry]]:
    """Stored entries that share an index key with a new entry and could be its
    near-duplicate (another account of the same person, within the time window), by index
    key, with their fingerprints. Only the new entries' persons are looked at
    (`near_people` under the author keys `person_probes` names, in the time buckets of
    the new entries and their neighbours, at most `MAX_NEAR_CANDIDATES` rows a query),
    and only the entries that share a key are read and fingerprinted; `near_duplicate`
    then decides, exactly, as it would for any pair."""
    printed = [new for new in fresh if new.print is not None and new.bands]
    if not printed:
        return {}
    # (author key, first bucket, last bucket) -> the new entries to check against that
    # person's stored entries in those buckets and their neighbours
    by_author: dict[str, dict[int, list[tuple[int, int, frozenset[int]]]]] = {}
    for new in printed:
        assert new.print is not None
        mine = (new.print.published, account_hash(new.print.account), frozenset(new.bands))
        bucket = new.print.published // NEAR_WINDOW_S
        for author in new.print.authors:
            by_author.setdefault(author, {}).setdefault(bucket, []).append(mine)
    wanted: dict[tuple[str, int, int], list[tuple[int, int, frozenset[int]]]] = {}
    for author, buckets in by_author.items():
        span: list[int] = []
        for bucket in sorted(buckets):  # buckets two apart or less share a neighbour
            if span and bucket - span[-1] > 2:
                wanted[(author, span[0], span[-1])] = [n for b in span for n in buckets[b]]
                span = []
            span.append(bucket)
        wanted[(author, span[0], span[-1])] = [n for b in span for n in buckets[b]]
    shared: dict[int, set[int]] = {}  # stored entry id -> the index keys it shares
    published: dict[int, int] = {}
    for news, rows in zip(wanted.values(), _person_rows(db, list(wanted)), strict=True):
        news_keys = frozenset().union(*(keys for _, _, keys in news))
        for entry_id, when, account, blob in rows:
            keys = array("q")
            keys.frombytes(blob)
            if news_keys.isdisjoint(keys):
                continue
            for new_published, new_account, new_keys in news:
                if account == new_account or abs(new_published - when) > NEAR_WINDOW_S:
                    continue  # the same account, or too far apart: never a near-duplicate
                common = new_keys.intersection(keys)
                if common:
                    shared.setdefault(entry_id, set()).update(common)
                    published[entry_id] = when
    found: dict[int, list[KnownEntry]] = {}
    for chunk in _chunks(sorted(shared)):
        marks = ",".join("?" * len(chunk))
        sql = (
            "SELECT id, story_id, platform, kind, title, "
            f"substr(text, 1, {MAX_TEXT_CHARS}) AS text, author, author_handle, url "
            f"FROM entries WHERE id IN ({marks})"
        )
        with _cursor(db, sql, tuple(chunk)) as cursor:
            for row in cursor.fetchall():
                known = KnownEntry(row["id"], row["story_id"], _print_of(row, published[row["id"]]))
                for band in sorted(shared[row["id"]]):
                    found.setdefault(band, []).append(known)
    return found


def _story_fields(
    entries: Sequence[Any], shares: Sequence[bool | None] | None = None
) -> dict[str, Any]:
    """A story's shown fields from its entries (mappings of entry columns): the best
    sighting's title, link, kind and author; its length and text, or the next best's.
    `shares`: each entry's `shares_a_link`, where known (the parse workers computed it)."""
    if len(entries) == 1:
        ranked = entries
    else:
        known = shares or [None] * len(entries)

        def rank(index: int) -> tuple[Any, ...]:
            e = entries[index]
            return sighting_rank(
                platform=e["platform"],
                native_id=e["native_id"],
                kind=e["kind"],
                url=e["url"],
                link=e["link"],
                published=e["published"],
                by_hand=bool(e["by_hand"]),
                shares=known[index],
            )

        ranked = [entries[index] for index in sorted(range(len(entries)), key=rank)]
    best = ranked[0]
    duration = next((e["duration_s"] for e in ranked if e["duration_s"] is not None), None)
    summary = next((e["text"] for e in ranked if e["text"]), "")
    return {
        "story_key": entry_identity(best["platform"], best["native_id"]),
        "title": best["title"],
        "url": best["link"] or best["url"],
        "kind": shown_kind(best["kind"], best["link"], best["url"]),
        "duration_s": duration,
        "author": best["author"],
        "summary": summary[:2000],
    }


def index_stories(db: sqlite3.Connection, first: int, last: int) -> None:
    """Add the stories with ids from `first` to `last`, just inserted, to the full-text
    index and give them their kind facet, one statement each (there are no insert
    triggers: see migration 9)."""
    index_story_text(db, first, last)
    db.execute(
        "INSERT OR IGNORE INTO story_facets (facet, published, story_id) "
        "SELECT 'kind:' || kind, published, id FROM stories WHERE id BETWEEN ? AND ?",
        (first, last),
    )


def index_story_text(db: sqlite3.Connection, first: int, last: int) -> None:
    """Add the stories with ids from `first` to `last`, just inserted, to the full-text
    index, in one statement."""
    db.execute(
        "INSERT INTO stories_fts (rowid, title, summary, author) "
        "SELECT id, title, summary, author FROM stories WHERE id BETWEEN ? AND ?",
        (first, last),
    )


@dataclass
class _Unindexed:
    """Stories inserted in the transaction and not yet in the full-text index (ids `first`
    to `last`): `apply_batch` indexes them all in one statement before it commits.

    FTS5 writes what it holds in memory to a new segment at the end of every statement
    that changes it inside a transaction (a statement savepoint), so a statement per poll
    result wrote a small segment per result. A statement whose triggers change stories'
    index entries (deleting a story, setting its text) needs them indexed first: `before`
    indexes the pending stories when one of its ids is among them."""

    first: int | None = None
    last: int = 0

    def add(self, first: int, last: int) -> None:
        """Stories `first` to `last` were inserted. Every story with an id between the
        pending ones was made in this transaction (ids only grow, and a pending story is
        indexed before it can be deleted), so one range holds them all."""
        if self.first is None:
            self.first = first
        self.last = last

    def before(self, db: sqlite3.Connection, story_ids: Iterable[int]) -> None:
        """Index the pending stories if any of `story_ids` is one of them."""
        first = self.first
        if first is not None and any(first <= story <= self.last for story in story_ids):
            self.index(db)

    def index(self, db: sqlite3.Connection) -> None:
        if self.first is not None:
            index_story_text(db, self.first, self.last)
            self.first = None


def new_story_facets(
    stories: Sequence[Mapping[str, Any]],
    entries: Iterable[tuple[ParsedEntry, int]],
    follow_key: str,
) -> list[tuple[str, int, int]]:
    """Every facet of stories just made, sorted, built from what is in hand: each story's
    kind and the follow that saw it, and the platforms and tags of its entries (each
    with its story's id; entries of other stories are skipped). What
    `story_facet_sources` says of them, without reading a row back."""
    published = {story["id"]: story["published"] for story in stories}
    rows = {(f"kind:{story['kind']}", story["published"], story["id"]) for story in stories}
    rows.update((f"follow:{follow_key}", when, story_id) for story_id, when in published.items())
    for entry, story_id in entries:
        when = published.get(story_id)
        if when is not None:
            rows.update((facet, when, story_id) for facet in _entry_facets(entry))
    return sorted(rows)


def _entry_facets(entry: ParsedEntry) -> list[str]:
    """The facets an entry gives its story: its platform and its tags (folded as
    `story_facet_sources` folds them)."""
    return [f"platform:{entry.platform}", *(f"tag:{fold_tag(tag)}" for tag in entry.tags)]


def add_entry_facets(db: sqlite3.Connection, entries: Iterable[tuple[ParsedEntry, int]]) -> None:
    """The platform and tag facets that new entries, just inserted, give their stories
    (each entry with its story's id): what `story_facet_sources` says of them, built here
    from the entries in hand. One statement in SQL read each entry back and parsed its
    tags' JSON again, five times the cost of the kind facet's."""
    rows = {
        (facet, story_id): None for entry, story_id in entries for facet in _entry_facets(entry)
    }
    db.executemany(
        "INSERT OR IGNORE INTO story_facets (facet, published, story_id) "
        "SELECT ?, published, id FROM stories WHERE id = ?",
        rows,
    )


def add_follow_facets(db: sqlite3.Connection, follow_id: int, entry_ids: Sequence[int]) -> None:
    """The follow facet that sightings of `entry_ids` by `follow_id` give their stories."""
    for chunk in _chunks(entry_ids):
        marks = ",".join("?" * len(chunk))
        db.execute(
            "INSERT OR IGNORE INTO story_facets (facet, published, story_id) "
            "SELECT 'follow:' || f.key, s.published, s.id "
            "FROM entries e JOIN stories s ON s.id = e.story_id, follows f "
            f"WHERE f.id = ? AND e.id IN ({marks})",
            (follow_id, *chunk),
        )


def _entry_columns(entry: ParsedEntry, by_hand: bool) -> dict[str, Any]:
    return {
        "by_hand": by_hand,
        "platform": entry.platform,
        "native_id": entry.native_id,
        "kind": entry.kind,
        "url": entry.url,
        "link": entry.link,
        "published": ts(entry.published),
        "duration_s": entry.duration_s,
        "text": entry.text,
        "title": entry.title,
        "author": entry.author,
    }


_STORY_UPDATES = (
    ("title", "summary", "author"),  # the full-text index's: `stories_fts_update` indexes again
    ("kind",),  # a facet's: `stories_facets_update` builds the story's facets again
    ("story_key", "url", "duration_s", "places"),  # no trigger
)
"""The shown fields `_sync_stories` keeps in step, in the groups it updates apart: SQLite
runs an `UPDATE OF` trigger whenever its columns are set, changed or not."""


def _sync_stories(db: sqlite3.Connection, story_ids: Iterable[int], unindexed: _Unindexed) -> None:
    """Keep stories' shown fields in step with their best sighting."""
    ids = sorted(set(story_ids))
    unindexed.before(db, ids)  # a new text re-indexes the story (`stories_fts_update`)
    by_story: dict[int, list[Any]] = {}
    for chunk in _chunks(ids):
        marks = ",".join("?" * len(chunk))
        sql = (
            "SELECT story_id, platform, native_id, kind, url, link, published, duration_s, "
            "substr(text, 1, 2000) AS text, title, author, NOT EXISTS ("
            "  SELECT 1 FROM sightings s JOIN follows f ON f.id = s.follow_id"
            "  WHERE s.entry_id = entries.id AND f.key != ?) AS by_hand "
            f"FROM entries WHERE story_id IN ({marks})"
        )
        with _cursor(db, sql, (HAND_FOLLOW_KEY, *chunk)) as cursor:
            for row in cursor.fetchall():
                by_story.setdefault(row["story_id"], []).append(row)
    rows = []
    for story_id, entries in by_story.items():
        fields = _story_fields(entries)
        rows.append({**fields, "places": len(entries), "id": story_id})
    for names in _STORY_UPDATES:
        changed = " OR ".join(f"{name} IS NOT :{name}" for name in names)
        assignments = ", ".join(f"{name} = :{name}" for name in names)
        db.executemany(f"UPDATE stories SET {assignments} WHERE id = :id AND ({changed})", rows)


def _merge_stories(
    db: sqlite3.Connection,
    group: Group,
    policy: IngestPolicy,
    published: int,
    unindexed: _Unindexed,
) -> None:
    """Fold the group's other stories into its first (the oldest id): their entries move,
    their user state combines (read if either was; saved since the first save, with every
    note, oldest story's first, and every tag; queued for Lunch if either is and not yet
    watched), and the entry that started each records the merge."""
    target, absorbed = group.stories[0], group.stories[1:]
    marks = ",".join("?" * len(group.stories))
    with _cursor(
        db,
        "SELECT read, saved_at, lunch_at, lunch_done_at, first_seen, published, note, "
        f"saved_tags FROM stories WHERE id IN ({marks}) ORDER BY id",
        tuple(group.stories),
    ) as cursor:
        states = list(cursor.fetchall())
    if absorbed:
        starters: list[tuple[str, int]] = []
        absorbed_marks = ",".join("?" * len(absorbed))
        with _cursor(
            db,
            f"SELECT id, story_id, join_reason FROM entries WHERE story_id IN ({absorbed_marks})",
            tuple(absorbed),
        ) as cursor:
            for entry_id, story_id, reason in cursor.fetchall():
                if not json.loads(reason or "[]"):
                    merged = {
                        "rule": "merged",
                        "story": story_id,
                        "entry": group.linked_by[story_id],
                    }
                    starters.append((json.dumps([merged]), entry_id))
        db.executemany("UPDATE entries SET join_reason = ? WHERE id = ?", starters)
        unindexed.before(db, absorbed)  # deleting a story deletes its index entries
        db.execute(
            f"UPDATE entries SET story_id = ? WHERE story_id IN ({absorbed_marks})",
            (target, *absorbed),
        )
        db.execute(f"DELETE FROM stories WHERE id IN ({absorbed_marks})", tuple(absorbed))
    queued = [s for s in states if s["lunch_at"] is not None and s["lunch_done_at"] is None]
    watched = [s for s in states if s["lunch_at"] is not None]
    read = any(s["read"] for s in states) and not policy.resurrect_on_new_sighting
    saved = [s["saved_at"] for s in states if s["saved_at"] is not None]
    notes = list(dict.fromkeys(s["note"] for s in states if s["note"]))
    tags = list(dict.fromkeys(tag for s in states for tag in json.loads(s["saved_tags"])))
    db.execute(
        "UPDATE stories SET read = ?, saved_at = ?, lunch_at = ?, lunch_done_at = ?, "
        "first_seen = ?, note = ? WHERE id = ?",
        (
            int(read),
            min(saved, default=None),
            min((s["lunch_at"] for s in queued or watched), default=None),
            None if queued else max((s["lunch_done_at"] for s in watched), default=None),
            min(s["first_seen"] for s in states),
            "\n\n".join(notes) or None,
            target,
        ),
    )
    # each has a trigger that builds the story's facets again: set only when it changes
    # (a new sighting of one story changes neither)
    for column, value in (
        ("published", min(published, *(s["published"] for s in states))),
        ("saved_tags", json.dumps(tags, ensure_ascii=False)),
    ):
        db.execute(
            f"UPDATE stories SET {column} = ? WHERE id = ? AND {column} IS NOT ?",
            (value, target, value),
        )


def _prepared_for(
    prepared: Mapping[tuple[str, str], Prepared], entry: ParsedEntry
) -> Prepared | None:
    """What a parse worker prepared for this entry, if it still holds (a platform may have
    rewritten the entry since)."""
    given = prepared.get((entry.platform, entry.native_id))
    return given if given is not None and given.prepared_for(entry) else None


def _ingest_fresh(
    db: sqlite3.Connection,
    entries: Sequence[ParsedEntry],
    seen: int,
    policy: IngestPolicy,
    follow_key: str,
    prepared: Mapping[tuple[str, str], Prepared],
    unindexed: _Unindexed,
) -> tuple[list[int], int, set[int], set[int]]:
    """Insert new entries into the stories they belong to, seen by the follow
    `follow_key`; returns their row ids, the number of stories created, the existing
    stories that gained entries, and the entries that started new stories. The new
    stories get all their facets here, the follow's too; the existing stories only their
    new entries' platforms and tags."""
    by_hand = follow_key == HAND_FOLLOW_KEY
    first_id = _next_id(db, "entries")
    fresh: list[NewEntry] = []
    when = [_published(entry, seen) for entry in entries]
    given = [_prepared_for(prepared, entry) for entry in entries]
    # the rest together: a feed's bigrams hash several times faster than one by one
    missing = [entry for entry, ready in zip(entries, given, strict=True) if ready is None]
    computed = iter(prepare_all(missing))
    shares: list[bool] = []
    for offset, entry in enumerate(entries):
        ready = given[offset]
        ready = (ready if ready is not None else next(computed)).at(when[offset])
        shares.append(ready.shares)
        fresh.append(
            NewEntry(
                id=first_id + offset,
                keys=ready.keys,
                print=ready.print,
                bands=ready.bands,
                title=entry.title,
            )
        )
    owners = _key_owners(db, (key for new in fresh for key in new.keys))
    plan = plan_batch(fresh, owners, _near_neighbours(db, fresh))

    next_story = first_story = _next_id(db, "stories")
    story_of: dict[int, int] = {}
    new_stories: list[dict[str, Any]] = []
    touched: set[int] = set()
    for group in plan.groups:
        published = min(when[i] for i in group.entries)
        if group.stories:
            story_id = group.stories[0]
            _merge_stories(db, group, policy, published, unindexed)
            touched.add(story_id)
        else:
            story_id = next_story
            next_story += 1
            fields = _story_fields(
                [_entry_columns(entries[i], by_hand) for i in group.entries],
                [shares[i] for i in group.entries],
            )
            new_stories.append(
                {
                    **fields,
                    "id": story_id,
                    "published": published,
                    "first_seen": seen,
                    "places": len(group.entries),
                }
            )
        for index in group.entries:
            story_of[index] = story_id
    db.executemany(
        "INSERT INTO stories (id, story_key, title, url, kind, duration_s, author, summary, "
        "published, first_seen, places) VALUES (:id, :story_key, :title, :url, :kind, "
        ":duration_s, :author, :summary, :published, :first_seen, :places)",
        new_stories,
    )
    if new_stories:
        unindexed.add(new_stories[0]["id"], new_stories[-1]["id"])
    db.executemany(
        "INSERT INTO entries (id, platform, native_id, story_id, url, link, title, author, text, "
        "published, tags, kind, duration_s, media_url, comments_url, author_handle, score, "
        "comments, join_reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            _entry_row(entry, new.id, story_of[index], reasons)
            for index, (entry, new, reasons) in enumerate(
                zip(entries, fresh, plan.reasons, strict=True)
            )
        ],
    )
    placed = [(entry, story_of[index]) for index, entry in enumerate(entries)]
    db.executemany(
        "INSERT OR IGNORE INTO story_facets (facet, published, story_id) VALUES (?, ?, ?)",
        new_story_facets(new_stories, placed, follow_key),
    )
    add_entry_facets(db, [(entry, story_id) for entry, story_id in placed if story_id in touched])
    db.executemany(
        "INSERT OR IGNORE INTO story_keys (key, entry_id) VALUES (?, ?)",
        [(key, new.id) for new in fresh for key in new.keys],
    )
    db.executemany(
        _INSERT_NEAR_PEOPLE,
        [row for new in fresh if new.print for row in near_rows(new.print, new.id, new.bands)],
    )
    in_new = {fresh[index].id for index, story_id in story_of.items() if story_id >= first_story}
    return [new.id for new in fresh], len(new_stories), touched, in_new


def _entry_row(
    entry: ParsedEntry, entry_id: int, story_id: int, reasons: list[dict[str, Any]]
) -> tuple[Any, ...]:
    return (
        entry_id,
        entry.platform,
        entry.native_id,
        story_id,
        entry.url,
        entry.link,
        entry.title,
        entry.author,
        entry.text,
        ts(entry.published),
        _json_list(entry.tags),
        entry.kind,
        entry.duration_s,
        entry.media_url,
        entry.comments_url,
        entry.author_handle,
        entry.score,
        entry.comments,
        _json_list(reasons),
    )


def _json_list(items: Sequence[Any]) -> str:
    """`json.dumps(list(items))`, without the encoder for the common empty list (a new
    entry that starts its story has no reasons, most have no tags)."""
    return json.dumps(list(items)) if items else "[]"


async def _ingest_entries(
    db: aiosqlite.Connection,
    follow_id: int,
    entries: Sequence[ParsedEntry],
    seen: int,
    policy: IngestPolicy | None = None,
) -> ApplyOutcome:
    """Ingest parsed entries seen by one follow at `seen` (inside the caller's
    transaction): refresh the known, file the new into their stories, record sightings."""
    return await run(db, ingest_entries, follow_id, entries, seen, policy or IngestPolicy())


def ingest_entries(
    db: sqlite3.Connection,
    follow_id: int,
    entries: Sequence[ParsedEntry],
    seen: int,
    policy: IngestPolicy,
    prepared: Sequence[Prepared] = (),
    unindexed: _Unindexed | None = None,
) -> ApplyOutcome:
    """`_ingest_entries` on the connection's thread (inside the caller's transaction).
    `prepared`: `Prepared` computed elsewhere (the parse workers), in any order; each is
    used only for the entry it was computed from as that entry is now, and what is
    missing is computed here. New stories enter the full-text index before this returns,
    or, given `unindexed`, when the caller indexes it (before its commit)."""
    if unindexed is None:
        unindexed = _Unindexed()
        outcome = ingest_entries(db, follow_id, entries, seen, policy, prepared, unindexed)
        unindexed.index(db)
        return outcome
    unique = list({(e.platform, e.native_id): e for e in reversed(entries)}.values())[::-1]
    known = _known_entries(db, unique)
    to_sync = _update_known(db, unique, known)
    ids = {identity: old.id for identity, old in known.items()}
    fresh = [e for e in unique if (e.platform, e.native_id) not in known]
    new_stories = 0
    faceted: set[int] = set()  # entries of new stories, which have all their facets
    if fresh:
        key = _follow_key(db, follow_id)
        ready = {(p.source[0], p.source[1]): p for p in prepared if p.source}
        fresh_ids, new_stories, touched, faceted = _ingest_fresh(
            db, fresh, seen, policy, key, ready, unindexed
        )
        ids.update(((e.platform, e.native_id), i) for e, i in zip(fresh, fresh_ids, strict=True))
        to_sync |= touched
        if touched and policy.resurrect_on_new_sighting:
            marks = ",".join("?" * len(touched))
            db.execute(f"UPDATE stories SET read = 0 WHERE id IN ({marks})", tuple(touched))
    db.executemany(
        "INSERT OR IGNORE INTO sightings (entry_id, follow_id, seen_at, boosted_by) "
        "VALUES (?, ?, ?, ?)",
        [(ids[(e.platform, e.native_id)], follow_id, seen, e.boosted_by) for e in unique],
    )
    # the known entries, and new entries that joined stored stories, give those stories
    # the follow's facet here (the new stories have theirs)
    add_follow_facets(db, follow_id, sorted(set(ids.values()) - faceted))
    if to_sync:  # after the sightings: whether an entry was added by hand is one of them
        _sync_stories(db, to_sync, unindexed)
    return ApplyOutcome(new_entries=len(fresh), new_stories=new_stories)


async def apply(
    db: aiosqlite.Connection, result: PollResult, policy: IngestPolicy | None = None
) -> ApplyOutcome:
    """Write one poll result in one transaction. Idempotent. The whole transaction runs on
    the database's thread in one call (`apply_batch`)."""
    outcomes = await run(db, apply_batch, [result], policy or IngestPolicy())
    return outcomes[0]


async def apply_many(
    db: aiosqlite.Connection, results: Sequence[PollResult], policy: IngestPolicy | None = None
) -> list[ApplyOutcome]:
    """Write several poll results in one transaction (one commit), each exactly as `apply`
    would, in order. Idempotent."""
    return await run(db, apply_batch, results, policy or IngestPolicy())


def apply_batch(
    db: sqlite3.Connection, results: Sequence[PollResult], policy: IngestPolicy
) -> list[ApplyOutcome]:
    """`apply_many` over the underlying connection, on its thread. The stories the results
    make enter the full-text index together, before the commit (`_Unindexed`)."""
    with transaction(db):
        unindexed = _Unindexed()
        outcomes = [_apply_one(db, result, policy, unindexed) for result in results]
        unindexed.index(db)
        return outcomes


def _apply_one(
    db: sqlite3.Connection, result: PollResult, policy: IngestPolicy, unindexed: _Unindexed
) -> ApplyOutcome:
    follow_id = _upsert_follow(db, result.follow)
    _write_state(db, follow_id, result)
    if not result.entries:
        return ApplyOutcome(new_entries=0, new_stories=0)
    seen = ts(result.fetched_at) or 0
    return ingest_entries(db, follow_id, result.entries, seen, policy, result.prepared, unindexed)
