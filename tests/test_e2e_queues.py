"""End to end through the real `devfeed` command, a real SQLite file and a real HTTP server
on 127.0.0.1: save and queue URLs nobody follows, plan lunch, export a vault twice."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import DATA
from tests.loopback import Route, serve
from tests.test_e2e import CHANNEL, devfeed


def test_save_and_lunch_any_url_then_plan_and_export(tmp_path: Path) -> None:
    routes = {
        f"/feeds/videos.xml?channel_id={CHANNEL}": Route(
            (DATA / "youtube" / "channel.xml").read_bytes()
        ),
        "/article.html": Route(
            (DATA / "pages" / "article.html").read_bytes(), content_type="text/html"
        ),
    }
    with serve(routes) as server:
        config = tmp_path / "feeds.toml"
        config.write_text(
            f'[platforms.youtube]\nbase_url = "{server.base_url}"\n\n'
            f'[[follow]]\nplatform = "youtube"\nprofile = "{CHANNEL}"\nname = "Compiler Corner"\n'
        )
        base = ["--config", str(config), "--db", str(tmp_path / "x.db")]
        assert devfeed(*base, "poll", "--once", cwd=tmp_path).returncode == 0
        # the poll found no watch page (404), so the video has no length yet: Lunch fetches it
        server.routes["/watch?v=Cc0mpiler01"] = Route(
            (DATA / "pages" / "youtube-watch.html").read_bytes(), content_type="text/html"
        )

        queued = devfeed(*base, "lunch", "https://youtu.be/Cc0mpiler01?si=share", cwd=tmp_path)
        assert queued.returncode == 0, queued.stderr
        assert "[31:12]" in queued.stdout and queued.stderr == ""
        _polled, watch = server.requests_to("/watch?v=Cc0mpiler01")
        assert watch["user-agent"].startswith("devfeed/")

        saved = devfeed(
            *base, "save", f"{server.base_url}/article.html", "--note", "for the DB talk",
            "--tag", "db", cwd=tmp_path,
        )  # fmt: skip
        assert saved.returncode == 0, saved.stderr
        assert "Why your SQLite reads are slow" in saved.stdout

    # the server is gone: saving still works, and says why the title is the URL
    offline = devfeed(*base, "save", "http://127.0.0.1:9/gone", cwd=tmp_path)
    assert offline.returncode == 0
    assert "warning: could not fetch the page" in offline.stderr
    assert "http://127.0.0.1:9/gone" in offline.stdout

    stories = json.loads(devfeed(*base, "list", "--json", "--limit", "0", cwd=tmp_path).stdout)
    video = next(s for s in stories["stories"] if s["title"].startswith("Writing a tiny"))
    assert video["lunch"] and video["duration_s"] == 1872
    assert [s["follow"] for s in video["seen_on"]] == ["Compiler Corner", None]
    assert len(stories["stories"]) == 3 + 2  # the channel's three, plus two pages

    planned = devfeed(*base, "lunch", "plan", "--minutes", "45", "--json", cwd=tmp_path)
    assert [v["id"] for v in json.loads(planned.stdout)["videos"]] == [video["id"]]

    saved_list = json.loads(
        devfeed(*base, "list", "--queue", "saved", "--json", cwd=tmp_path).stdout
    )["stories"]
    assert saved_list[1]["note"] == "for the DB talk" and saved_list[1]["saved_tags"] == ["db"]

    vault = tmp_path / "vault"
    runs = [devfeed(*base, "export", "saved", "--dir", str(vault), cwd=tmp_path) for _ in "ab"]
    assert [r.returncode for r in runs] == [0, 0]
    assert "2 new" in runs[0].stderr and "2 unchanged" in runs[1].stderr
    assert sorted(p.name for p in vault.iterdir()) == [
        f"http-127-0-0-1-9-gone-{saved_list[0]['id']}.md",
        f"why-your-sqlite-reads-are-slow-{saved_list[1]['id']}.md",
    ]
