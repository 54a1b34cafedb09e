"""Opening the SQLite file: pragmas, the application id, numbered migrations.

The only place that creates connections. WAL lets one writer (the poller) and many
readers (TUI, CLI) work at once; every write elsewhere goes through `write()`.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any, TypeVar, cast

import aiosqlite

from devfeed.errors import StoreError
from devfeed.store.schema import APPLICATION_ID, MIGRATIONS, REBUILDS, SCHEMA_VERSION

BUSY_TIMEOUT_MS = 10_000
MIGRATION_WAIT_MS = 300_000
"""How long opening a store that needs migrations waits for the write lock (another
devfeed migrating it, or writing)."""
LARGE_STORE = 100_000
"""Stories (by the highest id) from which opening a database that needs migrations says
so first: migration 11 rebuilds `stories`, 18 s for a 1M-story store on a slow 2-core
machine, and the reader would otherwise sit on a blank terminal meanwhile."""
NEAR_PEOPLE_VERSION = 9
"""The migration whose table is filled by Python (fingerprints of the stored entries)."""
_T = TypeVar("_T")
log = logging.getLogger(__name__)


async def connect(path: Path) -> aiosqlite.Connection:
    """Open (creating and migrating when needed) the database at `path`."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # open it once in this thread first: when aiosqlite's own open fails, its worker
        # thread outlives the error and prints tracebacks once the event loop is closed
        sqlite3.connect(path).close()
        db = await aiosqlite.connect(path, isolation_level=None)
    except (OSError, sqlite3.Error) as error:
        raise StoreError(f"cannot open the database {path}: {error}") from None
    try:
        db.row_factory = aiosqlite.Row
        await db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        await db.execute("PRAGMA foreign_keys = ON")
        await _check_and_migrate(db, path)
        await db.execute("PRAGMA journal_mode = WAL")
        await db.execute("PRAGMA synchronous = NORMAL")
    except sqlite3.DatabaseError as error:
        await db.close()
        raise StoreError(f"{path} is not a usable devfeed database: {error}") from None
    except BaseException:
        await db.close()
        raise
    return db


def connect_for_checkpoints(path: Path) -> sqlite3.Connection:
    """A plain connection to an existing database that only checkpoints its WAL (see
    `checkpoint`), with the writers' durability: `synchronous = NORMAL` syncs the WAL
    before a checkpoint and the database after it."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous = NORMAL")
    return conn


async def _pragma_int(db: aiosqlite.Connection, name: str) -> int:
    async with db.execute(f"PRAGMA {name}") as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def _check_and_migrate(db: aiosqlite.Connection, path: Path) -> None:
    version = await _pragma_int(db, "user_version")
    app_id = await _pragma_int(db, "application_id")
    if version == 0 and app_id == 0:
        async with db.execute("SELECT count(*) FROM sqlite_schema") as cursor:
            row = await cursor.fetchone()
        if row and row[0]:
            raise StoreError(f"{path} is an SQLite file that devfeed did not create")
    elif app_id != APPLICATION_ID:
        raise StoreError(f"{path} is not a devfeed database (application_id {app_id:#x})")
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"{path} was written by a newer devfeed (schema {version}, this one knows "
            f"{SCHEMA_VERSION}); upgrade devfeed"
        )
    if 0 < version < SCHEMA_VERSION:
        async with db.execute("SELECT coalesce(max(id), 0) FROM stories") as cursor:
            row = await cursor.fetchone()
        stories = int(row[0]) if row else 0
        if stories >= LARGE_STORE:
            log.warning(
                "upgrading %s from schema %d to %d, once: with ~%s stories this can take a "
                "minute, and other devfeed processes wait for it",
                path,
                version,
                SCHEMA_VERSION,
                f"{stories:,}",
            )
    for number in range(version + 1, SCHEMA_VERSION + 1):
        rebuild = number in REBUILDS
        try:
            if rebuild:
                await db.execute("PRAGMA foreign_keys = OFF")
            await _begin_migration(db, path)
            # another devfeed may have run this migration while this one waited
            if await _pragma_int(db, "user_version") >= number:
                await db.execute("ROLLBACK")
                continue
            try:
                for statement in _statements(MIGRATIONS[number - 1]):
                    await db.execute(statement)
                if number == NEAR_PEOPLE_VERSION:
                    from devfeed.store.ingest import fill_near_people  # it imports this module

                    await run(db, fill_near_people)
                await db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                await db.execute(f"PRAGMA user_version = {number}")
                await db.execute("COMMIT")
            except BaseException:
                await db.execute("ROLLBACK")
                raise
        finally:
            if rebuild:
                await db.execute("PRAGMA legacy_alter_table = OFF")
                await db.execute("PRAGMA foreign_keys = ON")


async def _begin_migration(db: aiosqlite.Connection, path: Path) -> None:
    """`BEGIN IMMEDIATE` for a migration, waiting up to `MIGRATION_WAIT_MS` for the write
    lock: another devfeed may be migrating the same store, which takes longer than the
    usual wait at 1M stories."""
    await db.execute(f"PRAGMA busy_timeout = {MIGRATION_WAIT_MS}")
    try:
        await db.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as error:
        if "locked" not in str(error) and "busy" not in str(error):
            raise
        raise StoreError(
            f"cannot upgrade {path}: another program held it for "
            f"{MIGRATION_WAIT_MS // 1000} s ({error}); try again"
        ) from None
    finally:
        await db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")


def _statements(script: str) -> list[str]:
    """Split a migration into statements (triggers hold `;` inside BEGIN ... END)."""
    statements: list[str] = []
    current = ""
    for line in script.splitlines(keepends=True):
        current += line
        if sqlite3.complete_statement(current):
            statements.append(current.strip())
            current = ""
    if current.strip():
        statements.append(current.strip())
    return statements


@asynccontextmanager
async def write(db: aiosqlite.Connection) -> AsyncIterator[aiosqlite.Connection]:
    """One short write transaction: `BEGIN IMMEDIATE` ... `COMMIT`, rolled back on error."""
    await db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        await db.execute("ROLLBACK")
        raise
    await db.execute("COMMIT")


async def run(
    db: aiosqlite.Connection,
    function: Callable[..., _T],
    *args: Any,
) -> _T:
    """Call `function(conn, *args)` with the underlying `sqlite3.Connection` on the
    connection's own thread, in one hop: a whole transaction this way costs one round trip
    instead of one per statement, and never waits for the event loop while it holds the
    write lock. `function` must not block on anything but SQLite."""
    # aiosqlite runs every call on its thread through this queue (its public methods do
    # the same for one statement each)
    submit = cast(Callable[..., Any], db._execute)
    return cast(_T, await submit(function, db._conn, *args))


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """`write()` for synchronous code on the connection's thread (see `run`)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
