"""Saved (notes, tags, order), Lunch (queued -> done), and stories added by hand: by id or
by any URL, merged with the story of the same canonical URL, offline-safe."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from devfeed import api
from devfeed.config import Config, parse_config
from devfeed.errors import UsageError
from devfeed.models import ParsedEntry
from devfeed.store import FeedQuery, Store, View
from devfeed.store.schema import MIGRATIONS, SCHEMA_VERSION
from tests.conftest import DATA, FROZEN_NOW
from tests.helpers import entry, follow, result

PAGES = DATA / "pages"
ARTICLE = "https://engineering.example.com/blog/sqlite-reads"
WATCH = "https://www.youtube.com/watch?v=Cc0mpiler01"


def config() -> Config:
    return parse_config("")


class Site:
    """A MockTransport that serves the test pages and counts what it was asked."""

    def __init__(self, *, offline: bool = False) -> None:
        self.offline = offline
        self.seen: list[str] = []
        self.transport = httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(str(request.url))
        if self.offline:
            raise httpx.ConnectError("network is unreachable", request=request)
        if request.url.host == "www.youtube.com":
            body = (PAGES / "youtube-watch.html").read_bytes()
        elif request.url.host == "engineering.example.com":
            body = (PAGES / "article.html").read_bytes()
        else:
            return httpx.Response(404)
        return httpx.Response(200, content=body, headers={"Content-Type": "text/html"})


async def save(db: Path, target: str, site: Site, **options: object) -> api.Added:
    return await api.save(
        db, target, now=FROZEN_NOW, config=config, transport=site.transport, **options
    )  # type: ignore[arg-type]


async def test_saving_any_url_fetches_and_files_it_seen_by_no_follow(tmp_path: Path) -> None:
    db, site = tmp_path / "d.db", Site()
    added = await save(db, f"{ARTICLE}?utm_source=mastodon", site, note="read it", tags=["db"])
    story = added.story
    assert added.warning is None and site.seen == [f"{ARTICLE}?utm_source=mastodon"]
    assert (story.title, story.url, story.author) == (
        "Why your SQLite reads are slow",
        ARTICLE,
        "Ada Lovelace",
    )
    assert story.saved and story.saved_at == FROZEN_NOW
    assert (story.note, story.saved_tags) == ("read it", ("db",))
    (sighting,) = story.seen_on
    assert (sighting.platform, sighting.follow) == ("web", None)
    again = await save(db, ARTICLE, site)
    assert again.story.id == story.id and len(site.seen) == 1, "a known page is not refetched"
    assert again.story.note == "read it", "saving again keeps the note"


async def test_a_url_merges_with_the_polled_story_of_the_same_canonical_url(
    tmp_path: Path,
) -> None:
    db, site = tmp_path / "d.db", Site()
    channel = follow("https://www.youtube.com/feeds/videos.xml?channel_id=UCx", platform="youtube")
    polled = entry(1, platform="youtube", url=WATCH, kind="video", title="From the feed")
    async with await Store.open(db) as store:
        await store.apply(result(channel, [polled]))
    # the feed did not say how long the video is: Lunch fetches the watch page for it
    added = await api.queue_lunch(
        db, "https://youtu.be/Cc0mpiler01?si=x", now=FROZEN_NOW, config=config,
        transport=site.transport,
    )  # fmt: skip
    story = added.story
    assert story.id == 1 and story.lunch
    assert (story.duration_s, story.kind, story.title) == (1872, "video", "From the feed")
    assert [s.follow for s in story.seen_on] == [channel.label, None]
    assert site.seen == [WATCH]
    async with await Store.open(db) as store:
        assert await store.count(FeedQuery()) == 1
    # now that its length is known, queueing it again needs no fetch
    await api.queue_lunch(db, WATCH, now=FROZEN_NOW, config=config, transport=site.transport)
    assert len(site.seen) == 1


async def test_offline_the_url_is_saved_as_its_own_title_and_refreshed_later(
    tmp_path: Path,
) -> None:
    db = tmp_path / "d.db"
    offline = await save(db, ARTICLE, Site(offline=True))
    assert offline.warning and "could not fetch the page" in offline.warning
    assert offline.story.title == ARTICLE and offline.story.saved
    online = await save(db, ARTICLE, Site())
    assert online.story.id == offline.story.id
    assert online.story.title == "Why your SQLite reads are slow"
    assert online.warning is None


async def test_lunch_warns_when_a_length_is_unknown(tmp_path: Path) -> None:
    added = await api.queue_lunch(
        tmp_path / "d.db", ARTICLE, now=FROZEN_NOW, config=config, transport=Site().transport
    )
    assert added.story.lunch and added.story.duration_s is None
    assert added.warning and "lunch planner will leave it out" in added.warning


async def test_undo_by_url_never_fetches_and_an_unknown_url_is_a_usage_error(
    tmp_path: Path,
) -> None:
    db, site = tmp_path / "d.db", Site()
    await save(db, ARTICLE, site)
    undone = await save(db, f"{ARTICLE}/", site, undo=True)
    assert not undone.story.saved and len(site.seen) == 1
    with pytest.raises(UsageError, match="no story with the URL"):
        await save(db, "https://nowhere.example/x", site, undo=True)
    assert len(site.seen) == 1


@pytest.mark.parametrize("target", ["javascript:alert(1)", "file:///etc/passwd", "-1", "ftp://x"])
async def test_only_ids_and_http_urls_are_targets(tmp_path: Path, target: str) -> None:
    site = Site()
    with pytest.raises(UsageError, match="neither a story id nor an http"):
        await save(tmp_path / "d.db", target, site)
    assert site.seen == []


async def test_tags_are_added_and_removed_and_notes_replaced(tmp_path: Path) -> None:
    db, site = tmp_path / "d.db", Site()
    async with await Store.open(db) as store:
        await store.apply(result(follow(), [entry(1)]))
    first = await save(db, "1", site, note="one\x1b[31m", tags=["#rust", "db", "rust", " "])
    assert first.story.saved_tags == ("rust", "db") and first.story.note == "one"
    second = await save(db, "1", site, tags=["perf"], untag=["db"], note="")
    assert second.story.saved_tags == ("rust", "perf") and second.story.note is None
    assert site.seen == []


async def test_saved_is_ordered_by_save_time_and_undo_keeps_the_note(tmp_path: Path) -> None:
    db = tmp_path / "d.db"
    async with await Store.open(db) as store:
        await store.apply(result(follow(), [entry(n) for n in (1, 2, 3)]))
        await store.save(2, FROZEN_NOW - timedelta(hours=3))
        await store.save(3, FROZEN_NOW - timedelta(hours=2))
        await store.save(1, FROZEN_NOW - timedelta(hours=1))
        await store.set_note(3, "keep me")
        page = await store.feed_page(FeedQuery(view=View.SAVED))
        assert [s.id for s in page.stories] == [1, 3, 2]
        story = await store.save(3, FROZEN_NOW, saved=False)
        assert not story.saved and story.note == "keep me"


async def test_lunch_done_leaves_the_queue_and_lunch_again_requeues(tmp_path: Path) -> None:
    db = tmp_path / "d.db"
    async with await Store.open(db) as store:
        await store.apply(result(follow(), [entry(1, kind="video", duration_s=600)]))
        await store.lunch(1, FROZEN_NOW - timedelta(hours=1))
        done = await store.lunch_done(1, FROZEN_NOW)
        assert not done.lunch and done.lunch_done_at == FROZEN_NOW
        assert await store.lunch_queue() == []
        assert await store.count(FeedQuery(view=View.LUNCH_DONE)) == 1
        again = await store.lunch(1, FROZEN_NOW + timedelta(days=1))
        assert again.lunch and again.lunch_done_at is None
        assert again.lunch_at == FROZEN_NOW + timedelta(days=1)
        with pytest.raises(UsageError):
            await store.lunch_done(99, FROZEN_NOW)


async def test_adding_by_hand_twice_is_idempotent(tmp_path: Path) -> None:
    page = ParsedEntry(
        platform="web", native_id="x.example/a", url="https://x.example/a", title="A"
    )
    async with await Store.open(tmp_path / "d.db") as store:
        first = await store.add_by_hand(page, FROZEN_NOW)
        second = await store.add_by_hand(page, FROZEN_NOW + timedelta(hours=1))
        assert first == second and len(second.seen_on) == 1
        assert await store.fetch_states() != {}  # the pseudo-follow has a row ...
    sources = await api.sources(config(), tmp_path / "d.db")
    assert all(s.follow.platform != "web" for s in sources)  # ... but is never a source


def test_a_schema_2_database_migrates_to_notes_and_tags(tmp_path: Path) -> None:
    import asyncio

    path = tmp_path / "old.db"
    old = sqlite3.connect(path)
    for script in MIGRATIONS[:2]:
        old.executescript(script)
    old.execute("PRAGMA application_id = 0x64766664")
    old.execute("PRAGMA user_version = 2")
    old.execute(
        "INSERT INTO stories (story_key, title, kind, published, first_seen, saved_at) "
        "VALUES ('url:a', 'Old story', 'article', 1, 1, 5)"
    )
    old.commit()
    old.close()

    async def check() -> None:
        async with await Store.open(path) as store:
            story = await store.story(1)
            assert (story.title, story.saved, story.note, story.saved_tags) == (
                "Old story",
                True,
                None,
                (),
            )
            await store.set_saved_tags(1, ["kept"])
            assert (await store.story(1)).saved_tags == ("kept",)

    asyncio.run(check())
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


@pytest.mark.parametrize("offline", [False, True])
async def test_lunch_by_id_fetches_the_length_a_feed_did_not_give(
    tmp_path: Path, offline: bool
) -> None:
    db, site = tmp_path / "d.db", Site(offline=offline)
    channel = follow("https://www.youtube.com/feeds/videos.xml?channel_id=UCx", platform="youtube")
    polled = entry(1, platform="youtube", url=WATCH, kind="video", title="From the feed")
    article = entry(2, title="An article")
    async with await Store.open(db) as store:
        await store.apply(result(channel, [polled, article]))
    added = await api.queue_lunch(db, "1", now=FROZEN_NOW, config=config, transport=site.transport)
    assert site.seen == [WATCH]
    assert added.story.lunch and added.story.title == "From the feed"
    if offline:
        assert added.story.duration_s is None and len(added.story.seen_on) == 1
        assert added.warning and "could not fetch" in added.warning
    else:
        assert added.story.duration_s == 1872 and added.warning is None
    await api.queue_lunch(db, "2", now=FROZEN_NOW, config=config, transport=site.transport)
    assert site.seen == [WATCH], "an article is queued without a fetch"
