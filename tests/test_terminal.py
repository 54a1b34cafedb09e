"""The real reader in a real pseudo-terminal, on a store holding hostile text: every byte
the app writes to the terminal is captured, and none of the data's escape sequences, nor
their payloads, may be among them.

The hostile strings are written to the store as they are (the store does not clean
anything), so this checks the display boundary itself, not the parsers in front of it.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import pty
import select
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from devfeed.store import Store
from tests import hostile_server as hs
from tests.helpers import entry, follow, result

MARKUP_TITLE = "Markup [@click=app.quit]quit[/] and [/bogus] and [bold red]loud[/]"
PAYLOADS = [
    b"\x1b]52",  # clipboard write
    b"cm0gLXJmIH4=",  # its payload
    b"pwned-title",  # the window title an OSC 0 would set
    b"evil.example",  # the OSC 8 hyperlink target
    b"\x1b]8;;https",
    b"\x9b",  # 8-bit CSI
    b"\x1b[2J\x1b[31m",  # the data's own clear-and-red pair
]


async def seed(path: Path) -> None:
    stories = [
        entry(
            n,
            title=title,
            author=f"Mallory {hs.OSC52}",
            text=f"Body {hs.CSI}{hs.TITLE_SET} text {hs.OSC8}\n\x9b31m 8-bit",
            tags=(f"tag{hs.OSC52}",),
            url=None,
        )
        for n, title in enumerate(hs.HOSTILE_TITLES)
    ]
    async with await Store.open(path) as store:
        await store.apply(result(follow(name=f"Feed {hs.TITLE_SET}"), stories))


def read_until(fd: int, wanted: bytes, captured: bytearray, seconds: float) -> bool:
    """Read the terminal into `captured` until `wanted` was written (or time is up)."""
    deadline = time.monotonic() + seconds
    while wanted not in captured and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.05)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                return wanted in captured
            if not chunk:
                return wanted in captured
            captured.extend(chunk)
    return wanted in captured


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
def test_the_reader_in_a_pty_writes_no_escape_sequence_from_the_data(tmp_path: Path) -> None:
    db = tmp_path / "hostile.db"
    asyncio.run(seed(db))
    config = tmp_path / "feeds.toml"
    config.write_text("[settings]\n")
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 140, 0, 0))
    env = {**os.environ, "TERM": "xterm-256color", "COLORTERM": "truecolor"}
    process = subprocess.Popen(
        [sys.executable, "-m", "devfeed", "--config", str(config), "--db", str(db), "tui"],
        stdin=follower,
        stdout=follower,
        stderr=follower,
        env=env,
        start_new_session=True,
    )
    os.close(follower)
    captured = bytearray()
    try:
        assert read_until(leader, b"grab", captured, 20), bytes(captured[-2000:])
        for key in (b"j", b"j", b"j", b"\r"):  # down to the markup title, open the preview
            os.write(leader, key)
            read_until(leader, b"\x00never\x00", captured, 0.4)
        assert read_until(leader, b"8-bit", captured, 5), "the preview did not show"
        assert process.poll() is None, "the app stopped: markup from the data ran an action"
        os.write(leader, b"\x1b")
        read_until(leader, b"\x00never\x00", captured, 0.3)
        os.write(leader, b"q")
        assert process.wait(timeout=10) == 0
        read_until(leader, b"\x00never\x00", captured, 0.2)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(leader)
    screen = bytes(captured)
    for payload in PAYLOADS:
        assert payload not in screen, payload
    assert b"Traceback" not in screen
    for shown in (b"Clipboard", b"grab", b"[@click=app.quit]quit[/]", b"[/bogus]", b"Mallory"):
        assert shown in screen, shown
