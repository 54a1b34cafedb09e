"""The sanitizer: nothing from the web reaches the terminal as a control sequence."""

from __future__ import annotations

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from devfeed.htmltext import html_to_text
from devfeed.parsepool import parse_in_worker
from devfeed.platforms.feeds import FeedJob
from devfeed.sanitize import clean_line, clean_text, safe_url

ESCAPES = [
    "\x1b]52;c;cm0gLXJmIH4=\x07",  # OSC 52: write the clipboard
    "\x1b]0;new title\x1b\\",  # OSC 0: window title, ST-terminated
    "\x1b]8;;https://evil.example\x07link\x1b]8;;\x07",  # OSC 8 hyperlink
    "\x1b[2J\x1b[H",  # clear screen, home
    "\x1b[31;1m",  # colours
    "\x9b31m",  # 8-bit CSI
    "\x1bP+q544e\x1b\\",  # DCS
    "\x1b(0",  # charset switch
]


def test_whole_escape_sequences_are_removed_not_just_the_escape_byte() -> None:
    for sequence in ESCAPES:
        cleaned = clean_line(f"before{sequence}after")
        assert cleaned.startswith("before") and cleaned.endswith("after"), repr(cleaned)
        assert "52;" not in cleaned and "[2J" not in cleaned and "31" not in cleaned


def test_bidi_overrides_and_zero_width_tricks_are_removed() -> None:
    assert clean_line("safe\u202etxt.exe\u200b") == "safetxt.exe"


def test_lines_fold_white_space_and_text_keeps_paragraphs() -> None:
    assert clean_line(" a\n\tb  c \r\n") == "a b c"
    assert clean_text("a\r\n\r\n\r\n\r\nb\tc") == "a\n\nb\tc"


def test_length_is_capped() -> None:
    assert len(clean_line("x" * 10_000, max_length=50)) == 50


@given(st.text())
def test_no_control_or_format_character_survives(text: str) -> None:
    for cleaned in (clean_text(text), clean_line(text)):
        for char in cleaned:
            assert char in "\t\n" or unicodedata.category(char) not in ("Cc", "Cf", "Cs"), repr(
                char
            )
        assert "\x1b" not in cleaned


@given(st.text())
def test_cleaning_is_idempotent(text: str) -> None:
    once = clean_text(text)
    assert clean_text(once) == once


def test_only_http_urls_with_a_host_and_no_user_info_are_safe() -> None:
    assert safe_url("https://example.org/a?b=c") == "https://example.org/a?b=c"
    for bad in (
        "javascript:alert(1)",
        "file:///etc/passwd",
        "--help",
        "https://user:pw@example.org/",
        "http:///nohost",
        "https://exa mple.org/",
        "https://example.org/\x1b]52;c;x\x07",
        "data:text/html,hi",
        "http://[x/a.mp3",  # httpx reads it, the standard library refuses it
    ):
        assert safe_url(bad) is None, bad


def test_html_becomes_text_without_scripts_and_with_its_links() -> None:
    text, links = html_to_text(
        '<p>Hi <b>there</b></p><script>evil()</script><p><a href="https://a.example/">a</a>'
        ' <a href="javascript:x()">b</a></p>'
    )
    assert text == "Hi there\n\na b"
    assert links == ["https://a.example/"]


_PLAIN = st.text(
    alphabet=st.characters(blacklist_categories=("Cc", "Cf", "Cs", "Co", "Cn")), max_size=40
)


_SEQUENCES = [
    *(e for e in ESCAPES if "link" not in e),
    "\x1b]8;;https://evil.example\x07",  # OSC 8 opening a hyperlink ...
    "\x1b]8;;\x1b\\",  # ... and closing it
    "\x9d52;c;eA==\x9c",  # 8-bit OSC with an 8-bit ST
    "\x1b[?1049h",  # alternate screen
    "\x07",
]


@given(st.lists(st.one_of(_PLAIN, st.sampled_from(_SEQUENCES)), max_size=12))
def test_removing_whole_sequences_leaves_exactly_the_text_around_them(
    pieces: list[str],
) -> None:
    text_only = "".join(p for p in pieces if p not in _SEQUENCES)
    assert clean_line("".join(pieces)) == clean_line(text_only)


def test_c1_controls_lone_surrogates_and_unfinished_sequences() -> None:
    assert clean_line("a\x85b") == "ab"  # NEL
    assert clean_line("x\x9d0;title\x9cy") == "xy"  # an 8-bit OSC, ST-terminated
    assert clean_line("lone \ud800 surrogate") == "lone ? surrogate"
    assert clean_line("cut off \x1b]52;c;cm0gLXJm") == "cut off"  # an OSC never terminated
    assert clean_text("tab\tand\nnewline stay") == "tab\tand\nnewline stay"


def test_a_url_needs_a_port_that_exists() -> None:
    assert safe_url("http://127.0.0.1:65535/f") == "http://127.0.0.1:65535/f"
    assert safe_url("http://127.0.0.1:99999/f") is None
    assert safe_url("http://127.0.0.1:0/f") is None


EPISODE = "https://x.org/episode"


def test_a_link_no_url_library_can_read_costs_only_that_link() -> None:
    items = "".join(
        f"<item><title>Post {n} about write-ahead logs</title><link>{link}</link>"
        f"<guid>post-{n}</guid><author>ada@x.org (Ada Lovelace)</author>"
        "<pubDate>Mon, 02 Nov 2026 10:00:00 GMT</pubDate>"
        "<description>Checkpoints, readers and writers in one database file.</description>"
        f"{enclosure}</item>"
        for n, (link, enclosure) in enumerate(
            [
                ("http://[x/a", ""),
                ("https://x.org/ok", ""),
                ("http://[::1", ""),
                ("https://x.org/episode", '<enclosure url="http://[x/a.mp3" type="audio/mpeg"/>'),
            ]
        )
    )
    body = (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{items}</channel></rss>'
    )
    job = FeedJob("rss", body.encode(), "https://x.org/feed", "application/rss+xml")
    result = parse_in_worker(job)  # parsing and preparing for dedup, as a parse worker does
    assert [e.native_id for e in result.entries] == ["post-0", "post-1", "post-2", "post-3"]
    assert [e.url for e in result.entries] == [None, "https://x.org/ok", None, EPISODE]
    assert [p.keys for p in result.prepared] == [(), ("https://x.org/ok",), (), (EPISODE,)]
    assert result.entries[3].media_url is None  # and the enclosure is no link either
