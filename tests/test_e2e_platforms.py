"""End to end over loopback: YouTube (an @handle's channel page, its long-form feed and
the watch pages of its videos) and Hacker News (Algolia search) served from 127.0.0.1,
polled by the real `devfeed` command with `[platforms.*] base_url` pointing there, read
back with `list --json`; a re-poll fetches the length of the new video only."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.conftest import DATA
from tests.loopback import Route, Server, serve

YT = DATA / "youtube" / "handle-watch-pages"
YT_REPOLL = DATA / "youtube" / "repoll-fetches-only-new-lengths"
CHANNEL = "UCq8Wd0a4zv3LHmL0nVxR1mA"
UPLOADS = f"/feeds/videos.xml?playlist_id=UULF{CHANNEL[2:]}"
HN_FIRST = "/api/v1/search_by_date?hitsPerPage=50&query=python&tags=story"
NEWEST_SEEN = 1795791845  # the newest created_at_i in hackernews/search-python.json
HN_SINCE = f"{HN_FIRST}&numericFilters=created_at_i%3E{NEWEST_SEEN - 600}"
HTML = "text/html; charset=utf-8"


def devfeed(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "devfeed", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
        check=False,
    )


def page(path: Path) -> Route:
    return Route(path.read_bytes(), content_type=HTML)


def by_title(stories: list[dict[str, Any]], start: str) -> dict[str, Any]:
    (story,) = [s for s in stories if s["title"].startswith(start)]
    return story


def test_youtube_and_hacker_news_over_loopback(tmp_path: Path) -> None:
    routes = {
        "/@compilercorner": page(YT / "channel.html"),
        UPLOADS: Route((YT / "uploads.xml").read_bytes(), etag='"up-1"'),
        "/watch?v=Cc0mpiler04": page(YT / "watch-04.html"),
        "/watch?v=Cc0mpiler05": page(YT / "watch-05-live.html"),
        "/watch?v=Cc0mpiler07": page(YT / "watch-07-no-meta.html"),
        # Cc0mpiler06 has no watch page here: a 404 leaves its length unknown
        HN_FIRST: Route(
            (DATA / "hackernews" / "search-python.json").read_bytes(),
            content_type="application/json; charset=utf-8",
        ),
    }
    with serve(routes) as server:
        config = tmp_path / "feeds.toml"
        config.write_text(
            f"""
[platforms.youtube]
base_url = "{server.base_url}"

[platforms.hackernews]
base_url = "{server.base_url}"

[[follow]]
platform = "youtube"
profile = "@compilercorner"
name = "Compiler Corner"

[[follow]]
platform = "hackernews"
hashtag = "python"
name = "HN: python"
"""
        )
        base = ["--config", str(config), "--db", str(tmp_path / "x.db")]
        polled = devfeed(*base, "poll", "--once", cwd=tmp_path)
        assert polled.returncode == 0, polled.stderr
        stories = json.loads(devfeed(*base, "list", "--json", "--limit", "0", cwd=tmp_path).stdout)[
            "stories"
        ]
        _check_first_poll(server, stories)

        # the channel posts a new video; HN is asked only for what is newer
        server.routes[UPLOADS] = Route((YT_REPOLL / "uploads.xml").read_bytes(), etag='"up-2"')
        server.routes["/watch?v=Cc0mpiler08"] = page(YT_REPOLL / "watch-08.html")
        server.routes[HN_SINCE] = Route(
            (DATA / "hackernews" / "user-since" / "search.json").read_bytes(),
            content_type="application/json",
        )
        before = len(server.seen)
        repolled = devfeed(*base, "poll", "--once", cwd=tmp_path)
        assert repolled.returncode == 0, repolled.stderr
        second_round = [path for path, _headers in server.seen[before:]]
        assert sorted(second_round) == sorted([UPLOADS, "/watch?v=Cc0mpiler08", HN_SINCE])
        assert dict(server.seen[before:])[UPLOADS]["if-none-match"] == '"up-1"'

        again = json.loads(devfeed(*base, "list", "--json", "--limit", "0", cwd=tmp_path).stdout)
        stories_after = again["stories"]
        assert len(stories_after) == len(stories) + 2  # one video, one HN story (one repeated)
        ssa = by_title(stories_after, "SSA form without tears")
        assert (ssa["kind"], ssa["duration_s"]) == ("video", 3723)
        wal = by_title(stories_after, "SQLite's WAL mode")
        assert wal["seen_on"][0]["comments"] == 4


def _check_first_poll(server: Server, stories: list[dict[str, Any]]) -> None:
    asked = [path for path, _headers in server.seen]
    assert asked.count("/@compilercorner") == 1
    assert sorted(p for p in asked if p.startswith("/watch")) == [
        f"/watch?v=Cc0mpiler0{n}" for n in (4, 5, 6, 7)
    ]
    user_agent = server.requests_to(HN_FIRST)[0]["user-agent"]
    assert user_agent.startswith("devfeed/")

    vm = by_title(stories, "Writing a tiny bytecode VM")
    assert (vm["kind"], vm["duration_s"], vm["author"]) == ("video", 2045, "Compiler Corner")
    assert vm["url"] == "https://www.youtube.com/watch?v=Cc0mpiler04"
    assert [(s["platform"], s["follow"]) for s in vm["seen_on"]] == [("youtube", "Compiler Corner")]
    live = by_title(stories, "LIVE: compiler Q&A")
    assert (live["kind"], live["duration_s"]) == ("video", None)
    hostile = by_title(stories, "[bold]FREE[/bold] compiler course")
    assert hostile["duration_s"] is None and "\x1b" not in hostile["title"]

    article = by_title(stories, "What's new in Python 3.15")
    assert article["kind"] == "discussion"
    assert article["url"].startswith("https://mayachen.example.org/2026/11/free-threaded-315/")
    (sighting,) = article["seen_on"]
    assert sighting["platform"] == "hackernews" and sighting["author"] == "mchen"
    assert sighting["url"] == "https://news.ycombinator.com/item?id=46211001"
    assert sighting["comments_url"] == sighting["url"]
    assert (sighting["comments"], sighting["score"]) == (142, 388)
    assert sighting["follow"] == "HN: python"
    ask = by_title(stories, "Ask HN: How do you profile async Python")
    assert (ask["kind"], ask["url"]) == ("post", "https://news.ycombinator.com/item?id=46209870")

    # HN's discussion of a video and the video itself are one story, seen on both
    (merged,) = [s for s in stories if len(s["seen_on"]) > 1]
    assert {(s["platform"], s["author"]) for s in merged["seen_on"]} == {
        ("youtube", "Compiler Corner"),
        ("hackernews", "vmfan"),
    }
    youtube_side = next(s for s in merged["seen_on"] if s["platform"] == "youtube")
    assert youtube_side["url"] == "https://www.youtube.com/watch?v=Cc0mpiler07"
    assert {s["kind"] for s in stories} == {"video", "discussion", "post"}
    assert len(stories) == 4 + 5 - 1
