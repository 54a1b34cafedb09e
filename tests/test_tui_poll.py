"""Polling from the reader for real: `R` runs `devfeed poll --once` in a child process
against a loopback server, or the poller in-process over the demo's transport; the open
reader picks the new stories up through `PRAGMA data_version`."""

from __future__ import annotations

import os
from pathlib import Path

from click.testing import CliRunner

from devfeed.cli import main as cli
from devfeed.config import load_config
from devfeed.daemon import PollerLock
from devfeed.demo import demo_config, demo_now, demo_transport
from devfeed.refresh import (
    InProcessPoller,
    PollProgress,
    SubprocessPoller,
    poll_argv,
    progress_after,
)
from devfeed.store import Store
from tests.conftest import DATA
from tests.loopback import Route, serve
from tests.tui_support import feed, make_app, settle

RSS = (DATA / "rss" / "atom.xml").read_bytes()


def test_progress_follows_the_report_lines() -> None:
    progress = PollProgress(total=3)
    for line in ("new     12  Maya Chen (rss)", "unchanged   Tube (youtube)", "whatever"):
        progress = progress_after(progress, line)
    progress = progress_after(progress, "failed     Toots (mastodon): HTTP 404 Not Found")
    assert (progress.done, progress.new, progress.failed) == (3, 12, 1)
    assert progress.last == "failed Toots (mastodon): HTTP 404 Not Found"  # spaces folded
    assert progress.line() == "polling 3/3 · 12 new · 1 failed"


def test_the_child_command_names_the_database_config_and_sources(tmp_path: Path) -> None:
    path = tmp_path / "feeds.toml"
    path.write_text('[[follow]]\nplatform = "rss"\nurl = "https://a.example/f"\n')
    argv = poll_argv(
        load_config(path, explicit=True), tmp_path / "d.db", ["rss:https://a.example/f"]
    )
    assert argv[1:] == ["-m", "devfeed", "--db", str(tmp_path / "d.db"), "--config", str(path),
                        "poll", "--once", "--source", "rss:https://a.example/f"]  # fmt: skip


def test_poll_source_polls_only_the_named_follows(tmp_path: Path) -> None:
    with serve({"/a.xml": Route(RSS), "/b.xml": Route(RSS)}) as server:
        path = tmp_path / "feeds.toml"
        path.write_text(
            f'[[follow]]\nplatform = "rss"\nurl = "{server.base_url}/a.xml"\nname = "A"\n'
            f'[[follow]]\nplatform = "rss"\nurl = "{server.base_url}/b.xml"\n'
        )
        base = ["--config", str(path), "--db", str(tmp_path / "d.db"), "poll", "--once"]
        done = CliRunner().invoke(cli, [*base, "--source", "A"])
        assert done.exit_code == 0, done.output
        assert [p for p, _ in server.seen] == ["/a.xml"]
        wrong = CliRunner().invoke(cli, [*base, "--source", "B"])
        assert wrong.exit_code == 2 and "not following 'B'" in wrong.output


async def test_r_runs_a_child_poll_and_the_reader_shows_what_it_wrote(tmp_path: Path) -> None:
    with serve({"/feed.xml": Route(RSS, etag='"v1"')}) as server:
        path = tmp_path / "feeds.toml"
        path.write_text(f'[[follow]]\nplatform = "rss"\nurl = "{server.base_url}/feed.xml"\n')
        config = load_config(path, explicit=True)
        db = tmp_path / "d.db"
        async with await Store.open(db) as store:
            app = make_app(store, config=config, poll=SubprocessPoller(config, db))
            async with app.run_test(size=(120, 40)) as pilot:
                await settle(pilot)
                assert feed(app).story_list.stories == ()
                await pilot.press("R")
                await settle(pilot)
                final = app.recorded.progress[-1]
                assert final.finished and final.done == 1 and final.failed == 0
                assert final.new > 0 and app.status_text.startswith("polled 1 source:")
                app.check_for_changes()  # what the 2-second timer does
                await settle(pilot)
                assert len(feed(app).story_list.stories) == final.new
        assert [p for p, _ in server.seen] == ["/feed.xml"]


async def test_the_demo_polls_in_process_and_the_feed_fills(tmp_path: Path) -> None:
    config = demo_config()
    db = tmp_path / "demo.db"
    async with await Store.open(db) as store:
        poller = InProcessPoller(config, db, transport=demo_transport(), now=demo_now)
        app = make_app(store, config=config, poll=poller)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            await pilot.press("R")
            await settle(pilot)
            final = app.recorded.progress[-1]
            assert final.finished and final.done == len(config.follows) and final.new >= 19
            app.check_for_changes()
            await settle(pilot)
            assert feed(app).story_list.total == await store.count(feed(app).feed_query) >= 18


async def test_r_while_the_daemon_polls_says_so_and_starts_no_second_poller(
    tmp_path: Path,
) -> None:
    db = tmp_path / "d.db"
    async with await Store.open(db) as store:
        app = make_app(store)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            with PollerLock(db, "daemon", now=demo_now):
                await pilot.press("R")
                await settle(pilot)
                assert app.recorded.polls == []
                assert app.status_text.startswith(f"the daemon (pid {os.getpid()}) is polling")
            await pilot.press("R")  # the daemon stopped: the reader polls itself
            await settle(pilot)
            assert app.recorded.polls == [None]
