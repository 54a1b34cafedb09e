"""The data devfeed passes around: follows, parsed entries, poll results, stories.

`ParsedEntry` is what a platform returns (no story key, no user state); `Story` and
`Sighting` are what the store returns. All models are frozen pydantic models with
tz-aware UTC datetimes. Pure: no I/O.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal, get_args

from pydantic import AfterValidator, BaseModel, ConfigDict, Field


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("datetimes must be timezone-aware")
    return value.astimezone(UTC)


UTCDateTime = Annotated[datetime, AfterValidator(_utc)]

PLATFORM_NAMES: tuple[str, ...] = (
    "rss",
    "mastodon",
    "bluesky",
    "youtube",
    "peertube",
    "reddit",
    "hackernews",
    "devto",
    "lobsters",
    "stackoverflow",
    "github",
    "instagram",
)

PLATFORM_BADGES: dict[str, str] = {
    "rss": "rss",
    "mastodon": "masto",
    "bluesky": "bsky",
    "youtube": "yt",
    "peertube": "ptube",
    "reddit": "reddit",
    "hackernews": "hn",
    "devto": "devto",
    "lobsters": "lobst",
    "stackoverflow": "so",
    "github": "gh",
    "instagram": "insta",
}
"""The short name the reader shows for each platform (its badge); `platform:` in a search
takes it too."""
PLATFORM_DISPLAY_NAMES: dict[str, str] = {
    "rss": "RSS",
    "mastodon": "Mastodon",
    "bluesky": "Bluesky",
    "youtube": "YouTube",
    "peertube": "PeerTube",
    "reddit": "Reddit",
    "hackernews": "Hacker News",
    "devto": "dev.to",
    "lobsters": "Lobsters",
    "stackoverflow": "Stack Overflow",
    "github": "GitHub",
    "instagram": "Instagram",
}
"""How people write each platform's name."""
PLATFORM_ALIASES: dict[str, str] = {
    **{badge: name for name, badge in PLATFORM_BADGES.items()},
    "dev.to": "devto",
    "hacker-news": "hackernews",
    "stack-overflow": "stackoverflow",
}
"""Other names users type for a platform (badges included), to its name."""

Kind = Literal["article", "post", "video", "short", "podcast", "release", "question", "discussion"]
KINDS: tuple[str, ...] = get_args(Kind)


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Follow(_Frozen):
    """One `[[follow]]` of feeds.toml: a hashtag or a profile (or a feed URL) on a platform."""

    platform: str
    """Platform name, one of `PLATFORM_NAMES`."""
    url: str | None = None
    """A feed or page URL (RSS/Atom/JSON Feed, or a platform URL)."""
    instance: str | None = None
    """For federated platforms: a host name or a base URL such as `http://127.0.0.1:8081`."""
    hashtag: str | None = None
    """A hashtag, without the `#`."""
    profile: str | None = None
    """A profile: user name, handle, channel id ..."""
    name: str | None = None
    """A label chosen by the user."""
    interval: timedelta | None = None
    """How often to poll; the global `poll_interval` when unset."""
    tags: tuple[str, ...] = ()
    """The user's own tags for this follow."""
    notify: bool = False
    """Ask for a notification when this follow brings new stories."""

    @property
    def target(self) -> str:
        """What is followed, in one string: the URL, `#tag` or `@profile`."""
        if self.url:
            return self.url
        if self.hashtag:
            return f"#{self.hashtag.lstrip('#')}"
        return f"@{(self.profile or '').lstrip('@')}"

    @property
    def key(self) -> str:
        """Stable identity of the follow across config edits (platform, instance, target)."""
        where = f"{self.instance}/" if self.instance else ""
        return f"{self.platform}:{where}{self.target}"

    @property
    def label(self) -> str:
        """How the follow is shown: its name, or what it follows."""
        if self.name:
            return self.name
        if self.instance and not self.url:
            return f"{self.target} on {self.instance}"
        if self.hashtag and not self.url:  # "#python" alone would not say where
            return f"{self.target} on {PLATFORM_DISPLAY_NAMES.get(self.platform, self.platform)}"
        return self.target


class ParsedEntry(_Frozen):
    """One post as a platform parsed it; has no story and no user state yet."""

    platform: str
    """Platform that published it."""
    native_id: str
    """Id on that platform (guid, status URI, video id ...), unique per platform."""
    url: str | None = None
    """Permalink of the post itself (http/https only)."""
    link: str | None = None
    """The outbound link it shares (an article, a video), when it differs from `url`."""
    title: str
    """Title, or the first line of the text; sanitized, one line."""
    author: str | None = None
    """Display name or handle of the author; sanitized."""
    text: str = ""
    """Plain text (HTML reduced to text); sanitized."""
    published: UTCDateTime | None = None
    """When it was published, in UTC; None when the source does not say."""
    tags: tuple[str, ...] = ()
    """Tags or categories, sanitized."""
    kind: Kind = "article"
    """What it is: article, post, video, short, podcast, release, question, discussion."""
    duration_s: int | None = None
    """Length of a video or podcast episode, in seconds."""
    media_url: str | None = None
    """The enclosure or video file, when there is one."""
    comments_url: str | None = None
    """Where the discussion is, when the platform has one."""
    author_handle: str | None = None
    """The author's handle (`@user@instance`, `alice.bsky.social`, a user name), sanitized."""
    boosted_by: str | None = None
    """For a boost or repost: who boosted it. The entry itself is the original post."""
    score: int | None = None
    """Points, likes or favourites, where cheap to know."""
    comments: int | None = None
    """How many comments or replies, where cheap to know."""


class ParseResult(_Frozen):
    """What a platform made of one response."""

    entries: tuple[ParsedEntry, ...] = ()
    """The entries, in feed order."""
    feed_title: str | None = None
    """The source's own title, sanitized."""
    ttl: timedelta | None = None
    """How long the source asks to be left alone: RSS `<ttl>`, or a wait an API asked for
    in its body (Stack Exchange's `backoff`). The scheduler never polls sooner."""
    warning: str | None = None
    """A problem worth showing that did not stop parsing (a recovered XML error)."""
    platform_state: dict[str, Any] | None = None
    """What the platform wants to remember for the next poll of this follow (a resolved
    account id, a cursor ...); JSON-able. None keeps what was remembered."""
    prepared: tuple[Any, ...] = Field(default=(), exclude=True)
    """`devfeed.dedup.Prepared` of the entries, when the parser computed them (a parse
    worker does, so the store's transaction does not); each names the entry it was made
    from. Work in progress, not content: never serialized."""


class PollStatus(enum.StrEnum):
    """How one poll of one source ended."""

    FETCHED = "fetched"
    """A body was fetched and parsed (it may or may not have brought new stories)."""
    UNCHANGED = "unchanged"
    """304 Not Modified, or the same body as last time: nothing was parsed."""
    FAILED = "failed"
    """Nothing usable came back; `error` says why."""


class PollResult(_Frozen):
    """Everything one poll of one follow learned: applied to the store in one transaction.

    It is a complete snapshot of the follow's fetch state, so applying it twice changes
    nothing."""

    follow: Follow
    """The follow that was polled."""
    fetched_at: UTCDateTime
    """When the poll finished."""
    status: PollStatus
    """fetched, unchanged (304 or the same body) or failed."""
    http_status: int | None = None
    """The last HTTP status, when a response came."""
    etag: str | None = None
    """Validator to send back as If-None-Match."""
    last_modified: str | None = None
    """Validator to send back as If-Modified-Since."""
    body_hash: str | None = None
    """Hash of the last body parsed, so an unchanged body is never parsed again."""
    entries: tuple[ParsedEntry, ...] = ()
    """Entries parsed from the response (empty on 304, same body or failure)."""
    prepared: tuple[Any, ...] = Field(default=(), exclude=True)
    """`ParseResult.prepared`: what dedup needs of each entry, when already computed."""
    feed_title: str | None = None
    """The source's own title, when the response had one."""
    error: str | None = None
    """What went wrong, for the user, sanitized; None on success."""
    failures: int = 0
    """Consecutive failed polls, this one included."""
    next_due_at: UTCDateTime
    """When the follow should be polled next."""
    warning: str | None = None
    """A problem worth showing that did not stop the poll (fell back to RSS ...)."""
    platform_state: dict[str, Any] | None = None
    """The platform's memory for this follow; None keeps what was remembered."""
    moved_to: str | None = None
    """Where the follow's URL now lives: set when every redirect on the way was permanent
    (301/308) to a target devfeed was allowed to reach, without a downgrade to http."""


class FetchState(_Frozen):
    """What the store remembers about polling one follow."""

    follow_key: str
    """`Follow.key` of the follow."""
    etag: str | None = None
    """Last ETag."""
    last_modified: str | None = None
    """Last Last-Modified."""
    body_hash: str | None = None
    """Hash of the last parsed body."""
    last_polled_at: UTCDateTime | None = None
    """When it was last polled."""
    last_ok_at: UTCDateTime | None = None
    """When a poll last succeeded."""
    status: PollStatus | None = None
    """How the last poll ended."""
    error: str | None = None
    """The last error, if the last poll failed."""
    failures: int = 0
    """Consecutive failed polls."""
    next_due_at: UTCDateTime | None = None
    """When the follow is due again."""
    feed_title: str | None = None
    """The source's own title."""
    warning: str | None = None
    """The last poll's warning, if any."""
    platform_state: dict[str, Any] = Field(default_factory=dict)
    """What the platform remembered for this follow."""
    moved_to: str | None = None
    """The address the follow's URL permanently redirects to, as of the last good poll
    (feeds.toml is never rewritten: the user decides)."""
    paused_at: UTCDateTime | None = None
    """When the user paused it; the poller skips a paused follow unless asked for it."""


class Cycle(_Frozen):
    """One poll cycle: a `poll --once`, or one round of the daemon."""

    mode: Literal["once", "daemon"]
    """Which command ran it."""
    pid: int
    """The process that ran it."""
    started_at: UTCDateTime
    """When it began."""
    finished_at: UTCDateTime
    """When its last source was done."""
    sources: int
    """Sources it polled."""
    new_stories: int
    """Stories it added."""
    failed: int
    """Sources that failed."""
    deferred: int
    """Sources put off because their platform's request budget was spent."""


class Sighting(_Frozen):
    """A place where a story was seen: one entry on one platform, seen by one follow."""

    platform: str
    """Platform of the entry."""
    author: str | None
    """Author of the entry."""
    url: str | None
    """Permalink of the entry."""
    follow: str | None
    """Label of the follow that saw it (None for stories added by hand)."""
    seen_at: UTCDateTime
    """When it was first seen."""
    comments_url: str | None = None
    """Discussion link, when the platform has one."""
    comments: int | None = None
    """Comment count of the discussion, when known."""
    score: int | None = None
    """Points or likes there, when known."""
    boosted_by: str | None = None
    """Who boosted or reposted it into this follow, when it came as a boost."""


class Story(_Frozen):
    """What the feed shows: one thing, however many entries and follows brought it in."""

    id: int
    """Story id (stable; what `devfeed save ID` takes)."""
    title: str
    """Title of the best sighting."""
    url: str | None
    """Link of the best sighting."""
    kind: Kind
    """Kind of the best sighting."""
    duration_s: int | None
    """Length of a video or episode in seconds."""
    published: UTCDateTime
    """When it was published (or first seen when the source gave no date)."""
    author: str | None
    """Author of the best sighting."""
    summary: str
    """Plain text of the best sighting."""
    tags: tuple[str, ...] = ()
    """Tags of its entries."""
    read: bool
    """Read by the user."""
    saved: bool
    """In the Saved queue."""
    lunch: bool
    """In the Lunch queue (queued, not yet watched)."""
    saved_at: UTCDateTime | None = None
    """When it was saved."""
    lunch_at: UTCDateTime | None = None
    """When it was queued for Lunch."""
    lunch_done_at: UTCDateTime | None = None
    """When it was marked watched (it then leaves the Lunch queue but stays findable)."""
    note: str | None = None
    """The user's own note on it (`devfeed save ID --note TEXT`)."""
    saved_tags: tuple[str, ...] = ()
    """The user's own tags on it (`devfeed save ID --tag T`), in the order given."""
    seen_on: tuple[Sighting, ...] = Field(default=())
    """Every sighting, oldest first."""
