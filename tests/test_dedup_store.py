"""Dedup in the store: one story per thing, whatever the order; merges keep the user's
state; known entries refresh; the reasons are kept for `devfeed why`."""

from __future__ import annotations

import asyncio
import json
import re
import sqlite3
from contextlib import closing
from datetime import timedelta
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from devfeed.cli import main as cli
from devfeed.dedup import prepare, prepare_all
from devfeed.models import Follow, ParsedEntry, Story
from devfeed.store import FeedQuery, IngestPolicy, Order, Store
from devfeed.store.schema import APPLICATION_ID, MIGRATIONS, SCHEMA_VERSION
from tests.conftest import FROZEN_NOW
from tests.dedup_cases import CASES, ENTRIES, GROUPS
from tests.helpers import entry, follow, result, undo_migration_9


async def all_stories(store: Store) -> list[Story]:
    page = await store.feed_page(FeedQuery(), limit=1000)
    return list(page.stories)


async def partition(store: Store) -> dict[frozenset[tuple[str, str]], tuple[Any, ...]]:
    """Stories as {set of (platform, native id): the fields they show}."""
    found: dict[frozenset[tuple[str, str]], tuple[Any, ...]] = {}
    for story in await all_stories(store):
        members = frozenset((j.platform, j.native_id) for j in await store.joins(story.id))
        found[members] = (story.title, story.url, story.kind, story.author, story.published)
        found[members] += (story.duration_s, story.summary)
    return found


def feed_for(n: int) -> Follow:
    return follow(f"https://feeds.example/{n}.xml", name=f"feed {n}")


async def ingest(path: Path, batches: list[list[ParsedEntry]]) -> Any:
    async with await Store.open(path) as store:
        for n, batch in enumerate(batches):
            await store.apply(result(feed_for(n), batch))
        return await partition(store)


def test_the_cases_group_as_labelled(tmp_path: Path) -> None:
    got = asyncio.run(ingest(tmp_path / "d.db", [ENTRIES]))
    assert set(got) == GROUPS


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.permutations(list(range(len(ENTRIES)))), st.lists(st.integers(1, 6), min_size=1))
def test_stories_do_not_depend_on_the_order_of_ingestion(
    tmp_path: Path, order: list[int], sizes: list[int]
) -> None:
    batches: list[list[ParsedEntry]] = []
    rest = [ENTRIES[i] for i in order]
    for size in sizes * len(rest):
        if not rest:
            break
        batches.append(rest[:size])
        rest = rest[size:]
    if rest:
        batches.append(rest)
    path = tmp_path / f"{'-'.join(map(str, order))}-{len(batches)}.db"
    reference = asyncio.run(ingest(tmp_path / f"ref-{path.name}", [ENTRIES]))
    shuffled = asyncio.run(ingest(path, batches))
    assert shuffled == reference
    assert set(shuffled) == GROUPS


def near_people(path: Path) -> list[tuple[Any, ...]]:
    with sqlite3.connect(path) as db:
        return db.execute("SELECT * FROM near_people ORDER BY entry_id, person").fetchall()


def dump(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    tables = ("stories", "entries", "sightings", "story_keys", "near_people", "story_facets")
    with sqlite3.connect(path) as db:
        return {t: sorted(db.execute(f"SELECT * FROM {t}").fetchall()) for t in tables}


def test_entries_prepared_by_the_parser_are_stored_as_if_prepared_here(tmp_path: Path) -> None:
    """`PollResult.prepared` (computed in a parse worker) changes nothing but where the
    work is done, including for entries without a date or dated in the future."""
    undated = [e.model_copy(update={"published": None}) for e in ENTRIES[:5]]
    future = [
        e.model_copy(
            update={"native_id": e.native_id + "-f", "published": FROZEN_NOW + timedelta(days=400)}
        )
        for e in ENTRIES[5:8]
        if e.published is not None
    ]
    entries = [*undated, *future, *ENTRIES[8:]]
    half = len(entries) // 2
    batches = [entries[:half], entries[half:]]

    async def write(path: Path, ready: str) -> None:
        async with await Store.open(path) as store:
            for n, batch in enumerate(batches):
                prepared = tuple(map(prepare, batch)) if ready == "same" else ()
                if ready == "stale":  # made before a platform rewrote the entries
                    stale = [e.model_copy(update={"text": e.title, "link": None}) for e in batch]
                    prepared = tuple(map(prepare, reversed(stale)))
                await store.apply(result(feed_for(n), batch, prepared=prepared))

    for ready in ("none", "same", "stale"):
        asyncio.run(write(tmp_path / f"{ready}.db", ready))
    assert dump(tmp_path / "none.db") == dump(tmp_path / "same.db")
    assert dump(tmp_path / "none.db") == dump(tmp_path / "stale.db")
    assert dump(tmp_path / "none.db")["near_people"]


def test_the_full_text_index_matches_the_stories_after_merges(tmp_path: Path) -> None:
    """New stories enter FTS5 in one statement per batch (no trigger); merged stories
    leave it, edited ones are re-indexed: the index must match the stories exactly."""
    path = tmp_path / "d.db"
    asyncio.run(ingest(path, [[e] for e in ENTRIES]))  # one batch an entry: many merges
    with sqlite3.connect(path) as db:
        db.execute("INSERT INTO stories_fts (stories_fts) VALUES ('integrity-check')")
        indexed = db.execute("SELECT count(*) FROM stories_fts_docsize").fetchone()[0]
        stories = db.execute("SELECT count(*) FROM stories").fetchone()[0]
        word = db.execute("SELECT title FROM stories ORDER BY id DESC").fetchone()[0].split()[0]
        found = db.execute(
            "SELECT count(*) FROM stories_fts WHERE stories_fts MATCH ?", (f'"{word}"',)
        ).fetchone()[0]
    assert indexed == stories and found >= 1


def test_stories_made_and_merged_in_one_transaction_are_indexed_exactly(
    tmp_path: Path,
) -> None:
    """Many results in one transaction (`apply_batch`, as a poll's writer groups them),
    where a later result merges away, or gives a new title to, a story an earlier one
    made: the new stories enter the full-text index together before the commit, and
    those two first (`_Unindexed.before`). FTS5's integrity check with the content
    table (rank 1) fails on a missing, stale or doubled index entry."""
    from devfeed.store import ingest as store_ingest

    path = tmp_path / "d.db"
    asyncio.run(ingest(path, []))
    devto, original, bob = (e for label, e in CASES if label == "devto")
    first = [original, bob, devto]  # devto ties the two stories the others made
    rest = [e for e in ENTRIES if e not in first]
    batch = [result(feed_for(n), [e]) for n, e in enumerate(first + rest)]
    with closing(sqlite3.connect(path, isolation_level=None)) as db:
        db.row_factory = sqlite3.Row
        db.execute("PRAGMA foreign_keys = ON")
        store_ingest.apply_batch(db, batch, store_ingest.IngestPolicy())
        db.execute("INSERT INTO stories_fts (stories_fts, rank) VALUES ('integrity-check', 1)")
        indexed = db.execute("SELECT count(*) FROM stories_fts_docsize").fetchone()[0]
        stories = db.execute("SELECT count(*) FROM stories").fetchone()[0]
        merged = db.execute("SELECT count(*) FROM entries WHERE join_reason LIKE '%merged%'")
        assert merged.fetchone()[0] >= 1, "a merge inside the transaction"
        for story_id, title in db.execute("SELECT id, title FROM stories").fetchall():
            words = [w for w in title.split() if w.isalnum()][:2]
            hits = db.execute(
                "SELECT rowid FROM stories_fts WHERE stories_fts MATCH ?",
                (" ".join(f'"{w}"' for w in words),),
            ).fetchall()
            assert story_id in [hit[0] for hit in hits], title
    assert indexed == stories
    assert set(asyncio.run(ingest(path, []))) == GROUPS  # the groups of one by one


def test_in_one_batch_the_article_outranks_an_earlier_post_sharing_it(tmp_path: Path) -> None:
    """A post that shares a link ranks below the page it links (a post too, here: only
    the sharing tells them apart), even published first and written in the same result,
    whether the parse workers prepared the entries (with `Prepared.shares`) or the store
    prepares them itself."""
    article = entry(1, url="https://blog.example.org/posts/x", title="The article", kind="post")
    post = entry(
        2,
        platform="mastodon",
        native_id="m-2",
        url="https://social.example/@ada/2",
        link="https://blog.example.org/posts/x?utm_source=mastodon",
        kind="post",
        title="Look at this",
        published=FROZEN_NOW - timedelta(days=1),  # earlier than the article
    )
    for prepared in (False, True):
        batch = result(feed_for(1), [post, article])
        if prepared:
            batch = batch.model_copy(update={"prepared": prepare_all(batch.entries)})
            assert [p.shares for p in batch.prepared] == [True, False]

        async def story(path: Path, batch: Any = batch) -> Story:
            async with await Store.open(path) as store:
                await store.apply(batch)
                (only,) = await all_stories(store)
                return only

        shown = asyncio.run(story(tmp_path / f"{prepared}.db"))
        assert (shown.title, shown.url) == ("The article", "https://blog.example.org/posts/x")


def test_migration_9_indexes_the_stored_entries_by_person(tmp_path: Path) -> None:
    """A database from before migration 9 gets the same `near_people` rows as ingesting
    writes, and later entries still join the stories of entries stored before it."""
    path = tmp_path / "d.db"
    half = len(ENTRIES) // 2
    asyncio.run(ingest(path, [ENTRIES[:half]]))
    written = near_people(path)
    assert written
    with sqlite3.connect(path) as db:
        undo_migration_9(db)
        db.execute("PRAGMA user_version = 8")
    asyncio.run(ingest(path, [ENTRIES[:half]]))  # opening migrates; the entries are known
    assert near_people(path) == written
    with sqlite3.connect(path) as db:
        tables = {name for (name,) in db.execute("SELECT name FROM sqlite_schema")}
    assert "near_index" not in tables
    got = asyncio.run(ingest(path, [ENTRIES[:half], ENTRIES[half:]]))
    assert set(got) == GROUPS


def near_key(path: Path) -> list[str]:
    """The columns of `near_people`'s primary key, in order."""
    with closing(sqlite3.connect(path)) as db:
        index = db.execute(
            "SELECT name FROM pragma_index_list('near_people') WHERE origin = 'pk'"
        ).fetchone()[0]
        return [row[2] for row in db.execute(f"SELECT * FROM pragma_index_info('{index}')")]


def test_migration_10_keys_the_person_index_by_bucket_first(tmp_path: Path) -> None:
    """A database keyed by person first (schema 9) keeps every `near_people` row, keyed by
    bucket first, and later entries still join the stories of entries stored before."""
    path = tmp_path / "d.db"
    half = len(ENTRIES) // 2
    asyncio.run(ingest(path, [ENTRIES[:half]]))
    written = near_people(path)
    assert written and near_key(path) == ["bucket", "person", "entry_id"]
    with sqlite3.connect(path) as db:
        db.execute("ALTER TABLE near_people RENAME TO near_people_10")
        db.execute(
            "CREATE TABLE near_people (person TEXT NOT NULL, bucket INTEGER NOT NULL, "
            "entry_id INTEGER NOT NULL, published INTEGER NOT NULL, account INTEGER NOT NULL, "
            "keys BLOB NOT NULL, PRIMARY KEY (person, bucket, entry_id)) WITHOUT ROWID"
        )
        db.execute("INSERT INTO near_people SELECT * FROM near_people_10")
        db.execute("DROP TABLE near_people_10")
        db.execute("PRAGMA user_version = 9")
    assert near_key(path) == ["person", "bucket", "entry_id"]
    asyncio.run(ingest(path, [ENTRIES[:half]]))  # opening migrates; the entries are known
    assert near_key(path) == ["bucket", "person", "entry_id"]
    assert near_people(path) == written
    got = asyncio.run(ingest(path, [ENTRIES[:half], ENTRIES[half:]]))
    assert set(got) == GROUPS


async def _pragma(store: Store, name: str) -> object:
    async with store._db.execute(f"PRAGMA {name}") as cursor:
        row = await cursor.fetchone()
    assert row is not None
    return row[0]


def schema(path: Path) -> list[tuple[str, str, str]]:
    """Every table, index, trigger and view by type, name and SQL (spaces folded)."""
    with closing(sqlite3.connect(path)) as db:
        rows = db.execute("SELECT type, name, sql FROM sqlite_schema ORDER BY type, name")
        return [(kind, name, " ".join((sql or "").split())) for kind, name, sql in rows]


def test_migration_11_drops_the_story_key_index_and_keeps_every_story(
    tmp_path: Path, monkeypatch: Any
) -> None:
    """A schema-10 store, rebuilt without `UNIQUE (story_key)`, keeps its stories, their
    ids, the user's state, facets, full-text index, indexes and triggers, and its entries
    (dropping the old table with foreign keys on would have deleted them all)."""
    from devfeed.store import connection

    path, fresh = tmp_path / "d.db", tmp_path / "fresh.db"
    half = len(ENTRIES) // 2

    async def fill() -> None:
        async with await Store.open(path) as store:
            await store.apply(result(feed_for(1), ENTRIES[:half]))
            first, second = (await all_stories(store))[:2]
            await store.save(first.id, FROZEN_NOW)
            await store.set_saved_tags(first.id, ["Later"])
            await store.set_note(first.id, "read on the train")
            await store.lunch(second.id, FROZEN_NOW)
            await store.set_read(second.id)

    monkeypatch.setattr(connection, "SCHEMA_VERSION", 10)
    asyncio.run(fill())
    monkeypatch.undo()

    def unique_indexes() -> list[str]:
        with closing(sqlite3.connect(path)) as db:
            rows = db.execute("SELECT name, origin FROM pragma_index_list('stories')")
            return [name for name, origin in rows if origin == "u"]

    def contents() -> list[list[Any]]:
        with closing(sqlite3.connect(path)) as db:
            return [
                db.execute(f"SELECT * FROM {table} ORDER BY 1, 2, 3").fetchall()
                for table in ("stories", "entries", "story_facets", "sightings")
            ]

    def searched(word: str) -> list[int]:
        with closing(sqlite3.connect(path)) as db:
            sql = "SELECT rowid FROM stories_fts WHERE stories_fts MATCH ? ORDER BY rowid"
            return [row[0] for row in db.execute(sql, (word,))]

    assert unique_indexes() == ["sqlite_autoindex_stories_1"]
    before, found, layout = contents(), searched("wal"), schema(path)
    assert before[1] and found

    async def migrate() -> tuple[object, object]:
        async with await Store.open(path) as store:  # opening migrates
            return await _pragma(store, "foreign_keys"), await _pragma(store, "legacy_alter_table")

    assert asyncio.run(migrate()) == (1, 0)  # the migrating connection is itself again
    asyncio.run(ingest(fresh, []))
    assert unique_indexes() == []
    assert contents() == before
    assert searched("wal") == found
    assert schema(path) == schema(fresh)
    # the same indexes, triggers and views as before, word for word
    rebuilt = {"sqlite_autoindex_stories_1", "stories"}
    assert [row for row in schema(path) if row[1] not in rebuilt] == [
        row for row in layout if row[1] not in rebuilt
    ]
    with closing(sqlite3.connect(path)) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        db.execute("INSERT INTO stories_fts (stories_fts) VALUES ('integrity-check')")

    async def use() -> tuple[Any, ...]:
        async with await Store.open(path) as store:
            assert await _pragma(store, "foreign_keys") == 1
            saved = await store.feed_page(FeedQuery(tags=frozenset({"later"})))
            (story,) = saved.stories
            retitled = story.id
            async with store._db.execute(
                "UPDATE stories SET title = 'Zeppelins over Lisbon' WHERE id = ?", (retitled,)
            ):
                pass
            async with store._db.execute("DELETE FROM stories WHERE id = ?", (found[0],)):
                pass
            async with store._db.execute(
                "SELECT count(*) FROM entries WHERE story_id = ?", (found[0],)
            ) as cursor:
                orphans = await cursor.fetchone()
            return story.note, retitled, orphans[0] if orphans else None

    note, retitled, orphans = asyncio.run(use())
    assert note == "read on the train"
    assert searched("zeppelins") == [retitled]  # the update trigger indexes the new title
    assert found[0] not in searched("wal")  # the delete trigger drops it from the index
    assert orphans == 0  # deleting a story still deletes its entries
    with closing(sqlite3.connect(path)) as db:
        facets = db.execute("SELECT count(*) FROM story_facets WHERE story_id = ?", (found[0],))
        assert facets.fetchone()[0] == 0
    got = asyncio.run(ingest(path, [ENTRIES[:half], ENTRIES[half:]]))
    assert set(got) == GROUPS  # the deleted story's entries come back and join again


def test_opening_a_large_store_that_needs_migrations_says_so_first(
    tmp_path: Path, monkeypatch: Any
) -> None:
    """A migration can take a minute at 1M stories: the user is told before it starts,
    with how many stories; a small store migrates without a word."""
    import logging

    from devfeed.store import connection

    said: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: said.append(record.getMessage())  # type: ignore[method-assign]
    logger = logging.getLogger("devfeed.store.connection")
    logger.addHandler(handler)
    try:
        for stories in (10, 250_000):
            path = tmp_path / f"{stories}.db"
            monkeypatch.setattr(connection, "SCHEMA_VERSION", 10)
            asyncio.run(ingest(path, [[entry(1)]]))
            with sqlite3.connect(path) as db:
                db.execute("UPDATE stories SET id = ?", (stories,))
                db.execute("UPDATE entries SET story_id = ?", (stories,))
            monkeypatch.undo()
            asyncio.run(ingest(path, []))
    finally:
        logger.removeHandler(handler)
    large = tmp_path / "250000.db"
    assert said == [
        f"upgrading {large} from schema 10 to {SCHEMA_VERSION}, once: with ~250,000 stories "
        "this can take a minute, and other devfeed processes wait for it"
    ]


def test_a_migration_another_devfeed_ran_meanwhile_is_not_run_again(
    tmp_path: Path, monkeypatch: Any
) -> None:
    """Two devfeeds open a schema-10 store at once: the second waits for the first's
    write lock, sees that the store is now at schema 11, and does not rebuild `stories`
    a second time (its table would then start at another page)."""
    import threading
    import time

    from devfeed.store import connection

    path = tmp_path / "d.db"
    monkeypatch.setattr(connection, "SCHEMA_VERSION", 10)
    asyncio.run(ingest(path, [[entry(1)]]))
    monkeypatch.undo()
    first = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    first.execute("PRAGMA foreign_keys = OFF")
    first.execute("BEGIN IMMEDIATE")
    for statement in connection._statements(MIGRATIONS[10]):
        first.execute(statement)
    first.execute("PRAGMA user_version = 11")
    rootpage = "SELECT rootpage FROM sqlite_schema WHERE name = 'stories'"
    (rebuilt,) = first.execute(rootpage).fetchone()

    def commit_later() -> None:
        time.sleep(0.5)  # the second has read schema 10 and waits for the write lock
        first.execute("COMMIT")

    committer = threading.Thread(target=commit_later)
    committer.start()
    got = asyncio.run(ingest(path, [[entry(2)]]))
    committer.join()
    first.close()
    with closing(sqlite3.connect(path)) as db:
        assert db.execute(rootpage).fetchone() == (rebuilt,)
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert len(got) == 2  # and the second store went on to write its entry


async def test_the_best_sighting_shows_and_every_sighting_is_listed(tmp_path: Path) -> None:
    wal = [e for label, e in CASES if label == "wal"]
    async with await Store.open(tmp_path / "d.db") as store:
        for n, one in enumerate(reversed(wal)):
            await store.apply(result(feed_for(n), [one]))
        (story,) = await all_stories(store)
        joins = await store.joins(story.id)
    assert (story.title, story.url, story.kind) == (
        "What WAL mode buys a feed reader",
        "https://blog.example.org/posts/wal-mode/",
        "article",
    )
    assert story.author == "Ada Lovelace"
    assert story.published == FROZEN_NOW - timedelta(hours=30)
    assert {s.platform for s in story.seen_on} == {
        "rss",
        "hackernews",
        "lobsters",
        "mastodon",
        "bluesky",
    }
    hn = next(s for s in story.seen_on if s.platform == "hackernews")
    assert (hn.comments, hn.score, hn.comments_url) == (
        120,
        310,
        "https://news.ycombinator.com/item?id=41000001",
    )
    rules = {j.platform: [r["rule"] for r in j.reasons] for j in joins}
    assert rules["bluesky"] == []  # it came first (reversed order) and started the story
    assert rules["mastodon"] == ["text"]
    assert rules["rss"] == ["url"]


async def test_an_entry_that_ties_two_stories_merges_them_and_their_state(
    tmp_path: Path,
) -> None:
    devto, original, bob = (e for label, e in CASES if label == "devto")
    at = FROZEN_NOW
    async with await Store.open(tmp_path / "d.db") as store:
        await store.apply(result(feed_for(1), [original]))
        await store.apply(result(feed_for(2), [bob]))
        first, second = sorted(s.id for s in await all_stories(store))
        await store.set_read(first)
        await store.save(second, at - timedelta(days=2))
        await store.save(first, at - timedelta(days=1))
        await store.lunch(second, at)
        await store.set_note(second, "for the talk")
        await store.set_note(first, "read twice")
        await store.set_saved_tags(first, ["parsing", "perf"])
        await store.set_saved_tags(second, ["perf", "talk"])
        await store.apply(result(feed_for(3), [devto]))
        (story,) = await all_stories(store)
        joins = {j.platform: j.reasons for j in await store.joins(story.id)}
    assert story.id == first, "the oldest story survives a merge"
    assert story.read, "read if either was read"
    assert story.saved_at == at - timedelta(days=2), "saved since the first save"
    assert story.lunch
    assert story.note == "read twice\n\nfor the talk"
    assert story.saved_tags == ("parsing", "perf", "talk")
    assert story.url == "https://blog.example.org/posts/parsing-feeds-fast"
    assert [r["rule"] for r in joins["devto"]] == ["url", "url"]
    assert list(joins["mastodon"]) == [{"rule": "merged", "story": second, "entry": 3}]


async def test_a_new_entry_resurrects_a_read_story_only_when_asked(tmp_path: Path) -> None:
    blog = entry(1, url="https://blog.example.org/post/1")
    shared = entry(
        2,
        platform="mastodon",
        native_id="m-2",
        url="https://m.example/@a/2",
        link="https://blog.example.org/post/1?utm_medium=social",
        kind="post",
    )
    again = shared.model_copy(update={"native_id": "m-3", "url": "https://m.example/@a/3"})
    async with await Store.open(tmp_path / "d.db") as store:
        await store.apply(result(feed_for(1), [blog]))
        await store.set_read(1)
        await store.apply(result(feed_for(2), [shared]))
        assert (await store.story(1)).read
    async with await Store.open(
        tmp_path / "d.db", IngestPolicy(resurrect_on_new_sighting=True)
    ) as store:
        await store.apply(result(feed_for(2), [shared]))
        assert (await store.story(1)).read, "a sighting of a known entry is not new"
        await store.apply(result(feed_for(3), [again]))
        assert not (await store.story(1)).read


async def test_known_entries_refresh_their_counts_length_and_title(tmp_path: Path) -> None:
    path = tmp_path / "d.db"
    video = entry(1, platform="youtube", kind="video", title="Async Python", comments=3)
    edited = video.model_copy(
        update={"title": "Async Python, explained", "duration_s": 1260, "comments": 40}
    )
    async with await Store.open(path) as store:
        await store.apply(result(feed_for(1), [video]))
        await store.apply(result(feed_for(1), [edited], at=FROZEN_NOW + timedelta(hours=1)))
        once = list(sqlite3.connect(path).iterdump())
        await store.apply(result(feed_for(1), [edited], at=FROZEN_NOW + timedelta(hours=1)))
        twice = list(sqlite3.connect(path).iterdump())
        forgot = edited.model_copy(update={"comments": None})
        await store.apply(result(feed_for(1), [forgot], at=FROZEN_NOW + timedelta(hours=1)))
        story = await store.story(1)
    assert once == twice
    assert (story.title, story.duration_s) == ("Async Python, explained", 1260)
    assert story.seen_on[0].comments == 40, "a count the platform left out is kept"


async def test_duplicates_inside_one_result_are_one_entry(tmp_path: Path) -> None:
    async with await Store.open(tmp_path / "d.db") as store:
        outcome = await store.apply(result(feed_for(1), [entry(1), entry(1), entry(2)]))
    assert (outcome.new_entries, outcome.new_stories) == (2, 2)


async def test_a_version_2_database_keeps_its_stories_findable(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as db:
        for migration in MIGRATIONS[:2]:
            db.executescript(migration)
        db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        db.execute("PRAGMA user_version = 2")
        db.execute(
            "INSERT INTO stories (id, story_key, title, url, kind, published, first_seen) "
            "VALUES (1, 'url:blog.example.org/post/1', 'Old', 'https://blog.example.org/post/1', "
            "'article', 0, 0)"
        )
        db.execute(
            "INSERT INTO entries (platform, native_id, story_id, url, title, kind) "
            "VALUES ('rss', 'old-1', 1, 'https://blog.example.org/post/1', 'Old', 'article')"
        )
    shared = entry(
        2, platform="lobsters", native_id="s/x", url="https://lobste.rs/s/x", kind="discussion",
        link="https://www.blog.example.org/post/1/?utm_source=lobsters",
    )  # fmt: skip
    async with await Store.open(path) as store:
        await store.apply(result(feed_for(1), [shared]))
        (story,) = await all_stories(store)
        joins = await store.joins(story.id)
    assert story.title == "Old"
    assert [j.reasons[0]["rule"] for j in joins] == ["legacy", "url"]


def test_why_says_which_rule_joined_each_entry(tmp_path: Path) -> None:
    db = tmp_path / "d.db"

    async def fill() -> int:
        async with await Store.open(db) as store:
            wal = [e for label, e in CASES if label == "wal"]
            boosted = wal[3].model_copy(update={"boosted_by": "@grace@hachyderm.example"})
            await store.apply(result(feed_for(1), wal[:3]))
            await store.apply(result(feed_for(2), [boosted, wal[4]]))
            await store.apply(result(feed_for(3), [wal[3]]))
            return (await all_stories(store))[0].id

    story_id = asyncio.run(fill())
    shown = CliRunner().invoke(cli, ["--db", str(db), "why", str(story_id)])
    assert shown.exit_code == 0, shown.output
    assert "started the story" in shown.output
    assert "same canonical URL https://blog.example.org/posts/wal-mode as #1 (rss)" in shown.output
    assert re.search(r"near-duplicate text, similarity 0\.9\d* as #4 \(mastodon\)", shown.output)
    assert "boosted by @grace@hachyderm.example" in shown.output
    assert "one entry for 2 follows (same native id)" in shown.output
    as_json = json.loads(
        CliRunner().invoke(cli, ["--db", str(db), "why", str(story_id), "--json"]).output
    )
    assert [e["platform"] for e in as_json["entries"]] == [
        "rss",
        "hackernews",
        "lobsters",
        "mastodon",
        "bluesky",
    ]
    missing = CliRunner().invoke(cli, ["--db", str(db), "why", "999"])
    assert missing.exit_code == 2


async def test_the_feed_sorts_by_places_seen_with_keyset_pages(tmp_path: Path) -> None:
    async with await Store.open(tmp_path / "d.db") as store:
        await store.apply(result(feed_for(1), ENTRIES))
        query = FeedQuery(order=Order.POPULAR)
        seen: list[Story] = []
        cursor = None
        while True:
            page = await store.feed_page(query, after=cursor, limit=3)
            seen += page.stories
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
        newest = await all_stories(store)
    places = [len({(s.platform, s.url) for s in story.seen_on}) for story in seen]
    assert places == sorted(places, reverse=True) and places[0] == 5
    assert sorted(s.id for s in seen) == sorted(s.id for s in newest)
    ties = [s.published for s, n in zip(seen, places, strict=True) if n == 1]
    assert ties == sorted(ties, reverse=True)
    with sqlite3.connect(tmp_path / "d.db") as db:
        plan = db.execute(
            "EXPLAIN QUERY PLAN SELECT id FROM stories "
            "ORDER BY places * 17179869184 + published DESC, id DESC LIMIT 3"
        ).fetchall()
    assert "stories_popular" in str(plan)


async def test_popular_pages_combine_with_filters(tmp_path: Path) -> None:
    """A filtered popular page checks facets per row and still pages by places, then age."""
    async with await Store.open(tmp_path / "d.db") as store:
        await store.apply(result(feed_for(1), ENTRIES))
        everything = await all_stories(store)
        platform = everything[0].seen_on[0].platform
        query = FeedQuery(order=Order.POPULAR, platforms=frozenset({platform}))
        seen: list[Story] = []
        cursor = None
        while True:
            page = await store.feed_page(query, after=cursor, limit=2)
            seen += page.stories
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
    expected = {s.id for s in everything if any(x.platform == platform for x in s.seen_on)}
    assert {s.id for s in seen} == expected and len(seen) == len(expected)
    keys = [(len({(x.platform, x.url) for x in s.seen_on}), s.published) for s in seen]
    assert keys == sorted(keys, reverse=True)
    with sqlite3.connect(tmp_path / "d.db") as db:
        sort = "(s.places * 17179869184 + s.published)"
        plan = db.execute(
            f"EXPLAIN QUERY PLAN SELECT s.id FROM stories s WHERE {sort} <= ? "
            f"AND ({sort}, s.id) < (?, ?) ORDER BY {sort} DESC, s.id DESC LIMIT 3",
            (1, 1, 1),
        ).fetchall()
    assert "SEARCH s USING INDEX stories_popular" in str(plan)


async def test_the_best_entry_leads_sightings_seen_at_once(tmp_path: Path) -> None:
    """Sightings stored in the same second are listed with the story's best entry first
    (the reader's badge is the first platform), whichever poll happened to store first."""
    article = entry(1, url="https://blog.example.org/posts/wal-mode/")
    submission = entry(
        2,
        platform="lobsters",
        native_id="abc123",
        url="https://lobste.rs/s/abc123",
        link="https://blog.example.org/posts/wal-mode/",
        title=article.title,
        kind="discussion",
        comments_url="https://lobste.rs/s/abc123",
    )
    firsts = []
    for order in ((submission, article), (article, submission)):
        path = tmp_path / f"{order[0].platform}.db"
        async with await Store.open(path) as store:
            for n, item in enumerate(order):
                await store.apply(
                    result(follow(f"https://f{n}.example/feed", platform=item.platform), [item])
                )
            (story,) = await all_stories(store)
        firsts.append([s.platform for s in story.seen_on])
    assert firsts == [["rss", "lobsters"], ["rss", "lobsters"]]


async def test_a_tag_spelled_two_ways_is_one_tag_of_the_story(tmp_path: Path) -> None:
    article = entry(1, url="https://blog.example.org/posts/x/", tags=("Python",))
    share = entry(
        2,
        platform="mastodon",
        native_id="https://social.example/users/ada/statuses/1",
        url="https://social.example/@ada/1",
        link="https://blog.example.org/posts/x/",
        kind="post",
        tags=("python", "SQLite"),
    )
    async with await Store.open(tmp_path / "d.db") as store:
        await store.apply(result(feed_for(1), [article]))
        await store.apply(result(follow("https://social.example/tags/python.rss"), [share]))
        (story,) = await all_stories(store)
    assert story.tags == ("Python", "SQLite")


def test_a_person_with_more_near_rows_than_the_bound_gives_the_newest(
    tmp_path: Path, monkeypatch: Any
) -> None:
    """The person index is read without an order (a sort costs four times the search);
    past `MAX_NEAR_CANDIDATES` rows, the newest are the ones read, as the bound says."""
    from devfeed.store import ingest as store_ingest

    path = tmp_path / "d.db"
    asyncio.run(ingest(path, []))
    monkeypatch.setattr(store_ingest, "MAX_NEAR_CANDIDATES", 3)
    sql = "SELECT entry_id FROM near_people WHERE person = ? AND bucket BETWEEN ? AND ?"
    with sqlite3.connect(path) as db:
        rows = [("ada", bucket, entry_id, 0, 0, b"") for bucket in (5, 7, 6) for entry_id in (2, 1)]
        db.executemany("INSERT INTO near_people VALUES (?, ?, ?, ?, ?, ?)", rows)
        newest = store_ingest._newest_near(db, sql, ("ada", 5, 7))
        few = store_ingest._newest_near(db, sql, ("ada", 5, 5))
    assert newest == [(2,), (1,), (2,)]  # bucket 7's two, then bucket 6's newest
    assert sorted(few) == [(1,), (2,)]


def test_person_lookups_read_together_give_each_lookup_its_own_rows(
    tmp_path: Path, monkeypatch: Any
) -> None:
    """Many lookups in one query read what each reads alone: exact spellings and longer
    keys, neighbouring buckets, and the bound (3), whether a query passes its lookups'
    bounds together (`bob`) or one lookup passes its own (`cat`), and a lookup with more
    ranges than a query takes (`zed`). Keys that sort between a key's spellings
    (`adalovb`, `adalovelaca`) are other people: never a lookup's rows."""
    from devfeed.store import ingest as store_ingest

    path = tmp_path / "d.db"
    asyncio.run(ingest(path, []))
    rows = [("adalov", 10, 1), ("adalovelace", 11, 2), ("adalovelacephd", 9, 3)]
    rows += [("adalove", 14, 4), ("adalovelace", 20, 5), ("adam", 10, 6)]
    rows += [("adalovb", 10, 300), ("adalovelaca", 11, 301)]
    rows += [("bob", 30, n) for n in range(7, 17)]  # ten in one bucket
    rows += [("zed", bucket, 100 + bucket) for bucket in range(0, 40, 3)]
    rows += [("cat", 50, n) for n in range(200, 204)]  # four in one bucket
    lookups = [("adalovelace", 10, 12), ("adam", 11, 11), ("bob", 29, 31), ("zed", 1, 33)]
    lookups += [("nobody", 10, 10), ("cat", 50, 50), ("dog", 50, 50), ("adalovelacephd", 8, 8)]
    monkeypatch.setattr(store_ingest, "PROBES_PER_QUERY", 16)
    read = store_ingest._read_probes
    cut: list[bool] = []  # whether each query reached its lookups' bounds together

    def spy(*args: Any) -> Any:
        rows = read(*args)
        cut.append(rows is None)
        return rows

    monkeypatch.setattr(store_ingest, "_read_probes", spy)
    with sqlite3.connect(path) as db:
        db.executemany(
            "INSERT INTO near_people VALUES (?, ?, ?, 0, 0, x'')",
            [(person, bucket, entry_id) for person, bucket, entry_id in rows],
        )
        for bound in (2000, 3):
            monkeypatch.setattr(store_ingest, "MAX_NEAR_CANDIDATES", bound)
            alone = [sorted(store_ingest._lookup_rows(db, lookup)) for lookup in lookups]
            together = [sorted(found) for found in store_ingest._person_rows(db, lookups)]
            assert together == alone
            ids = [[row[0] for row in found] for found in together]
            zed = [100 + bucket for bucket in range(0, 35, 3)]
            if bound == 2000:
                cats = list(range(200, 204))
                assert ids == [[1, 2, 3], [6], list(range(7, 17)), zed, [], cats, [], [3]]
                assert cut == [False, False]  # adam, bob and nobody; cat and dog
            else:
                assert len(ids[2]) == len(ids[5]) == 3  # the bound's newest of bob's, cat's
                # adam and bob's 11 rows pass 3 + 3 + 3: all three read again; cat's 4 rows
                # do not pass 3 + 3, but pass cat's own 3: cat alone is read again
                assert cut == [False, False, True, False]


def test_person_lookups_fit_an_sqlite_that_allows_999_host_parameters(tmp_path: Path) -> None:
    """SQLite before 3.32 allows 999 host parameters a statement: a full query of key
    ranges (padded, four parameters each, and the limit) stays under it."""
    from devfeed.store import ingest as store_ingest

    path = tmp_path / "d.db"
    asyncio.run(ingest(path, []))
    lookups = [(f"p{n}", 10, 10) for n in range(200)]  # three ranges each: 600 in all
    with closing(sqlite3.connect(path)) as db:
        db.executemany(
            "INSERT INTO near_people VALUES (?, 10, ?, 0, 0, x'')",
            [(person, n) for n, (person, _, _) in enumerate(lookups)],
        )
        db.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 999)
        found = store_ingest._person_rows(db, lookups)
    assert [[row[0] for row in rows] for rows in found] == [[n] for n in range(200)]
