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
   Candidates come from an index of each person's entries (`person_probes`) that share an
   `index_keys` (MinHash bands, the text's opening words, a title hash), never from a
   scan; every candidate is then checked exactly.

The story shows its best sighting (`sighting_rank`): the original over a post that
shares it, over a discussion of it.
"""

from devfeed.dedup.stories import (
    Group,
    KnownEntry,
    NewEntry,
    Plan,
    Prepared,
    describe_join,
    near_reason,
    plan_batch,
    prepare,
    prepare_all,
    shares_a_link,
    shown_kind,
    sighting_rank,
    url_reason,
)
from devfeed.dedup.text import (
    MAX_TEXT_CHARS,
    NEAR_WINDOW_S,
    Fingerprint,
    NearMatch,
    account_hash,
    author_keys,
    content_words,
    fingerprint,
    index_keys,
    near_duplicate,
    near_identity,
    person_probes,
    same_person,
    text_similarity,
    title_core,
)
from devfeed.dedup.urls import (
    canonical_url,
    entry_identity,
    story_key,
    url_keys,
    video_key,
    w3lib_normalize,
    youtube_video_id,
)

__all__ = [
    "MAX_TEXT_CHARS",
    "NEAR_WINDOW_S",
    "Fingerprint",
    "Group",
    "KnownEntry",
    "NearMatch",
    "NewEntry",
    "Plan",
    "Prepared",
    "account_hash",
    "author_keys",
    "canonical_url",
    "content_words",
    "describe_join",
    "entry_identity",
    "fingerprint",
    "index_keys",
    "near_duplicate",
    "near_identity",
    "near_reason",
    "person_probes",
    "plan_batch",
    "prepare",
    "prepare_all",
    "same_person",
    "shares_a_link",
    "shown_kind",
    "sighting_rank",
    "story_key",
    "text_similarity",
    "title_core",
    "url_keys",
    "url_reason",
    "video_key",
    "w3lib_normalize",
    "youtube_video_id",
]
