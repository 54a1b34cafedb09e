"""The pure rules of dedup: canonical URLs, title cores, near-duplicates, the best sighting."""

from __future__ import annotations

import random
import re
import unicodedata
from urllib.parse import urlencode

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from devfeed.dedup import (
    Fingerprint,
    KnownEntry,
    NewEntry,
    canonical_url,
    describe_join,
    fingerprint,
    index_keys,
    near_duplicate,
    plan_batch,
    sighting_rank,
    title_core,
    url_keys,
    video_key,
    youtube_video_id,
)
from devfeed.dedup import text as text_module

# -- canonical URLs ----------------------------------------------------------------------

_label = st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=10)
_segment = st.text(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~%!$&'()*+,;=:@é ",
    max_size=12,
)
_param = st.text("abcdefghijklmnopqrstuvwxyz0123456789_", min_size=1, max_size=8).filter(
    lambda name: not name.startswith(("utm_", "mc_", "pk_", "at_", "mtm_", "hsa_", "__s"))
)
_value = st.text("abcdefghijklmnopqrstuvwxyz0123456789 +/=&%é", max_size=10)
TRACKING = st.sampled_from(
    ["utm_source", "utm_medium", "utm_campaign", "fbclid", "gclid", "ref", "mc_cid", "mc_eid"]
)


@st.composite
def urls(draw: st.DrawFn) -> str:
    scheme = draw(st.sampled_from(["http", "https", "HTTPS"]))
    prefix = draw(st.sampled_from(["", "www.", "m.", "WWW."]))
    host = ".".join(draw(st.lists(_label, min_size=2, max_size=3)))
    port = draw(st.sampled_from(["", ":80", ":443", ":8080"]))
    tricky = st.sampled_from(["amp", ";", "", ".", "..", "x.amp", "%7E", "%2F", "~a"])
    path = "/".join(draw(st.lists(_segment | tricky, max_size=5)))
    query = draw(st.lists(st.tuples(_param, _value), max_size=4))
    fragment = draw(st.sampled_from(["", "#top", "#x-y"]))
    url = f"{scheme}://{prefix}{host}{port}/{path}"
    # a space that ends the text is around the URL, not in it (`canonical_url` strips
    # it): with a query after it, `.../ ?utm_source=` would be another path
    return (url + (f"?{urlencode(query)}" if query else "") + fragment).rstrip()


@settings(max_examples=300)
@given(urls())
@example("http://www.0.0/")  # hosts w3lib 2.6 reads as IPv4 ("0.0"), or refuses ("a.0")
@example("http://a.0/x?utm_source=x")
@example("HTTPS://WWW.1.2:8080/a")
def test_canonical_url_is_idempotent(url: str) -> None:
    once = canonical_url(url)
    assert canonical_url(once) == once
    assert once.startswith("https://")


@settings(max_examples=300)
@given(urls(), st.lists(st.tuples(TRACKING, _value), min_size=1, max_size=4), st.randoms())
def test_tracking_parameters_never_change_the_key(
    url: str, tracking: list[tuple[str, str]], rnd: random.Random
) -> None:
    base, _, fragment = url.partition("#")
    path, _, query = base.partition("?")
    params = [p for p in query.split("&") if p]
    for pair in tracking:
        params.insert(rnd.randint(0, len(params)), urlencode([pair]))
    tracked = f"{path}?{'&'.join(params)}" + (f"#{fragment}" if fragment else "")
    assert canonical_url(tracked) == canonical_url(url)


@pytest.mark.parametrize(
    "variant",
    [
        "https://blog.example.org/posts/wal-mode/",
        "http://blog.example.org/posts/wal-mode",
        "https://WWW.Blog.Example.org:443/posts/wal-mode#comments",
        "https://m.blog.example.org/posts/wal-mode?utm_source=mastodon&utm_medium=social",
        "https://mobile.blog.example.org/posts/wal-mode?fbclid=IwAR0x&ref=hn",
        "https://blog.example.org/posts/wal-mode/amp/",
        "https://blog.example.org/posts/wal-mode?amp=1",
        "https://blog-example-org.cdn.ampproject.org/c/s/blog.example.org/posts/wal-mode/amp",
        "https://www.google.com/amp/s/blog.example.org/posts/wal-mode",
        "https://blog.example.org//posts/./wal-mode",
    ],
)
def test_link_variants_share_one_key(variant: str) -> None:
    assert canonical_url(variant) == "https://blog.example.org/posts/wal-mode"


def test_meaningful_query_parameters_and_paths_stay() -> None:
    assert canonical_url("https://news.ycombinator.com/item?id=1") != canonical_url(
        "https://news.ycombinator.com/item?id=2"
    )
    assert canonical_url("https://x.org/b?z=1&a=2") == "https://x.org/b?a=2&z=1"
    assert canonical_url("https://x.org/Case/Path") != canonical_url("https://x.org/case/path")
    assert canonical_url("https://x.org:8080/a") == "https://x.org:8080/a"


@pytest.mark.parametrize(
    "variant",
    [
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
        "https://youtube.com/watch?v=dQw4w9WgXcQ&t=42s",
        "https://m.youtube.com/watch?feature=share&v=dQw4w9WgXcQ",
        "https://youtu.be/dQw4w9WgXcQ?si=Xyz123&t=10",
        "https://www.youtube.com/shorts/dQw4w9WgXcQ",
        "https://www.youtube.com/embed/dQw4w9WgXcQ?start=3",
        "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ",
        "https://www.youtube.com/live/dQw4w9WgXcQ",
        "https://music.youtube.com/watch?v=dQw4w9WgXcQ&list=PL1",
    ],
)
def test_every_youtube_form_is_one_video_key(variant: str) -> None:
    assert youtube_video_id(variant) == "dQw4w9WgXcQ"
    assert canonical_url(variant) == "https://youtube.com/watch?v=dQw4w9WgXcQ"


def test_the_youtube_shortcut_skips_only_urls_that_name_no_youtube_host() -> None:
    """`youtube_video_id` returns at once when "youtu" is nowhere in a URL: every host it
    knows has it, in any letter case."""
    from devfeed.dedup import urls

    assert all("youtu" in host for host in urls._YOUTUBE_HOSTS)
    assert youtube_video_id("https://WWW.YOUTU.BE/dQw4w9WgXcQ") == "dQw4w9WgXcQ"
    assert youtube_video_id("https://example.org/watch?v=dQw4w9WgXcQ") is None
    # a video key itself, and what only looks like one
    assert youtube_video_id(video_key("dQw4w9WgXcQ")) == "dQw4w9WgXcQ"
    assert youtube_video_id(video_key("dQw4w9WgXcQ") + "\n") == "dQw4w9WgXcQ"
    assert youtube_video_id(video_key("dQw4w9WgXcQ") + "&t=3") == "dQw4w9WgXcQ"
    assert youtube_video_id(video_key("dQw4w9WgXc")) is None


def test_youtube_pages_that_are_not_videos_are_plain_urls() -> None:
    assert youtube_video_id("https://www.youtube.com/@ArjanCodes") is None
    assert youtube_video_id("https://www.youtube.com/watch?v=short") is None
    assert canonical_url("https://www.youtube.com/@ArjanCodes/") == (
        "https://youtube.com/@ArjanCodes"
    )


def test_url_keys_put_the_outbound_link_first_and_skip_site_roots() -> None:
    assert url_keys("https://blog.example.org/p?utm_source=x", "https://hn.example/item?id=3") == (
        "https://blog.example.org/p",
        "https://hn.example/item?id=3",
    )
    assert url_keys(None, "https://podcast.example.fm/") == ()
    assert url_keys("https://a.example/x", "http://a.example/x/") == ("https://a.example/x",)


# -- titles and near-duplicates ----------------------------------------------------------

ADA = frozenset({"adalovelace", "ada"})


@pytest.mark.parametrize(
    ("title", "core"),
    [
        ("How we cut CI time in half | Acme Engineering Blog", "How we cut CI time in half"),
        ("How we cut CI time in half - YouTube", "How we cut CI time in half"),
        ("Understanding the GIL | by Ada Lovelace | Medium", "Understanding the GIL"),
        ("Understanding the GIL — Ada Lovelace", "Understanding the GIL"),
        ("Rust vs Go - a comparison", "Rust vs Go - a comparison"),
        ("Python 3.13 | Blog", "Python 3.13"),
        ("Go | Blog", "Go | Blog"),
    ],
)
def test_title_core_cuts_only_site_suffixes(title: str, core: str) -> None:
    assert title_core(title, ADA) == core


def _print(
    text: str,
    *,
    platform: str = "mastodon",
    author: str = "Ada Lovelace",
    handle: str | None = "@ada@hachyderm.example",
    kind: str = "post",
    title: str | None = None,
    published: int = 1_000_000,
) -> Fingerprint:
    found = fingerprint(
        platform=platform,
        kind=kind,
        title=title if title is not None else text.split(".")[0],
        text=text,
        author=author,
        handle=handle,
        url=None,
        published=published,
    )
    assert found is not None
    return found


CROSS_POST = (
    "Just shipped streaming parsing in feedkit 2.0: memory stays flat on a 2 GB export and "
    "the parser got 3x faster. Release notes and the benchmark scripts are linked below."
)


def test_a_cross_post_by_one_author_on_two_platforms_is_a_near_duplicate() -> None:
    mastodon = _print(CROSS_POST + " #python #opensource https://feedkit.example/2.0")
    bluesky = _print(
        CROSS_POST.replace("3x", "three times"),
        platform="bluesky",
        author="Ada Lovelace 🦀",
        handle="ada.bsky.example",
    )
    match = near_duplicate(mastodon, bluesky)
    assert match is not None and match.rule == "text" and match.similarity >= 0.6
    assert near_duplicate(bluesky, mastodon) == match
    assert set(index_keys(mastodon)) & set(index_keys(bluesky))


def test_a_cut_down_cross_post_is_contained_in_the_long_one() -> None:
    long = _print(CROSS_POST + " Thanks to everyone who tested the betas and filed bugs.")
    cut = _print(CROSS_POST[:140], platform="bluesky", handle="ada.bsky.example")
    assert near_duplicate(long, cut) is not None


@pytest.mark.parametrize(
    ("one", "other"),
    [
        (
            "Good morning! Streaming Rust at 5pm today, we build an HTTP server from scratch.",
            "Good morning! Streaming Go at 6pm today, we build a small KV store from scratch.",
        ),
        (
            "Just released version 2.0 of my library, check it out and tell me what breaks please.",
            "Just released version 2.1 of my app, check it out and tell me what breaks please.",
        ),
        ("New video is up, go watch it!", "New video is up, go watch it!"),
    ],
)
def test_lookalike_posts_of_one_author_are_not_merged(one: str, other: str) -> None:
    a = fingerprint(
        platform="mastodon", kind="post", title=one, text=one, author="Ada Lovelace",
        handle="@ada@h.example", url=None, published=0,
    )  # fmt: skip
    b = fingerprint(
        platform="bluesky", kind="post", title=other, text=other, author="Ada Lovelace",
        handle="ada.bsky.example", url=None, published=0,
    )  # fmt: skip
    assert a is None or b is None or near_duplicate(a, b) is None


def test_the_same_text_by_two_people_or_one_account_or_far_apart_is_not_merged() -> None:
    ada = _print(CROSS_POST)
    assert (
        near_duplicate(ada, _print(CROSS_POST, platform="bluesky", author="Bob", handle="bob.bsky"))
        is None
    )
    assert near_duplicate(ada, _print(CROSS_POST, published=1_000_000 + 3600)) is None
    later = _print(
        CROSS_POST, platform="bluesky", handle="ada.bsky", published=1_000_000 + 5 * 86400
    )
    assert near_duplicate(ada, later) is None


def test_a_title_with_a_site_suffix_is_the_same_article() -> None:
    blog = _print(
        "A long article text.", kind="article", platform="rss", handle=None,
        title="What SQLite's WAL mode buys a feed reader",
    )  # fmt: skip
    devto = _print(
        "A different short description.", kind="article", platform="devto", handle="ada",
        title="What SQLite's WAL mode buys a feed reader | DEV Community",
    )  # fmt: skip
    assert near_duplicate(blog, devto) is not None
    other = _print(
        "x", kind="article", platform="devto", handle="ada",
        title="What SQLite's WAL mode costs a feed reader",
    )  # fmt: skip
    assert near_duplicate(blog, other) is None


# -- the best sighting and the planner ---------------------------------------------------


def test_the_original_beats_a_post_sharing_it_beats_a_discussion() -> None:
    article = sighting_rank(
        platform="rss", native_id="1", kind="article", url="https://b.example/p", link=None,
        published=50,
    )  # fmt: skip
    post = sighting_rank(
        platform="mastodon", native_id="2", kind="post", url="https://m.example/@a/2",
        link="https://b.example/p", published=10,
    )  # fmt: skip
    discussion = sighting_rank(
        platform="hackernews", native_id="3", kind="discussion",
        url="https://news.example/item?id=3", link="https://b.example/p", published=5,
    )  # fmt: skip
    assert sorted([discussion, post, article]) == [article, post, discussion]


def test_an_entry_tying_two_stories_groups_them_with_reasons() -> None:
    new = [
        NewEntry(
            id=10,
            keys=("https://a.example/x", "https://b.example/y"),
            print=None,
            bands=(),
            title="t",
        ),
        NewEntry(id=11, keys=("https://c.example/z",), print=None, bands=(), title="t"),
        NewEntry(id=12, keys=("https://c.example/z",), print=None, bands=(), title="t"),
    ]
    owners = {"https://a.example/x": KnownEntry(1, 7), "https://b.example/y": KnownEntry(2, 3)}
    plan = plan_batch(new, owners, {})
    assert [(g.entries, g.stories) for g in plan.groups] == [([0], [3, 7]), ([1, 2], [])]
    assert plan.groups[0].linked_by == {3: 10, 7: 10}
    assert [r["rule"] for r in plan.reasons[0]] == ["url", "url"]
    assert plan.reasons[1] == [] and plan.reasons[2][0]["entry"] == 11
    assert describe_join(plan.reasons[2][0]) == "same canonical URL https://c.example/z as 11"


@given(st.text(alphabet=st.characters(max_codepoint=127)) | st.text())
def test_the_fast_word_split_finds_the_words_the_pattern_finds(text: str) -> None:
    assert text_module._words(text) == re.findall(r"\w+", text)
    assert text_module._fold(text) == unicodedata.normalize("NFKC", text).casefold()


@given(st.text("abcdefgh", min_size=3, max_size=12), st.text("abcdefgh", min_size=3, max_size=12))
def test_the_person_probes_find_every_key_of_the_same_person(x: str, y: str) -> None:
    """The index holds entries under their author keys; looking under `person_probes`
    of a key finds every key that `same_person` says is that person's (and, for keys
    that are not, the exact check never has to run)."""
    exact, prefix = text_module.person_probes(x)
    found = y in exact or (prefix is not None and prefix + "\0" <= y <= prefix + "\U0010ffff")
    assert found == text_module.same_person(frozenset({x}), frozenset({y}))


def test_remembered_word_hashes_stay_exact_and_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fingerprint's word hashes come from a cache that starts again when full: what
    it returns is `_hash64` of the word every time, before and after it starts again, so
    the bigrams (stored in the index) do not depend on what was hashed before."""
    monkeypatch.setattr(text_module, "WORD_HASHES_KEPT", 5)
    cache = text_module._WordHashes()
    words = [f"word{n % 9}" for n in range(40)]
    assert [cache[word] for word in words] == [text_module._hash64(word) for word in words]
    assert 0 < len(cache) <= 5
    fresh = list("abcdefghijkl")  # more than it keeps: the shared cache starts again
    assert text_module._shingles(fresh) == frozenset(
        hash((text_module._hash64(fresh[i]), text_module._hash64(fresh[i + 1]))) & (2**30 - 1)
        for i in range(len(fresh) - 1)
    )
