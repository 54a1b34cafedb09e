"""End to end, Mastodon: a Mastodon instance served on 127.0.0.1 (tag timeline, account lookup
and statuses, and a tag whose API wants a login so its RSS is read instead), a real
feeds.toml naming it as `instance`, the real `devfeed` command, a real SQLite file."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from devfeed.models import FetchState
from devfeed.store import Store
from tests.conftest import DATA
from tests.loopback import Route, Server, serve
from tests.test_e2e import devfeed

MASTODON = DATA / "mastodon"
JSON = "application/json; charset=utf-8"
ADA_ID = "109300000000000001"
STATUSES = f"/api/v1/accounts/{ADA_ID}/statuses?limit=40&exclude_replies=true"


def _json(name: str) -> Route:
    return Route((MASTODON / name).read_bytes(), content_type=JSON)


@pytest.fixture
def instance() -> Iterator[Server]:
    routes = {
        "/api/v1/timelines/tag/python?limit=40": _json("tag-python.json"),
        "/api/v1/timelines/tag/python?limit=40&min_id=113560004000000004": _json(
            "tag-python-newer.json"
        ),
        "/api/v1/accounts/lookup?acct=ada": _json("account-ada.json"),
        STATUSES: _json("statuses-ada.json"),
        f"{STATUSES}&min_id=113560006000000010": _json("empty.json"),
        "/api/v1/timelines/tag/rust?limit=40": Route(b"", status=401),
        "/tags/rust.rss": Route(
            (MASTODON / "tag-python.rss").read_bytes(),
            content_type="application/rss+xml; charset=utf-8",
            etag='"rust-rss-1"',
        ),
    }
    with serve(routes) as running:
        yield running


def _config(tmp_path: Path, base_url: str) -> list[str]:
    config = tmp_path / "feeds.toml"
    config.write_text(
        f"""
[[follow]]
platform = "mastodon"
instance = "{base_url}"
hashtag = "python"

[[follow]]
platform = "mastodon"
instance = "{base_url}"
profile = "@ada"
name = "Ada"

[[follow]]
platform = "mastodon"
instance = "{base_url}"
hashtag = "rust"
name = "Rust (login wall)"
"""
    )
    return ["--config", str(config), "--db", str(tmp_path / "devfeed.db")]


def _stories(base: list[str], cwd: Path) -> list[dict[str, Any]]:
    listed = devfeed(*base, "list", "--json", "--limit", "0", cwd=cwd)
    assert listed.returncode == 0, listed.stderr
    stories: list[dict[str, Any]] = json.loads(listed.stdout)["stories"]
    return stories


def _one(stories: list[dict[str, Any]], title_start: str) -> dict[str, Any]:
    found = [s for s in stories if s["title"].startswith(title_start)]
    assert len(found) == 1, [s["title"] for s in stories]
    return found[0]


def _states(db: Path) -> dict[str, FetchState]:
    async def read() -> dict[str, FetchState]:
        async with await Store.open(db) as store:
            return await store.fetch_states()

    return asyncio.run(read())


def test_mastodon_api_boosts_durations_and_the_rss_fallback(
    tmp_path: Path, instance: Server
) -> None:
    base = _config(tmp_path, instance.base_url)
    polled = devfeed(*base, "poll", "--once", cwd=tmp_path)
    assert polled.returncode == 0, polled.stderr
    lines = polled.stderr.splitlines()
    assert sum(line.startswith("new") for line in lines) == 3, polled.stderr

    stories = _stories(base, tmp_path)
    talk = _one(stories, "My talk on async #Python")
    assert (talk["kind"], talk["duration_s"]) == ("video", 1235)
    assert talk["seen_on"][0]["author"] == "Grace Hopper"
    assert talk["seen_on"][0]["url"] == "https://hachyderm.example/@grace/113559990000000007"

    gif = _one(stories, "CW: loud gif")
    assert (gif["kind"], gif["duration_s"]) == ("post", None)

    boosted = _one(stories, "New edition of the book is out")
    assert [(s["author"], s["boosted_by"], s["follow"]) for s in boosted["seen_on"]] == [
        ("Brian", "@ada@fosstodon.example", "Ada")
    ]
    assert boosted["url"] == "https://books.example.com/awk-2e"

    # the same status from the tag API, the profile API and the login-walled tag's RSS:
    # one entry (the RSS id is mapped to the status URI), seen by all three follows
    shared = _one(stories, "Wrote up how we cut our #python test suite")
    assert sorted(s["follow"] for s in shared["seen_on"]) == [
        "#python on " + instance.base_url,
        "Ada",
        "Rust (login wall)",
    ]
    assert {s["platform"] for s in shared["seen_on"]} == {"mastodon"}

    screencast = _one(stories, "Screencast: bisecting")  # only in the RSS
    assert screencast["kind"] == "video" and screencast["duration_s"] is None
    assert screencast["seen_on"][0]["author"] == "@linus@fosstodon.example"

    hostile = _one(stories, "Free [bold]prizes[/bold]")
    assert "\x1b" not in json.dumps(hostile, ensure_ascii=False)
    assert hostile["url"] == "https://prizes.mallory.example/claim"

    states = _states(tmp_path / "devfeed.db")
    by_name = {key.rsplit("/", 1)[-1]: state for key, state in states.items()}
    assert by_name["#python"].platform_state == {"min_id": "113560004000000004"}
    assert by_name["@ada"].platform_state["account_id"] == ADA_ID
    assert by_name["#rust"].platform_state["mode"] == "rss"
    assert "HTTP 401" in (by_name["#rust"].warning or "")
    assert by_name["#python"].warning is None
    # the fallback is said where users look: the poll summary and `sources`
    warned = [line for line in polled.stderr.splitlines() if "(warning:" in line]
    assert len(warned) == 1 and "Rust (login wall)" in warned[0] and "HTTP 401" in warned[0]
    listed = json.loads(devfeed(*base, "sources", "--json", cwd=tmp_path).stdout)["sources"]
    warnings = {s["name"]: s["warning"] for s in listed}
    assert "HTTP 401" in (warnings["Rust (login wall)"] or "")
    assert warnings["Ada"] is None

    # the second poll: cursors move on, the account is not looked up again, and the
    # login-walled tag goes straight to its RSS (conditionally)
    before = len(instance.seen)
    again = devfeed(*base, "poll", "--once", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    second = dict(instance.seen[before:])
    assert set(second) == {
        "/api/v1/timelines/tag/python?limit=40&min_id=113560004000000004",
        f"{STATUSES}&min_id=113560006000000010",
        "/tags/rust.rss",
    }
    assert second["/tags/rust.rss"]["if-none-match"] == '"rust-rss-1"'
    after = _stories(base, tmp_path)
    newer = _one(after, "Follow-up: the #python 3.14")
    assert newer["seen_on"][0]["author"] == "Ada Lovelace"
    assert len(after) == len(stories) + 1
