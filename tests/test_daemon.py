"""The daemon as users run it: `devfeed poll --daemon` in a subprocess against a loopback
server, a real SQLite file, real signals. Intervals of one second keep it fast."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from devfeed.store import FeedQuery, Store
from tests.loopback import Route, Server, serve

DEADLINE_S = 20.0


def rss(name: str, items: range) -> bytes:
    entries = "".join(
        f"<item><title>{name} post {n}</title><link>https://{name}.example/{n}</link>"
        f"<guid>{name}-{n}</guid><pubDate>Sat, 28 Nov 2026 10:{n % 60:02d}:00 GMT</pubDate></item>"
        for n in items
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>{name}</title>'
        f"<link>https://{name}.example/</link>{entries}</channel></rss>"
    ).encode()


def wait_until(condition: Callable[[], Any], what: str, timeout: float = DEADLINE_S) -> Any:
    """Poll a condition of another process (a subprocess has no events to wait on)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


class Daemon:
    """A `devfeed poll --daemon` subprocess and its files."""

    def __init__(self, tmp_path: Path, config: Path, *extra: str) -> None:
        self.db = tmp_path / "d.db"
        self.log = tmp_path / "daemon.log"
        self.base = ["--config", str(config), "--db", str(self.db)]
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "devfeed",
                *self.base,
                "poll",
                "--daemon",
                "--log",
                str(self.log),
                *extra,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=tmp_path,
        )

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8") if self.log.exists() else ""

    def cycles(self) -> int:
        return self.log_text().count(" cycle ")

    def devfeed(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "devfeed", *self.base, *args],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    def stop(self, signum: int = signal.SIGTERM) -> tuple[int, float]:
        started = time.monotonic()
        self.process.send_signal(signum)
        code = self.process.wait(timeout=30)
        return code, time.monotonic() - started

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        assert self.process.stdout is not None and self.process.stderr is not None
        self.process.stdout.close()
        self.process.stderr.close()


@pytest.fixture
def daemons() -> Iterator[list[Daemon]]:
    started: list[Daemon] = []
    yield started
    for daemon in started:
        daemon.kill()


def feeds_toml(path: Path, server: Server, names: list[str], extra: str = "") -> Path:
    path.write_text(
        '[settings]\npoll_interval = "1s"\n'
        + extra
        + "".join(
            f'[[follow]]\nplatform = "rss"\nurl = "{server.base_url}/{n}.xml"\nname = "{n}"\n'
            for n in names
        )
    )
    return path


def rows(db: Path, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10) as connection:
        return connection.execute(sql).fetchall()


def fetched(db: Path) -> int:
    """Follows fetched so far (0 while the database is still being created)."""
    try:
        return int(rows(db, "SELECT count(*) FROM follows WHERE status = 'fetched'")[0][0])
    except sqlite3.OperationalError:
        return 0


async def test_readers_save_and_mark_read_while_the_daemon_writes_without_lock_errors(
    tmp_path: Path, daemons: list[Daemon]
) -> None:
    names = [f"feed{n}" for n in range(12)]
    routes = {f"/{n}.xml": Route(rss(n, range(5))) for n in names}
    with serve(routes) as server:
        # the feeds keep changing, so every cycle brings new entries to write
        stop_changing = threading.Event()

        def change() -> None:
            round_ = 5
            while not stop_changing.wait(0.3):
                round_ += 1
                for n in names:
                    server.routes[f"/{n}.xml"] = Route(rss(n, range(round_ - 5, round_)))

        changer = threading.Thread(target=change, daemon=True)
        changer.start()
        daemon = Daemon(tmp_path, feeds_toml(tmp_path / "feeds.toml", server, names))
        daemons.append(daemon)
        wait_until(lambda: daemon.db.exists() and daemon.cycles() >= 1, "a first cycle")

        errors: list[str] = []
        slowest = 0.0
        marks = 0
        async with await Store.open(daemon.db) as store:  # as the reader opens it
            deadline = time.monotonic() + 60
            while daemon.cycles() < 3 and time.monotonic() < deadline:
                page = await store.feed_page(FeedQuery(), limit=20)
                for story in page.stories[:5]:
                    started = time.monotonic()
                    try:
                        await store.set_read(story.id, not story.read)
                        await store.save(story.id, story.published, not story.saved)
                    except sqlite3.OperationalError as error:
                        errors.append(str(error))
                    slowest = max(slowest, time.monotonic() - started)
                    marks += 1
            count = await store.count(FeedQuery())
        stop_changing.set()
        changer.join()
        code, _ = daemon.stop()
    assert errors == []
    assert daemon.cycles() >= 3, daemon.log_text()
    assert marks > 50 and count > 5 * len(names)
    assert slowest < 2.0, f"a reader's write waited {slowest:.2f} s for the daemon"
    assert code == 0
    log = daemon.log_text()
    assert "database is locked" not in log and "Traceback" not in log
    assert "cycle 1: 12 sources polled" in log


def test_a_second_daemon_refuses_to_start_and_status_names_the_first(
    tmp_path: Path, daemons: list[Daemon]
) -> None:
    with serve({"/a.xml": Route(rss("a", range(3)))}) as server:
        config = feeds_toml(tmp_path / "feeds.toml", server, ["a"])
        first = Daemon(tmp_path, config)
        daemons.append(first)
        wait_until(lambda: first.cycles() >= 1, "the first daemon's first cycle")

        second = first.devfeed("poll", "--daemon")
        assert second.returncode == 2
        assert f"a devfeed daemon (pid {first.process.pid}" in second.stderr
        assert "is already polling" in second.stderr and str(first.db) in second.stderr
        once = first.devfeed("poll", "--once")
        assert once.returncode == 2 and f"pid {first.process.pid}" in once.stderr

        running = json.loads(first.devfeed("status", "--json").stdout)
        assert running["daemon"]["running"] is True
        assert running["daemon"]["pid"] == first.process.pid
        assert running["daemon"]["mode"] == "daemon"
        assert running["last_cycle"]["mode"] == "daemon" and running["last_cycle"]["sources"] == 1
        assert running["next_source"]["name"] == "a"
        assert first.stop()[0] == 0

    stopped = first.devfeed("status", "--json")
    assert stopped.returncode == 0
    assert json.loads(stopped.stdout)["daemon"] == {
        "running": False,
        "pid": None,
        "mode": None,
        "since": None,
    }
    text = first.devfeed("status").stdout
    assert "poller      not running" in text and "last cycle  " in text


def test_sigterm_mid_cycle_commits_what_was_fetched_and_exits_0_within_5_s(
    tmp_path: Path, daemons: list[Daemon]
) -> None:
    fast = [f"fast{n}" for n in range(5)]
    slow = [f"slow{n}" for n in range(3)]
    routes = {f"/{n}.xml": Route(rss(n, range(4))) for n in fast}
    routes.update({f"/{n}.xml": Route(rss(n, range(4)), delay=30) for n in slow})
    with serve(routes) as server:
        config = feeds_toml(tmp_path / "feeds.toml", server, fast + slow, extra='timeout = "60s"\n')
        daemon = Daemon(tmp_path, config)
        daemons.append(daemon)
        wait_until(lambda: fetched(daemon.db) == 5, "5 fetched")
        wait_until(lambda: len(server.seen) == 8, "the slow requests in flight")
        code, elapsed = daemon.stop()
    assert code == 0, daemon.process.stderr.read() if daemon.process.stderr else ""
    assert elapsed < 5.0
    assert rows(daemon.db, "PRAGMA integrity_check") == [("ok",)]
    polled = dict(rows(daemon.db, "SELECT label, status FROM follows"))
    assert polled == {n: "fetched" for n in fast}, "abandoned sources are not written"
    assert rows(daemon.db, "SELECT count(*) FROM entries")[0][0] == 5 * 4
    log = daemon.log_text()
    assert "abandoned 3 sources" in log and "cycle 1: 5 sources polled, 20 new stories" in log


def test_sighup_and_an_edited_feeds_toml_reload_the_follows(
    tmp_path: Path, daemons: list[Daemon]
) -> None:
    routes = {f"/{n}.xml": Route(rss(n, range(2))) for n in ("a", "b", "c")}
    with serve(routes) as server:
        config = feeds_toml(tmp_path / "feeds.toml", server, ["a"])
        daemon = Daemon(tmp_path, config)
        daemons.append(daemon)
        wait_until(lambda: server.requests_to("/a.xml"), "the first follow")

        feeds_toml(config, server, ["a", "b"])
        daemon.process.send_signal(signal.SIGHUP)
        wait_until(lambda: server.requests_to("/b.xml"), "the follow added before SIGHUP")

        config.write_text("[[follow]]\nthis is not toml")
        wait_until(lambda: "reload (feeds.toml changed) failed" in daemon.log_text(), "an error")
        asked = len(server.requests_to("/b.xml"))
        wait_until(lambda: len(server.requests_to("/b.xml")) > asked, "polling on, as before")

        feeds_toml(config, server, ["c"])  # no signal: the daemon sees the new mtime
        wait_until(lambda: server.requests_to("/c.xml"), "the follow added by editing")
        asked_a = len(server.requests_to("/a.xml"))
        time.sleep(1.5)  # over a 1 s interval: a removed follow must not be polled again
        assert len(server.requests_to("/a.xml")) == asked_a
        assert daemon.stop()[0] == 0
    log = daemon.log_text()
    assert "reloaded (SIGHUP): 2 follows, 1 added, 0 removed" in log
    assert "reloaded (feeds.toml changed): 1 follows, 1 added, 2 removed" in log


def test_a_failing_source_is_logged_backs_off_and_becomes_unhealthy(
    tmp_path: Path, daemons: list[Daemon]
) -> None:
    routes = {
        "/ok.xml": Route(rss("ok", range(2))),
        "/bad.xml": Route(b"", status=500),
    }
    with serve(routes) as server:
        config = feeds_toml(
            tmp_path / "feeds.toml", server, ["ok", "bad"], extra="unhealthy_after = 2\n"
        )
        daemon = Daemon(tmp_path, config, "-v")
        daemons.append(daemon)
        # 1 s interval: fails, waits 2 s (back-off), fails again: unhealthy, retried in hours
        wait_until(lambda: "unhealthy" in daemon.log_text(), "the source to turn unhealthy")
        status = json.loads(daemon.devfeed("status", "--json").stdout)
        assert daemon.stop()[0] == 0
    log = daemon.log_text()
    assert "failed bad (rss): HTTP 500 Internal Server Error (1 in a row); next try in 2s" in log
    assert "(2 in a row, unhealthy); next try in 6h" in log
    assert f"GET {server.base_url}/ok.xml -> 200" in log, "-v logs every request"
    assert len(server.requests_to("/bad.xml")) == 2
    assert [s["name"] for s in status["unhealthy"]] == ["bad"]
    assert status["unhealthy"][0]["failures"] == 2 and status["unhealthy"][0]["unhealthy"]


def test_the_notification_hook_runs_as_argv_with_a_sanitized_summary(tmp_path: Path) -> None:
    hook = tmp_path / "hook.py"
    said = tmp_path / "said.json"
    hook.write_text(f"import json, sys\nopen({str(said)!r}, 'w').write(json.dumps(sys.argv[1:]))\n")
    routes = {f"/{n}.xml": Route(rss(n, range(3))) for n in ("loud", "quiet")}
    with serve(routes) as server:
        config = tmp_path / "feeds.toml"
        config.write_text(
            f'[settings]\nnotify_command = [{json.dumps(sys.executable)}, "{hook}", "devfeed"]\n'
            f'[[follow]]\nplatform = "rss"\nurl = "{server.base_url}/loud.xml"\n'
            'name = "\\u001b]0;pwned\\u0007Loud \\u001b[31mblog"\nnotify = true\n'
            f'[[follow]]\nplatform = "rss"\nurl = "{server.base_url}/quiet.xml"\n'
        )
        base = ["--config", str(config), "--db", str(tmp_path / "d.db")]
        run = [sys.executable, "-m", "devfeed", *base, "poll", "--once"]
        first = subprocess.run(run, capture_output=True, text=True, timeout=60, check=False)
        assert first.returncode == 0, first.stderr
        assert not said.exists(), "a follow's first fetch is its backlog: no notification"
        routes["/loud.xml"].body = rss("loud", range(5))
        routes["/quiet.xml"].body = rss("quiet", range(5))
        second = subprocess.run(run, capture_output=True, text=True, timeout=60, check=False)
        assert second.returncode == 0, second.stderr
        assert json.loads(said.read_text()) == ["devfeed", "2 new stories: Loud blog (2)"]
        said.unlink()
        again = subprocess.run(run, capture_output=True, text=True, timeout=60, check=False)
        assert again.returncode == 0
    assert not said.exists(), "no new stories: no notification"


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pty")
def test_poll_once_on_a_terminal_shows_a_progress_bar(tmp_path: Path) -> None:
    with serve({f"/{n}.xml": Route(rss(n, range(2))) for n in ("a", "b", "c")}) as server:
        config = feeds_toml(tmp_path / "feeds.toml", server, ["a", "b", "c"])
        primary, secondary = os.openpty()
        env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "100"}
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "devfeed",
                "--config",
                str(config),
                "--db",
                str(tmp_path / "d.db"),
                "poll",
                "--once",
            ],
            stdout=subprocess.DEVNULL,
            stderr=secondary,
            stdin=subprocess.DEVNULL,
            env=env,
        )
        os.close(secondary)
        chunks: list[bytes] = []
        while True:
            try:
                chunk = os.read(primary, 65536)
            except OSError:  # EIO: the other side closed
                break
            if not chunk:
                break
            chunks.append(chunk)
        os.close(primary)
        assert process.wait(timeout=60) == 0
    shown = b"".join(chunks).decode("utf-8", "replace")
    assert "polling" in shown and "sources" in shown and "new stories" in shown
    assert "new      2  a (rss)" in shown, "new and failed sources still print above the bar"
    assert "unchanged" not in shown
    assert shown.rstrip().endswith("polled 3 sources: 6 new stories, 0 failed")


def test_the_notification_summary_is_short_sanitized_and_only_for_notify_follows() -> None:
    from devfeed.models import Follow, PollStatus
    from devfeed.notify import summary
    from devfeed.poller import SourceReport

    def report(name: str, new: int, notify: bool = True) -> SourceReport:
        follow = Follow(
            platform="rss", url=f"https://{len(name)}.example/f", name=name, notify=notify
        )
        return SourceReport(follow, PollStatus.FETCHED, new_entries=new, new_stories=new)

    assert summary([report("quiet", 4, notify=False), report("idle", 0)]) is None
    assert summary([report("one", 1)]) == "1 new story: one (1)"
    backlog = replace(report("new follow", 30), first_fetch=True)
    assert summary([backlog]) is None and summary([backlog, report("one", 1)]).endswith("(1)")
    many = [report(f"-feed {n}\x1b[2J" + "x" * 80, n + 1) for n in range(5)]
    text = summary(many)
    assert text is not None and text.startswith("15 new stories: -feed 0")
    assert "\x1b" not in text and len(text) <= 200 and text.endswith("2 more")


def test_the_systemd_units_run_commands_devfeed_accepts() -> None:
    from click.testing import CliRunner

    from devfeed.cli import main

    contrib = Path(__file__).resolve().parent.parent / "contrib"
    commands = {}
    for unit in ("devfeed.service", "devfeed-poll.service"):
        (line,) = [
            x for x in (contrib / unit).read_text().splitlines() if x.startswith("ExecStart=")
        ]
        binary, *args = line.removeprefix("ExecStart=").split()
        assert binary == "%h/.local/bin/devfeed"
        commands[unit] = args
        checked = CliRunner().invoke(main, [*args, "--help"])
        assert checked.exit_code == 0, checked.output
    assert commands == {
        "devfeed.service": ["poll", "--daemon"],
        "devfeed-poll.service": ["poll", "--once", "--due"],
    }
    timer = (contrib / "devfeed-poll.timer").read_text()
    assert "OnUnitActiveSec=15min" in timer
    assert "RestartPreventExitStatus=2" in (contrib / "devfeed.service").read_text()
