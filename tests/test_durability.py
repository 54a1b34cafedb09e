"""SQLite under pressure: every connection waits for a busy writer instead of failing,
writes take the write lock up front, and `kill -9` in the middle of a poll loses nothing
that was committed."""

from __future__ import annotations

import asyncio
import random
import signal
import sqlite3
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from devfeed.store import FeedQuery, Store
from devfeed.store.connection import BUSY_TIMEOUT_MS, write
from tests import hostile_server as hs
from tests.conftest import FROZEN_NOW
from tests.helpers import entry, follow, result


async def _pragma(store: Store, name: str) -> object:
    async with store._db.execute(f"PRAGMA {name}") as cursor:
        row = await cursor.fetchone()
    assert row is not None
    return row[0]


async def test_every_connection_waits_on_a_busy_database_and_syncs_normally(
    tmp_path: Path,
) -> None:
    async with await Store.open(tmp_path / "d.db") as store:
        assert await _pragma(store, "busy_timeout") == BUSY_TIMEOUT_MS
        assert await _pragma(store, "synchronous") == 1  # NORMAL: safe in WAL, fast
        assert await _pragma(store, "journal_mode") == "wal"
        assert await _pragma(store, "foreign_keys") == 1


async def test_a_write_takes_the_lock_at_begin_and_a_second_writer_waits(
    tmp_path: Path,
) -> None:
    path = tmp_path / "d.db"
    async with await Store.open(path) as first, await Store.open(path) as second:
        await first.apply(result(follow(), [entry(1)]))
        (story,) = (await first.feed_page(FeedQuery())).stories
        async with write(first._db):
            # BEGIN IMMEDIATE: the lock is held before any statement ran
            impatient = sqlite3.connect(path, timeout=0)
            try:
                impatient.execute("BEGIN IMMEDIATE")
                raise AssertionError("the write lock was not taken at BEGIN")
            except sqlite3.OperationalError as error:
                assert "locked" in str(error)
            finally:
                impatient.close()
            waiting = asyncio.create_task(second.save(story.id, FROZEN_NOW))
            await asyncio.sleep(0.3)
            assert not waiting.done(), "the second writer must wait for the first"
        saved = await asyncio.wait_for(waiting, 5)
        assert saved.saved


# -- kill -9 mid-poll --------------------------------------------------------------------------

FEEDS = 16
ITEMS = 25


def _feed(n: int) -> bytes:
    items = [(f"Feed {n} story {i}", f"https://kill.example/{n}/{i}") for i in range(ITEMS)]
    return hs.rss(items, title=f"Feed {n}").encode()


def _write_config(path: Path, base_url: str) -> None:
    follows = "".join(
        f'[[follow]]\nplatform = "rss"\nurl = "{base_url}/feed/{n}"\n' for n in range(FEEDS)
    )
    path.write_text(f'[settings]\nmax_concurrency = 4\ntimeout = "5s"\n{follows}')


POLLS = {"once": ["poll", "--once"], "daemon": ["poll", "--daemon", "-v"]}
"""How each kind of poller is started; each writes a line on stderr per source (`--once`)
or per request (the daemon with `-v`), which is what the kills count."""


def _poll(config: Path, db: Path, mode: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "devfeed", "--config", str(config), "--db", str(db), *POLLS[mode]],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _poll_to_the_end(config: Path, db: Path) -> int:
    command = [sys.executable, "-m", "devfeed", "--config", str(config), "--db", str(db), "poll"]
    return subprocess.run(command, capture_output=True, timeout=60).returncode


def _state(db: Path) -> tuple[str, list[tuple[str, str]], list[tuple[str, str]]]:
    with sqlite3.connect(db) as conn:
        (integrity,) = conn.execute("PRAGMA integrity_check").fetchone()
        stories = conn.execute("SELECT story_key, title FROM stories ORDER BY story_key").fetchall()
        follows = conn.execute("SELECT key, status FROM follows ORDER BY key").fetchall()
    conn.close()
    return integrity, stories, follows


def _kill_mid_poll(config: Path, db: Path, mode: str, chooser: random.Random) -> bool:
    """Start a poll and SIGKILL it after a random number of sources were written (a few
    milliseconds into the next ones); True when it was killed before it finished."""
    process = _poll(config, db, mode)
    assert process.stderr is not None
    for _ in range(chooser.randrange(1, FEEDS // 2)):
        if not process.stderr.readline():
            break
    time.sleep(chooser.uniform(0, 0.03))
    finished = process.poll() is not None
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=10)
    return not finished


def _lane(config: Path, db: Path, mode: str, seed: int, kills: int) -> int:
    chooser = random.Random(seed)  # reproducible kill points
    killed = 0
    for _ in range(kills):
        killed += _kill_mid_poll(config, db, mode, chooser)
        if db.exists():
            assert _state(db)[0] == "ok"
    return killed


@pytest.mark.parametrize("mode", ["once", "daemon"])
def test_kill_9_in_the_middle_of_polls_loses_nothing_and_the_next_poll_converges(
    tmp_path: Path, mode: str
) -> None:
    """20 polls (`--once`, or the daemon mid-cycle) killed with SIGKILL: the database stays
    intact, the poller lock dies with its holder, and one clean poll converges."""
    seconds_per_feed = 0.02
    holder: list[hs.HostileServer] = []
    routes: dict[str, hs.Route] = {}
    for n in range(FEEDS):

        def route(exchange: hs.Exchange, body: bytes = _feed(n)) -> None:
            if holder[0].stop.wait(seconds_per_feed):
                return
            exchange.send(body)

        routes[f"/feed/{n}"] = route
    config = tmp_path / "feeds.toml"
    lanes = [tmp_path / f"killed-{n}.db" for n in range(4)]  # 4 stores x 5 kills, at once
    with hs.serve(routes) as server:
        holder.append(server)
        _write_config(config, server.base_url)
        with ThreadPoolExecutor(len(lanes)) as pool:
            killed = list(
                pool.map(lambda n: _lane(config, lanes[n], mode, n, 5), range(len(lanes)))
            )
            assert sum(killed) >= 18, f"only {sum(killed)} of 20 polls were killed mid-way"
            assert list(pool.map(lambda db: _poll_to_the_end(config, db), lanes)) == [0] * 4
    every_title = sorted(f"Feed {n} story {i}" for n in range(FEEDS) for i in range(ITEMS))
    every_follow = sorted(f"rss:{server.base_url}/feed/{n}" for n in range(FEEDS))
    for db in lanes:
        integrity, stories, follows = _state(db)
        assert integrity == "ok"
        assert sorted(title for _, title in stories) == every_title, "each story once"
        assert [key for key, _ in follows] == every_follow
        assert all(status in ("fetched", "unchanged") for _, status in follows)
