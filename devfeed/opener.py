"""Opening links and media: only http(s), only after a user action, never through a shell.

The command is an argv list (from `[settings] browser`, `$BROWSER`, or the system opener);
the URL is checked by `sanitize.safe_url` (http or https, a host, no user info) and passed
as one argument after `--`, so no part of it can be read as an option. A command that
places the URL itself (`{url}` in `[settings] browser`, `%s` in `$BROWSER`) gets it there,
and `xdg-open`, which rejects `--`, gets the URL alone: it starts with `http`, never with a
dash. Precedents this guards against: newsbeuter CVE-2017-12904 (shell code in a
bookmarked title) and CPython CVE-2026-4519 (`webbrowser` took a leading dash as an option).
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import threading
from collections.abc import Mapping, Sequence

from devfeed.dedup.urls import without_tracking
from devfeed.errors import UsageError
from devfeed.sanitize import safe_url

URL_PLACEHOLDER = "{url}"
BROWSER_PLACEHOLDER = "%s"  # the `$BROWSER` convention (Python's webbrowser, man-db ...)
REJECTS_END_OF_OPTIONS = frozenset({"xdg-open"})
"""Openers that refuse `--` (xdg-open exits with "unexpected option '--'")."""


def _spawn(argv: Sequence[str], name: str) -> None:
    """Start `argv` in its own session (no shell, no terminal, output discarded) and reap
    it when it exits (no zombie, no "still running" warning), without waiting now."""
    process = subprocess.Popen(
        argv,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    threading.Thread(target=process.wait, name=name, daemon=True).start()


def browser_argv(
    url: str, command: Sequence[str] | None = None, env: Mapping[str, str] | None = None
) -> list[str]:
    """The argv that opens `url` (without click-tracking parameters such as `utm_*`).
    Raises `UsageError` for anything but a safe http(s) URL."""
    checked = safe_url(url)
    if checked is None or not checked.lower().startswith(("http://", "https://")):
        raise UsageError("only http:// and https:// links with a host are opened")
    checked = without_tracking(checked)  # the page does not need to know who sent you
    env = os.environ if env is None else env
    placeholder = URL_PLACEHOLDER
    if command:
        base = list(command)
    elif env.get("BROWSER"):
        base = shlex.split(env["BROWSER"].split(":")[0])
        placeholder = BROWSER_PLACEHOLDER
    elif sys.platform == "darwin":
        base = ["open"]
    else:
        base = ["xdg-open"]
    if not base:
        raise UsageError("no command to open links with; set [settings] browser")
    if placeholder in base:
        return [checked if part == placeholder else part for part in base]
    if os.path.basename(base[0]) in REJECTS_END_OF_OPTIONS:
        return [*base, checked]
    return [*base, "--", checked]


def open_url(
    url: str, command: Sequence[str] | None = None, env: Mapping[str, str] | None = None
) -> None:
    """Start the browser on `url` in the background (no shell, output discarded)."""
    argv = browser_argv(url, command, env)
    if shutil.which(argv[0]) is None:
        raise UsageError(f"cannot open links: {argv[0]!r} is not installed")
    _spawn(argv, "devfeed-opener")


def player_argv(urls: Sequence[str], command: Sequence[str]) -> list[str]:
    """The argv that plays `urls` as one playlist: the player command, `--` (so no URL is
    read as an option), then the URLs. Raises `UsageError` unless every URL is a safe
    http(s) URL and there is at least one."""
    checked = [safe_url(url) for url in urls]
    if not checked or any(url is None for url in checked):
        raise UsageError("only http:// and https:// links are played")
    if not command:
        raise UsageError("no command to play videos with; set [settings] player")
    return [*command, "--", *(url for url in checked if url)]


def run_player(argv: Sequence[str]) -> int:
    """Run the player in the foreground on this terminal (no shell) until it exits;
    returns its exit status."""
    if shutil.which(argv[0]) is None:
        raise UsageError(f"cannot play videos: {argv[0]!r} is not installed; set [settings] player")
    return subprocess.run(list(argv), check=False).returncode


def play(urls: Sequence[str], command: Sequence[str]) -> None:
    """Start the player on `urls` in the background, as one playlist (no shell, output
    discarded): the reader keeps running while it plays (`run_player` is the foreground
    way, for the command line)."""
    argv = player_argv(urls, command)
    if shutil.which(argv[0]) is None:
        raise UsageError(f"cannot play videos: {argv[0]!r} is not installed; set [settings] player")
    _spawn(argv, "devfeed-player")
