"""The store: migrations, idempotent ingest, keyset pages, the user's state of stories."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest

from devfeed.errors import StoreError, UsageError
from devfeed.models import PollStatus
from devfeed.store import POLLER_CACHE_KIB, FeedQuery, Store, View
from devfeed.store.schema import APPLICATION_ID, SCHEMA_VERSION
from tests.conftest import FROZEN_NOW
from tests.helpers import entry, follow, result


def dump(path: Path) -> list[str]:
    with sqlite3.connect(path) as db:
        return list(db.iterdump())


async def test_a_new_database_is_migrated_and_marked(tmp_path: Path) -> None:
    path = tmp_path / "new" / "devfeed.db"
    async with await Store.open(path):
        pass
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert db.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_schema")}
    assert {"follows", "stories", "entries", "sightings", "stories_fts"} <= tables
    # reopening an up-to-date database changes nothing
    before = dump(path)
    async with await Store.open(path):
        pass
    assert dump(path) == before


async def test_a_foreign_sqlite_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE notes (x)")
    with pytest.raises(StoreError, match="did not create"):
        await Store.open(path)


async def test_a_database_from_a_newer_devfeed_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "d.db"
    async with await Store.open(path):
        pass
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(StoreError, match="newer devfeed"):
        await Store.open(path)


async def test_a_file_that_is_not_sqlite_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "junk.db"
    path.write_bytes(b"this is not a database at all" * 100)
    with pytest.raises(StoreError):
        await Store.open(path)


async def test_applying_the_same_result_twice_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "d.db"
    the_result = result(follow(), [entry(n) for n in range(30)])
    async with await Store.open(path) as store:
        first = await store.apply(the_result)
        once = dump(path)
        second = await store.apply(the_result)
        twice = dump(path)
    assert (first.new_entries, first.new_stories) == (30, 30)
    assert (second.new_entries, second.new_stories) == (0, 0)
    assert once == twice


async def test_a_failed_poll_keeps_stories_and_validators(tmp_path: Path) -> None:
    the_follow = follow()
    async with await Store.open(tmp_path / "d.db") as store:
        await store.apply(result(the_follow, [entry(1)], etag='"abc"', body_hash="h1"))
        await store.apply(
            result(
                the_follow,
                status=PollStatus.FAILED,
                error="HTTP 500",
                failures=1,
                etag=None,
                at=FROZEN_NOW + timedelta(hours=1),
            )
        )
        state = (await store.fetch_states())[the_follow.key]
        assert await store.count(FeedQuery()) == 1
    assert state.status is PollStatus.FAILED
    assert state.error == "HTTP 500"
    assert state.failures == 1
    assert state.etag == '"abc"' and state.body_hash == "h1"
    assert state.last_ok_at == FROZEN_NOW


async def test_one_entry_seen_by_two_follows_is_one_story_with_two_sightings(
    tmp_path: Path,
) -> None:
    python = follow("https://a.example/tags/python.rss", platform="mastodon", name="#python")
    rust = follow("https://a.example/tags/rust.rss", platform="mastodon", name="#rust")
    post = entry(1, platform="mastodon")
    async with await Store.open(tmp_path / "d.db") as store:
        await store.apply(result(python, [post]))
        outcome = await store.apply(result(rust, [post]))
        page = await store.feed_page(FeedQuery())
    assert outcome.new_entries == 0
    (story,) = page.stories
    assert [s.follow for s in story.seen_on] == ["#python", "#rust"]


async def test_the_same_link_on_two_platforms_is_one_story(tmp_path: Path) -> None:
    blog = entry(1, url="https://blog.example.org/post/1?utm_source=rss")
    lobsters = entry(
        1,
        platform="lobsters",
        native_id="https://lobste.rs/s/abc",
        url="https://www.blog.example.org/post/1/",
        comments_url="https://lobste.rs/s/abc",
        kind="discussion",
    )
    async with await Store.open(tmp_path / "d.db") as store:
        await store.apply(result(follow(), [blog]))
        await store.story(1)
        await store.set_read(1)
        await store.apply(
            result(follow("https://lobste.rs/t/x.rss", platform="lobsters"), [lobsters])
        )
        page = await store.feed_page(FeedQuery())
    (story,) = page.stories
    assert {s.platform for s in story.seen_on} == {"rss", "lobsters"}
    assert story.read, "a later sighting must not make a read story unread"


async def test_pages_walk_every_story_once_newest_first(tmp_path: Path) -> None:
    async with await Store.open(tmp_path / "d.db") as store:
        await store.apply(result(follow(), [entry(n) for n in range(137)]))
        seen: list[int] = []
        cursor = None
        while True:
            page = await store.feed_page(FeedQuery(), after=cursor, limit=20)
            seen += [s.id for s in page.stories]
            assert len(page.stories) <= 20
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
        stories = [await store.story(i) for i in seen]
    assert len(seen) == len(set(seen)) == 137
    published = [s.published for s in stories]
    assert published == sorted(published, reverse=True)


async def test_saved_lunch_and_read_are_states_of_the_story(tmp_path: Path) -> None:
    async with await Store.open(tmp_path / "d.db") as store:
        await store.apply(result(follow(), [entry(n) for n in range(5)]))
        saved = await store.save(2, FROZEN_NOW)
        queued = await store.lunch(3, FROZEN_NOW + timedelta(minutes=1))
        read = await store.set_read(4)
        assert saved.saved and saved.saved_at == FROZEN_NOW
        assert queued.lunch and not queued.saved
        assert read.read
        assert [s.id for s in (await store.feed_page(FeedQuery(view=View.SAVED))).stories] == [2]
        assert [s.id for s in (await store.feed_page(FeedQuery(view=View.LUNCH))).stories] == [3]
        assert await store.count(FeedQuery(unread_only=True)) == 4
        # saving twice keeps the first time; undo takes it out
        again = await store.save(2, FROZEN_NOW + timedelta(days=1))
        assert again.saved_at == FROZEN_NOW
        assert not (await store.save(2, FROZEN_NOW, saved=False)).saved
        assert await store.count(FeedQuery(view=View.SAVED)) == 0
        with pytest.raises(UsageError, match="no story with id 99"):
            await store.save(99, FROZEN_NOW)


async def test_dates_in_the_future_are_clamped_to_first_seen(tmp_path: Path) -> None:
    future = entry(1, published=FROZEN_NOW + timedelta(days=365))
    undated = entry(2, published=None)
    async with await Store.open(tmp_path / "d.db") as store:
        await store.apply(result(follow(), [future, undated]))
        stories = (await store.feed_page(FeedQuery())).stories
    assert {s.published for s in stories} == {FROZEN_NOW}


async def test_full_text_index_follows_the_stories(tmp_path: Path) -> None:
    path = tmp_path / "d.db"
    async with await Store.open(path) as store:
        await store.apply(result(follow(), [entry(1, title="Keyset pagination in SQLite")]))
    with sqlite3.connect(path) as db:
        hits = db.execute(
            "SELECT rowid FROM stories_fts WHERE stories_fts MATCH 'keyset'"
        ).fetchall()
    assert hits == [(1,)]


async def test_another_connection_sees_commits_through_data_version(tmp_path: Path) -> None:
    path = tmp_path / "d.db"
    async with await Store.open(path) as reader, await Store.open(path) as writer:
        before = await reader.data_version()
        await writer.apply(result(follow(), [entry(1)]))
        assert await reader.data_version() != before
        assert await reader.count(FeedQuery()) == 1


async def test_the_pollers_connection_has_a_larger_cache(tmp_path: Path) -> None:
    path = tmp_path / "d.db"
    for poller, cache in ((False, -2000), (True, -POLLER_CACHE_KIB)):
        async with (
            await Store.open(path, poller=poller) as store,
            store._db.execute("PRAGMA cache_size") as cursor,
        ):
            row = await cursor.fetchone()
        assert row is not None and row[0] == cache
