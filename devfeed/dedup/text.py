"""Text fingerprints: the "near-duplicate" rule. Pure: no I/O, no clock.

The same text (or the same title once site suffixes are cut) posted by one person on two
accounts within a few days is one thing. `fingerprint` reduces an entry to what the rule
needs, `index_keys` gives the rows of the index that finds candidates without a scan, and
`near_duplicate` decides, exactly, for one pair.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import re
import sys
import unicodedata
from array import array
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple, TypedDict, Unpack
from urllib.parse import urlsplit

from devfeed.dedup.urls import fold_host

if TYPE_CHECKING:
    from devfeed.dedup import minhash

NEAR_WINDOW_S = 3 * 24 * 3600
"""Near-duplicates must be published at most this far apart."""
MIN_TEXT_WORDS = 8
"""Texts with fewer content words never merge by text: short posts share too much."""
TEXT_THRESHOLD = 0.7
"""Least Jaccard similarity of two texts' word bigrams to merge them."""
CONTAINED_THRESHOLD = 0.9
"""Or: least share of the shorter text's bigrams found in the longer (a cross-post cut to
fit 300 characters) ..."""
MIN_CONTAINED_SHINGLES = 8
"""... when the shorter text has at least this many bigrams."""
PREFIX_WORDS = 8
"""Texts that open with the same content words share an index key (cut cross-posts)."""
MAX_TEXT_WORDS = 150
MAX_TEXT_CHARS = 4000
"""Only the start of long texts is fingerprinted: at most this many words of at most
this many characters."""
BANDS = 10
ROWS = 2
"""MinHash LSH over one-permutation hashing: the bigram hashes fall into BANDS * ROWS bins
(a hash's bin is its remainder), each bin keeps its least hash (an empty bin borrows the
next filled one's), and each band of ROWS bins is one index key. A pair with Jaccard J
shares a bin's least hash with probability about J, so it becomes a candidate with
probability 1 - (1 - J^ROWS)^BANDS (0.99 at 0.6, 0.999 at 0.7). Candidates are only ever
looked for among one person's entries (`person_probes`), so the bands can be this loose."""
PERSON_PREFIX = 6
"""Author keys this long or longer are one person with the keys they start with, and with
those that start with them (`same_person`)."""
TITLE_KINDS: frozenset[str] = frozenset({"article", "video", "short", "podcast"})
"""Kinds whose title is a real title (a post's title is its first line)."""
NO_NEAR_KINDS: frozenset[str] = frozenset({"discussion", "release"})
"""A submission's text is the submitter's; releases of one project all look alike."""

_MASK30 = (1 << 30) - 1
_MASK63 = (1 << 63) - 1
_MASK64 = (1 << 64) - 1
_MIX = 0x9E3779B97F4A7C15
"""An odd 64-bit constant (2^64 / golden ratio) for mixing numbers into index keys."""
_BINS = BANDS * ROWS
_STOPWORD_TEXT = """
    a an the and or but if of to in on at by for with from as is are was were be been
    being it its this that these those i me my we our you your he she they them their his
    her so than then there here what which who whom how when where why all any some no not
    do does did done have has had will would can could should just also very too about into
    over out up down more most own same such only again once s t ll ve re d m"""
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())
_NOT_CONTENT = _STOPWORDS | {"_"}
_ASIDE = re.compile(r"\([^)]*\)|\[[^\]]*\]|\s[|·•]\s.*$")
_URL_TEXT = re.compile(r"https?://\S+|www\.\S+")
_MENTION = re.compile(r"(?<!\w)@[\w.@-]+")
_WORD = re.compile(r"\w+")
_SUFFIX_SPLIT = re.compile(r"\s+(?:\||-|–|—|·|::|»)\s+")
_SITE_WORDS = frozenset(
    {
        "youtube",
        "medium",
        "substack",
        "hashnode",
        "blog",
        "weblog",
        "dev",
        "devcommunity",
        "community",
        "podcast",
        "newsletter",
        "news",
        "peertube",
        "notes",
    }
)


def _fold(text: str) -> str:
    if text.isascii():  # NFKC leaves ASCII alone and casefold is lower there
        return text.lower()
    return unicodedata.normalize("NFKC", text).casefold()


_ASCII_NON_WORD = str.maketrans(
    {chr(c): " " for c in range(128) if not (chr(c).isalnum() or chr(c) == "_")}
)


def _words(text: str) -> list[str]:
    """`_WORD.findall(text)`: for ASCII text, splitting on every other character gives the
    same words, faster."""
    if text.isascii():
        return text.translate(_ASCII_NON_WORD).split()
    return _WORD.findall(text)


def content_words(text: str) -> list[str]:
    """Lower-case words of a text without links, @mentions, `#` signs and stop words."""
    return _content_words(_fold(text))


def _content_words(text: str) -> list[str]:
    """`content_words` of a text `_fold` has folded already."""
    if "http" in text or "www." in text:
        text = _URL_TEXT.sub(" ", text)
    if "@" in text:
        text = _MENTION.sub(" ", text)
    return list(itertools.filterfalse(_NOT_CONTENT.__contains__, _words(text)))


def _squash(text: str) -> str:
    return re.sub(r"[\W_]+", "", _fold(text))


def author_keys(author: str | None, handle: str | None) -> frozenset[str]:
    """Names under which one person is recognised across platforms: the display name
    squashed (`Ada Lovelace` -> `adalovelace`) and the handle's local part (`@ada@hachyderm.io`,
    `ada.bsky.social` -> `ada`). Shorter than three letters is no key; asides in
    parentheses and emoji are dropped."""
    keys: set[str] = set()
    if author:
        keys.add(_squash(_ASIDE.sub(" ", author)))  # "Ada (she/her)", "Ada | ada.dev"
    if handle:
        local = _fold(handle).strip().lstrip("@")
        local = local.split("@")[0] if "@" in local else local.split(".")[0]
        keys.add(_squash(local))
    return frozenset(key for key in keys if len(key) >= 3)


_ORIGIN = re.compile(r"[^/?#]*//[^/?#]*")
"""What of a URL names its host: `urlsplit` of it has the URL's `hostname` (the rest of
a URL after its first `/`, `?` or `#` following `//` never changes the host)."""


def _host_label(url: str | None) -> str:
    """The squashed name of a URL's host without its top-level domain (`blog.example.org`
    -> `blogexample`), "" when it has none."""
    if not url:
        return ""
    origin = _ORIGIN.match(url)
    return _origin_label(origin[0] if origin is not None else url)


@functools.lru_cache(maxsize=1 << 12)
def _origin_label(url: str) -> str:
    try:
        host = fold_host(urlsplit(url).hostname or "")
    except ValueError:
        return ""
    return _squash(host.rsplit(".", 1)[0]) if "." in host else _squash(host)


def _site_like(suffix: str, authors: frozenset[str], host: str) -> bool:
    squashed = _squash(suffix)
    if not squashed:
        return False
    words = set(_WORD.findall(_fold(suffix)))
    return (
        bool(words & _SITE_WORDS)
        or _fold(suffix).startswith("by ")
        or squashed in authors
        or (bool(host) and (squashed in host or host in squashed))
    )


def title_core(title: str, authors: frozenset[str] = frozenset(), url: str | None = None) -> str:
    """A title without the site suffixes people and platforms add (" | Blog",
    " - YouTube", " | by Ada | Medium"): a trailing segment is cut only when it names a
    site, a platform or the author, and something of three words or more remains."""
    host: str | None = None
    core = title.strip()
    for _ in range(3):
        pieces = _SUFFIX_SPLIT.split(core)
        if len(pieces) < 2:
            break
        if host is None:
            host = _host_label(url)
        head = core[: core.rfind(pieces[-1])].rstrip(" |-–—·:»")
        if len(_WORD.findall(head)) < 3 or not _site_like(pieces[-1], authors, host):
            break
        core = head
    return core


def _hash64(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest())


WORD_HASHES_KEPT = 1 << 16
"""Words whose hash `_word_hashes` remembers; it starts again empty past this many."""


class _WordHashes(dict[str, int]):
    """`_hash64` of each word, remembered: words recur in every text. A plain dict looked
    up in C (`map(_word_hashes.__getitem__, words)`) costs half what `lru_cache`'s
    bookkeeping did per word; only a word not seen yet calls back into Python."""

    def __missing__(self, word: str) -> int:
        if len(self) >= WORD_HASHES_KEPT:
            self.clear()
        value = self[word] = _hash64(word)
        return value


_word_hashes = _WordHashes()


def _shingles(words: list[str]) -> frozenset[int]:
    """The hashed word bigrams of `words`: Python's hash of the pair of word hashes (for a
    tuple of ints it is the same in every process and has been since Python 3.8, unlike a
    string's), computed in C, cut to 30 bits (ints that small sort fastest; two texts of
    150 bigrams share a false one once in 50,000 pairs)."""
    return frozenset(
        map(_MASK30.__and__, map(hash, itertools.pairwise(map(_word_hashes.__getitem__, words))))
    )


@dataclass(frozen=True)
class Fingerprint:
    """What near-duplicate detection knows about one entry."""

    account: str
    """`platform:handle-or-author`: two entries of one account never near-merge."""
    authors: frozenset[str]
    """`author_keys` of the entry."""
    published: int
    """Epoch seconds (published, else first seen)."""
    title_key: str | None
    """Normalized title core, for kinds with real titles; None otherwise."""
    title_full: str
    """Normalized whole title."""
    shingles: bytes
    """Hashed word bigrams of the text, ascending, packed as 32-bit numbers (`bigrams`
    unpacks them; empty when too short to compare): a fingerprint waits in memory and
    crosses from a parse worker for every new entry of a poll, and compares rarely."""
    opening: str | None = None
    """The first `PREFIX_WORDS` content words, when the text is long enough to compare."""


@dataclass(frozen=True)
class NearMatch:
    """Why two entries are near-duplicates."""

    rule: str
    """`text` (similar text) or `title` (same title without site suffixes)."""
    similarity: float
    """Jaccard (or containment) of the texts; 1.0 for equal titles."""


def near_identity(
    *, platform: str, kind: str, author: str | None, handle: str | None, url: str | None
) -> tuple[str, frozenset[str]] | None:
    """The account and `author_keys` a fingerprint of such an entry would have (its
    `account` and `authors`), or None when it would have no fingerprint (a kind that never
    near-merges, no author)."""
    if kind in NO_NEAR_KINDS:
        return None
    return _identity(platform, author, handle, "" if handle else _host_label(url))


@functools.lru_cache(maxsize=1 << 14)
def _identity(
    platform: str, author: str | None, handle: str | None, host: str
) -> tuple[str, frozenset[str]] | None:
    authors = author_keys(author, handle)
    if not authors:
        return None
    account = (
        f"{platform}:{_squash(handle)}" if handle else f"{platform}:{host}:{_squash(author or '')}"
    )
    return account, authors


class Draft(NamedTuple):
    """What a fingerprint takes from an entry before its bigrams are hashed (`draft`)."""

    account: str
    authors: frozenset[str]
    published: int
    title: str
    title_key: str | None
    words: list[str]
    """The content words, when there are enough to compare (else empty)."""
    title_full: str | None = None
    """The fingerprint's `title_full`, when `draft` had it at hand (else `_finish` makes
    it)."""


def draft(
    *,
    platform: str,
    kind: str,
    title: str,
    text: str,
    author: str | None,
    handle: str | None,
    url: str | None,
    published: int,
) -> Draft | None:
    """The first half of `fingerprint`: everything but the bigrams. None when the entry
    cannot be a near-duplicate (no author, a discussion or release)."""
    identity = near_identity(platform=platform, kind=kind, author=author, handle=handle, url=url)
    if identity is None:
        return None
    account, authors = identity
    title_key: str | None = None
    title_full: str | None = None
    if kind in TITLE_KINDS:
        core_title = title_core(title, authors, url)
        folded = _fold(core_title)
        core = " ".join(_WORD.findall(folded))
        if len(core) >= 12 and len(_content_words(folded)) >= 2:
            title_key = core
        if core_title == title:  # no site suffix cut (the usual case): the same words
            title_full = core
    words = content_words((text or title)[:MAX_TEXT_CHARS])[:MAX_TEXT_WORDS]
    if len(words) < MIN_TEXT_WORDS:
        words = []
    return Draft(account, authors, published, title, title_key, words, title_full)


def _finish(draft_: Draft, shingles: bytes) -> Fingerprint | None:
    if draft_.title_key is None and not shingles:
        return None
    return Fingerprint(
        account=draft_.account,
        authors=draft_.authors,
        published=draft_.published,
        title_key=draft_.title_key,
        title_full=draft_.title_full
        if draft_.title_full is not None
        else " ".join(_WORD.findall(_fold(draft_.title))),
        shingles=shingles,
        opening=" ".join(draft_.words[:PREFIX_WORDS]) if shingles else None,
    )


def _shingle_bytes(words: list[str]) -> bytes:
    return array("I", sorted(_shingles(words))).tobytes() if words else b""


class EntryFields(TypedDict):
    """What `draft` and `fingerprint` read of an entry (keywords)."""

    platform: str
    kind: str
    title: str
    text: str
    author: str | None
    handle: str | None
    url: str | None
    published: int


def fingerprint(**fields: Unpack[EntryFields]) -> Fingerprint | None:
    """The fingerprint of an entry, or None when it cannot be a near-duplicate (no author,
    a discussion or release, too little text and no real title)."""
    drafted = draft(**fields)
    return None if drafted is None else _finish(drafted, _shingle_bytes(drafted.words))


NUMPY_TEXTS = 4
"""`fingerprints` hashes the bigrams of this many texts or more with numpy
(`devfeed.dedup.minhash`) once numpy is loaded (a parse worker has it from the start);
fewer cost less in Python."""
NUMPY_IMPORT_TEXTS = 2000
"""... and imports numpy for this many texts or more at once. Importing it costs ~0.13 s
and ~15 MB, what Python spends on ~2,500 texts: a process that prepares a feed's few new
entries now and then (the daemon's store, the reader's `R`) never loads it."""
_NUMPY_HASHES = sys.implementation.name == "cpython" and sys.hash_info.width == 64
"""`minhash` writes out 64-bit CPython's hash; elsewhere `hash` differs, so Python it is."""


def fingerprints(
    drafts: Sequence[Draft | None],
) -> list[tuple[Fingerprint | None, tuple[int, ...]]]:
    """The fingerprint and `index_keys` of each draft, exactly as `fingerprint` and
    `index_keys` would give them, for many entries at once (a feed's)."""
    texts = [d.words for d in drafts if d is not None and d.words]
    hashed: Iterator[tuple[bytes, tuple[int, ...]]]
    if _NUMPY_HASHES and len(texts) >= (
        NUMPY_TEXTS if "numpy" in sys.modules else NUMPY_IMPORT_TEXTS
    ):
        from devfeed.dedup import minhash

        hashed = iter(minhash.shingles_and_bands(texts, _word_hashes, _arithmetic()))
    else:
        hashed = ((b, _band_keys(b)) for b in map(_shingle_bytes, texts))
    found: list[tuple[Fingerprint | None, tuple[int, ...]]] = []
    for drafted in drafts:
        if drafted is None:
            found.append((None, ()))
            continue
        shingles, bands = next(hashed) if drafted.words else (b"", ())
        print_ = _finish(drafted, shingles)
        found.append((None, ()) if print_ is None else (print_, (*_named_keys(print_), *bands)))
    return found


@functools.cache
def _arithmetic() -> minhash.Arithmetic:
    from devfeed.dedup import minhash

    return minhash.Arithmetic(_BINS, BANDS, ROWS, _MIX)


def index_keys(print_: Fingerprint) -> tuple[int, ...]:
    """The index keys of a fingerprint: one per MinHash band, one for the opening words and
    one for the title. Two near-duplicates share at least one (with the probability `BANDS`
    says; certainly when their titles or openings are equal)."""
    return (*_named_keys(print_), *_band_keys(print_.shingles))


def _named_keys(print_: Fingerprint) -> list[int]:
    keys: list[int] = []
    if print_.title_key is not None:
        keys.append(_hash64(f"title:{print_.title_key}") & _MASK63)
    if print_.opening is not None:
        keys.append(_hash64(f"opening:{print_.opening}") & _MASK63)
    return keys


def _band_keys(shingles: bytes) -> tuple[int, ...]:
    if not shingles:
        return ()
    ascending = array("I")
    ascending.frombytes(shingles)
    # one pass: in descending order the last hash written to a bin is its least
    values = ascending[::-1]
    least = dict(zip(map(_BINS.__rmod__, values), values, strict=True))
    mins: list[int] = []
    for b in range(_BINS):  # an empty bin takes the next filled one's least, marked
        step = 0
        while (value := least.get((b + step) % _BINS)) is None:
            step += 1
        mins.append((value + step * _MIX) & _MASK64 if step else value)
    keys: list[int] = []
    for band in range(BANDS):
        key = band + 1
        for value in mins[band * ROWS : (band + 1) * ROWS]:
            key = (key * _MIX + value) & _MASK64
        keys.append(key & _MASK63)
    return tuple(keys)


@functools.lru_cache(maxsize=1 << 12)
def account_hash(account: str) -> int:
    """A fingerprint's `account` as a 63-bit number (what the index stores). Remembered:
    a poll result's entries are mostly one account's, and the store hashes each twice."""
    return _hash64(account) & _MASK63


def person_probes(key: str) -> tuple[tuple[str, ...], str | None]:
    """Where to look for the indexed entries of an author key's person (the index holds
    each entry under each of its author keys): the keys it starts with, of `PERSON_PREFIX`
    letters or more, and itself; and, when it is that long, every key that starts with it.
    Any entry for which `same_person` holds is under one of them."""
    if len(key) < PERSON_PREFIX:
        return (key,), None
    return tuple(key[:n] for n in range(PERSON_PREFIX, len(key) + 1)), key


def bigrams(print_: Fingerprint) -> array[int]:
    """A fingerprint's hashed word bigrams, ascending."""
    values = array("I")
    values.frombytes(print_.shingles)
    return values


def text_similarity(a: frozenset[int], b: frozenset[int]) -> tuple[float, float]:
    """Jaccard of two bigram sets, and the containment of the smaller in the larger (0
    when the smaller is too short for containment to mean something)."""
    if not a or not b:
        return 0.0, 0.0
    common = len(a & b)
    smaller = min(len(a), len(b))
    contained = common / smaller if smaller >= MIN_CONTAINED_SHINGLES else 0.0
    return common / len(a | b), contained


def same_person(a: frozenset[str], b: frozenset[str]) -> bool:
    """Whether two sets of `author_keys` name one person: a key in common, or one key
    starting with another of six letters or more (`adalovelace` and `adalovelacephd`)."""
    if a & b:
        return True
    return any(
        min(len(x), len(y)) >= PERSON_PREFIX and (x.startswith(y) or y.startswith(x))
        for x in a
        for y in b
    )


def near_duplicate(a: Fingerprint, b: Fingerprint) -> NearMatch | None:
    """Whether two entries are the same thing posted twice by one author: one person (an
    `author_keys` in common) on two accounts, within `NEAR_WINDOW_S`, with the same title
    once site suffixes are cut, or with texts at least `TEXT_THRESHOLD` alike (or the
    shorter `CONTAINED_THRESHOLD` inside the longer)."""
    if a.account == b.account or not same_person(a.authors, b.authors):
        return None
    if abs(a.published - b.published) > NEAR_WINDOW_S:
        return None
    if a.title_key is not None and a.title_key == b.title_key:
        return NearMatch("title", 1.0)
    jaccard, contained = text_similarity(frozenset(bigrams(a)), frozenset(bigrams(b)))
    if jaccard >= TEXT_THRESHOLD:
        return NearMatch("text", round(jaccard, 3))
    if contained >= CONTAINED_THRESHOLD:
        return NearMatch("text", round(contained, 3))
    return None
