"""Which entries are one story: canonical URLs, text fingerprints, the best sighting.
Pure: no I/O, no clock.

The rules (README, "How one story is made"), each a relation between two *entries*, never
between an entry and a story, so that the stories are the connected groups of entries
whatever order they arrive in:

1. **Same native id**: one post seen by several follows is one entry (the store's
   `UNIQUE (platform, native_id)`), with one sighting per follow.
2. **Boosts**: a boost or repost is not an entry of its own: platforms hand over the
   original post with `boosted_by` set, and the store records the booster on the sighting.
3. **Same link**: entries that share a canonical URL key (`url_keys`: the outbound link
   and the permalink, both canonical, every YouTube URL of one video as one key).
4. **Near-duplicates** (`near_duplicate`): the same text, or the same title once site
   suffixes are cut, posted by one author on two accounts within `NEAR_WINDOW_S`.
   Candidates come from an index of `index_keys` (MinHash bands, a title hash), never from
   a scan; every candidate is then checked exactly.

The story shows its best sighting (`sighting_rank`): the original over a post that
shares it, over a discussion of it.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from w3lib.url import canonicalize_url

from devfeed.models import Kind, ParsedEntry

# -- canonical URLs ----------------------------------------------------------------------

_TRACKING_EXACT = frozenset(
    {
        "fbclid",
        "gclid",
        "gclsrc",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "twclid",
        "ttclid",
        "li_fat_id",
        "igshid",
        "igsh",
        "ref",
        "ref_src",
        "ref_url",
        "referrer",
        "si",
        "feature",
        "_hsenc",
        "_hsmi",
        "hsctatracking",
        "mkt_tok",
        "spm",
        "s_cid",
        "cmpid",
        "ocid",
        "_ga",
        "_gl",
        "trk",
        "trkcampaign",
        "sr_share",
        "wt.mc_id",
        "rss",
        "share",
    }
)
"""Query parameters that only say who sent the click; dropped from every key."""
_TRACKING_PREFIXES = ("utm_", "mc_", "pk_", "hsa_", "oly_", "vero_", "__s", "mtm_", "at_")
_AMP_PARAMS = frozenset({"amp", "amp_js_v", "usqp", "outputtype"})
_HOST_PREFIXES = ("www.", "m.", "mobile.", "amp.")
_YOUTUBE_HOSTS = frozenset({"youtube.com", "youtu.be", "youtube-nocookie.com", "music.youtube.com"})
_VIDEO_ID = re.compile(r"^[A-Za-z0-9_-]{11}$")
_AMP_CACHE = re.compile(r"^/(?:c/|v/)?(?:s/)?(?P<rest>[^/]+\..+)$")

Normalizer = Callable[[str], str]
"""Turns an absolute URL into a canonical absolute URL (percent-encoding, dot segments,
IDNA, sorted query). `canonical_url` adds what such a library does not know."""


def w3lib_normalize(url: str) -> str:
    """w3lib's `canonicalize_url` (Scrapy's): fixes percent-encoding, resolves dot segments,
    encodes IDN hosts, sorts the query and drops the fragment."""
    return canonicalize_url(url, keep_fragments=False)


BASE_NORMALIZER: Normalizer = w3lib_normalize
"""The library normalization under `canonical_url`; `benchmarks/dedup_eval.py --url-lib`
swaps it to compare libraries on the labeled set."""


def _is_tracking(name: str) -> bool:
    lowered = name.lower()
    return lowered in _TRACKING_EXACT or lowered.startswith(_TRACKING_PREFIXES)


def _fold_host(host: str) -> str:
    host = host.lower().rstrip(".")
    folded = True
    while folded:
        folded = False
        for prefix in _HOST_PREFIXES:
            if host.startswith(prefix) and host.count(".") >= 2:
                host = host.removeprefix(prefix)
                folded = True
    return host


def youtube_video_id(url: str) -> str | None:
    """The video id of any YouTube video URL form (watch, youtu.be, shorts, embed, live)."""
    try:
        parts = urlsplit(url.strip())
        host = _fold_host(parts.hostname or "")
    except ValueError:
        return None
    if host not in _YOUTUBE_HOSTS:
        return None
    path = [segment for segment in parts.path.split("/") if segment]
    candidate: str | None = None
    if host == "youtu.be" and path:
        candidate = path[0]
    elif path and path[0] == "watch":
        candidate = dict(parse_qsl(parts.query)).get("v")
    elif len(path) >= 2 and path[0] in ("shorts", "embed", "live", "v", "e"):
        candidate = path[1]
    return candidate if candidate and _VIDEO_ID.match(candidate) else None


def video_key(video_id: str) -> str:
    """The canonical URL every form of one YouTube video shares."""
    return f"https://youtube.com/watch?v={video_id}"


def _unwrap_amp_cache(url: str) -> str:
    """`https://www-x-com.cdn.ampproject.org/c/s/www.x.com/p` and `google.com/amp/s/x.com/p`
    -> `https://www.x.com/p`."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    path = parts.path
    if host.endswith(".cdn.ampproject.org"):
        match = _AMP_CACHE.match(path)
    elif _fold_host(host) == "google.com" and path.startswith("/amp/"):
        match = _AMP_CACHE.match(path.removeprefix("/amp"))
    else:
        return url
    if match is None:
        return url
    rest = match["rest"]
    return f"https://{rest}" + (f"?{parts.query}" if parts.query else "")


_AMP_SUFFIX = re.compile(r"(?:/amp|\.amp)/?$")


def _fold_path(path: str) -> str:
    """Collapsed slashes, no AMP suffix, no trailing slash (or empty `;` parameters that a
    cut slash would expose), until nothing changes."""
    path = re.sub(r"/{2,}", "/", path)
    while True:
        folded = _AMP_SUFFIX.sub("", path).rstrip("/;")
        if folded == path:
            return path
        path = folded


@functools.lru_cache(maxsize=1 << 16)
def canonical_url(url: str) -> str:
    """The form of a URL that equal links share, itself a URL, so the function is
    idempotent: https for http, no user info, lower-case host without www./m./mobile./amp.,
    no default port, no fragment, no tracking parameters, sorted query, no trailing slash,
    AMP pages and caches folded into the page, every YouTube video URL as one form."""
    url = url.strip()
    if "youtu" in url and (video := youtube_video_id(url)):
        return video_key(video)
    if "://" not in url[:12]:
        url = f"https://{url}"
    if "amp" in url:
        url = _unwrap_amp_cache(url)
    try:
        parts = urlsplit(url)
        query = parts.query
        if query:
            query = urlencode(
                [
                    (name, value)
                    for name, value in parse_qsl(query, keep_blank_values=True)
                    if not _is_tracking(name) and name.lower() not in _AMP_PARAMS
                ]
            )
        stripped = urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))
        normal = urlsplit(BASE_NORMALIZER(stripped))
        host = _fold_host(normal.hostname or "")
        port = normal.port
    except ValueError:
        return url
    if ":" in host:  # an IPv6 literal
        host = f"[{host}]"
    if port and port not in (80, 443):
        host = f"{host}:{port}"
    rest = f"?{normal.query}" if normal.query else ""
    return f"https://{host}{_fold_path(normal.path)}{rest}"


def _is_site_root(key: str) -> bool:
    """A key naming a whole site (`https://example.org`): feeds that give every item the
    home page as link would otherwise melt into one story."""
    parts = urlsplit(key)
    return not parts.path and not parts.query


def url_keys(link: str | None, url: str | None) -> tuple[str, ...]:
    """The canonical URL keys of an entry, its outbound link first, then its permalink;
    site roots are no keys."""
    keys: list[str] = []
    for value in (link, url):
        if not value:
            continue
        key = canonical_url(value)
        if key not in keys and not _is_site_root(key):
            keys.append(key)
    return tuple(keys)


def entry_identity(platform: str, native_id: str) -> str:
    """The name of one entry: `entry:PLATFORM:NATIVE_ID` (a story's `story_key` names its
    best entry this way, so it is unique)."""
    return f"entry:{platform}:{native_id}"


def story_key(entry: ParsedEntry) -> str:
    """The primary key of a lone entry: its first URL key, else its identity."""
    keys = url_keys(entry.link, entry.url)
    return keys[0] if keys else entry_identity(entry.platform, entry.native_id)


# -- text fingerprints -------------------------------------------------------------------

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
"""Only the start of long texts is fingerprinted."""
BANDS = 6
ROWS = 2
"""MinHash LSH: BANDS bands of ROWS hashes; a pair with Jaccard J becomes a candidate with
probability 1 - (1 - J^ROWS)^BANDS (0.93 at 0.6, 0.99 at 0.75)."""
TITLE_KINDS: frozenset[str] = frozenset({"article", "video", "short", "podcast"})
"""Kinds whose title is a real title (a post's title is its first line)."""
NO_NEAR_KINDS: frozenset[str] = frozenset({"discussion", "release"})
"""A submission's text is the submitter's; releases of one project all look alike."""

_MASK63 = (1 << 63) - 1
_MINHASH_MASKS = tuple(
    int.from_bytes(hashlib.blake2b(f"minhash{i}".encode(), digest_size=8).digest())
    for i in range(BANDS * ROWS)
)
"""One random 64-bit mask per MinHash function: XOR with a mask permutes the hash space,
so the least masked hash of a text is a min-wise sample of its bigrams (and `map` keeps the
loop in C)."""
_STOPWORD_TEXT = """
    a an the and or but if of to in on at by for with from as is are was were be been
    being it its this that these those i me my we our you your he she they them their his
    her so than then there here what which who whom how when where why all any some no not
    do does did done have has had will would can could should just also very too about into
    over out up down more most own same such only again once s t ll ve re d m"""
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())
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
    return unicodedata.normalize("NFKC", text).casefold()


def content_words(text: str) -> list[str]:
    """Lower-case words of a text without links, @mentions, `#` signs and stop words."""
    text = _MENTION.sub(" ", _URL_TEXT.sub(" ", _fold(text)))
    return [w for w in _WORD.findall(text) if w not in _STOPWORDS and w != "_"]


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


def _host_label(url: str | None) -> str:
    if not url:
        return ""
    try:
        host = _fold_host(urlsplit(url).hostname or "")
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
    host = _host_label(url)
    core = title.strip()
    for _ in range(3):
        pieces = _SUFFIX_SPLIT.split(core)
        if len(pieces) < 2:
            break
        head = core[: core.rfind(pieces[-1])].rstrip(" |-–—·:»")
        if len(_WORD.findall(head)) < 3 or not _site_like(pieces[-1], authors, host):
            break
        core = head
    return core


def _hash64(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest())


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
    shingles: frozenset[int]
    """Hashed word bigrams of the text (empty when too short to compare)."""
    opening: str | None = None
    """The first `PREFIX_WORDS` content words, when the text is long enough to compare."""


@dataclass(frozen=True)
class NearMatch:
    """Why two entries are near-duplicates."""

    rule: str
    """`text` (similar text) or `title` (same title without site suffixes)."""
    similarity: float
    """Jaccard (or containment) of the texts; 1.0 for equal titles."""


def fingerprint(
    *,
    platform: str,
    kind: str,
    title: str,
    text: str,
    author: str | None,
    handle: str | None,
    url: str | None,
    published: int,
) -> Fingerprint | None:
    """The fingerprint of an entry, or None when it cannot be a near-duplicate (no author,
    a discussion or release, too little text and no real title)."""
    if kind in NO_NEAR_KINDS:
        return None
    authors = author_keys(author, handle)
    if not authors:
        return None
    title_key: str | None = None
    if kind in TITLE_KINDS:
        core_title = title_core(title, authors, url)
        core = " ".join(_WORD.findall(_fold(core_title)))
        if len(content_words(core_title)) >= 2 and len(core) >= 12:
            title_key = core
    words = content_words(text or title)[:MAX_TEXT_WORDS]
    shingles: frozenset[int] = frozenset()
    opening: str | None = None
    if len(words) >= MIN_TEXT_WORDS:
        shingles = frozenset(_hash64(f"{a} {b}") for a, b in itertools.pairwise(words))
        opening = " ".join(words[:PREFIX_WORDS])
    if title_key is None and not shingles:
        return None
    return Fingerprint(
        account=f"{platform}:{_squash(handle)}"
        if handle
        else f"{platform}:{_host_label(url)}:{_squash(author or '')}",
        authors=authors,
        published=published,
        title_key=title_key,
        title_full=" ".join(_WORD.findall(_fold(title))),
        shingles=shingles,
        opening=opening,
    )


def index_keys(print_: Fingerprint) -> tuple[int, ...]:
    """The index rows of a fingerprint: one hash per MinHash band, and one for the title.
    Two near-duplicates share at least one (with the probability `BANDS` says)."""
    keys: list[int] = []
    if print_.title_key is not None:
        keys.append(_hash64(f"title:{print_.title_key}") & _MASK63)
    if print_.opening is not None:
        keys.append(_hash64(f"opening:{print_.opening}") & _MASK63)
    if print_.shingles:
        mins = [min(map(mask.__xor__, print_.shingles)) for mask in _MINHASH_MASKS]
        for band in range(BANDS):
            values = mins[band * ROWS : (band + 1) * ROWS]
            keys.append(_hash64(f"band{band}:" + ",".join(map(str, values))) & _MASK63)
    return tuple(keys)


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
        min(len(x), len(y)) >= 6 and (x.startswith(y) or y.startswith(x)) for x in a for y in b
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
    jaccard, contained = text_similarity(a.shingles, b.shingles)
    if jaccard >= TEXT_THRESHOLD:
        return NearMatch("text", round(jaccard, 3))
    if contained >= CONTAINED_THRESHOLD:
        return NearMatch("text", round(contained, 3))
    return None


# -- the best sighting -------------------------------------------------------------------

_MEDIA_FIRST: Mapping[str, int] = {"post": 1}


def shares_a_link(link: str | None, url: str | None) -> bool:
    """Whether an entry points elsewhere (a post or a submission sharing an article)."""
    if not link:
        return False
    return not url or canonical_url(link) != canonical_url(url)


def sighting_rank(
    *,
    platform: str,
    native_id: str,
    kind: str,
    url: str | None,
    link: str | None,
    published: int | None,
) -> tuple[Any, ...]:
    """Sort key of a story's entries, best first. Tiers: 0 the original (an article, a
    video, a post that links nowhere else; an article before a post), 1 a post that
    shares a link, 2 a discussion (HN, Lobsters, Reddit submission). Ties: earliest
    published, then platform and native id, so the choice never depends on arrival order.
    A boost is never an entry (it is a sighting of the original), so it cannot win."""
    if kind == "discussion":
        tier = 2
    elif shares_a_link(link, url):
        tier = 1
    else:
        tier = 0
    never = 1 << 62
    return (tier, _MEDIA_FIRST.get(kind, 0), published or never, platform, native_id)


def shown_kind(kind: str, link: str | None, url: str | None) -> Kind:
    """The kind a story shows for its best entry: a post sharing a YouTube video is a video."""
    shares_video = bool(link) and shares_a_link(link, url) and youtube_video_id(link or "")
    if kind in ("post", "discussion") and shares_video:
        return "short" if "/shorts/" in (link or "") else "video"
    return kind  # type: ignore[return-value]


# -- why entries are one story -----------------------------------------------------------


def describe_join(reason: Mapping[str, Any], label: Callable[[int], str] = str) -> str:
    """One line saying why an entry is in its story (`devfeed why`). `label(entry_id)`
    names another entry."""
    rule = reason.get("rule")
    other = reason.get("entry")
    via = f" as {label(int(other))}" if isinstance(other, int) else ""
    if rule == "first":
        return "started the story"
    if rule == "url":
        return f"same canonical URL {reason.get('key')}{via}"
    if rule == "video":
        return f"same video id {reason.get('video')}{via}"
    if rule == "text":
        return f"near-duplicate text, similarity {reason.get('similarity')}{via}"
    if rule == "title":
        return f"same title {reason.get('title')!r} by the same author{via}"
    if rule == "merged":
        return f"was story {reason.get('story')} until{via} tied it to this one"
    if rule == "legacy":
        return "joined before devfeed recorded reasons (same canonical URL)"
    return f"joined by rule {rule!r}"


def url_reason(key: str, entry_id: int) -> dict[str, Any]:
    """The join reason for a shared URL key (a video id when the key is a video)."""
    video = youtube_video_id(key)
    if video:
        return {"rule": "video", "video": video, "entry": entry_id}
    return {"rule": "url", "key": key, "entry": entry_id}


def near_reason(match: NearMatch, entry_id: int, title: str | None) -> dict[str, Any]:
    """The join reason for a near-duplicate."""
    if match.rule == "title":
        return {"rule": "title", "title": title, "entry": entry_id}
    return {"rule": "text", "similarity": match.similarity, "entry": entry_id}


# -- grouping a batch --------------------------------------------------------------------


@dataclass(frozen=True)
class NewEntry:
    """An entry the store has not seen, as the planner needs it."""

    id: int
    """The row id it will get."""
    keys: tuple[str, ...]
    """`url_keys`."""
    print: Fingerprint | None
    """`fingerprint`, None when it cannot be a near-duplicate."""
    bands: tuple[int, ...]
    """`index_keys` of the fingerprint."""
    title: str
    """Its title (named in a title reason)."""


@dataclass(frozen=True)
class KnownEntry:
    """An entry already in the store, reached through a URL key or an index band."""

    id: int
    story_id: int
    print: Fingerprint | None = None


@dataclass
class Group:
    """New entries and existing stories that are one story."""

    entries: list[int]
    """Indexes into the batch."""
    stories: list[int]
    """Existing story ids, ascending; the first survives, the others merge into it."""
    linked_by: dict[int, int]
    """Existing story id -> id of the new entry that tied it to the group."""


@dataclass
class Plan:
    """What a batch of new entries does to the stories."""

    groups: list[Group]
    """One per resulting story touched by the batch."""
    reasons: list[list[dict[str, Any]]]
    """Per new entry: why it joined (empty: it started a story), then any further
    stories it tied in."""


class _Union:
    def __init__(self) -> None:
        self.parent: dict[tuple[str, int], tuple[str, int]] = {}

    def find(self, node: tuple[str, int]) -> tuple[str, int]:
        parent = self.parent.setdefault(node, node)
        if parent != node:
            parent = self.parent[node] = self.find(parent)
        return parent

    def union(self, a: tuple[str, int], b: tuple[str, int]) -> bool:
        root_a, root_b = self.find(a), self.find(b)
        if root_a == root_b:
            return False
        self.parent[max(root_a, root_b)] = min(root_a, root_b)
        return True


def plan_batch(
    fresh: list[NewEntry],
    owners: Mapping[str, KnownEntry],
    by_band: Mapping[int, list[KnownEntry]],
) -> Plan:
    """Group a batch of new entries with each other and with the stories they join.

    `owners` maps URL keys to the stored entry that holds each; `by_band` maps index keys
    to stored entries (with fingerprints) near enough in time to be checked. Every edge is
    a rule between two entries, so the groups are the same whatever order the entries came
    in; reasons are recorded in batch order."""
    union = _Union()
    reasons: list[list[dict[str, Any]]] = [[] for _ in fresh]
    linked_by: dict[int, int] = {}
    batch_keys: dict[str, int] = {}
    batch_bands: dict[int, list[int]] = {}

    def join(index: int, other: tuple[str, int], reason: dict[str, Any]) -> None:
        if union.union(("e", index), other):
            reasons[index].append(reason)
            if other[0] == "s":
                linked_by.setdefault(other[1], fresh[index].id)

    for index, new in enumerate(fresh):
        union.find(("e", index))
        for key in new.keys:
            owner = owners.get(key)
            if owner is not None:
                join(index, ("s", owner.story_id), url_reason(key, owner.id))
            elif key in batch_keys:
                other = batch_keys[key]
                join(index, ("e", other), url_reason(key, fresh[other].id))
            else:
                batch_keys[key] = index
        if new.print is None:
            continue
        checked: set[tuple[str, int]] = set()
        for band in new.bands:
            for known in by_band.get(band, ()):
                if ("k", known.id) in checked or known.print is None:
                    continue
                checked.add(("k", known.id))
                match = near_duplicate(new.print, known.print)
                if match is not None:
                    join(index, ("s", known.story_id), near_reason(match, known.id, new.title))
            for other in batch_bands.get(band, ()):
                other_print = fresh[other].print
                if ("e", other) in checked or other_print is None:
                    continue
                checked.add(("e", other))
                match = near_duplicate(new.print, other_print)
                if match is not None:
                    join(index, ("e", other), near_reason(match, fresh[other].id, new.title))
        for band in new.bands:
            batch_bands.setdefault(band, []).append(index)

    groups: dict[tuple[str, int], Group] = {}
    for node in list(union.parent):
        group = groups.setdefault(union.find(node), Group([], [], {}))
        kind, value = node
        if kind == "e":
            group.entries.append(value)
        else:
            group.stories.append(value)
            if value in linked_by:
                group.linked_by[value] = linked_by[value]
    result = [g for g in groups.values() if g.entries]
    for group in result:
        group.entries.sort()
        group.stories.sort()
    result.sort(key=lambda g: g.entries[0])
    return Plan(groups=result, reasons=reasons)
