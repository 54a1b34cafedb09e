"""Golden pairs: response files under tests/data/<platform>/ and the expected output beside each.

Two kinds of pairs:

- Feed files (`podcast.xml`, `atom.xml` ...) of platforms that are one feed per follow: each
  file is parsed as it is, `NAME.expected.json` holds the result.
- Exchanges (`NAME.case.json`): a follow, what the platform remembered, its settings and the
  responses the platform gets, in order (a file under the same directory, a status, or a
  network error). The exchange is driven like the poller drives it (a status of 400 or more
  is thrown into it) and `NAME.case.json.expected.json` holds every request it made and what
  it returned. Multi-step conversations, fallbacks and boosts are cases, not test code.

A new quirk is a new data file, not new test code. Regenerate the expected files after a
deliberate change with `DEVFEED_UPDATE_GOLDEN=1 pytest tests/test_platform_golden.py`
and review the diff.
"""

from __future__ import annotations

import json
import os
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from devfeed.config import PlatformSettings
from devfeed.errors import FetchError, HTTPStatusError, ParseError
from devfeed.models import FetchState, Follow
from devfeed.platforms import UnsupportedFollow, platform_for, supported_platforms
from devfeed.platforms.base import Context, Fetch
from devfeed.platforms.feedbased import FeedPlatform
from tests.conftest import DATA

CASE_SUFFIX = ".case.json"
CASES = sorted(
    path
    for platform in supported_platforms()
    if isinstance(platform_for(platform), FeedPlatform) and (DATA / platform).is_dir()
    for path in (DATA / platform).iterdir()
    if path.is_file() and not path.name.endswith((".expected.json", CASE_SUFFIX))
)
EXCHANGES = sorted(DATA.glob(f"*/*{CASE_SUFFIX}"))
BASE_URL = "https://feeds.example.test/feed"
RECORDED_HEADERS = ("accept", "authorization", "content-type")
URL_FIELDS = ("url", "link", "media_url", "comments_url")


def parsed(path: Path) -> dict[str, Any]:
    platform = platform_for(path.parent.name)
    assert isinstance(platform, FeedPlatform)
    follow = Follow(platform=path.parent.name, url=BASE_URL)
    response = httpx.Response(
        200, content=path.read_bytes(), request=httpx.Request("GET", BASE_URL)
    )
    try:
        result = platform.parse(follow, response)
    except ParseError as error:
        return {"error": str(error)}
    return json.loads(result.model_dump_json())


def check_golden(actual: dict[str, Any], expected_path: Path) -> None:
    if os.environ.get("DEVFEED_UPDATE_GOLDEN"):
        expected_path.write_text(json.dumps(actual, indent=2, ensure_ascii=False) + "\n")
    assert expected_path.exists(), f"no expected output {expected_path.name}"
    assert actual == json.loads(expected_path.read_text())


@pytest.mark.parametrize("path", CASES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_golden(path: Path) -> None:
    check_golden(parsed(path), path.with_name(path.name + ".expected.json"))


def test_there_are_golden_pairs_for_the_feed_kinds() -> None:
    names = {p.name for p in CASES}
    assert {"podcast.xml", "atom.xml", "jsonfeed.json", "media.xml", "hostile.xml"} <= names


# --- exchanges ------------------------------------------------------------------------


def _recorded(fetch: Fetch) -> dict[str, Any]:
    request = fetch.request
    seen: dict[str, Any] = {
        "method": request.method,
        "url": str(request.url),
        "conditional": fetch.conditional,
        "headers": {k: request.headers[k] for k in RECORDED_HEADERS if k in request.headers},
    }
    if request.content:
        seen["json"] = json.loads(request.content)
    return seen


def _response(step: dict[str, Any], folder: Path, request: httpx.Request) -> httpx.Response:
    body = (folder / step["file"]).read_bytes() if "file" in step else b""
    return httpx.Response(
        step.get("status", 200), headers=step.get("headers", {}), content=body, request=request
    )


def run_case(path: Path) -> dict[str, Any]:
    """Drive the exchange a case describes; what it asked for and what it returned."""
    case = json.loads(path.read_text())
    follow = Follow(**case["follow"])
    state = FetchState(follow_key=follow.key, platform_state=case.get("platform_state", {}))
    platform = platform_for(follow.platform)
    settings = PlatformSettings(**case.get("settings", {}))
    context = Context(base_url=settings.base_url or platform.default_base_url, settings=settings)
    exchange = platform.exchange(follow, state, context)
    steps: Iterator[dict[str, Any]] = iter(case.get("responses", []))
    requests: list[dict[str, Any]] = []
    outcome: dict[str, Any]
    try:
        fetch = next(exchange)
        while True:
            requests.append(_recorded(fetch))
            step = next(steps, None)
            assert step is not None, f"the exchange asked for more: {requests[-1]['url']}"
            if "network_error" in step:
                fetch = exchange.throw(FetchError(step["network_error"]))
                continue
            response = _response(step, path.parent, fetch.request)
            if response.status_code >= 400:
                error = HTTPStatusError(
                    f"HTTP {response.status_code} {response.reason_phrase}",
                    status=response.status_code,
                )
                fetch = exchange.throw(error)
            else:
                fetch = exchange.send(response)
    except StopIteration as stop:
        outcome = {"result": json.loads(stop.value.model_dump_json())}
    except (FetchError, ParseError, UnsupportedFollow) as error:
        outcome = {"error": f"{type(error).__name__}: {error}"}
    finally:
        exchange.close()
    assert next(steps, None) is None, "a response of the case was never asked for"
    return {"requests": requests, **outcome}


@pytest.mark.parametrize("path", EXCHANGES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_exchange(path: Path) -> None:
    check_golden(run_case(path), path.with_name(path.name + ".expected.json"))


def _strings(value: Any) -> Iterator[tuple[str, str]]:
    if isinstance(value, dict):
        for key, item in value.items():
            for inner_key, text in _strings(item):
                yield (inner_key or key), text
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, str):
        yield "", value


def _raw_responses(path: Path) -> str:
    """Every string the case's responses hold (JSON decoded, anything else as it is)."""
    texts = []
    for step in json.loads(path.read_text()).get("responses", []):
        if "file" in step:
            raw = (path.parent / step["file"]).read_text()
            if step["file"].endswith(".json"):
                texts.extend(text for _, text in _strings(json.loads(raw)))
            else:
                texts.append(raw)
    return "\n".join(texts)


@pytest.mark.parametrize("path", EXCHANGES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_exchange_output_is_safe_to_show(path: Path) -> None:
    """Whatever came in: no control characters but newline and tab, links http(s) only."""
    outcome = run_case(path)
    for key, text in _strings(outcome.get("result", {})):
        bad = [c for c in text if c not in "\n\t" and unicodedata.category(c) in ("Cc", "Cf")]
        assert not bad, f"{key}: {text!r}"
        if key in URL_FIELDS:
            assert text.startswith(("http://", "https://")), f"{key}: {text!r}"


HOSTILE_CASES = sorted(p for p in EXCHANGES if json.loads(p.read_text()).get("hostile"))


def test_every_new_platform_has_a_hostile_case() -> None:
    platforms = {p.parent.name for p in HOSTILE_CASES}
    assert {"mastodon", "bluesky", "peertube", "instagram"} <= platforms
    assert {"hackernews", "devto", "lobsters", "youtube"} <= platforms


HOSTILE_FEEDS = [
    DATA / "rss" / "podcast-duration-forms.xml",
    DATA / "reddit" / "subreddit-new.xml",
    DATA / "stackoverflow" / "tag.xml",
    DATA / "github" / "user-activity.atom",
]


@pytest.mark.parametrize("path", HOSTILE_FEEDS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_hostile_feed_files_come_out_clean(path: Path) -> None:
    """The feed platforms' hostile files: escape sequences (as character references, the
    only way XML carries them), markup and javascript: links in titles, text and links."""
    raw = path.read_text()
    assert "&#27;" in raw and "javascript:" in raw and "[bold]" in raw, "not hostile enough"
    result = parsed(path)
    shown = json.dumps(result, ensure_ascii=False)
    assert "\x1b" not in shown and "\x07" not in shown and "\\u001b" not in shown
    for key, text in _strings(result):
        bad = [c for c in text if c not in "\n\t" and unicodedata.category(c) in ("Cc", "Cf")]
        assert not bad, f"{key}: {text!r}"
        if key in URL_FIELDS:
            assert text.startswith(("http://", "https://")), f"{key}: {text!r}"
    assert "[bold]" in shown


@pytest.mark.parametrize("path", HOSTILE_CASES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_hostile_responses_come_out_clean(path: Path) -> None:
    raw = _raw_responses(path)
    assert "\x1b" in raw and "javascript:" in raw and "[bold]" in raw, "not hostile enough"
    result = run_case(path)["result"]
    shown = json.dumps(result, ensure_ascii=False)
    assert "\x1b" not in shown and "\x07" not in shown
    links = [text for key, text in _strings(result) if key in URL_FIELDS]
    assert links and not [link for link in links if "javascript:" in link]
    # markup-looking text stays literal text: nothing parses it, nothing strips it
    assert "[bold]" in shown
