"""Hints for a source's error: the next step, named."""

from __future__ import annotations

from devfeed.hints import hint_for


def test_hints_name_the_next_step() -> None:
    assert hint_for("rss", None) is None
    assert "gone" in (hint_for("rss", "HTTP 404 Not Found") or "")
    assert "[platforms.youtube]" in (hint_for("youtube", "HTTP 403 Forbidden") or "")
    assert "interval" in (hint_for("reddit", "HTTP 429 Too Many Requests") or "")
    assert "host" in (hint_for("mastodon", "ConnectError: [Errno -2] Name or service") or "")
    assert hint_for("rss", "something nobody expected") is None
