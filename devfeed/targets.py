"""What people paste into `devfeed follow`, turned into a `Follow`. Pure: no I/O.

`parse_target` takes a feed or profile URL, `@handle`, `@user@instance`, `#tag`, `r/name`
... plus the `--platform` / `--instance` the user gave, and returns the follow exactly as
feeds.toml writes it (see DESIGN.md, "Follows"):

- rss: `url` = the feed; youtube: profile = channel id `UC...`, playlist id `PL...`,
  `@handle` or a legacy user name;
- mastodon: hashtag or profile (user name) with `instance`; a remote `user@host` becomes
  `instance = host`; peertube: hashtag or profile (channel name) with `instance`;
- reddit: hashtag = subreddit, profile = user; github: profile = `owner/repo` (releases)
  or a user; devto, lobsters, instagram: tag or user name; stackoverflow: tag or numeric
  user id; bluesky: tag or handle (`alice.bsky.social`) / DID; hackernews: hashtag = a
  search query, profile = user.

Only http(s) URLs are accepted. Anything that cannot be placed is a `UsageError` whose
message lists what can be pasted. `follow_for_feed_url` is the stricter variant used for
OPML import: it only recognises feed URLs of known platforms and otherwise keeps the URL
as an RSS follow.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

from devfeed.errors import UsageError
from devfeed.models import PLATFORM_NAMES, Follow
from devfeed.sanitize import clean_line, safe_url

FEDERATED = ("mastodon", "peertube")
"""Platforms whose follows name an instance."""

HASHTAG_PLATFORMS = (
    "mastodon",
    "bluesky",
    "peertube",
    "reddit",
    "hackernews",
    "devto",
    "lobsters",
    "stackoverflow",
    "instagram",
)
"""Platforms with something a `#tag` can follow (a subreddit, a search query for HN)."""

EXAMPLES = """\
  devfeed follow https://blog.example.org/feed.xml       a feed (RSS, Atom, JSON Feed)
  devfeed follow https://www.youtube.com/@ArjanCodes     a YouTube channel (or @ArjanCodes)
  devfeed follow https://fosstodon.org/@user             a Mastodon account (or @user@fosstodon.org)
  devfeed follow '#python' --platform mastodon --instance fosstodon.org
  devfeed follow '#rust' --platform lobsters             a tag (also devto, stackoverflow ...)
  devfeed follow r/python                                a subreddit (or its URL)
  devfeed follow https://github.com/astral-sh/uv         a repository's releases
  devfeed follow https://dev.to/t/python                 a dev.to tag (lobste.rs/t/rust too)
  devfeed follow https://bsky.app/profile/alice.bsky.social"""

MAX_TARGET_LENGTH = 2000

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
_HOSTNAME = re.compile(
    r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$"
)
_SCHEMELESS_URL = re.compile(r"^[A-Za-z0-9.-]+\.[A-Za-z]{2,}(?::\d+)?/")

_YT_CHANNEL = re.compile(r"^UC[A-Za-z0-9_-]{22}$")
_YT_PLAYLIST = re.compile(r"^(?:PL|UU|UULF|UUSH|FL|OL|LL)[A-Za-z0-9_-]{10,64}$")
_YT_HANDLE = re.compile(r"^@[\w.-]{3,30}$")
_YT_USER = re.compile(r"^[A-Za-z0-9]{1,40}$")
_GH_USER = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$")
_GH_REPO = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")
_BSKY_HANDLE = re.compile(
    r"^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$"
)
_BSKY_DID = re.compile(r"^did:(?:plc|web):[A-Za-z0-9._:%-]{1,200}$")

# profile names per platform (beyond the special forms above)
_PROFILE = {
    "mastodon": re.compile(r"^[\w.-]{1,64}$"),
    "peertube": re.compile(r"^[\w.-]{1,64}$"),
    "reddit": re.compile(r"^[A-Za-z0-9_-]{2,24}$"),
    "devto": re.compile(r"^[A-Za-z0-9_]{1,40}$"),
    "lobsters": re.compile(r"^[A-Za-z0-9_-]{1,50}$"),
    "stackoverflow": re.compile(r"^[0-9]{1,12}$"),
    "hackernews": re.compile(r"^[A-Za-z0-9_-]{1,32}$"),
    "instagram": re.compile(r"^[A-Za-z0-9_.]{1,30}$"),
}
# hashtags per platform; the default admits letters of any script, digits, `_ . + -`
_HASHTAG = {
    "reddit": re.compile(r"^[A-Za-z0-9_]{2,21}$"),
    "stackoverflow": re.compile(r"^[a-z0-9.#+-]{1,35}$"),
    "mastodon": re.compile(r"^\w{1,100}$"),
}
_HASHTAG_DEFAULT = re.compile(r"^[\w.+-]{1,100}$")
_LOWERCASE_TAGS = ("stackoverflow", "devto", "lobsters")

_YOUTUBE_HOSTS = ("youtube.com", "www.youtube.com", "m.youtube.com", "music.youtube.com")
_REDDIT_HOSTS = (
    "reddit.com",
    "www.reddit.com",
    "old.reddit.com",
    "new.reddit.com",
    "np.reddit.com",
    "m.reddit.com",
)
_STACKEXCHANGE_HOSTS = ("superuser.com", "serverfault.com", "askubuntu.com", "mathoverflow.net")
_KNOWN_MASTODON = (
    "mastodon.social",
    "fosstodon.org",
    "hachyderm.io",
    "infosec.exchange",
    "mas.to",
    "mstdn.social",
    "mastodon.online",
    "techhub.social",
    "ruby.social",
    "floss.social",
    "chaos.social",
    "mathstodon.xyz",
    "toot.community",
)
_GITHUB_RESERVED = frozenset(
    {
        "about",
        "apps",
        "blog",
        "collections",
        "contact",
        "customer-stories",
        "enterprise",
        "events",
        "explore",
        "features",
        "issues",
        "join",
        "login",
        "marketplace",
        "new",
        "notifications",
        "organizations",
        "pricing",
        "pulls",
        "search",
        "security",
        "settings",
        "site",
        "team",
        "topics",
        "trending",
    }
)
_DEVTO_RESERVED = frozenset(
    {
        "t",
        "top",
        "latest",
        "search",
        "settings",
        "about",
        "enter",
        "feed",
        "tags",
        "listings",
        "podcasts",
        "videos",
        "pod",
        "dashboard",
        "faq",
        "contact",
        "code-of-conduct",
        "privacy",
        "terms",
        "signout_confirm",
        "api",
    }
)
_INSTAGRAM_RESERVED = frozenset(
    {
        "explore",
        "accounts",
        "about",
        "developer",
        "direct",
        "p",
        "reel",
        "reels",
        "tv",
    }
)


@dataclass(frozen=True)
class Target:
    """A pasted target, placed."""

    follow: Follow
    """The follow to write (no name, interval or tags yet)."""
    note: str | None = None
    """What the user should know about how it was read (a guess, a part left out)."""


def _fail(message: str, *, examples: bool = False) -> UsageError:
    if examples:
        message += "\nwhat devfeed can follow:\n" + EXAMPLES
    return UsageError(message)


def _shown(text: str) -> str:
    return repr(clean_line(text, max_length=120))


# --- values -----------------------------------------------------------------------------


def check_platform(platform: str) -> str:
    """A platform name from the user; raises `UsageError` with a hint for a typo."""
    name = platform.strip().lower()
    if name not in PLATFORM_NAMES:
        close = difflib.get_close_matches(name, PLATFORM_NAMES, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise _fail(
            f"unknown platform {_shown(platform)}{hint} (known: {', '.join(PLATFORM_NAMES)})"
        )
    return name


def _idna(host: str) -> str | None:
    host = host.lower().rstrip(".")
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError:
        return None
    return host if _HOSTNAME.match(host) else None


def check_instance(value: str) -> str:
    """A federated instance, normalized: `fosstodon.org`, or a base URL when it has a scheme
    other than https or a port (`http://127.0.0.1:8081`). Raises `UsageError`."""
    text = value.strip().rstrip("/")
    problem = _fail(
        f"{_shown(value)} is not an instance: give a host name such as 'fosstodon.org' "
        "or a base URL such as 'https://fosstodon.org'"
    )
    if not text or clean_line(text) != text or " " in text:
        raise problem
    scheme_match = _SCHEME.match(text)
    if scheme_match and not text.lower().startswith(("http://", "https://")):
        if not re.match(r"^[^/]+:\d+$", text):  # host:port has no scheme
            raise problem
        text = f"https://{text}"
    if not text.lower().startswith(("http://", "https://")):
        text = f"https://{text}"
    parts = urlsplit(text)
    if parts.path not in ("", "/") or parts.query or parts.fragment or "@" in parts.netloc:
        raise problem
    try:
        port = parts.port
    except ValueError:
        raise problem from None
    host = _idna(parts.hostname or "")
    if host is None:
        raise problem
    scheme = parts.scheme.lower()
    if scheme == "https" and port in (None, 443):
        return host
    return f"{scheme}://{host}" + (f":{port}" if port is not None else "")


def check_hashtag(platform: str, tag: str) -> str:
    """A hashtag for `platform`, without the `#`. Raises `UsageError`."""
    if platform not in HASHTAG_PLATFORMS:
        with_tags = ", ".join(HASHTAG_PLATFORMS)
        raise _fail(f"{platform} has no hashtags to follow (these do: {with_tags})")
    value = tag.strip().removeprefix("#")
    if platform == "reddit":
        value = value.removeprefix("/").removeprefix("r/")
    if platform in _LOWERCASE_TAGS:
        value = value.lower()
    if not _HASHTAG.get(platform, _HASHTAG_DEFAULT).match(value):
        what = "subreddit name" if platform == "reddit" else f"{platform} tag"
        raise _fail(f"{_shown(tag)} is not a {what}")
    return value


def check_profile(platform: str, profile: str) -> str:
    """A profile for `platform` in the form its module reads. Raises `UsageError`."""
    value = profile.strip()
    bad = _fail(f"{_shown(profile)} is not a {platform} profile")
    if platform == "rss":
        raise _fail("an rss follow is a feed URL: paste the URL of the feed")
    if platform == "youtube":
        if _YT_CHANNEL.match(value) or _YT_PLAYLIST.match(value) or _YT_HANDLE.match(value):
            return value
        if _YT_USER.match(value):
            return value
        raise bad
    if platform == "github":
        owner, _, repo = value.strip("/").partition("/")
        if not _GH_USER.match(owner) or (
            repo and (not _GH_REPO.match(repo) or repo in (".", ".."))
        ):
            raise bad
        return f"{owner}/{repo.removesuffix('.git')}" if repo else owner
    if platform == "bluesky":
        value = value.removeprefix("@")
        if _BSKY_DID.match(value):
            return value
        value = value.lower()
        if _BSKY_HANDLE.match(value):
            return value
        raise bad
    value = value.removeprefix("@")
    if platform == "reddit":
        value = value.removeprefix("/").removeprefix("u/").removeprefix("user/")
    if platform == "lobsters":
        value = value.removeprefix("~")
    pattern = _PROFILE.get(platform)
    if pattern is None or not pattern.match(value):
        raise bad
    return value


def check_name(name: str) -> str:
    """A follow's label from the user: one line, no control characters. Raises
    `UsageError`."""
    value = name.strip()
    if not value or clean_line(value, max_length=200) != value:
        raise _fail("a name is one line of text without control characters (200 at most)")
    return value


# --- the parser ---------------------------------------------------------------------------


def _clean_target(text: str) -> str:
    value = text.strip()
    if not value:
        raise _fail("nothing to follow: give a URL, @handle or #tag", examples=True)
    if len(value) > MAX_TARGET_LENGTH:
        raise _fail(f"the target is longer than {MAX_TARGET_LENGTH} characters")
    if clean_line(value, max_length=MAX_TARGET_LENGTH) != value or any(c.isspace() for c in value):
        raise _fail(
            f"{_shown(value)} contains spaces or control characters: paste one URL, @handle or #tag"
        )
    if value.startswith("-"):
        raise _fail(
            f"{_shown(value)} looks like an option, not a target "
            "(write `devfeed follow -- TARGET` if it really starts with '-')"
        )
    return value


def parse_target(text: str, *, platform: str | None = None, instance: str | None = None) -> Target:
    """Place a pasted target (see the module docstring). Raises `UsageError`."""
    value = _clean_target(text)
    platform = check_platform(platform) if platform is not None else None
    instance = check_instance(instance) if instance is not None else None
    if instance is not None and platform is not None and platform not in FEDERATED:
        raise _fail(
            f"--instance is for federated platforms ({', '.join(FEDERATED)}), not {platform}"
        )
    scheme = _SCHEME.match(value)
    if scheme and not value.startswith("@"):
        if scheme.group(1).lower() not in ("http", "https"):
            raise _fail(
                f"only http:// and https:// URLs can be followed, not {scheme.group(1)}: URLs",
                examples=True,
            )
        return _from_url(value, platform, instance)
    if _SCHEMELESS_URL.match(value):
        return _from_url(f"https://{value}", platform, instance)
    return _from_word(value, platform, instance)


def _need_instance(platform: str, instance: str | None, what: str) -> str:
    if instance is None:
        raise _fail(
            f"a {platform} {what} needs an instance: add --instance HOST "
            "(for example --instance fosstodon.org)"
        )
    return instance


def _from_word(value: str, platform: str | None, instance: str | None) -> Target:
    if platform is None and instance is not None:
        platform = "mastodon"  # by far the most common instance; --platform peertube says otherwise
    if value.startswith("#"):
        if platform is None:
            raise _fail(
                f"which platform is {_shown(value)} on? add --platform "
                f"({', '.join(HASHTAG_PLATFORMS)}); mastodon and peertube also need --instance",
                examples=True,
            )
        tag = check_hashtag(platform, value)
        where = _need_instance(platform, instance, "hashtag") if platform in FEDERATED else None
        return Target(Follow(platform=platform, instance=where, hashtag=tag))
    reddit = re.match(r"^/?(r|u|user)/([^/]+)/?$", value)
    if reddit and platform in (None, "reddit"):
        if reddit.group(1) == "r":
            return Target(
                Follow(platform="reddit", hashtag=check_hashtag("reddit", reddit.group(2)))
            )
        return Target(Follow(platform="reddit", profile=check_profile("reddit", reddit.group(2))))
    acct = re.match(r"^@?([\w.-]+)@([^@/]+)$", value)
    if acct:
        return _account(acct.group(1), acct.group(2), platform, instance)
    if value.startswith("@"):
        if platform is None:
            return Target(
                Follow(platform="youtube", profile=check_profile("youtube", value)),
                note=f"read {value} as a YouTube handle; add --platform for another platform",
            )
        return _profile_word(platform, value, instance)
    if platform is not None and platform in ("github", "youtube", "bluesky", "stackoverflow"):
        return _profile_word(platform, value, instance)
    if platform is None and re.match(r"^[A-Za-z0-9-]+/[A-Za-z0-9_.-]+$", value):
        raise _fail(
            f"is {_shown(value)} a GitHub repository? add --platform github, or paste "
            f"https://github.com/{value}",
            examples=True,
        )
    raise _fail(
        f"cannot tell what {_shown(value)} is: write #TAG for a hashtag or @NAME for a profile"
        + ("" if platform else " (with --platform), or paste a URL"),
        examples=True,
    )


def _account(user: str, host: str, platform: str | None, instance: str | None) -> Target:
    platform = platform or "mastodon"
    if platform not in FEDERATED:
        raise _fail(f"@{user}@{host} is a fediverse account, not a {platform} profile")
    home = check_instance(host)
    if instance is not None and instance != home:
        raise _fail(f"@{user}@{host} lives on {home}, not on --instance {instance}")
    return Target(Follow(platform=platform, instance=home, profile=check_profile(platform, user)))


def _profile_word(platform: str, value: str, instance: str | None) -> Target:
    if platform == "bluesky" and value.startswith("@") and "." not in value and ":" not in value:
        handle = f"{value[1:].lower()}.bsky.social"
        return Target(
            Follow(platform=platform, profile=check_profile(platform, handle)),
            note=f"read {value} as the Bluesky handle {handle}",
        )
    profile = check_profile(platform, value)
    where = _need_instance(platform, instance, "profile") if platform in FEDERATED else None
    return Target(Follow(platform=platform, instance=where, profile=profile))


# --- URLs --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Url:
    url: str
    host: str
    segments: tuple[str, ...]
    """Path segments, percent-decoded, without empty ones."""
    raw_segments: tuple[str, ...]
    """Path segments as written (still percent-encoded)."""
    query: dict[str, list[str]]
    instance: str
    """The URL's origin as a federated instance (`host`, or a base URL)."""


def _split(url: str) -> _Url:
    checked = safe_url(url)
    if checked is None:
        raise _fail(
            f"{_shown(url)} is not a URL devfeed can follow "
            "(http(s), a host, a valid port, no user info)"
        )
    parts = urlsplit(checked)
    host = _idna(parts.hostname or "")
    if host is None:
        raise _fail(f"{_shown(url)} has no valid host name")
    origin = f"{parts.scheme.lower()}://{host}" + (f":{parts.port}" if parts.port else "")
    raw = tuple(s for s in parts.path.split("/") if s)
    return _Url(
        url=checked,
        host=host,
        segments=tuple(unquote(s) for s in raw),
        raw_segments=raw,
        query=parse_qs(parts.query),
        instance=check_instance(origin),
    )


def _single_post(what: str) -> UsageError:
    return _fail(f"that is {what}, not something to follow: paste its author's or tag's URL")


def _from_url(url: str, platform: str | None, instance: str | None) -> Target:
    parsed = _split(url)
    if platform == "rss":
        return Target(Follow(platform="rss", url=parsed.url))
    found = _known_host(parsed, feed_only=False)
    if found is None:
        found = _fediverse(parsed, platform)
    if found is None:
        if platform is None:
            note = (
                None
                if _looks_like_feed(parsed)
                else ("followed as a feed (rss); if it is a web page, paste its feed's URL instead")
            )
            return Target(Follow(platform="rss", url=parsed.url), note=note)
        return Target(
            Follow(platform=platform, url=parsed.url),
            note=f"followed as a {platform} feed URL",
        )
    follow = found.follow
    if platform is not None and follow.platform != platform:
        raise _fail(f"{_shown(url)} is a {follow.platform} URL, not {platform}")
    if instance is not None and follow.instance is not None and follow.instance != instance:
        raise _fail(f"{_shown(url)} is on {follow.instance}, not on --instance {instance}")
    return found


_FEED_SUFFIXES = (".xml", ".rss", ".atom", ".rdf", ".json")
_FEED_WORDS = frozenset({"feed", "feeds", "rss", "atom", "rss2", "index.xml"})


def _looks_like_feed(u: _Url) -> bool:
    last = u.segments[-1].lower() if u.segments else ""
    in_query = any(word in key.lower() for key in u.query for word in ("feed", "rss", "atom"))
    return (
        last.endswith(_FEED_SUFFIXES)
        or bool(_FEED_WORDS & {s.lower() for s in u.segments})
        or in_query
    )


def _fediverse(u: _Url, platform: str | None) -> Target | None:
    """Mastodon and PeerTube pages on any host (their paths say what they are)."""
    seg = u.segments
    if not seg:
        return None
    first = seg[0]
    mastodon_ok = platform in (None, "mastodon")
    if mastodon_ok and first.startswith("@") and len(first) > 1:
        if len(seg) > 1 and seg[1].isdigit():
            raise _single_post("a single post")
        name = first[1:].removesuffix(".rss")
        user, _, home = name.partition("@")
        if home:
            return _account(user, home, "mastodon", None)
        return Target(
            Follow(
                platform="mastodon", instance=u.instance, profile=check_profile("mastodon", user)
            )
        )
    is_mastodon_host = platform == "mastodon" or u.host in _KNOWN_MASTODON
    tag_page = first == "tags" and len(seg) == 2
    if mastodon_ok and tag_page and (is_mastodon_host or seg[1].endswith(".rss")):
        tag = check_hashtag("mastodon", seg[1].removesuffix(".rss"))
        return Target(Follow(platform="mastodon", instance=u.instance, hashtag=tag))
    if is_mastodon_host and first == "users" and len(seg) == 2:
        return Target(
            Follow(
                platform="mastodon", instance=u.instance, profile=check_profile("mastodon", seg[1])
            )
        )
    peertube_ok = platform in (None, "peertube")
    channel_path = first == "video-channels" or (
        first == "c" and (platform == "peertube" or seg[2:3] == ("videos",))
    )
    if peertube_ok and channel_path and len(seg) >= 2:
        name, _, home = seg[1].partition("@")
        where = check_instance(home) if home else u.instance
        return Target(
            Follow(platform="peertube", instance=where, profile=check_profile("peertube", name))
        )
    if platform == "peertube" and first in ("a", "accounts") and len(seg) >= 2:
        raise _fail(
            "that is a PeerTube account: follow one of its channels (its /c/NAME page) instead"
        )
    if platform == "peertube" and first in ("w", "videos"):
        raise _single_post("a single video")
    return None


def _known_host(u: _Url, *, feed_only: bool) -> Target | None:
    """Pages (and feeds) of platforms with a well-known host; None for other hosts."""
    host = u.host
    if host in _YOUTUBE_HOSTS:
        return _youtube(u, feed_only)
    if host == "youtu.be":
        raise _single_post("a single video")
    if host in _REDDIT_HOSTS:
        return _reddit(u, feed_only)
    if host in ("github.com", "www.github.com"):
        return _github(u, feed_only)
    if host == "dev.to":
        return _devto(u, feed_only)
    if host == "lobste.rs":
        return _lobsters(u, feed_only)
    if host in ("stackoverflow.com", *_STACKEXCHANGE_HOSTS) or host.endswith(".stackexchange.com"):
        return _stackexchange(u, feed_only)
    if host == "bsky.app":
        return _bluesky(u, feed_only)
    if host == "news.ycombinator.com":
        return _hackernews(u, feed_only)
    if host in ("instagram.com", "www.instagram.com"):
        return _instagram(u, feed_only)
    if host == "medium.com" and not feed_only and u.segments and u.segments[0].startswith("@"):
        feed = f"https://medium.com/feed/{u.raw_segments[0]}"
        return Target(Follow(platform="rss", url=feed), note=f"following the author's feed {feed}")
    return None


def _cannot_place(u: _Url, platform: str, forms: str) -> UsageError:
    return _fail(f"cannot place this {platform} URL {_shown(u.url)}; devfeed follows {forms}")


def _youtube(u: _Url, feed_only: bool) -> Target | None:
    seg = u.segments
    query = {k: v[0] for k, v in u.query.items() if v}
    if seg == ("feeds", "videos.xml"):
        for key, pattern in (
            ("channel_id", _YT_CHANNEL),
            ("playlist_id", _YT_PLAYLIST),
            ("user", _YT_USER),
        ):
            if pattern.match(query.get(key, "")):
                return Target(Follow(platform="youtube", profile=query[key]))
        return Target(Follow(platform="youtube", url=u.url))
    if feed_only:
        return None
    if seg and seg[0] == "playlist" and "list" in query:
        return Target(Follow(platform="youtube", profile=check_profile("youtube", query["list"])))
    if seg and seg[0] == "watch":
        if "list" in query:
            return Target(
                Follow(platform="youtube", profile=check_profile("youtube", query["list"])),
                note="following the playlist this video is in",
            )
        raise _single_post("a single video")
    if seg and seg[0] in ("shorts", "live", "embed"):
        raise _single_post("a single video")
    if len(seg) >= 2 and seg[0] == "channel":
        return Target(Follow(platform="youtube", profile=check_profile("youtube", seg[1])))
    if seg and seg[0].startswith("@"):
        return Target(Follow(platform="youtube", profile=check_profile("youtube", seg[0])))
    if len(seg) >= 2 and seg[0] == "c":
        handle = check_profile("youtube", f"@{seg[1]}")
        return Target(
            Follow(platform="youtube", profile=handle),
            note=f"YouTube custom URLs usually match the channel's handle: following {handle}; "
            "if polling fails, follow the channel's /channel/UC... URL instead",
        )
    if len(seg) >= 2 and seg[0] == "user":
        return Target(Follow(platform="youtube", profile=check_profile("youtube", seg[1])))
    raise _cannot_place(u, "YouTube", "channels (/channel/UC..., /@handle) and playlists")


def _reddit(u: _Url, feed_only: bool) -> Target | None:
    is_feed = "/".join(u.segments).endswith(".rss")
    seg = [s for s in (s.removesuffix(".rss") for s in u.segments) if s]
    rest = seg[2:]
    as_feed = Target(Follow(platform="reddit", url=u.url)) if is_feed else None
    if len(seg) >= 2 and seg[0] == "r":
        if rest[:1] == ["comments"]:
            raise _single_post("a single Reddit post")
        if feed_only and (not is_feed or rest not in ([], ["new"]) or u.query):
            return as_feed
        if "+" in seg[1]:
            return Target(
                Follow(platform="reddit", url=f"https://www.reddit.com/r/{seg[1]}/new/.rss"),
                note="a multireddit is followed through its feed",
            )
        return Target(Follow(platform="reddit", hashtag=check_hashtag("reddit", seg[1])))
    if len(seg) >= 2 and seg[0] in ("user", "u"):
        if feed_only and (not is_feed or rest not in ([], ["submitted"]) or u.query):
            return as_feed
        return Target(Follow(platform="reddit", profile=check_profile("reddit", seg[1])))
    if feed_only:
        return as_feed
    raise _cannot_place(u, "Reddit", "subreddits (/r/NAME) and users (/user/NAME)")


def _github(u: _Url, feed_only: bool) -> Target | None:
    seg = u.segments
    if not seg:
        if feed_only:
            return None
        raise _cannot_place(u, "GitHub", "repositories (their releases) and users")
    last = seg[-1]
    if len(seg) == 1 and last.endswith(".atom"):
        return Target(Follow(platform="github", profile=check_profile("github", last[:-5])))
    if len(seg) == 3 and last == "releases.atom":
        return Target(
            Follow(platform="github", profile=check_profile("github", f"{seg[0]}/{seg[1]}"))
        )
    if last.endswith(".atom"):
        return Target(Follow(platform="github", url=u.url))
    if feed_only:
        return None
    if seg[0] in ("orgs", "sponsors") and len(seg) >= 2:
        return Target(Follow(platform="github", profile=check_profile("github", seg[1])))
    if seg[0] in _GITHUB_RESERVED:
        raise _cannot_place(u, "GitHub", "repositories (their releases) and users")
    if len(seg) == 1:
        return Target(Follow(platform="github", profile=check_profile("github", seg[0])))
    profile = check_profile("github", f"{seg[0]}/{seg[1]}")
    note = None if len(seg) == 2 or seg[2] == "releases" else "following the repository's releases"
    return Target(Follow(platform="github", profile=profile), note=note)


def _devto(u: _Url, feed_only: bool) -> Target | None:
    seg = u.segments
    if len(seg) >= 3 and seg[:2] == ("feed", "tag"):
        return Target(Follow(platform="devto", hashtag=check_hashtag("devto", seg[2])))
    if len(seg) == 2 and seg[0] == "feed":
        return Target(Follow(platform="devto", profile=check_profile("devto", seg[1])))
    if feed_only:
        return Target(Follow(platform="devto", url=u.url)) if seg[:1] == ("feed",) else None
    if len(seg) >= 2 and seg[0] == "t":
        return Target(Follow(platform="devto", hashtag=check_hashtag("devto", seg[1])))
    if len(seg) == 1 and seg[0] not in _DEVTO_RESERVED:
        return Target(Follow(platform="devto", profile=check_profile("devto", seg[0])))
    if len(seg) == 2 and seg[0] not in _DEVTO_RESERVED:
        raise _single_post(f"a single article (its author is https://dev.to/{seg[0]})")
    raise _cannot_place(u, "dev.to", "tags (/t/NAME) and authors (/NAME)")


def _lobsters(u: _Url, feed_only: bool) -> Target | None:
    is_feed = "/".join(u.segments).endswith((".rss", ".json"))
    seg = [s.removesuffix(".rss").removesuffix(".json") for s in u.segments]
    as_feed = Target(Follow(platform="lobsters", url=u.url)) if is_feed else None
    if feed_only and (not is_feed or u.query):
        return as_feed
    if len(seg) == 2 and seg[0] == "t":
        if "," in seg[1]:
            feed = f"https://lobste.rs/t/{seg[1].lower()}.rss"
            return Target(Follow(platform="lobsters", url=feed))
        return Target(Follow(platform="lobsters", hashtag=check_hashtag("lobsters", seg[1])))
    user = None
    if seg and seg[0].startswith("~") and seg[1:] in ([], ["stories"], ["threads"]):
        user = seg[0][1:]
    elif len(seg) == 2 and seg[0] == "u" and not feed_only:
        user = seg[1]
    if user is not None:
        return Target(Follow(platform="lobsters", profile=check_profile("lobsters", user)))
    if is_feed:
        return as_feed
    if seg and seg[0] == "s":
        raise _single_post("a single Lobsters story")
    raise _cannot_place(u, "Lobsters", "tags (/t/NAME) and users (/~NAME)")


def _stackexchange(u: _Url, feed_only: bool) -> Target | None:
    seg, raw = u.segments, u.raw_segments
    is_so = u.host == "stackoverflow.com"
    tag: str | None = None
    user: str | None = None
    if len(seg) == 3 and seg[:2] == ("feeds", "tag"):
        tag = raw[2]
    elif len(seg) == 3 and seg[:2] == ("feeds", "user"):
        user = seg[2]
    elif feed_only:
        return (
            Target(Follow(platform="stackoverflow", url=u.url)) if seg[:1] == ("feeds",) else None
        )
    elif len(seg) >= 3 and seg[:2] == ("questions", "tagged"):
        tag = raw[2]
    elif len(seg) >= 2 and seg[0] == "tags":
        tag = raw[1]
    elif len(seg) >= 2 and seg[0] == "users":
        user = seg[1]
    elif len(seg) >= 2 and seg[0] in ("questions", "q", "a"):
        raise _single_post("a single question")
    if tag is not None:
        if "+" in tag or "%20" in tag or " " in tag:
            raise _fail("follow one Stack Overflow tag at a time (the URL names several)")
        name = check_hashtag("stackoverflow", unquote(tag))
        if is_so:
            return Target(Follow(platform="stackoverflow", hashtag=name))
        feed = f"https://{u.host}/feeds/tag/{tag}"
        return Target(Follow(platform="stackoverflow", url=feed))
    if user is not None:
        user_id = check_profile("stackoverflow", user)
        if is_so:
            return Target(Follow(platform="stackoverflow", profile=user_id))
        return Target(
            Follow(platform="stackoverflow", url=f"https://{u.host}/feeds/user/{user_id}")
        )
    raise _cannot_place(u, "Stack Exchange", "tags (/questions/tagged/NAME) and users (/users/ID)")


def _bluesky(u: _Url, feed_only: bool) -> Target | None:
    seg = u.segments
    if len(seg) >= 2 and seg[0] == "profile":
        if len(seg) >= 4 and seg[2] == "post":
            raise _single_post("a single Bluesky post")
        if feed_only and seg[2:] != ("rss",):
            return None
        return Target(Follow(platform="bluesky", profile=check_profile("bluesky", seg[1])))
    if feed_only:
        return None
    if len(seg) == 2 and seg[0] == "hashtag":
        return Target(Follow(platform="bluesky", hashtag=check_hashtag("bluesky", seg[1])))
    raise _cannot_place(u, "Bluesky", "profiles (/profile/HANDLE) and hashtags (/hashtag/NAME)")


def _hackernews(u: _Url, feed_only: bool) -> Target | None:
    seg = u.segments
    if feed_only:
        return None
    if seg in (("user",), ("submitted",), ("threads",)) and u.query.get("id"):
        return Target(
            Follow(platform="hackernews", profile=check_profile("hackernews", u.query["id"][0]))
        )
    if seg == ("item",):
        raise _single_post("a single Hacker News story")
    if seg == ("rss",):
        return Target(Follow(platform="rss", url=u.url))
    raise _cannot_place(
        u, "Hacker News", "users (/user?id=NAME); '#QUERY --platform hackernews' searches"
    )


def _instagram(u: _Url, feed_only: bool) -> Target | None:
    seg = u.segments
    if feed_only:
        return None
    if len(seg) >= 3 and seg[:2] == ("explore", "tags"):
        return Target(Follow(platform="instagram", hashtag=check_hashtag("instagram", seg[2])))
    if len(seg) >= 2 and seg[0] == "stories":
        return Target(Follow(platform="instagram", profile=check_profile("instagram", seg[1])))
    if seg and seg[0] in ("p", "reel", "reels", "tv"):
        raise _single_post("a single Instagram post")
    if len(seg) == 1 and seg[0] not in _INSTAGRAM_RESERVED:
        return Target(Follow(platform="instagram", profile=check_profile("instagram", seg[0])))
    raise _cannot_place(u, "Instagram", "profiles (/NAME) and hashtags (/explore/tags/NAME)")


def follow_for_feed_url(url: str) -> Follow:
    """The follow for a feed URL found in an OPML file. Feeds of known platforms become
    those platforms' follows (`youtube.com/feeds/videos.xml?channel_id=UC...` -> a YouTube
    profile, a subreddit's `.rss` -> the subreddit, `releases.atom` -> a GitHub repository,
    Mastodon's `/@user.rss` and `/tags/NAME.rss` -> that account or tag); every other URL
    stays an RSS follow. Raises `UsageError` when the URL is not http(s)."""
    parsed = _split(url)
    seg = parsed.segments
    try:
        found = _known_host(parsed, feed_only=True)
        mastodon_feed = (
            seg[-1:]
            and seg[-1].endswith(".rss")
            and ((len(seg) == 1 and seg[0].startswith("@")) or (len(seg) == 2 and seg[0] == "tags"))
        )
        if found is None and mastodon_feed:
            found = _fediverse(parsed, "mastodon")
    except UsageError:
        found = None
    return found.follow if found is not None else Follow(platform="rss", url=parsed.url)
