"""End to end: a real HTTP server on 127.0.0.1, a real feeds.toml, the real `devfeed`
command in a subprocess, a real SQLite file."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import DATA
from tests.loopback import Route, Server, serve

LM = "Wed, 25 Nov 2026 10:00:00 GMT"
CHANNEL = "UCVhQ2NnY5Rskt6UjCUkJ_DA"


def devfeed(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "devfeed", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
        check=False,
    )


@pytest.fixture
def server() -> Any:
    routes = {
        "/podcast.xml": Route((DATA / "rss" / "podcast.xml").read_bytes(), etag='"pod-1"'),
        "/notes.atom": Route((DATA / "rss" / "atom.xml").read_bytes(), last_modified=LM),
        f"/feeds/videos.xml?channel_id={CHANNEL}": Route(
            (DATA / "youtube" / "channel.xml").read_bytes(), etag='"yt-1"', last_modified=LM
        ),
    }
    with serve(routes) as running:
        yield running


def write_config(tmp_path: Path, server: Server, extra: str = "") -> Path:
    path = tmp_path / "feeds.toml"
    path.write_text(
        f"""
[platforms.youtube]
base_url = "{server.base_url}"

[[follow]]
platform = "rss"
url = "{server.base_url}/podcast.xml"
name = "Bytes & Pieces"

[[follow]]
platform = "rss"
url = "{server.base_url}/notes.atom"

[[follow]]
platform = "youtube"
profile = "{CHANNEL}"
name = "Compiler Corner"
{extra}
"""
    )
    return path


def test_poll_list_save_export_and_repoll(tmp_path: Path, server: Server) -> None:
    config = write_config(tmp_path, server)
    base = ["--config", str(config), "--db", str(tmp_path / "x.db")]

    polled = devfeed(*base, "poll", "--once", cwd=tmp_path)
    assert polled.returncode == 0, polled.stderr
    lines = polled.stderr.strip().splitlines()
    assert sum(line.startswith("new") for line in lines) == 3
    assert "Bytes & Pieces (rss)" in polled.stderr

    listed = devfeed(*base, "list", "--json", "--limit", "0", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    stories = json.loads(listed.stdout)["stories"]
    assert len(stories) == 3 + 2 + 3
    fields = {
        "id",
        "title",
        "url",
        "kind",
        "duration_s",
        "published",
        "read",
        "saved",
        "lunch",
        "seen_on",
    }
    assert all(fields <= set(story) for story in stories)
    assert [s["published"] for s in stories] == sorted(
        (s["published"] for s in stories), reverse=True
    )
    episode = next(s for s in stories if s["title"] == "Episode 3: clock form")
    assert (episode["kind"], episode["duration_s"]) == ("podcast", 3723)
    assert episode["published"] == "2026-11-23T12:00:00Z"
    assert episode["seen_on"] == [
        {
            "platform": "rss",
            "author": "Bytes & Pieces",
            "url": "https://bytes.example.fm/3",
            "follow": "Bytes & Pieces",
            "seen_at": episode["seen_on"][0]["seen_at"],
            "comments_url": None,
            "comments": None,
            "score": None,
            "boosted_by": None,
        }
    ]
    assert {s["kind"] for s in stories} >= {"podcast", "video", "short", "article"}

    story_id = str(episode["id"])
    for command in (["save", story_id], ["lunch", story_id], ["read", story_id]):
        done = devfeed(*base, *command, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
    saved = json.loads(devfeed(*base, "list", "--queue", "saved", "--json", cwd=tmp_path).stdout)
    assert [s["id"] for s in saved["stories"]] == [episode["id"]]
    assert saved["stories"][0]["lunch"] and saved["stories"][0]["read"]

    exported = devfeed(*base, "export", "saved", cwd=tmp_path)
    assert exported.returncode == 0
    assert "[Episode 3: clock form](<https://bytes.example.fm/3>)" in exported.stdout
    out = tmp_path / "saved.md"
    assert devfeed(*base, "export", "saved", "-o", str(out), cwd=tmp_path).returncode == 0

    def without_date(text: str) -> list[str]:
        return [line for line in text.splitlines() if not line.startswith("Exported ")]

    assert without_date(out.read_text()) == without_date(exported.stdout)

    before = len(server.seen)
    repolled = devfeed(*base, "poll", "--once", cwd=tmp_path)
    assert repolled.returncode == 0, repolled.stderr
    assert repolled.stderr.count("unchanged") == 3
    second_round = dict(server.seen[before:])
    assert second_round["/podcast.xml"]["if-none-match"] == '"pod-1"'
    assert second_round["/notes.atom"]["if-modified-since"] == LM
    assert second_round[f"/feeds/videos.xml?channel_id={CHANNEL}"]["if-none-match"] == '"yt-1"'
    again = json.loads(devfeed(*base, "list", "--json", "--limit", "0", cwd=tmp_path).stdout)
    assert len(again["stories"]) == len(stories), "a re-poll must not duplicate anything"

    sources = json.loads(devfeed(*base, "sources", "--json", cwd=tmp_path).stdout)["sources"]
    assert [s["entries"] for s in sources] == [3, 2, 3]
    assert {s["status"] for s in sources} == {"unchanged"}


def test_a_failing_source_exits_1_and_the_rest_is_ingested(tmp_path: Path, server: Server) -> None:
    config = write_config(
        tmp_path, server, extra=f'\n[[follow]]\nplatform = "rss"\nurl = "{server.base_url}/gone"\n'
    )
    base = ["--config", str(config), "--db", str(tmp_path / "x.db")]
    polled = devfeed(*base, "poll", "--once", cwd=tmp_path)
    assert polled.returncode == 1
    assert "failed" in polled.stderr and "HTTP 404" in polled.stderr
    stories = json.loads(devfeed(*base, "list", "--json", cwd=tmp_path).stdout)["stories"]
    assert len(stories) == 8


def test_a_bad_config_exits_2_with_the_file_follow_and_field(tmp_path: Path) -> None:
    config = tmp_path / "feeds.toml"
    config.write_text('[[follow]]\nplatform = "rss"\nurll = "https://a.example/f"\n')
    polled = devfeed(
        "--config", str(config), "--db", str(tmp_path / "x.db"), "poll", "--once", cwd=tmp_path
    )
    assert polled.returncode == 2
    assert str(config) in polled.stderr
    assert "follow #1" in polled.stderr and "urll" in polled.stderr and "'url'" in polled.stderr


def test_unknown_story_ids_and_bad_usage_exit_2(tmp_path: Path) -> None:
    db = ["--db", str(tmp_path / "x.db")]
    missing = devfeed(*db, "save", "12345", cwd=tmp_path)
    assert missing.returncode == 2
    assert "no story with id 12345" in missing.stderr
    assert devfeed(*db, "export", "everything", cwd=tmp_path).returncode == 2


def test_the_demo_runs_offline_through_the_real_poller(tmp_path: Path) -> None:
    shown = devfeed("--db", str(tmp_path / "demo.db"), "demo", "--list", cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert "What SQLite's WAL mode actually buys a feed reader" in shown.stdout
    listed = json.loads(
        devfeed("--db", str(tmp_path / "demo.db"), "list", "--json", cwd=tmp_path).stdout
    )
    merged = [s for s in listed["stories"] if len(s["seen_on"]) > 1]
    # the article, its Lobsters submission, and the Mastodon post sharing its link (in the
    # post's HTML: the instance's RSS carries no preview card)
    assert merged and {x["platform"] for x in merged[0]["seen_on"]} == {
        "rss",
        "lobsters",
        "mastodon",
    }


@pytest.mark.parametrize("where", ["not sqlite", "under a file"])
def test_a_database_that_cannot_be_opened_is_one_clear_error(tmp_path: Path, where: str) -> None:
    if where == "not sqlite":
        db = tmp_path / "x.db"
        db.write_bytes(b"this is not an SQLite file, whatever its name says" * 100)
    else:
        (tmp_path / "plain").write_text("")
        db = tmp_path / "plain" / "x.db"
    config = tmp_path / "feeds.toml"
    config.write_text('[[follow]]\nplatform = "rss"\nurl = "http://127.0.0.1:9/f.xml"\n')
    for command in (["list"], ["status"], ["poll", "--once"], ["save", "1"]):
        shown = devfeed("--config", str(config), "--db", str(db), *command, cwd=tmp_path)
        assert shown.returncode == 2, (command, shown.stderr)
        assert shown.stderr.startswith("devfeed: error: "), (command, shown.stderr)
        assert "Traceback" not in shown.stderr and shown.stderr.count("\n") == 1
