"""How often the garbage collector runs in the `devfeed` command's processes.

CPython walks the young objects every 700 net container allocations. Two moments of the
command allocate much and free little, and run with `fewer_collections`:
- the imports at start (modules, classes, pydantic's models): ~20 ms of collections
  before any command runs, ~65 ms with the reader;
- a poll (`poll --once`): every parsed feed is unpickled and waits until it is written,
  ~1 s of collections in a 1,000-feed first poll.

The processes that live long keep Python's settings: the reader (which freezes what it has
loaded once the app is built) and the daemon (with fewer collections, its memory grew by
half in a soak). See BENCHMARKS.md, issue 8.

And every `devfeed` process skips the full collection CPython runs while it ends
(`no_collection_at_exit`).
"""

from __future__ import annotations

import atexit
import gc
from collections.abc import Iterator
from contextlib import contextmanager

FEWER_COLLECTIONS_THRESHOLD = 100_000
"""Net container allocations between young collections inside `fewer_collections`
(Python's default: 700)."""


@contextmanager
def fewer_collections(*, freeze: bool = False) -> Iterator[None]:
    """Collect garbage less often inside this block: reference counting frees nearly all
    of what it allocates anyway; cycles are still collected, every
    `FEWER_COLLECTIONS_THRESHOLD` net allocations and in full at most every 100 young
    collections (CPython 3.11–3.13's generational collector; 3.14's incremental one reads
    only the first two numbers). With `freeze`, what is loaded before the block (modules,
    classes, the config) is frozen out of every collection's way, unless objects were
    frozen already (unfreezing would then thaw those too). Restored on exit."""
    threshold = gc.get_threshold()
    thaw = freeze and gc.get_freeze_count() == 0
    if thaw:
        gc.freeze()
    gc.set_threshold(FEWER_COLLECTIONS_THRESHOLD, 10, 10)
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        if thaw:
            gc.unfreeze()


def no_collection_at_exit() -> None:
    """Freeze every object once the process is ending (the last exit handler, when called
    before any other is registered): CPython then skips the full collections it runs while
    it tears the interpreter down, which only find the garbage of a process about to end.
    After a 1,000-feed first poll, ~0.1 s sooner (from the last exit handler to the end
    of the process, medians of six first polls: 0.245 -> 0.14 s). Python never
    promised to run the finalizers of what is still alive at exit; devfeed closes its
    database and its files itself, and CPython flushes the standard streams anyway."""
    atexit.register(gc.freeze)
