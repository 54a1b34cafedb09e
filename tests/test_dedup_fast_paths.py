"""Dedup's shortcuts give exactly what the long way gives.

A first poll prepares every entry it fetches for dedup (URL keys, text fingerprint, index
keys), so those functions skip work where a cheap check shows the result. What they
compute is stored (keys and index rows), so a shortcut must agree with the long way on
any input, odd URLs included."""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from devfeed.dedup.urls import _canonical_url, canonical_url

_ODD = [
    "A",
    "_",
    ".",
    "..",
    "/",
    "//",
    "-",
    "--",
    "%41",
    "%2F",
    ":",
    ":80",
    "?",
    "#",
    ";",
    "~",
    " ",
    "\t",
    "@",
    "www.",
    "m.",
    "amp",
    "youtu",
    "google.com/amp/s/",
    ".cdn.ampproject.org/c/s",
    "é",
    "/./",
    "/../",
]

labels = st.text("abz019-", min_size=1, max_size=5)
segments = st.one_of(st.text("aZ09._~-", min_size=1, max_size=6), st.sampled_from([".", ".."]))
plain_urls = st.builds(
    lambda scheme, host, path: f"{scheme}://{host}{path}",
    st.sampled_from(["http", "https"]),
    st.lists(labels, min_size=1, max_size=3).map(".".join),
    st.lists(segments, max_size=4).map(lambda parts: "".join(f"/{p}" for p in parts)),
)
"""URLs near the shortcut's edge: mostly what it takes, or just not."""
urls = st.one_of(
    plain_urls,
    st.builds(
        lambda url, at, odd: url[:at] + odd + url[at:],
        plain_urls,
        st.integers(0, 40),
        st.sampled_from(_ODD),
    ),
)


@settings(max_examples=3000)
@given(urls)
@example("https://blog.example.org/posts/wal-mode")
@example("http://blog5.example.org/posts/12")
@example("https://www.example.org/a")
@example("https://www.org/a")
@example("https://x.org/a/./b")
@example("https://x.org/a/..")
@example("https://x.org/a...")
@example("https://X.org/a")
@example("https://x.org/a.amp")
@example("https://youtu.be/dQw4w9WgXcQ")
@example("https://google.com/amp/s/x.org/p")
@example("https://x-org.cdn.ampproject.org/c/s/x.org/p")
@example("https://x.org/p/amp")
def test_canonical_url_shortcut_agrees_with_the_library(url: str) -> None:
    canonical_url.cache_clear()
    assert canonical_url(url) == _canonical_url(url.strip())
