"""Every feed of the shared real-world corpus goes through the RSS platform without an
exception escaping: a broken feed becomes a `ParseError` (a recorded error), never a crash.

The corpus lives outside the repository (../shared/corpus); only this test is skipped
when it is absent.
"""

from __future__ import annotations

import csv

import httpx
import pytest

from devfeed.errors import ParseError
from devfeed.models import Follow
from devfeed.platforms import feeds, platform_for
from tests.conftest import CORPUS

pytestmark = pytest.mark.skipif(
    not (CORPUS / "MANIFEST.csv").exists(), reason="../shared/corpus is not present"
)


def test_every_corpus_feed_parses_or_fails_cleanly() -> None:
    with (CORPUS / "MANIFEST.csv").open(newline="", encoding="utf-8") as manifest:
        rows = [row for row in csv.DictReader(manifest) if row["role"] == "feed"]
    assert len(rows) > 500, "the corpus manifest lists fewer feeds than expected"
    rss = platform_for("rss")
    follow = Follow(platform="rss", url="https://corpus.example.test/feed")
    parsed = failed = 0
    escaped: list[str] = []
    for row in rows:
        path = CORPUS / row["path"]
        if not path.is_file():
            continue
        request = httpx.Request("GET", follow.url or "")
        response = httpx.Response(200, content=path.read_bytes(), request=request)
        try:
            result = rss.parse(follow, response)
        except ParseError as error:
            failed += 1
            assert str(error), row["path"]
        except Exception as error:  # the point of the test: nothing else may escape
            escaped.append(f"{row['path']}: {type(error).__name__}: {error}")
        else:
            parsed += 1
            for entry in result.entries:
                assert entry.title and entry.native_id
                for url in (entry.url, entry.link, entry.media_url, entry.comments_url):
                    assert url is None or url.startswith(("http://", "https://"))
    assert not escaped, "\n".join(escaped[:20])
    assert parsed > failed * 5, f"{parsed} parsed, {failed} failed: the parser got worse"


def _parse_both(body: bytes) -> tuple[object, object]:
    """The result of parsing `body` with feedparser only, and with the fast path allowed."""
    request = httpx.Request("GET", "https://corpus.example.test/feed")
    response = httpx.Response(200, content=body, request=request)
    results = []
    for fast in (False, True):
        feeds.USE_FAST_PARSER = fast
        try:
            results.append(feeds.parse_feed("rss", response))
        except ParseError as error:
            results.append(f"ParseError: {error}")
    feeds.USE_FAST_PARSER = True
    return results[0], results[1]


def test_the_fast_parser_agrees_with_feedparser_wherever_it_is_used() -> None:
    with (CORPUS / "MANIFEST.csv").open(newline="", encoding="utf-8") as manifest:
        rows = [row for row in csv.DictReader(manifest) if row["role"] == "feed"]
    used = 0
    disagree: list[str] = []
    for row in rows:
        path = CORPUS / row["path"]
        if not path.is_file():
            continue
        body = path.read_bytes()
        if feeds._load_xml_feed_fast(body, None) is not None:
            used += 1
        slow, fast = _parse_both(body)
        if slow != fast:
            disagree.append(row["path"])
    assert used >= 10, "the fast path was never taken: the test proves nothing"
    assert disagree == []
