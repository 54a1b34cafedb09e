"""Stories from entries: the best sighting, why an entry joined, and grouping a batch.
Pure: no I/O, no clock.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from devfeed.dedup.text import (
    PERSON_PREFIX,
    Draft,
    Fingerprint,
    NearMatch,
    draft,
    fingerprints,
    near_duplicate,
)
from devfeed.dedup.urls import canonical_url, url_keys, youtube_video_id
from devfeed.models import Kind, ParsedEntry

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
    by_hand: bool = False,
    shares: bool | None = None,
) -> tuple[Any, ...]:
    """Sort key of a story's entries, best first. Tiers: 0 the original (an article, a
    video, a post that links nowhere else; an article before a post), 1 a post that
    shares a link, 2 a discussion (HN, Lobsters, Reddit submission). Within a tier an
    entry a follow brought beats a page the user added by hand (`devfeed save URL`), then
    the earliest published, then platform and native id, so the choice never depends on
    arrival order. A boost is never an entry (it is a sighting of the original), so it
    cannot win. `shares`: `shares_a_link(link, url)`, when known already."""
    if kind == "discussion":
        tier = 2
    elif shares_a_link(link, url) if shares is None else shares:
        tier = 1
    else:
        tier = 0
    never = 1 << 62
    return (tier, by_hand, _MEDIA_FIRST.get(kind, 0), published or never, platform, native_id)


def shown_kind(kind: str, link: str | None, url: str | None) -> Kind:
    """The kind a story shows for its best entry: a post sharing a YouTube video is a video."""
    # cheapest first: a post or discussion, linking a video, elsewhere than itself (two
    # canonical URLs, computed afresh in the store's process, where few are cached)
    if (
        kind in ("post", "discussion")
        and link
        and youtube_video_id(link)
        and shares_a_link(link, url)
    ):
        return "short" if "/shorts/" in link else "video"
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
class Prepared:
    """What dedup needs of an entry, computed from the entry alone, so it can be computed
    where the entry is parsed (a worker process) rather than in the store's transaction."""

    keys: tuple[str, ...]
    """`url_keys`."""
    print: Fingerprint | None
    """`fingerprint`, published as the entry says (`at` fixes it)."""
    bands: tuple[int, ...]
    """`index_keys` of the fingerprint."""
    shares: bool = False
    """`shares_a_link`: the store ranks an entry's sightings by it, and its two canonical
    URLs are computed here already (`url_keys`), where the store would start afresh."""
    source: tuple[Any, ...] = ()
    """The entry's fields it was computed from (`prepared_for` checks them)."""

    def prepared_for(self, entry: ParsedEntry) -> bool:
        """Whether this was computed from `entry` as it is now (a platform may have
        rewritten an entry after the parse worker prepared it)."""
        return self.source == _source(entry)

    def at(self, published: int) -> Prepared:
        """The same, for an entry stored as published at `published` (epoch seconds)."""
        if self.print is None or self.print.published == published:
            return self
        return replace(self, print=replace(self.print, published=published))


def _source(entry: ParsedEntry) -> tuple[Any, ...]:
    return (
        entry.platform,
        entry.native_id,
        entry.kind,
        entry.title,
        entry.text,
        entry.author,
        entry.author_handle,
        entry.url,
        entry.link,
        entry.published,
    )


def prepare(entry: ParsedEntry, published: datetime | None = None) -> Prepared:
    """`Prepared` for an entry, published at `published` (default: when it says; the store
    uses the time it first saw an entry without a date, or with one in the future)."""
    return _prepared(entry, fingerprints([_draft(entry, published)])[0])


def prepare_all(entries: Sequence[ParsedEntry]) -> tuple[Prepared, ...]:
    """`prepare` of each entry, the same, computed together: a feed's bigrams are hashed
    in one pass (`text.fingerprints`), several times faster than entry by entry."""
    drafts = [_draft(entry, None) for entry in entries]
    return tuple(map(_prepared, entries, fingerprints(drafts)))


def _draft(entry: ParsedEntry, published: datetime | None) -> Draft | None:
    when = published or entry.published
    return draft(
        platform=entry.platform,
        kind=entry.kind,
        title=entry.title,
        text=entry.text,
        author=entry.author,
        handle=entry.author_handle,
        url=entry.url,
        published=int(when.timestamp()) if when is not None else 0,
    )


def _prepared(entry: ParsedEntry, printed: tuple[Fingerprint | None, tuple[int, ...]]) -> Prepared:
    return Prepared(
        keys=url_keys(entry.link, entry.url),
        print=printed[0],
        bands=printed[1],
        shares=shares_a_link(entry.link, entry.url),
        source=_source(entry),
    )


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
    """Union-find over a batch's new entries, by index (0 and up), and the stored stories
    they join, by `~story_id` (below 0): plain ints hash and compare faster than tagged
    tuples."""

    def __init__(self) -> None:
        self.parent: dict[int, int] = {}

    def find(self, node: int) -> int:
        parent = self.parent
        root = parent.setdefault(node, node)
        if root == node:
            return node
        while (up := parent[root]) != root:
            root = up
        while node != root:  # every node on the way now points at the root
            parent[node], node = root, parent[node]
        return root

    def union(self, a: int, b: int) -> bool:
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
    # index key -> the new entries before this one that have it; two entries are checked
    # only when they share a key, come from two accounts and may be one person (share an
    # author key's first letters, which `same_person` needs)
    batch_bands: dict[int, list[int]] = {}
    people: list[frozenset[str]] = [
        frozenset(key[:PERSON_PREFIX] for key in new.print.authors) if new.print else frozenset()
        for new in fresh
    ]
    # one account's posts are never near-duplicates of each other: a batch from one
    # account (a feed's poll, mostly) has no pairs to look for within it
    accounts = {new.print.account for new in fresh if new.print is not None}
    within = len(accounts) > 1

    def join(index: int, other: int, reason: dict[str, Any]) -> None:
        if union.union(index, other):
            reasons[index].append(reason)
            if other < 0:
                linked_by.setdefault(~other, fresh[index].id)

    for index, new in enumerate(fresh):
        union.find(index)
        for key in new.keys:
            owner = owners.get(key)
            if owner is not None:
                join(index, ~owner.story_id, url_reason(key, owner.id))
            elif key in batch_keys:
                other = batch_keys[key]
                join(index, other, url_reason(key, fresh[other].id))
            else:
                batch_keys[key] = index
        print_ = new.print
        if print_ is None:
            continue
        checked_known: set[int] = set()
        checked_new: set[int] = set()
        for band in new.bands:
            for known in by_band.get(band, ()):
                if known.id in checked_known or known.print is None:
                    continue
                checked_known.add(known.id)
                match = near_duplicate(print_, known.print)
                if match is not None:
                    join(index, ~known.story_id, near_reason(match, known.id, new.title))
            if not within:
                continue
            for other in batch_bands.get(band, ()):
                if other in checked_new:
                    continue
                checked_new.add(other)
                other_print = fresh[other].print
                assert other_print is not None  # only fingerprinted entries are listed
                if other_print.account == print_.account or people[index].isdisjoint(people[other]):
                    continue  # one account's posts are never near-duplicates; not one person
                match = near_duplicate(print_, other_print)
                if match is not None:
                    join(index, other, near_reason(match, fresh[other].id, new.title))
        if within and people[index]:
            for band in new.bands:
                batch_bands.setdefault(band, []).append(index)

    groups: dict[int, Group] = {}
    for node in list(union.parent):
        root = union.find(node)
        group = groups.get(root)
        if group is None:
            group = groups[root] = Group([], [], {})
        if node >= 0:
            group.entries.append(node)
        else:
            story = ~node
            group.stories.append(story)
            if story in linked_by:
                group.linked_by[story] = linked_by[story]
    result = [g for g in groups.values() if g.entries]
    for group in result:
        group.entries.sort()
        group.stories.sort()
    result.sort(key=lambda g: g.entries[0])
    return Plan(groups=result, reasons=reasons)
