"""The sanitizer's shortcuts give exactly what the full checks give.

`clean_text`, `clean_line`, `safe_url`, `absolute_url` and `html_to_text` skip work when a
cheap check shows there is nothing to do. The references below are the implementations
before those shortcuts, kept verbatim: every shortcut must agree with them on any text,
control characters, escape sequences, surrogates and odd URLs included."""

from __future__ import annotations

import email.utils
import re
import unicodedata
from datetime import datetime
from urllib.parse import urljoin, urlsplit

import httpx
from hypothesis import example, given, settings
from hypothesis import strategies as st
from selectolax.lexbor import LexborHTMLParser

from devfeed import htmltext
from devfeed.platforms.feeds import _standard_date, absolute_url, parse_feed
from devfeed.sanitize import (
    _BLANK_LINES,
    _ESCAPE_SEQUENCE,
    _ESCAPE_START,
    _SPACES,
    checked_url,
    clean_line,
    clean_text,
    plain_url,
    safe_url,
)

_SUSPECT = re.compile(r"[^\t\n\x20-\x7e]")
_DROP = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})


def reference_clean_text(value: object, *, max_length: int = 100_000) -> str:
    if value is None:
        return ""
    text = str(value)
    text = text.encode("utf-8", "replace").decode("utf-8")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if _ESCAPE_START.search(text):
        text = _ESCAPE_SEQUENCE.sub("", text)
    text = _SUSPECT.sub(
        lambda m: "" if unicodedata.category(m.group()) in _DROP else m.group(), text
    )
    if "\n\n\n" in text:
        text = _BLANK_LINES.sub("\n\n", text)
    if len(text) > max_length:
        text = text[: max_length - 1] + "…"
    return text


def reference_clean_line(value: object, *, max_length: int = 500) -> str:
    text = reference_clean_text(value, max_length=max_length * 2)
    text = _SPACES.sub(" ", text.replace("\n", " ")).strip()
    if len(text) > max_length:
        text = text[: max_length - 1] + "…"
    return text


def reference_safe_url(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    value = value.strip()
    if not value.lower().startswith(("http://", "https://")):
        return None
    try:
        url = httpx.URL(value)
        urlsplit(value)  # since 2026-12-07: the standard library must read it too
    except (httpx.InvalidURL, ValueError):
        return None
    if not url.host or url.userinfo or (url.port is not None and not 0 < url.port < 65536):
        return None
    cleaned = reference_clean_line(value, max_length=2000)
    return cleaned if cleaned == value and " " not in value else None


def reference_absolute_url(value: object, base: str) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    value = value.strip()
    if value.startswith("-"):
        return None
    return reference_safe_url(urljoin(base, value))


def reference_html_to_text(html: str) -> tuple[str, list[str]]:
    if "<" not in html and "&" not in html:
        return reference_clean_text(html).strip(), []
    tree = LexborHTMLParser(html)
    root = tree.body if tree.body is not None else tree.root
    out: list[str] = []
    links: list[str] = []
    htmltext._walk(root.child if root is not None else None, out, links)
    lines = [" ".join(line.split()) for line in "".join(out).split("\n")]
    return reference_clean_text("\n".join(lines)).strip(), links


# text where the shortcuts' decisions are close: controls, escapes, C1, bidi, surrogates,
# every kind of white space, next to plain ASCII words
_TRICKY = st.sampled_from(
    [
        *list("\t\n\r\x0b\x0c\x1b\x1c\x1f\x7f\x85\x90\x9b\x9c\x9d\xa0\xad"),
        "\u2028",
        "\u2029",
        "\u200b",
        "\u202e",
        "\u2066",
        "\u3000",
        "�",
        "�",
        "\ue000",
        "\U000e0001",
        "\U0010ffff",
        "\u0378",
        "é",
        "—",
        "  ",
        " ",
        "\n\n\n",
        "\x1b[31m",
        "\x1b]0;x\x07",
        "\x1b]8;;http://e\x1b\\",
        "\x9b2J",
        "\r\n",
    ]
)
TEXT = st.one_of(
    st.text(),
    st.text(alphabet=st.characters(codec="ascii")),
    st.lists(st.one_of(_TRICKY, st.text(alphabet="ab ", max_size=5))).map("".join),
)


@settings(max_examples=400)
@given(TEXT, st.integers(min_value=1, max_value=40))
@example("a\n\tb\x00", 100)
@example("plain words", 5)
def test_clean_text_and_line_match_the_reference(text: str, max_length: int) -> None:
    assert clean_text(text) == reference_clean_text(text)
    assert clean_text(text, max_length=max_length) == reference_clean_text(
        text, max_length=max_length
    )
    assert clean_line(text) == reference_clean_line(text)
    assert clean_line(text, max_length=max_length) == reference_clean_line(
        text, max_length=max_length
    )


_URL_PART = st.one_of(
    st.text(alphabet=st.characters(codec="ascii"), max_size=12),
    st.sampled_from(
        [
            "/",
            "?",
            "#",
            ";",
            ":",
            "@",
            "%",
            "%2",
            "%41",
            "..",
            "./",
            "xn--",
            "XN--",
            "[",
            "]",
            "1.2.3.4",
            "999.1.1.1",
            "0",
            ":80",
            ":0",
            ":65536",
            " ",
            "é",
            "\t",
            "\x1b",
            "-",
        ]
    ),
)
URLS = st.tuples(
    st.sampled_from(["http://", "https://", "HTTP://", "Https://", "ftp://", "http:/", ""]),
    st.lists(_URL_PART, max_size=8).map("".join),
).map("".join)


@settings(max_examples=600)
@given(st.one_of(URLS, TEXT))
@example("https://example.org/a/b?c=d#e")
@example("http://xn--fiqs8s.icom.museum/")
@example("http://1.2.3.999/")
@example("http://a.b/" + "x" * 2000)
@example("http://[x/a")
def test_safe_url_matches_the_reference(value: str) -> None:
    try:
        expected = reference_safe_url(value)
    except ValueError:  # the reference let a malformed IDNA host ("http://xn--") escape
        expected = None
    assert safe_url(value) == expected
    assert checked_url(value.strip()) == expected
    if plain_url(value):  # the shortcut only ever says yes to what the check accepts
        assert reference_safe_url(value) == value


@settings(max_examples=600)
@given(
    st.one_of(URLS, TEXT),
    st.sampled_from(["https://blog.example/feed.xml", "http://127.0.0.2/f", "", "x"]),
)
@example("http://a.example/p?", "http://b.example/")
@example("http://a.example/p;x", "http://b.example/")
@example("http://a.example/p;", "http://b.example/")
@example("http://a.example/p#", "http://b.example/")
@example("http://a.example/p?#f", "http://b.example/")
def test_absolute_url_matches_the_reference(value: str, base: str) -> None:
    try:
        expected = reference_absolute_url(value, base)
    except ValueError:  # a malformed IDNA host, or a bracket urljoin refuses
        expected = ValueError
    got = absolute_url(value, base)  # never raises: a link it cannot read is no link
    if expected is ValueError:
        assert got is None
    else:
        assert got == expected


def test_a_malformed_idna_host_is_refused_not_raised() -> None:
    assert safe_url("http://xn--/") is None
    assert safe_url("http://XN--.example/") is None


HTML = st.lists(
    st.one_of(
        TEXT,
        st.sampled_from(["<p>", "</p>", "<br>", "<li>", "<pre>", " &amp; ", "&nbsp;", "<b>"]),
        st.sampled_from(["\n ", " \n", "  ", '<a href="https://x.example/a">', "</a>"]),
    ),
    max_size=12,
).map("".join)


@settings(max_examples=300)
@given(HTML)
def test_html_to_text_matches_the_reference(html: str) -> None:
    assert htmltext.html_to_text(html) == reference_html_to_text(html)


def reference_standard_date(value: object) -> bool:
    if not isinstance(value, str):
        return False
    try:
        if not re.match(r"\s*(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun),\s*)?\d", value):
            raise ValueError(value)
        email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        try:
            datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return False
    return True


_DIGITS = st.integers(min_value=0, max_value=99).map("{:02d}".format)
RFC822_DATES = st.builds(
    "{}, {} {} {} {}:{}:{} {}".format,
    st.sampled_from(["Mon", "Tue", "Sun", "mon", "Xyz"]),
    _DIGITS,
    st.sampled_from(["Jan", "Feb", "Apr", "Dec", "jan", "Foo"]),
    st.sampled_from(["2026", "2024", "1900", "0001", "0000", "9999", "26"]),
    _DIGITS,
    _DIGITS,
    _DIGITS,
    st.one_of(
        st.sampled_from(["GMT", "UTC", "EST", "Z", "+0000", "-0000", ""]),
        st.tuples(st.sampled_from("+-"), _DIGITS, _DIGITS).map("".join),
    ),
)


@settings(max_examples=500)
@given(st.one_of(RFC822_DATES, RFC822_DATES.map(lambda d: f" {d}\n"), TEXT))
@example("Mon, 29 Feb 2024 10:00:00 GMT")
@example("Mon, 29 Feb 2026 10:00:00 GMT")
@example("Mon, 01 Nov 2026 10:00:00 +2359")
@example("Mon, 01 Nov 2026 10:00:00 -2360")
def test_standard_date_matches_the_reference(value: str) -> None:
    assert _standard_date(value) == reference_standard_date(value)


def test_a_feed_with_a_malformed_idna_link_still_parses() -> None:
    body = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
        b"<item><title>a</title><link>http://xn--/</link><guid>x1</guid></item>"
        b"<item><title>b</title><link>https://ok.example/b</link><guid>x2</guid></item>"
        b"</channel></rss>"
    )
    response = httpx.Response(
        200, content=body, request=httpx.Request("GET", "https://f.example/feed")
    )
    entries = parse_feed("rss", response).entries
    assert [(e.title, e.url) for e in entries] == [("a", None), ("b", "https://ok.example/b")]
