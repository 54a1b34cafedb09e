"""Command-line details a script or a user meets: flags that do not go together, and
what `devfeed sources` says about paused and unhealthy follows."""

from __future__ import annotations

import asyncio
import gc
import importlib
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from devfeed import api
from devfeed.__main__ import main as main_entry
from devfeed.cli import main as cli
from devfeed.collector import FEWER_COLLECTIONS_THRESHOLD, fewer_collections
from devfeed.config import load_config
from devfeed.store import Store
from tests.conftest import FROZEN_NOW, REPO


@pytest.mark.parametrize("extra", [["--due"], ["--source", "A"]])
def test_the_daemon_refuses_once_only_flags(tmp_path: Path, extra: list[str]) -> None:
    config = tmp_path / "feeds.toml"
    config.write_text('[[follow]]\nplatform = "rss"\nurl = "http://127.0.0.1:9/f"\nname = "A"\n')
    base = ["--config", str(config), "--db", str(tmp_path / "d.db"), "poll", "--daemon"]
    shown = CliRunner().invoke(cli, [*base, *extra])
    assert shown.exit_code == 2 and "go with --once, not with --daemon" in shown.output
    assert not (tmp_path / "d.db.lock").exists()  # refused before anything started


def test_sources_says_which_follows_are_paused(tmp_path: Path) -> None:
    path = tmp_path / "feeds.toml"
    path.write_text(
        '[[follow]]\nplatform = "rss"\nurl = "http://127.0.0.1:9/a"\nname = "Kept"\n'
        '[[follow]]\nplatform = "rss"\nurl = "http://127.0.0.1:9/b"\nname = "Resting"\n'
    )
    resting = load_config(path, explicit=True).follows[1]

    async def pause() -> None:
        async with await Store.open(tmp_path / "d.db") as store:
            await store.set_paused(resting, FROZEN_NOW)

    asyncio.run(pause())
    shown = CliRunner().invoke(
        cli, ["--config", str(path), "--db", str(tmp_path / "d.db"), "sources"]
    )
    lines = {line.split()[1]: line for line in shown.output.splitlines()}
    assert "paused (never polled)" in lines["Resting"]
    assert "paused" not in lines["Kept"] and "never polled" in lines["Kept"]


def test_every_config_problem_is_one_error_line(tmp_path: Path) -> None:
    path = tmp_path / "feeds.toml"
    path.write_text("[settings]\ntimeout = 0\nfoo = 1\n")
    shown = CliRunner().invoke(cli, ["--config", str(path), "--db", str(tmp_path / "d"), "sources"])
    lines = shown.output.splitlines()
    assert shown.exit_code == 2 and len(lines) == 2
    assert all(line.startswith(f"devfeed: error: {path}: [settings]: ") for line in lines)
    assert "like '1m' or '1s'" in lines[0] and "foo: unknown field" in lines[1]


def test_fewer_collections_restores_the_collector_even_on_error() -> None:
    before, frozen = gc.get_threshold(), gc.get_freeze_count()
    with pytest.raises(RuntimeError), fewer_collections(freeze=True):
        assert gc.get_threshold()[0] == FEWER_COLLECTIONS_THRESHOLD
        assert gc.get_freeze_count() > 0  # what was loaded is out of the collector's way
        raise RuntimeError("the poll failed")
    assert gc.get_threshold() == before and gc.get_freeze_count() == frozen


def test_fewer_collections_leaves_a_callers_frozen_objects_frozen() -> None:
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        with fewer_collections(freeze=True):
            assert gc.get_threshold()[0] == FEWER_COLLECTIONS_THRESHOLD
        assert gc.get_freeze_count() >= frozen > 0
    finally:
        gc.unfreeze()


@pytest.mark.parametrize(
    ("mode", "threshold"), [("--once", FEWER_COLLECTIONS_THRESHOLD), ("--daemon", None)]
)
def test_a_single_poll_collects_garbage_less_often(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: str, threshold: int | None
) -> None:
    """`poll --once` runs with the poll's collector settings and leaves the process's own
    as they were (a script may run the command in-process; the reader's `R` runs it in a
    child); the daemon, which lives for days, keeps Python's (with the poll's, it grew by
    half in a soak)."""
    seen: list[int] = []

    async def poll(*_: object, **__: object) -> list[object]:
        seen.append(gc.get_threshold()[0])
        return []

    monkeypatch.setattr(api, "poll", poll)
    monkeypatch.setattr(api, "run_daemon", poll)
    config = tmp_path / "feeds.toml"
    config.write_text('[[follow]]\nplatform = "rss"\nurl = "http://127.0.0.1:9/f"\n')
    before, frozen = gc.get_threshold(), gc.get_freeze_count()
    shown = CliRunner().invoke(
        cli, ["--config", str(config), "--db", str(tmp_path / "d.db"), "poll", mode]
    )
    assert shown.exit_code == 0, shown.output
    assert seen == [threshold or before[0]]
    assert gc.get_threshold() == before and gc.get_freeze_count() == frozen


def test_the_command_imports_itself_with_fewer_collections() -> None:
    """The `devfeed` script and `python -m devfeed` enter at `devfeed.__main__.main`, which
    imports the command with the higher threshold and restores Python's before it runs."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    module, _, name = project["project"]["scripts"]["devfeed"].partition(":")
    assert getattr(importlib.import_module(module), name) is main_entry
    code = (
        "import gc, sys\n"
        "seen = []\n"
        "class Probe:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'devfeed.cli':\n"
        "            seen.append(gc.get_threshold()[0])\n"
        "sys.meta_path.insert(0, Probe())\n"
        "sys.argv = ['devfeed', '--help']\n"
        "from devfeed.__main__ import main\n"
        "try:\n"
        "    main()\n"
        "except SystemExit as done:\n"
        "    assert not done.code\n"
        "print(seen, gc.get_threshold()[0], file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO
    )
    assert "Usage: devfeed" in done.stdout
    assert done.stderr.split() == [f"[{FEWER_COLLECTIONS_THRESHOLD}]", str(gc.get_threshold()[0])]


def test_the_command_ends_without_a_full_collection(tmp_path: Path) -> None:
    """The `devfeed` entry point freezes every object as the process ends, after every
    other exit handler, so CPython's collections at interpreter teardown walk nothing."""
    script = (
        "import atexit, gc, sys\n"
        "atexit.register(lambda: print('frozen at exit:', gc.get_freeze_count() > 0))\n"
        "from devfeed.__main__ import main\n"
        "gc.unfreeze()\n"
        "sys.argv = ['devfeed', '--help']\n"
        "main()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.rstrip().endswith("frozen at exit: True")
