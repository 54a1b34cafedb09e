"""Instructions the store's writer spends on new entries, counted by callgrind (issue 8).

On a noisy machine a wall-clock A/B run does not resolve a 10 % change; a count of
instructions does (two runs agree to ~0.03 %). This runs `ingest.apply_batch`, the
writer's transaction, on `--entries` prepared entries of `benchmarks/ingest.py`'s
synthetic stream (results of 40, `--together` results a transaction, automatic
checkpoints off), into an empty store and into a copy of `ingest.py`'s cached
pre-filled store, and prints a table. Under `--callgrind` it re-runs itself under
`valgrind --tool=callgrind --instr-atstart=no` and switches counting on only around the
`apply_batch` calls (`callgrind_control -i on|off`); without it, it prints CPU time.

The prepared entries are made in a child process and handed over pickled: the store's
process then starts with the caches of the dedup code cold, as in a poll, where the
parse workers prepare entries in processes of their own. User-space instructions only:
the kernel's part (WAL writes, page reads) is not counted.

    python benchmarks/ingest_count.py --callgrind            # empty and 1M stores
    python benchmarks/ingest_count.py --callgrind --prefill 0  # the empty store only
    python benchmarks/ingest_count.py --quick                  # a smoke run, CPU time

Run it on two commits (a `git worktree` of the older) to compare them.
"""

from __future__ import annotations

import argparse
import os
import pickle
import platform
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from itertools import islice
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import ingest as bench  # noqa: E402
from dedup_eval import synthetic  # noqa: E402

from devfeed.store import POLLER_CACHE_KIB  # noqa: E402
from devfeed.store.ingest import IngestPolicy, apply_batch  # noqa: E402

COUNTING = "DEVFEED_COUNT_INSTRUCTIONS"
"""Set in the child that runs under callgrind."""


def _prepare(out: Path, skip: int, entries: int) -> None:
    """Pickle `entries` prepared poll results of the synthetic stream after `skip` (run in a
    child process, so that the measuring process starts with cold caches)."""
    from devfeed.dedup import prepare_all

    stream = synthetic(2 * (skip + entries) + 4000)
    for _ in islice(stream, skip):
        pass
    results = bench._results(stream, entries, 40)
    ready = [r.model_copy(update={"prepared": prepare_all(r.entries)}) for r in results]
    out.write_bytes(pickle.dumps(ready, protocol=pickle.HIGHEST_PROTOCOL))


def _measure(store: Path, prepared: Path, together: int) -> float:
    """Apply the pickled results to `store`; CPU seconds inside `apply_batch` (counted
    by callgrind instead when running under it)."""
    results = pickle.loads(prepared.read_bytes())
    db = sqlite3.connect(store, isolation_level=None, check_same_thread=False)
    db.row_factory = sqlite3.Row
    for pragma in ("journal_mode = WAL", "synchronous = NORMAL", "foreign_keys = ON"):
        db.execute(f"PRAGMA {pragma}")
    db.execute(f"PRAGMA cache_size = -{POLLER_CACHE_KIB}")  # the poller's
    db.execute("PRAGMA wal_autocheckpoint = 0")  # the poller checkpoints off the writer
    counting = bool(os.environ.get(COUNTING))
    if counting:
        subprocess.run(["callgrind_control", "-i", "on", str(os.getpid())], check=True)
    started = time.process_time()
    for start in range(0, len(results), together):
        apply_batch(db, results[start : start + together], IngestPolicy())
    spent = time.process_time() - started
    if counting:
        subprocess.run(["callgrind_control", "-i", "off", str(os.getpid())], check=True)
    db.close()
    return spent


def _counted(store: Path, prepared: Path, together: int) -> int:
    """Instructions inside `apply_batch`, from a child run under callgrind."""
    with tempfile.TemporaryDirectory() as tmp:
        done = subprocess.run(
            [
                "valgrind",
                "--tool=callgrind",
                "--instr-atstart=no",
                f"--callgrind-out-file={tmp}/callgrind.out",
                sys.executable,
                __file__,
                "--child",
                str(store),
                str(prepared),
                str(together),
            ],
            env={**os.environ, COUNTING: "1"},
            capture_output=True,
            text=True,
        )
    found = re.search(r"Collected : (\d+)", done.stderr)
    if done.returncode != 0 or found is None:
        raise SystemExit(f"callgrind run failed:\n{done.stderr[-2000:]}")
    return int(found[1])


def _fresh_store(path: Path) -> None:
    """An empty store at `path`, made and migrated by `Store.open`."""
    import asyncio

    from devfeed.store import Store

    async def make() -> None:
        store = await Store.open(path)
        await store.close()

    asyncio.run(make())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=5000, help="entries measured")
    parser.add_argument("--together", type=int, default=25, help="results a transaction")
    parser.add_argument("--prefill", type=int, default=1_000_000, help="stories (0: none)")
    parser.add_argument("--callgrind", action="store_true", help="count instructions")
    parser.add_argument("--quick", action="store_true", help="a tiny run (a smoke test)")
    parser.add_argument(
        "--cache", type=Path, default=Path.home() / ".cache" / "devfeed-bench", help="store cache"
    )
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--prepare", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.prepare:
        out, skip, entries = args.prepare
        _prepare(Path(out), int(skip), int(entries))
        return 0
    if args.child:
        store, prepared, together = args.child
        _measure(Path(store), Path(prepared), int(together))
        return 0
    if args.quick:
        args.entries, args.prefill = min(args.entries, 200), min(args.prefill, 300)
    if args.callgrind and shutil.which("valgrind") is None:
        raise SystemExit("--callgrind needs valgrind (apt-get install valgrind)")
    unit = "instructions" if args.callgrind else "CPU seconds"
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, SQLite {sqlite3.sqlite_version}"
    )
    print(f"{args.entries} prepared entries, 40 a result, {args.together} results a transaction")
    print()
    print(f"| store | entries | {unit} | per entry |")
    print("|---|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        stores: list[tuple[str, Path, int]] = []
        empty = Path(tmp) / "empty.db"
        _fresh_store(empty)
        stores.append(("empty", empty, 0))
        if args.prefill:
            stream_size = 2 * (max(args.prefill, 1000) + args.entries)
            cached, used = bench._prefilled(args.cache, args.prefill, stream_size)
            stores.append((f"{args.prefill:,} stories", cached, used))
        for label, source, skip in stores:
            prepared = Path(tmp) / f"prepared-{skip}.pickle"
            subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--prepare",
                    str(prepared),
                    str(skip),
                    str(args.entries),
                ],
                check=True,
            )
            work = Path(tmp) / "work.db"
            shutil.copyfile(source, work)
            if args.callgrind:
                counted = _counted(work, prepared, args.together)
                spent, each = f"{counted:,}", f"{counted // args.entries:,}"
            else:
                seconds = _measure(work, prepared, args.together)
                spent, each = f"{seconds:.2f}", f"{seconds / args.entries * 1e6:.0f} µs"
            print(f"| {label} | {args.entries:,} | {spent} | {each} |", flush=True)
            for suffix in ("", "-wal", "-shm"):
                Path(f"{work}{suffix}").unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
