"""Canonical URLs and story keys. Pure: no I/O, no clock.

Two entries with the same story key are one story. The key is the canonical form of the
link an entry points to (its outbound link, else its permalink); entries without a link
are keyed by platform and native id. Cross-platform near-duplicates come later (issue 4).
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit

from devfeed.models import ParsedEntry

_TRACKING_EXACT = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "msclkid",
        "yclid",
        "igshid",
        "ref",
        "ref_src",
        "ref_url",
        "si",
        "feature",
        "_hsenc",
        "_hsmi",
        "mkt_tok",
        "spm",
        "s_cid",
    }
)
_TRACKING_PREFIXES = ("utm_", "mc_", "pk_", "hsa_", "oly_", "vero_", "__s")
_HOST_PREFIXES = ("www.", "m.", "mobile.", "amp.")
_YOUTUBE_HOSTS = frozenset({"youtube.com", "youtu.be", "youtube-nocookie.com", "music.youtube.com"})
_VIDEO_ID = re.compile(r"^[A-Za-z0-9_-]{11}$")


def _is_tracking(name: str) -> bool:
    lowered = name.lower()
    return lowered in _TRACKING_EXACT or lowered.startswith(_TRACKING_PREFIXES)


def youtube_video_id(url: str) -> str | None:
    """The video id of any YouTube video URL form (watch, youtu.be, shorts, embed, live)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    for prefix in _HOST_PREFIXES:
        host = host.removeprefix(prefix)
    if host not in _YOUTUBE_HOSTS:
        return None
    path = parts.path.strip("/").split("/")
    candidate: str | None = None
    if host == "youtu.be" and path and path[0]:
        candidate = path[0]
    elif path and path[0] == "watch":
        candidate = dict(parse_qsl(parts.query)).get("v")
    elif len(path) >= 2 and path[0] in ("shorts", "embed", "live", "v"):
        candidate = path[1]
    return candidate if candidate and _VIDEO_ID.match(candidate) else None


def canonical_url(url: str) -> str:
    """The form of a URL that equal links share: no scheme difference (http = https), lower-case
    host without www./m./amp., no default port, no fragment, no tracking parameters, sorted
    query, no trailing slash, AMP paths folded, every YouTube video URL as one form."""
    video = youtube_video_id(url)
    if video:
        return f"youtube.com/watch?v={video}"
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower().rstrip(".")
    for prefix in _HOST_PREFIXES:
        if host.startswith(prefix) and host.count(".") >= 2:
            host = host.removeprefix(prefix)
            break
    try:
        port = parts.port
    except ValueError:
        port = None
    if port and port not in (80, 443):
        host = f"{host}:{port}"
    path = re.sub(r"/{2,}", "/", parts.path or "/")
    path = re.sub(r"/amp/?$", "", path) or "/"
    path = path.rstrip("/")
    query = sorted(
        (name, value)
        for name, value in parse_qsl(parts.query, keep_blank_values=True)
        if not _is_tracking(name) and not (name.lower() == "amp" and value in ("", "1"))
    )
    encoded = urlencode(query)
    return f"{host}{path}" + (f"?{encoded}" if encoded else "")


def story_key(entry: ParsedEntry) -> str:
    """The key that decides which story an entry belongs to."""
    link = entry.link or entry.url
    if link:
        return f"url:{canonical_url(link)}"
    return f"entry:{entry.platform}:{entry.native_id}"
