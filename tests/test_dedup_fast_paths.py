"""Dedup's shortcuts give exactly what the long way gives.

A first poll prepares every entry it fetches for dedup (URL keys, text fingerprint, index
keys), so those functions skip work where a cheap check shows the result. What they
compute is stored (keys and index rows), so a shortcut must agree with the long way on
any input, odd URLs included."""

from __future__ import annotations

import itertools
import re
import subprocess
import sys
from array import array
from urllib.parse import urlsplit

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from devfeed.dedup import text
from devfeed.dedup.urls import _canonical_url, _is_site_root, canonical_url, fold_host
from tests.conftest import REPO

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
    ":443",
    ":8080",
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

good_label = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,3}[a-z0-9])?", fullmatch=True)
labels = st.one_of(good_label, good_label, st.text("abz019-", min_size=1, max_size=5))
good_segment = st.text("aZ09._~-", min_size=1, max_size=6)
segments = st.one_of(good_segment, good_segment, good_segment, st.sampled_from([".", ".."]))
plain_urls = st.builds(
    lambda scheme, host, path: f"{scheme}://{host}{path}",
    st.sampled_from(["http", "https"]),
    st.one_of(
        st.lists(labels, min_size=2, max_size=3),
        st.lists(labels, min_size=2, max_size=3),
        st.lists(labels, min_size=1, max_size=1),
    ).map(".".join),
    st.lists(segments, min_size=1, max_size=4).map(lambda parts: "".join(f"/{p}" for p in parts)),
)
urls = st.one_of(
    plain_urls,
    st.builds(
        lambda url, at, odd: url[:at] + odd + url[at:],
        plain_urls,
        st.integers(0, 40),
        st.sampled_from(_ODD),
    ),
    st.builds(  # right after the host, where a port or user info would go
        lambda url, odd: url.replace("/", odd + "/", 3).replace(odd + "/", "/", 2),
        plain_urls,
        st.sampled_from(_ODD),
    ),
)
"""URLs near the canonical_url shortcut's edge: mostly what it takes, or one odd piece
away from it."""


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
@example("https://x.org:443/a")
@example("https://x.org:8080/a")
@example("https://x.org/a;")
@example("http://0.0/0")  # a last label of digits: IPv4 to w3lib 2.6, not to 2.5
@example("http://www.0.0/a")
@example("http://a.0/x")
def test_canonical_url_shortcut_agrees_with_the_library(url: str) -> None:
    canonical_url.cache_clear()
    assert canonical_url(url) == _canonical_url(url.strip())


def reference_host_label(url: str | None) -> str:
    if not url:
        return ""
    try:
        host = fold_host(urlsplit(url).hostname or "")
    except ValueError:
        return ""
    squash = text._squash
    return squash(host.rsplit(".", 1)[0]) if "." in host else squash(host)


@settings(max_examples=2000)
@given(
    st.one_of(
        urls,
        st.text(max_size=30),
        st.builds(lambda a, b: a + "//" + b, st.text(max_size=8), st.text(max_size=12)),
    )
)
@example("//blog.example.org/x")
@example("https://[::1]:8080/x")
@example("https://[::1/x")
@example("ht\ttps://ho\tst.org/x")
@example("https:/\n/host.org/x")
@example("https://user@Blog.Example.org:81/x?y#z")
def test_host_label_shortcut_agrees_with_urlsplit(url: str) -> None:
    text._origin_label.cache_clear()
    assert text._host_label(url) == reference_host_label(url)


def reference_content_words(value: str) -> list[str]:
    value = text._fold(value)
    value = re.sub(r"https?://\S+|www\.\S+", " ", value)
    value = re.sub(r"(?<!\w)@[\w.@-]+", " ", value)
    return [w for w in re.findall(r"\w+", value) if w not in text._STOPWORDS and w != "_"]


_PIECES = [*"ab _-@#.:/\u00e9\u00df\u0130", "the", "of", "http://x.y ", "www.", "A"]


@given(st.lists(st.sampled_from(_PIECES), max_size=30).map("".join))
@example("The WAL mode of SQLite, explained _ again @ada@x.org https://x.org/a")
def test_content_words_shortcut_agrees(value: str) -> None:
    assert text.content_words(value) == reference_content_words(value)


@settings(max_examples=2000)
@given(st.one_of(urls, urls.map(canonical_url), st.text(max_size=30).map("https://".__add__)))
@example("https://x.org#a/b")
@example("https://x.org?")
@example("https://x.org/")
@example("https://x.org?q=/a")
@example("https://[")
def test_site_root_shortcut_agrees_with_urlsplit(key: str) -> None:
    try:
        parts = urlsplit(key)
    except ValueError:
        assert not _is_site_root(key)
    else:
        assert _is_site_root(key) == (not parts.path and not parts.query)


# -- a feed's fingerprints at once (numpy) -------------------------------------------------

_WORDS = ["wal", "mode", "sqlite", "reader", "é", "straße", "x", "q9", "poller", "go"]


def _reference(
    drafts: list[text.Draft | None],
) -> list[tuple[text.Fingerprint | None, tuple[int, ...]]]:
    found = []
    for drafted in drafts:
        print_ = (
            None if drafted is None else text._finish(drafted, text._shingle_bytes(drafted.words))
        )
        found.append((print_, text.index_keys(print_) if print_ is not None else ()))
    return found


@settings(max_examples=300)
@given(
    st.lists(st.lists(st.sampled_from(_WORDS), min_size=2, max_size=170), min_size=1, max_size=9)
)
@example([["go"] * 8])  # one distinct bigram: nineteen bins borrow their neighbour's
@example([["go", "x"], ["x", "go"]])  # the same words, the other way round
def test_numpy_bigrams_and_bands_are_pythons(texts: list[list[str]]) -> None:
    """`minhash.shingles_and_bands` against the Python functions, text by text; every text
    is its own, even when texts share words across the boundary between two of them."""
    from devfeed.dedup import minhash

    got = minhash.shingles_and_bands(texts, text._word_hashes, text._arithmetic())
    expected = [
        (text._shingle_bytes(words), text._band_keys(text._shingle_bytes(words))) for words in texts
    ]
    assert got == expected


@settings(max_examples=100, deadline=None)  # the first example may import numpy
@given(
    st.lists(
        st.tuples(
            st.lists(
                st.sampled_from([*_WORDS, "the", "of", "@ada", "https://x.org/a"]), max_size=40
            ),
            st.sampled_from(["article", "post", "discussion", "video"]),
            st.sampled_from(["Ada Lovelace", "", "ab"]),
        ),
        max_size=12,
    )
)
def test_fingerprints_of_a_feed_are_each_entrys(rows: list[tuple[list[str], str, str]]) -> None:
    """`fingerprints` (numpy from `NUMPY_TEXTS` texts on) gives what `fingerprint` and
    `index_keys` give entry by entry: entries without a fingerprint, with a title only,
    with too few words and with enough, mixed in one feed."""
    import numpy  # noqa: F401  # loaded, as in a parse worker: `fingerprints` takes numpy

    drafts = [
        text.draft(
            platform="rss",
            kind=kind,
            title=" ".join(words[:6]) or "Untitled post here",
            text=" ".join(words),
            author=author or None,
            handle=None,
            url="https://ada.example.org/p",
            published=1_790_000_000 + n,
        )
        for n, (words, kind, author) in enumerate(rows)
    ]
    assert text.fingerprints(drafts) == _reference(drafts)


def test_prepare_all_is_prepare_of_each_entry_on_the_labeled_set() -> None:
    """The labeled dedup set (346 entries on ten platforms, cross-posts cut to fit,
    unicode, boosts, releases) prepared as one batch and entry by entry."""
    import json

    import numpy  # noqa: F401  # loaded, as in a parse worker: `prepare_all` takes numpy

    from devfeed.dedup import prepare, prepare_all
    from devfeed.models import ParsedEntry
    from tests.conftest import DATA

    rows = [
        json.loads(line) for line in (DATA / "dedup" / "labeled.jsonl").read_text().splitlines()
    ]
    entries = [ParsedEntry(**{k: v for k, v in row.items() if k != "label"}) for row in rows]
    drafts = [
        text.draft(
            platform=e.platform,
            kind=e.kind,
            title=e.title,
            text=e.text,
            author=e.author,
            handle=e.author_handle,
            url=e.url,
            published=0,
        )
        for e in entries
    ]
    # the numpy path, many times over: enough texts to compare in one batch
    assert sum(bool(d is not None and d.words) for d in drafts) > text.NUMPY_TEXTS * 10
    batched = prepare_all(entries)
    assert batched == tuple(map(prepare, entries))
    assert sum(len(p.bands) > 2 for p in batched) > 100  # MinHash bands, not only names


def test_the_one_pair_whose_tuple_hash_would_be_minus_one() -> None:
    """CPython never hashes a tuple to -1: it says 1546275796 instead, and so must numpy.
    These two word hashes are such a pair."""
    from devfeed.dedup import minhash

    words = {"a": 1754659928281503099, "b": 220625876464766420}
    assert hash((words["a"], words["b"])) == 1546275796
    texts = [["a", "b"], ["b", "a", "b"]]
    got = minhash.shingles_and_bands(texts, words, text._arithmetic())
    with_python = [
        frozenset(hash(pair) & ((1 << 30) - 1) for pair in itertools.pairwise(t))
        for t in ([words[w] for w in ws] for ws in texts)
    ]
    assert [frozenset(array("I", shingles)) for shingles, _ in got] == with_python


def test_a_text_without_a_bigram_is_refused() -> None:
    from devfeed.dedup import minhash

    with pytest.raises(ValueError, match="two words"):
        minhash.shingles_and_bands([["go", "go"], ["go"]], text._word_hashes, text._arithmetic())


def test_a_few_entries_never_import_numpy() -> None:
    """A process without numpy (the daemon's store, the reader's poll) prepares a feed's
    entries in Python; only a batch of `NUMPY_IMPORT_TEXTS` texts is worth the import."""
    code = """
import sys
from devfeed.dedup import prepare_all, text
from devfeed.models import ParsedEntry
words = " ".join(f"word{n}" for n in range(40))
def feed(count):
    return [ParsedEntry(platform="rss", native_id=str(n), title=f"Post {n}", author="Ada",
                        text=f"{n} {words}") for n in range(count)]
prepare_all(feed(40))
print("numpy" in sys.modules, end=" ")
prepare_all(feed(text.NUMPY_IMPORT_TEXTS))
print("numpy" in sys.modules)
"""
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO
    )
    assert done.stdout.split() == ["False", "True"]
