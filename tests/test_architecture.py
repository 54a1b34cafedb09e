"""The core never imports the faces: checked by importing each core module alone."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
"""The checkout under test: each probe runs there, so it imports this `devfeed`."""

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
    "devfeed.reports",
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
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "", f"{module} pulled in {done.stdout.strip()}"


def test_the_reader_does_not_load_the_parse_pool_machinery() -> None:
    """pebble and multiprocessing are for polls of 100 follows or more; importing them with
    the reader cost its first paint ~30 ms (benchmarks/tui.py)."""
    heavy = "{'pebble', 'multiprocessing'}"
    code = f"import sys, devfeed.tui.app; print(sorted({heavy} & set(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert done.stdout.strip() == "[]"


POLL_PATH = (
    "httpx",
    "feedparser",
    "selectolax",
    "yaml",
    "tomlkit",
    "defusedxml",
    "w3lib",
    "numpy",
    "devfeed.poller",
    "devfeed.fetch",
    "devfeed.platforms",
    "devfeed.pages",
    "devfeed.parsepool",
)
"""What only fetching, parsing, fingerprinting a feed's entries, writing notes, editing
feeds.toml or checking a URL with a port, an IP address or non-ASCII needs."""


def _loaded(code: str) -> list[str]:
    """The modules of `POLL_PATH` loaded once `code` has run in a fresh interpreter."""
    probe = f"{code}\nprint('LOADED', *sorted(set(sys.modules) & {set(POLL_PATH)!r}))"
    done = subprocess.run(
        [sys.executable, "-c", f"import sys\n{probe}"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return done.stdout.splitlines()[-1].split()[1:]


def test_the_command_and_the_reader_start_without_the_poll_path() -> None:
    """The `devfeed` command, the reader and the commands that only read the store import
    neither the HTTP client, the parsers and platforms, nor the YAML and TOML writers:
    together they cost the start of each ~0.13 s (`benchmarks/tui.py`, "from launch")."""
    assert _loaded("import devfeed.cli, devfeed.tui.app") == []


@pytest.mark.parametrize("command", [["--help"], ["list", "--json"], ["sources"], ["status"]])
def test_a_command_that_only_reads_runs_without_the_poll_path(
    command: list[str], tmp_path: Path
) -> None:
    # the real command, start to end, with the starter feeds.toml (every platform's URLs)
    argv = ["devfeed", "--config", str(ROOT / "feeds.toml"), "--db", str(tmp_path / "d.db")]
    code = (
        "import runpy\n"
        f"sys.argv = {[*argv, *command]!r}\n"
        "try:\n"
        "    runpy.run_module('devfeed', run_name='__main__')\n"
        "except SystemExit as done:\n"
        "    assert not done.code, done.code\n"
    )
    assert _loaded(code) == []


def test_the_poll_path_is_there_when_a_poll_runs() -> None:
    # the other side of the tests above: the probe sees a module when it is loaded
    loaded = _loaded("import devfeed.poller")
    assert {"httpx", "feedparser", "devfeed.fetch", "devfeed.platforms"} <= set(loaded)
    assert "httpx" in _loaded("from devfeed.sanitize import safe_url\nsafe_url('http://a.b:81/')")
