"""The poller's WAL is checkpointed in the background, after groups of results, on a
connection and a thread of its own (`devfeed.store.checkpoint`)."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path

import pytest

from devfeed.store import Store, checkpoint
from tests.helpers import entry, follow, result


def batch(n: int, entries: int = 40) -> list:
    return [
        result(
            follow(f"https://feeds.example/{k}.xml"),
            [entry(k * 1000 + i, native_id=f"e-{k}-{i}") for i in range(entries)],
        )
        for k in range(n)
    ]


async def settled(store: Store) -> None:
    """Wait until no background checkpoint runs."""
    running = store._checkpointer._running if store._checkpointer else None
    if running is not None:
        await asyncio.wait_for(asyncio.shield(running), timeout=30)


async def test_a_poller_store_copies_the_wal_into_the_database_in_the_background(
    tmp_path: Path,
) -> None:
    path = tmp_path / "d.db"
    async with await Store.open(path, poller=True) as store:
        empty = path.stat().st_size
        await asyncio.gather(*(store.apply(r) for r in batch(5)))
        await settled(store)
        assert store._checkpointer is not None and store._checkpointer.done >= 1
        # the pages are in the database file itself, with the writer still open (its own
        # checkpoints start at 16,000 WAL pages, far beyond these)
        assert path.stat().st_size > empty
        copied = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        assert copied.execute("SELECT count(*) FROM entries").fetchone()[0] == 200
        copied.close()
    assert not [t for t in threading.enumerate() if t.name.startswith("devfeed-wal")]


async def test_checkpoints_are_spaced_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(checkpoint, "CHECKPOINT_EVERY_S", 3600.0)
    async with await Store.open(tmp_path / "d.db", poller=True) as store:
        for r in batch(4, entries=3):
            await store.apply(r)  # four groups, four commits
            await settled(store)
        assert store._checkpointer is not None and store._checkpointer.done == 1


async def test_a_failing_checkpoint_loses_no_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(_: object) -> sqlite3.Connection:
        raise sqlite3.OperationalError("unable to open database file")

    monkeypatch.setattr(checkpoint.Checkpointer, "_connect", refuse)
    path = tmp_path / "d.db"
    async with await Store.open(path, poller=True) as store:
        await asyncio.gather(*(store.apply(r) for r in batch(3)))
        await settled(store)
        assert store._checkpointer is not None and store._checkpointer.done == 0
    monkeypatch.undo()
    db = sqlite3.connect(path)
    assert db.execute("SELECT count(*) FROM entries").fetchone()[0] == 120
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    db.close()


async def test_only_the_poller_store_checkpoints_in_the_background(tmp_path: Path) -> None:
    async with await Store.open(tmp_path / "d.db") as store:
        assert store._checkpointer is None


async def test_a_checkpoint_that_crashes_does_not_keep_the_store_open(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def crash(_: object) -> sqlite3.Connection:
        raise RuntimeError("a bug")

    monkeypatch.setattr(checkpoint.Checkpointer, "_connect", crash)
    path = tmp_path / "d.db"
    store = await Store.open(path, poller=True)
    await store.apply(batch(1)[0])
    await asyncio.wait_for(store.close(), timeout=30)
    assert "background checkpoint" in caplog.text
    db = sqlite3.connect(path)
    assert db.execute("SELECT count(*) FROM entries").fetchone()[0] == 40
    db.close()
