"""Filters, search and counts on a real SQLite store: every filtered page walk equals a
plain Python filter over all stories, and the facets stay in step with the data."""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from devfeed.api import collect
from devfeed.models import Follow, Story
from devfeed.poller import Poller
from devfeed.store import KIND_GROUPS, FeedQuery, Store, View
from devfeed.store.schema import MIGRATIONS
from tests.conftest import FROZEN_NOW
from tests.helpers import entry, follow, result, undo_migration_9

BLOG = follow()
TUBE = Follow(platform="youtube", profile="SomeChannel")
TOOTS = Follow(platform="mastodon", instance="fosstodon.org", hashtag="python")
KINDS = ("article", "video", "post", "podcast", "release")
TAGS = (("python",), ("rust",), ("python", "rust"), (), ("Go",))


async def seed_mixed(store: Store, count: int = 60) -> None:
    """`count` entries over three follows, five kinds and five tag sets; every third one
    also boosted on Mastodon (two platforms, two follows)."""
    by_follow: dict[Follow, list] = {BLOG: [], TUBE: [], TOOTS: []}
    for n in range(count):
        owner = (BLOG, TUBE, BLOG)[n % 3]
        by_follow[owner].append(
            entry(
                n,
                platform=owner.platform,
                native_id=f"e-{n}",
                title=f"Story {n} about {'rust' if n % 4 == 0 else 'python'}",
                author=("Ada Lovelace", "Grace Hopper")[n % 2],
                kind=KINDS[n % 5],
                tags=TAGS[n % 5],
                duration_s=(n + 1) * 60 if KINDS[n % 5] in ("video", "podcast") else None,
                published=FROZEN_NOW - timedelta(minutes=7 * n),
            )
        )
        if n % 3 == 0:
            by_follow[TOOTS].append(
                entry(
                    n,
                    platform="mastodon",
                    native_id=f"toot-{n}",
                    url=f"https://fosstodon.org/@x/{n}",
                    link=f"https://blog.example.org/post/{n}",
                    tags=("fediverse",),
                    kind="post",
                )
            )
    for the_follow, entries in by_follow.items():
        await store.apply(result(the_follow, entries))


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    async with await Store.open(tmp_path / "t.db") as opened:
        await seed_mixed(opened)
        yield opened


def passes(story: Story, query: FeedQuery) -> bool:
    """The filter, written the slow obvious way."""
    platforms = {s.platform for s in story.seen_on}
    follows = {s.follow for s in story.seen_on}
    tags = {t.lower() for t in story.tags}
    labels = {BLOG.key: BLOG.label, TUBE.key: TUBE.label, TOOTS.key: TOOTS.label}
    return (
        (not query.unread_only or not story.read)
        and (not query.platforms or bool(platforms & query.platforms))
        and (not query.follows or bool(follows & {labels[k] for k in query.follows}))
        and (not query.tags or bool(tags & query.tags))
        and (not query.kinds or story.kind in query.kinds)
        and (query.view is not View.SAVED or story.saved)
        and (query.min_duration_s is None or (story.duration_s or 0) >= query.min_duration_s)
    )


async def walk(store: Store, query: FeedQuery, page_size: int = 4) -> list[Story]:
    """Every story of a query, page by page (keyset)."""
    stories: list[Story] = []
    cursor = None
    while True:
        page = await store.feed_page(query, after=cursor, limit=page_size)
        stories.extend(page.stories)
        if page.next_cursor is None:
            return stories
        cursor = page.next_cursor


QUERIES = [
    FeedQuery(platforms=frozenset({"youtube"})),
    FeedQuery(platforms=frozenset({"rss", "youtube"})),
    FeedQuery(platforms=frozenset({"mastodon"}), kinds=KIND_GROUPS["articles"]),
    FeedQuery(follows=frozenset({TOOTS.key})),
    FeedQuery(follows=frozenset({TUBE.key, TOOTS.key}), tags=frozenset({"rust"})),
    FeedQuery(tags=frozenset({"go"})),
    FeedQuery(tags=frozenset({"python"}), kinds=KIND_GROUPS["videos"], unread_only=True),
    FeedQuery(kinds=KIND_GROUPS["posts"]),
    FeedQuery(kinds=KIND_GROUPS["videos"], min_duration_s=20 * 60),
    FeedQuery(view=View.SAVED, platforms=frozenset({"rss"})),
    FeedQuery(platforms=frozenset({"bluesky"})),
]


@pytest.mark.parametrize("query", QUERIES, ids=range(len(QUERIES)))
async def test_filtered_pages_equal_a_plain_filter(store: Store, query: FeedQuery) -> None:
    everything = await collect(store, FeedQuery(), None)
    for story in everything[::4]:
        await store.set_read(story.id, True)
    for story in everything[1::5]:
        await store.save(story.id, FROZEN_NOW)
    everything = await collect(store, FeedQuery(), None)
    expected = [s.id for s in everything if passes(s, query)]
    if query.view is View.SAVED:
        expected = [s.id for s in await collect(store, FeedQuery(view=View.SAVED), None)
                    if passes(s, query)]  # fmt: skip
    got = [s.id for s in await walk(store, query)]
    assert got == expected
    assert await store.count(query) == len(expected)
    assert await store.count(query, at_most=2) == min(2, len(expected))


async def test_filters_with_no_match_and_all_combinations_agree(store: Store) -> None:
    everything = await collect(store, FeedQuery(), None)
    for platforms, kinds in itertools.product(
        [frozenset(), frozenset({"youtube"}), frozenset({"mastodon", "rss"})],
        [frozenset(), KIND_GROUPS["videos"], KIND_GROUPS["posts"]],
    ):
        query = FeedQuery(platforms=platforms, kinds=kinds)
        got = [s.id for s in await walk(store, query, page_size=7)]
        assert got == [s.id for s in everything if passes(s, query)], query


async def test_search_words_phrases_and_operators(store: Store) -> None:
    everything = await collect(store, FeedQuery(), None)

    async def ids(text: str) -> list[int]:
        return [s.id for s in await walk(store, FeedQuery(search=text))]

    rust = [s.id for s in everything if "rust" in s.title.lower()]
    assert await ids("rus") == rust  # words match as prefixes
    assert await ids('"about rust"') == rust
    assert await ids('"rust about"') == []
    grace = [s.id for s in everything if s.author == "Grace Hopper"]
    assert await ids("author:grace") == grace
    assert await ids('author:"grace hopper" -rust') == [i for i in grace if i not in rust]
    assert await ids("title:lovelace") == []  # the author is not in the title
    go = [s.id for s in everything if "Go" in s.tags]
    assert await ids("tag:go") == go
    tube = [s.id for s in everything if any(x.platform == "youtube" for x in s.seen_on)]
    assert await ids("platform:youtube kind:video") == [
        s.id for s in everything if s.id in tube and s.kind == "video"
    ]
    assert await ids("-platform:youtube") == [s.id for s in everything if s.id not in tube]
    assert await ids('"((unbalanced" OR NOT') == []
    assert await store.count(FeedQuery(search="rus")) == len(rust)


async def test_facet_values_list_what_the_stories_have(store: Store) -> None:
    assert await store.facet_values("platform") == ["mastodon", "rss", "youtube"]
    assert await store.facet_values("tag") == ["fediverse", "go", "python", "rust"]
    assert await store.facet_values("kind", limit=2) == ["article", "podcast"]
    assert set(await store.facet_values("follow")) == {BLOG.key, TUBE.key, TOOTS.key}


def facet_drift(path: Path) -> tuple[set[tuple], set[tuple]]:
    """(facets missing, facets extra) compared to what the data says they should be."""
    db = sqlite3.connect(path)
    kept = set(db.execute("SELECT facet, published, story_id FROM story_facets"))
    wanted = set(db.execute("SELECT DISTINCT facet, published, story_id FROM story_facet_sources"))
    db.close()
    return wanted - kept, kept - wanted


async def test_facets_follow_updates_moves_and_deletes(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "t.db"
    assert facet_drift(path) == (set(), set())
    db = sqlite3.connect(path)
    db.execute("PRAGMA foreign_keys = ON")
    with db:  # what a merge of stories (dedup) or a changed kind would do
        db.execute("UPDATE stories SET published = published - 5, kind = 'video' WHERE id = 3")
        db.execute("UPDATE entries SET story_id = 4 WHERE story_id = 5")
        db.execute("UPDATE entries SET tags = '[\"zig\"]' WHERE id = 7")
        db.execute("DELETE FROM stories WHERE id = 5")
        db.execute("DELETE FROM sightings WHERE entry_id = 9")
        db.execute("DELETE FROM follows WHERE key = ?", (TOOTS.key,))
    db.close()
    assert facet_drift(path) == (set(), set())
    assert "zig" in await store.facet_values("tag")
    assert await store.count(FeedQuery(follows=frozenset({TOOTS.key}))) == 0


async def test_migration_builds_facets_for_existing_stories(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    async with await Store.open(path) as store:
        await seed_mixed(store, 12)
        await store.save(1, FROZEN_NOW)
        await store.save(2, FROZEN_NOW + timedelta(seconds=1))
    db = sqlite3.connect(path)  # back to the version before facets, with the same data
    with db:
        undo_migration_9(db)
        for name in ("story_facets", "story_facet_sources"):
            kind = "VIEW" if name.endswith("sources") else "TABLE"
            db.execute(f"DROP {kind} {name}")
        for (trigger,) in db.execute(
            "SELECT name FROM sqlite_schema WHERE type = 'trigger' AND name LIKE '%facets%'"
        ).fetchall():
            db.execute(f"DROP TRIGGER {trigger}")
        db.execute("DROP INDEX stories_saved")
        db.execute("ALTER TABLE stories DROP COLUMN saved_rank")
        db.execute("ALTER TABLE follows DROP COLUMN paused_at")
        db.execute(
            "CREATE INDEX stories_saved ON stories (saved_at DESC, id DESC) "
            "WHERE saved_at IS NOT NULL"
        )
        db.execute("PRAGMA user_version = 6")
    db.close()
    assert len(MIGRATIONS) >= 7
    async with await Store.open(path) as store:
        assert facet_drift(path) == (set(), set())
        saved = await collect(store, FeedQuery(view=View.SAVED), None)
        assert [s.id for s in saved] == [2, 1]
        assert await store.count(FeedQuery(platforms=frozenset({"mastodon"}))) > 0


async def test_saved_order_can_be_changed(store: Store) -> None:
    for n, story_id in enumerate((1, 2, 3)):
        await store.save(story_id, FROZEN_NOW + timedelta(seconds=n))

    async def order() -> list[int]:
        return [s.id for s in await collect(store, FeedQuery(view=View.SAVED), None)]

    assert await order() == [3, 2, 1]  # last saved on top
    assert await store.move_saved(1, up=True)
    assert await order() == [3, 1, 2]
    assert await store.move_saved(3, up=False)
    assert await order() == [1, 3, 2]
    assert not await store.move_saved(1, up=True)  # already on top
    assert not await store.move_saved(40, up=True)  # not saved
    await store.save(3, FROZEN_NOW, saved=False)
    await store.save(3, FROZEN_NOW + timedelta(minutes=1))
    assert await order() == [3, 1, 2]  # saved again: on top again


async def test_stories_saved_in_the_same_second_move_one_place_at_a_time(store: Store) -> None:
    for story_id in (1, 2, 3, 4):
        await store.save(story_id, FROZEN_NOW)

    async def order() -> list[int]:
        return [s.id for s in await collect(store, FeedQuery(view=View.SAVED), None)]

    assert await order() == [4, 3, 2, 1]  # equal places: the newest story first
    assert await store.move_saved(1, up=True)
    assert await order() == [4, 3, 1, 2]  # one place, not to the top
    assert await store.move_saved(1, up=True)
    assert await order() == [4, 1, 3, 2]
    assert await store.move_saved(4, up=False)
    assert await order() == [1, 4, 3, 2]
    await store.save(5, FROZEN_NOW)  # saved now: on top
    assert (await order())[0] == 5


async def test_lunch_done_takes_a_video_out_of_the_queue(store: Store) -> None:
    video = (await walk(store, FeedQuery(kinds=frozenset({"video"}))))[0]
    await store.lunch(video.id, FROZEN_NOW)
    done = await store.lunch_done(video.id, FROZEN_NOW + timedelta(minutes=30))
    assert not done.lunch
    assert await store.count(FeedQuery(view=View.LUNCH)) == 0
    assert await store.count(FeedQuery(view=View.LUNCH_DONE)) == 1
    assert (await store.lunch_done(video.id, FROZEN_NOW, done=False)).lunch


async def test_a_paused_follow_is_skipped_unless_named(store: Store) -> None:
    from devfeed.config import parse_config

    config = parse_config(
        '[[follow]]\nplatform = "rss"\nurl = "https://blog.example.org/feed.xml"\n'
        '[[follow]]\nplatform = "youtube"\nprofile = "SomeChannel"\n'
    )
    await store.set_paused(BLOG, FROZEN_NOW)
    states = await store.fetch_states()
    assert states[BLOG.key].paused_at == FROZEN_NOW and states[TUBE.key].paused_at is None
    import httpx

    asked: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        asked.append(str(request.url))
        return httpx.Response(404)

    poller = Poller(config, store, transport=httpx.MockTransport(answer), now=lambda: FROZEN_NOW)
    reports = await poller.poll()
    assert [r.follow.key for r in reports] == [TUBE.key]
    reports = await poller.poll([config.follows[0]])
    assert [r.follow.key for r in reports] == [BLOG.key]
    await store.set_paused(BLOG, None)
    assert (await store.fetch_states())[BLOG.key].paused_at is None
    assert len(await poller.poll()) == 2


async def test_the_users_own_tags_are_tag_facets(store: Store, tmp_path: Path) -> None:
    await store.set_saved_tags(3, ["DB", "for-the-talk"])
    assert facet_drift(tmp_path / "t.db") == (set(), set())
    assert {"db", "for-the-talk"} <= set(await store.facet_values("tag"))
    for query in (FeedQuery(tags=frozenset({"db"})), FeedQuery(search="tag:DB")):
        assert [s.id for s in await collect(store, query, None)] == [3]
    await store.set_saved_tags(3, [])  # untagged: no longer found
    assert await collect(store, FeedQuery(tags=frozenset({"db"})), None) == []
    assert facet_drift(tmp_path / "t.db") == (set(), set())


async def test_tag_facets_fold_case_as_sqlite_does(tmp_path: Path) -> None:
    """New entries' tag facets are built in Python; they must be what the facets' view
    says (SQLite's `lower()`, ASCII letters only), for tags in any script and repeated
    tags, and stay so when another entry joins the story."""
    path = tmp_path / "t.db"
    tags = ("Python", "ÜBER-Tag", "İstanbul", "straße", "python", "日本語", "")

    def facets() -> set[str]:
        db = sqlite3.connect(path)
        found = {row[0] for row in db.execute("SELECT facet FROM story_facets")}
        db.close()
        return found

    async with await Store.open(path) as store:
        await store.apply(result(BLOG, [entry(1, tags=tags)]))
        assert facet_drift(path) == (set(), set())
        assert {"tag:python", "tag:Über-tag", "tag:İstanbul", "tag:", "tag:日本語"} <= facets()
        assert "tag:über-tag" not in facets()
        joined = entry(2, platform="mastodon", native_id="toot-1", tags=("PYTHON", "Ärger"))
        await store.apply(result(TOOTS, [joined.model_copy(update={"link": entry(1).url})]))
        # the reader's tag filter and `tag:` find them as the facets spell them
        for query in (
            FeedQuery(tags=frozenset({"Über-tag"})),
            FeedQuery(tags=frozenset({"ÜBER-TAG"})),
            FeedQuery(search="tag:ÜBER-Tag"),
        ):
            assert await store.count(query) == 1, query
    assert facet_drift(path) == (set(), set())
    assert {"tag:python", "tag:Ärger", "platform:mastodon"} <= facets()
