"""The core never imports the faces: checked by importing each core module alone."""

from __future__ import annotations

import subprocess
import sys

import pytest

CORE = [
    "devfeed.config",
    "devfeed.models",
    "devfeed.platforms",
    "devfeed.poller",
    "devfeed.dedup",
    "devfeed.store",
    "devfeed.export",
    "devfeed.sanitize",
    "devfeed.opener",
    "devfeed.htmltext",
    "devfeed.demo",
    "devfeed.api",
    "devfeed.lunch",
    "devfeed.pages",
    "devfeed.vault",
    "devfeed.following",  # with targets, opml and config_edit
    "devfeed.hints",
    "devfeed.refresh",
    "devfeed.schedule",
    "devfeed.limits",
    "devfeed.notify",
    "devfeed.daemon",
    "devfeed.words",
]


@pytest.mark.parametrize("module", CORE)
def test_a_core_module_loads_neither_textual_nor_click(module: str) -> None:
    # httpx imports click for its own command line when click is installed, and shrugs
    # when it is not: blocking click (and textual) makes any import of them by us fail.
    code = (
        "import sys\n"
        "sys.modules['click'] = None\n"
        "sys.modules['textual'] = None\n"
        f"import {module}\n"
        "bad = sorted(m for m in sys.modules if m.startswith(('devfeed.tui', 'devfeed.cli')))\n"
        "print(','.join(bad))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "", f"{module} pulled in {done.stdout.strip()}"


def test_the_reader_does_not_load_the_parse_pool_machinery() -> None:
    """pebble and multiprocessing are for polls of 100 follows or more; importing them with
    the reader cost its first paint ~30 ms (benchmarks/tui.py)."""
    heavy = "{'pebble', 'multiprocessing'}"
    code = f"import sys, devfeed.tui.app; print(sorted({heavy} & set(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
