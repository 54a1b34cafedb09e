"""Canonical URLs and URL keys: the "same link" rule. Pure: no I/O, no clock.

w3lib (Scrapy's URL library) normalizes what a URL library knows: percent-encoding, dot
segments, IDN hosts, the order of the query. This module adds what such a library does not
know about links people share: tracking parameters, mobile and AMP hosts, AMP caches,
trailing slashes, http vs https, and every URL form of one YouTube video.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from urllib.parse import parse_qsl, unquote_plus, urlencode, urlsplit, urlunsplit

from devfeed.models import ParsedEntry

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
    encodes IDN hosts, sorts the query and drops the fragment. Imported here, not at the
    top: the reader never canonicalizes and starts 5–10 ms sooner without it; against
    the ~20 µs the call takes, the import statement costs little."""
    from w3lib.url import canonicalize_url

    return canonicalize_url(url, keep_fragments=False)


BASE_NORMALIZER: Normalizer = w3lib_normalize
"""The library normalization under `canonical_url`; `benchmarks/dedup_eval.py --compare-url-libs`
swaps it to compare libraries on the labeled set."""


def _is_tracking(name: str) -> bool:
    lowered = name.lower()
    return lowered in _TRACKING_EXACT or lowered.startswith(_TRACKING_PREFIXES)


_CLICK_TRACKERS = frozenset(
    {"fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "twclid", "ttclid"}
    | {"igshid", "mc_cid", "mc_eid", "_hsenc", "_hsmi", "mkt_tok"}
)
"""Parameters that can only be click tracking (a site never needs them to show a page);
`ref`, `share`, `si` and the like are kept when opening, since some sites do need them."""


def without_tracking(url: str) -> str:
    """`url` without its click-tracking query parameters (`utm_*`, `fbclid` ...), for
    opening it; everything else, its order and its encoding, is left as it is."""
    parts = urlsplit(url)
    if not parts.query:
        return url
    kept = [
        pair
        for pair in parts.query.split("&")
        if not (
            (name := unquote_plus(pair.split("=", 1)[0]).lower()).startswith("utm_")
            or name in _CLICK_TRACKERS
        )
    ]
    if len(kept) == len(parts.query.split("&")):
        return url
    return urlunsplit(parts._replace(query="&".join(kept)))


def fold_host(host: str) -> str:
    """A host in lower case without `www.`, `m.`, `mobile.`, `amp.` (while a domain remains)."""
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
    if "youtu" not in url.lower():  # every host in `_YOUTUBE_HOSTS` has it: not a video
        return None
    if url.startswith(_VIDEO_KEY) and _VIDEO_ID.fullmatch(url[len(_VIDEO_KEY) :]):
        return url[len(_VIDEO_KEY) :]  # a `video_key` itself, as every video's URL key is
    try:
        parts = urlsplit(url.strip())
        host = fold_host(parts.hostname or "")
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


_VIDEO_KEY = "https://youtube.com/watch?v="


def video_key(video_id: str) -> str:
    """The canonical URL every form of one YouTube video shares."""
    return _VIDEO_KEY + video_id


def _unwrap_amp_cache(url: str) -> str:
    """`https://www-x-com.cdn.ampproject.org/c/s/www.x.com/p` and `google.com/amp/s/x.com/p`
    -> `https://www.x.com/p`."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    path = parts.path
    if host.endswith(".cdn.ampproject.org"):
        match = _AMP_CACHE.match(path)
    elif fold_host(host) == "google.com" and path.startswith("/amp/"):
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


_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_CANONICAL_AS_IS = re.compile(
    rf"https?://(?P<host>(?:{_LABEL}\.)+{_LABEL})"
    r"(?P<path>(?:/(?!\.\.?(?:/|$))[A-Za-z0-9._~-]+)+)"
)
"""A URL that is canonical as it is, but for http: a lower-case ASCII host, a path of
unreserved characters without dot segments, empty segments or a trailing slash, and no
port, query or fragment (most permalinks in feeds)."""


def _plain_canonical(url: str) -> str | None:
    """`canonical_url` of a URL `_CANONICAL_AS_IS` matches, without the URL library (a
    first poll computes it for every entry); None for any other URL. `--` (IDNA), `youtu`,
    AMP pages and caches take the long way, and so does a host that `fold_host` would
    change."""
    match = _CANONICAL_AS_IS.fullmatch(url)
    if match is None or "--" in url or "youtu" in url:
        return None
    host, path = match["host"], match["path"]
    if (
        fold_host(host) != host
        or host.rpartition(".")[2].isdigit()  # an IPv4 address to some libraries
        or host == "google.com"
        or host.endswith(".ampproject.org")
        or path.endswith(("/amp", ".amp"))
    ):
        return None
    return f"https://{host}{path}"


@functools.lru_cache(maxsize=1 << 16)
def canonical_url(url: str) -> str:
    """The form of a URL that equal links share, itself a URL, so the function is
    idempotent: https for http, no user info, lower-case host without www./m./mobile./amp.,
    no default port, no fragment, no tracking parameters, sorted query, no trailing slash,
    AMP pages and caches folded into the page, every YouTube video URL as one form."""
    url = url.strip()
    if BASE_NORMALIZER is w3lib_normalize and (plain := _plain_canonical(url)) is not None:
        return plain
    return _canonical_url(url)


def _canonical_url(url: str) -> str:
    """`canonical_url` the long way, through the URL library."""
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
        # the host folded first too: what the normalizer makes of "www.0.0" and of "0.0"
        # may differ (w3lib 2.6 reads a host whose last label is digits as IPv4)
        hostname = parts.hostname or ""
        netloc = f"[{hostname}]" if ":" in hostname else fold_host(hostname)
        if parts.port is not None:
            netloc = f"{netloc}:{parts.port}"
        stripped = urlunsplit((parts.scheme, netloc, parts.path, query, ""))
        try:
            normal = urlsplit(BASE_NORMALIZER(stripped))
        except ValueError:  # a host it refuses ("a.0" is no IPv4 address): as it is
            normal = urlsplit(stripped)
        host = fold_host(normal.hostname or "")
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
    if key.startswith("https://") and "/" in key[8:] and "#" not in key:  # a path or query
        return False
    try:
        parts = urlsplit(key)
    except ValueError:  # "https://[x": no URL library reads it, so it names no site either
        return False
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
