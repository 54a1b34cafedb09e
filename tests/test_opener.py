"""Opening links: a fake browser records the argv it was started with, so these tests see
exactly what a real browser would get, and prove that unsafe links start nothing."""

from __future__ import annotations

import json
import stat
import sys
import time
from pathlib import Path

import pytest

from devfeed.errors import UsageError
from devfeed.opener import browser_argv, open_url
from tests import hostile_server as hs

UNSAFE = [
    *[link for link in hs.HOSTILE_LINKS if not link.startswith("https://news.")],
    "-oProxyCommand=touch /tmp/pwned",
    " --help",
    "HTTPS://example.org/ok\n--new-window",
    "https://example.org/\x1b]52;c;eA==\x07",
    "https:///no-host",
    "http://user@example.org/",
    "data:text/html,<script>x()</script>",
    "vbscript:msgbox(1)",
    "feed:https://example.org/rss",
    "https://exa mple.org/",
    "",
]


@pytest.fixture
def fake_browser(tmp_path: Path) -> tuple[Path, Path]:
    """An executable that appends its arguments (as JSON) to a log, and that log."""
    log = tmp_path / "argv.log"
    script = tmp_path / "fake-browser"
    script.write_text(
        f"#!{sys.executable}\n"
        "import json, sys\n"
        f"with open({str(log)!r}, 'a') as out:\n"
        "    out.write(json.dumps(sys.argv[1:]) + '\\n')\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script, log


def recorded(log: Path, count: int) -> list[list[str]]:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if log.exists():
            lines = log.read_text().splitlines()
            if len(lines) >= count:
                return [json.loads(line) for line in lines]
        time.sleep(0.02)
    raise AssertionError(f"the fake browser was not started {count} time(s)")


def test_a_safe_link_reaches_the_browser_as_one_argument_after_double_dash(
    fake_browser: tuple[Path, Path],
) -> None:
    script, log = fake_browser
    url = "https://example.org/a?b=c&d=$(touch /tmp/x)"
    # `$(...)` would run in a shell; as one argv element it is only text
    with pytest.raises(UsageError):
        open_url(url.replace("$(touch /tmp/x)", "x y"), [str(script)])
    open_url("https://example.org/a?b=c&d=%24(x)", [str(script)])
    assert recorded(log, 1) == [["--", "https://example.org/a?b=c&d=%24(x)"]]


def test_unsafe_links_start_nothing(fake_browser: tuple[Path, Path]) -> None:
    script, log = fake_browser
    for url in UNSAFE:
        with pytest.raises(UsageError):
            open_url(url, [str(script)])
    open_url("https://example.org/last", [str(script)])
    # the only run is the safe one, and it came last
    assert recorded(log, 1) == [["--", "https://example.org/last"]]


def test_the_browser_command_sources_and_placeholders() -> None:
    url = "https://example.org/p"
    assert browser_argv(url, ["firefox", "--new-tab"]) == ["firefox", "--new-tab", "--", url]
    assert browser_argv(url, ["chromium", "{url}", "--incognito"]) == [
        "chromium",
        url,
        "--incognito",
    ]
    assert browser_argv(url, env={"BROWSER": "w3m %s:lynx"}) == ["w3m", url]
    assert browser_argv(url, env={"BROWSER": "firefox"}) == ["firefox", "--", url]
    # xdg-open exits on `--`; the URL it gets starts with "http", never with a dash
    assert browser_argv(url, ["/usr/bin/xdg-open"]) == ["/usr/bin/xdg-open", url]


def test_links_open_without_click_tracking_and_otherwise_as_they_are() -> None:
    opened = browser_argv(
        "https://blog.example.org/p/?utm_source=rss&id=7&UTM_Medium=feed&fbclid=x&q=a%20b#top",
        ["browser"],
    )
    assert opened == ["browser", "--", "https://blog.example.org/p/?id=7&q=a%20b#top"]
    kept = "https://github.com/o/r/search?ref=main&si=1&share=2"
    assert browser_argv(kept, ["browser"])[-1] == kept
    only = browser_argv("https://e.example/a?utm_campaign=z", ["browser"])
    assert only[-1] == "https://e.example/a"
