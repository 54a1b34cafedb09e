"""How long the API platforms take to turn one response into entries, against feedparser.

Each platform's exchange is driven with the golden-test responses under tests/data (the
first page a poll gets), repeated until the timing is stable, and the median per response
and per entry is printed. Run from the repository root:

    python benchmarks/platform_parse.py
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from devfeed.config import PlatformSettings  # noqa: E402
from devfeed.errors import HTTPStatusError  # noqa: E402
from devfeed.models import FetchState, Follow, ParseResult  # noqa: E402
from devfeed.platforms import platform_for  # noqa: E402
from devfeed.platforms.base import Context  # noqa: E402

DATA = ROOT / "tests" / "data"
CASES = [
    ("mastodon", "tag-first-poll.case.json"),
    ("mastodon", "profile-first-poll.case.json"),
    ("mastodon", "tag-login-required.case.json"),
    ("bluesky", "profile.case.json"),
    ("bluesky", "hashtag-reuses-the-token.case.json"),
    ("peertube", "hashtag.case.json"),
    ("instagram", "profile-rss-bridge.case.json"),
    ("hackernews", "search-python.case.json"),
    ("devto", "tag-python.case.json"),
    ("lobsters", "tag-rust.case.json"),
    ("youtube", "handle-watch-pages.case.json"),
]
ROUNDS = 7
MIN_SECONDS = 0.2


def drive(path: Path) -> ParseResult:
    case = json.loads(path.read_text())
    follow = Follow(**case["follow"])
    state = FetchState(follow_key=follow.key, platform_state=case.get("platform_state", {}))
    settings = PlatformSettings(**case.get("settings", {}))
    platform = platform_for(follow.platform)
    context = Context(base_url=settings.base_url or platform.default_base_url, settings=settings)
    exchange = platform.exchange(follow, state, context)
    fetch = next(exchange)
    for step in case["responses"]:
        body = (path.parent / step["file"]).read_bytes() if "file" in step else b""
        response = httpx.Response(step.get("status", 200), content=body, request=fetch.request)
        try:
            if response.status_code >= 400:
                fetch = exchange.throw(HTTPStatusError("x", status=response.status_code))
            else:
                fetch = exchange.send(response)
        except StopIteration as stop:
            result: ParseResult = stop.value
            return result
    raise RuntimeError(f"{path.name} did not finish")


def measure(path: Path) -> tuple[float, int]:
    entries = len(drive(path).entries)
    runs = 1
    while True:
        start = time.perf_counter()
        for _ in range(runs):
            drive(path)
        if time.perf_counter() - start >= MIN_SECONDS:
            break
        runs *= 2
    samples = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        for _ in range(runs):
            drive(path)
        samples.append((time.perf_counter() - start) / runs)
    return statistics.median(samples), entries


def main() -> None:
    print(f"{'case':<46} {'entries':>7} {'ms/response':>12} {'ms/entry':>9}")
    for platform, name in CASES:
        seconds, entries = measure(DATA / platform / name)
        per_entry = seconds * 1000 / entries if entries else float("nan")
        print(f"{platform + '/' + name:<46} {entries:>7} {seconds * 1000:>12.3f} {per_entry:>9.3f}")


if __name__ == "__main__":
    main()
