"""The poller's WAL is checkpointed in the background, after groups of results, on a
connection and a thread of its own (`devfeed.store.checkpoint`)."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
import threading
from pathlib import Path

import pytest

from devfeed.models import PollResult
from devfeed.store import Store, checkpoint
from tests.helpers import entry, follow, result


def batch(n: int, entries: int = 40) -> list[PollResult]:
    return [
        result(
            follow(f"https://feeds.example/{k}.xml"),
            [entry(k * 1000 + i, native_id=f"e-{k}-{i}") for i in range(entries)],
        )
        for k in range(n)
    ]


def checkpointer(store: Store) -> checkpoint.Checkpointer:
    assert store._checkpointer is not None, "a poller's store checkpoints in the background"
    return store._checkpointer


def entries_in_the_file_alone(path: Path, tmp_path: Path) -> int:
    """Entries in the database file itself, without its WAL (a copy of the file alone)."""
    alone = tmp_path / "alone.db"
    shutil.copyfile(path, alone)
    db = sqlite3.connect(alone)
    try:
        return int(db.execute("SELECT count(*) FROM entries").fetchone()[0])
    finally:
        db.close()


async def test_a_poller_store_copies_the_wal_into_the_database_in_the_background(
    tmp_path: Path,
) -> None:
    path = tmp_path / "d.db"
    async with await Store.open(path, poller=True) as store:
        await asyncio.gather(*(store.apply(r) for r in batch(5)))
        await checkpointer(store).wait()
        # in the database file itself while the writer is still open (its own
        # checkpoints start at 16,000 WAL pages, far beyond these)
        assert entries_in_the_file_alone(path, tmp_path) == 200
        assert checkpointer(store).copied == 1
    assert not [t for t in threading.enumerate() if t.name.startswith("devfeed-wal")]


async def test_commits_between_checkpoints_are_checkpointed_when_the_interval_ends(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(checkpoint, "CHECKPOINT_EVERY_S", 0.3)
    path = tmp_path / "d.db"
    async with await Store.open(path, poller=True) as store:
        results = batch(3, entries=3)
        for r in results:  # three commits in a row: one checkpoint now, one planned
            await store.apply(r)
        await checkpointer(store).wait()
        assert checkpointer(store).copied == 1
        for _ in range(100):  # the planned one covers the two later commits
            if checkpointer(store).copied == 2:
                break
            await asyncio.sleep(0.05)
        await checkpointer(store).wait()
        assert checkpointer(store).copied == 2
        assert entries_in_the_file_alone(path, tmp_path) == 9


async def test_checkpoints_are_spaced_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(checkpoint, "CHECKPOINT_EVERY_S", 3600.0)
    async with await Store.open(tmp_path / "d.db", poller=True) as store:
        for r in batch(4, entries=3):
            await store.apply(r)  # four groups, four commits
            await checkpointer(store).wait()
        assert checkpointer(store).copied == 1


async def test_a_failing_checkpoint_loses_no_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(_: object) -> sqlite3.Connection:
        raise sqlite3.OperationalError("unable to open database file")

    monkeypatch.setattr(checkpoint.Checkpointer, "_connect", refuse)
    path = tmp_path / "d.db"
    async with await Store.open(path, poller=True) as store:
        await asyncio.gather(*(store.apply(r) for r in batch(3)))
        await checkpointer(store).wait()
        assert checkpointer(store).copied == 0
    db = sqlite3.connect(path)
    assert db.execute("SELECT count(*) FROM entries").fetchone()[0] == 120
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    db.close()


async def test_a_checkpoint_that_crashes_is_logged_and_the_store_still_closes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def crash(_: object) -> sqlite3.Connection:
        raise RuntimeError("a bug")

    monkeypatch.setattr(checkpoint.Checkpointer, "_connect", crash)
    path = tmp_path / "d.db"
    store = await Store.open(path, poller=True)
    await store.apply(batch(1)[0])
    await asyncio.wait_for(store.close(), timeout=30)
    await asyncio.wait_for(store.close(), timeout=30)  # twice: nothing left to do
    assert "background checkpoint" in caplog.text and "a bug" in caplog.text
    db = sqlite3.connect(path)
    assert db.execute("SELECT count(*) FROM entries").fetchone()[0] == 40
    db.close()


async def test_only_the_poller_store_checkpoints_in_the_background(tmp_path: Path) -> None:
    async with await Store.open(tmp_path / "d.db") as store:
        assert store._checkpointer is None
