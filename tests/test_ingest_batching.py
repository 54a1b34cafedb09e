"""Group commit: results handed to `Store.apply` while another write is under way are
written together in one transaction, each exactly as it would be alone."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

import httpx
import pytest

from devfeed import store as store_module
from devfeed.config import parse_config
from devfeed.models import PollResult
from devfeed.poller import Poller
from devfeed.reports import SourceReport
from devfeed.store import Store, ingest
from tests.conftest import FROZEN_NOW
from tests.dedup_cases import ENTRIES
from tests.helpers import follow, result
from tests.test_daemon import rss
from tests.test_store_filters import facet_drift

TABLES = ("follows", "stories", "entries", "sightings", "story_keys", "near_people", "story_facets")


def results() -> list[PollResult]:
    """The dedup cases spread over several follows, a few entries a result."""
    return [
        result(follow(f"https://feeds.example/{n}.xml"), ENTRIES[start : start + 3])
        for n, start in enumerate(range(0, len(ENTRIES), 3))
    ]


def dump(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    db = sqlite3.connect(path)
    tables = {name: sorted(db.execute(f"SELECT * FROM {name}")) for name in TABLES}
    db.close()
    return tables


def count_groups(monkeypatch: pytest.MonkeyPatch, groups: list[int] | None = None) -> list[int]:
    """The number of results in each transaction the store writes from now on
    (`ingest.apply_many`), appended to `groups` when given."""
    seen: list[int] = [] if groups is None else groups
    real = ingest.apply_many

    async def counting(db: Any, batch: Any, policy: Any = None) -> Any:
        seen.append(len(batch))
        return await real(db, batch, policy)

    monkeypatch.setattr(ingest, "apply_many", counting)
    return seen


async def test_results_written_together_equal_results_written_one_by_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    groups = count_groups(monkeypatch)
    async with await Store.open(tmp_path / "alone.db") as store:
        alone = [await store.apply(r) for r in results()]
    assert groups == [1] * len(results())
    groups.clear()
    async with await Store.open(tmp_path / "together.db") as store:
        together = await asyncio.gather(*(store.apply(r) for r in results()))
    assert together == alone
    assert sum(groups) == len(results()) and len(groups) < len(results())
    assert dump(tmp_path / "together.db") == dump(tmp_path / "alone.db")
    assert facet_drift(tmp_path / "together.db") == (set(), set())


async def test_a_result_that_cannot_be_written_fails_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    batch = results()
    bad = batch[1].follow.key
    real = ingest._apply_one

    def failing(db: sqlite3.Connection, one: PollResult, *rest: Any) -> Any:
        if one.follow.key == bad:
            raise sqlite3.OperationalError("disk I/O error")
        return real(db, one, *rest)

    monkeypatch.setattr(ingest, "_apply_one", failing)
    async with await Store.open(tmp_path / "d.db") as store:
        outcomes = await asyncio.gather(*(store.apply(r) for r in batch), return_exceptions=True)
        states = await store.fetch_states()
    assert isinstance(outcomes[1], sqlite3.OperationalError)
    assert all(not isinstance(o, BaseException) for n, o in enumerate(outcomes) if n != 1)
    assert bad not in states
    assert {r.follow.key for r in batch} - {bad} <= set(states)


async def test_the_write_finishes_when_its_caller_is_cancelled(tmp_path: Path) -> None:
    batch = results()
    async with await Store.open(tmp_path / "d.db") as store:
        first = asyncio.create_task(store.apply(batch[0]))
        second = asyncio.create_task(store.apply(batch[1]))
        await asyncio.sleep(0)
        second.cancel()
        await first
        with pytest.raises(asyncio.CancelledError):
            await second
    # closing waited for the write that was under way
    db = sqlite3.connect(tmp_path / "d.db")
    keys = {row[0] for row in db.execute("SELECT key FROM follows")}
    db.close()
    assert {batch[0].follow.key, batch[1].follow.key} <= keys


async def test_room_waits_while_too_many_entries_wait_to_be_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A poller asks for `room` before each fetch: what it parses faster than the store
    writes must wait on the server, not in memory."""
    monkeypatch.setattr(store_module, "BACKLOG_ENTRIES", 4)
    batch = results()
    async with await Store.open(tmp_path / "d.db") as store:
        await asyncio.wait_for(store.room(), timeout=5)  # nothing waits: at once
        writes = [asyncio.create_task(store.apply(r)) for r in batch]
        await asyncio.sleep(0)  # every result handed over, none written yet
        assert sum(len(r.entries) for r in batch) > 4
        waiting = asyncio.create_task(store.room())
        await asyncio.sleep(0)
        assert not waiting.done()
        await asyncio.wait_for(waiting, timeout=30)
        unwritten = [r for r, w in zip(batch, writes, strict=True) if not w.done()]
        assert sum(len(r.entries) for r in unwritten) <= 4
        await asyncio.gather(*writes)
        await asyncio.wait_for(store.room(), timeout=5)


async def test_a_poll_that_outruns_the_store_waits_for_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With no backlog allowed at all, every fetch waits for the writes before it, and the
    poll still ends with everything written."""
    monkeypatch.setattr(store_module, "BACKLOG_ENTRIES", 0)
    real = ingest.apply_many

    async def slow(db: Any, batch: Any, policy: Any = None) -> Any:
        await asyncio.sleep(0.05)  # a store slower than the fetches and the parses
        return await real(db, batch, policy)

    monkeypatch.setattr(ingest, "apply_many", slow)
    urls = [f"https://blog{n}.example/feed" for n in range(12)]
    backlog_at_fetch: list[int] = []
    store_of: list[Store] = []

    async def serve(request: httpx.Request) -> httpx.Response:
        backlog_at_fetch.append(store_of[0]._backlog)
        await asyncio.sleep(0.02)  # the next fetch starts when this one's result is written
        return httpx.Response(200, content=rss(request.url.host.split(".")[0], range(5)))

    follows = "".join(f'[[follow]]\nplatform = "rss"\nurl = "{u}"\n' for u in urls)
    # one fetch at a time: without `room`, each would start while the last result is written
    config = parse_config("[settings]\nmax_concurrency = 1\n" + follows)
    async with await Store.open(tmp_path / "d.db") as store:
        store_of.append(store)
        poller = Poller(config, store, transport=httpx.MockTransport(serve), now=lambda: FROZEN_NOW)
        reports = await asyncio.wait_for(poller.poll(), timeout=60)
    assert [r.label for r in reports] == ["new"] * len(urls)
    assert backlog_at_fetch == [0] * len(urls)


async def test_held_writes_wait_for_a_group_and_go_when_released(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In a large poll, results handed over one by one share a transaction; releasing the
    hold writes what waits at once, and a full group never waits."""
    groups = count_groups(monkeypatch)
    batch = results()
    async with await Store.open(tmp_path / "d.db") as store:
        store.hold_writes(60)
        writes = []
        for r in batch[:3]:
            writes.append(asyncio.create_task(store.apply(r)))
            await asyncio.sleep(0.05)  # each arrives alone, long after the last
        assert not any(w.done() for w in writes)
        store.hold_writes(0)
        await asyncio.wait_for(asyncio.gather(*writes), timeout=10)
        assert groups == [3]

        monkeypatch.setattr(store_module, "GROUP_ENTRIES", len(batch[3].entries))
        store.hold_writes(60)
        await asyncio.wait_for(store.apply(batch[3]), timeout=10)  # a full group goes
        assert groups == [3, 1]

        monkeypatch.undo()  # groups of 2,000 entries again: these few never fill one
        count_groups(monkeypatch, groups)
        store.hold_writes(0.3)
        held = asyncio.create_task(store.apply(batch[4]))
        await asyncio.sleep(0.1)
        assert not held.done()  # waiting for others
        await asyncio.wait_for(held, timeout=10)  # the hold ran out
        assert groups == [3, 1, 1]
        store.hold_writes(60)
        closing = asyncio.create_task(store.apply(batch[5]))
        await asyncio.sleep(0.05)
        assert not closing.done()
        await asyncio.wait_for(store.close(), timeout=10)  # ends the hold, writes at once
        assert groups == [3, 1, 1, 1]
        await asyncio.wait_for(closing, timeout=10)


async def test_a_large_poll_groups_its_writes_and_does_not_wait_at_its_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from devfeed import poller as poller_module

    groups = count_groups(monkeypatch)
    monkeypatch.setattr(poller_module, "MIN_SOURCES", 5)
    monkeypatch.setattr(poller_module, "GROUP_WAIT_S", 60.0)
    # a group is 4 of these results (3 entries each)
    monkeypatch.setattr(poller_module, "GROUP_ENTRIES", 12)
    failing: set[str] = set()

    async def serve(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0.01)
        if request.url.host in failing:
            return httpx.Response(500)
        return httpx.Response(200, content=rss(request.url.host.split(".")[0], range(3)))

    urls = [f"https://blog{n}.example/feed" for n in range(8)]
    follows = "".join(f'[[follow]]\nplatform = "rss"\nurl = "{u}"\n' for u in urls)
    config = parse_config("[settings]\nmax_concurrency = 2\n" + follows)

    async def poll(path: Path) -> list[SourceReport]:
        groups.clear()
        async with await Store.open(path) as store:
            poller = Poller(
                config, store, transport=httpx.MockTransport(serve), now=lambda: FROZEN_NOW
            )
            # well within the hold: the last fetch's end (or the sources still out) ends it
            return await asyncio.wait_for(poller.poll(), timeout=30)

    # sources of 3 entries each, fewer than EARLY_WRITE_MEAN_ENTRIES: held to the end
    reports = await poll(tmp_path / "few.db")
    assert [r.label for r in reports] == ["new"] * len(urls)
    assert groups == [len(urls)]
    # sources that bring nothing (failures, like unchanged ones): held to the end
    failing.update(f"blog{n}.example" for n in range(8))
    reports = await poll(tmp_path / "failed.db")
    assert [r.label for r in reports] == ["failed"] * len(urls)
    assert groups == [len(urls)]
    failing.clear()
    # sources that bring enough entries: held only until the 3 still out could not fill a
    # group (after 5), then written as they come, with no last full group to wait for
    monkeypatch.setattr(poller_module, "EARLY_WRITE_MEAN_ENTRIES", 3)
    reports = await poll(tmp_path / "many.db")
    assert [r.label for r in reports] == ["new"] * len(urls)
    assert sum(groups) == len(urls)
    assert groups[0] >= 5 and len(groups) >= 2, groups
    # a small poll writes each result as it comes
    groups.clear()
    async with await Store.open(tmp_path / "many.db") as store:
        one = f'[[follow]]\nplatform = "rss"\nurl = "{urls[0]}"\n'
        small = parse_config("[settings]\nmax_concurrency = 1\n" + one)
        poller = Poller(small, store, transport=httpx.MockTransport(serve), now=lambda: FROZEN_NOW)
        await asyncio.wait_for(poller.poll(), timeout=30)
        assert groups == [1]
