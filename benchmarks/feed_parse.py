"""CPU per entry of `parse_feed` (RSS/Atom to `ParsedEntry`s), this tree against a git
revision ("before"), on generated harness feeds and on the feeds under tests/data.

Process time, repeated; the medians are printed. The other revision is exported with
`git archive` into a temporary directory and measured in a child process, so both sides
run the same script with their own devfeed. Run from the repository root:

    python benchmarks/feed_parse.py --before main
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FEEDS = 100
ENTRIES = 35
ROUNDS = 9


def measure(root: Path, rounds: int) -> dict[str, float]:
    """Median µs per entry of parse_feed from the devfeed under `root`."""
    sys.path.insert(0, str(root))
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import httpx
    import poll  # the harness's feed generator (from this tree, so both sides parse alike)

    from devfeed.errors import ParseError
    from devfeed.platforms.feeds import parse_feed

    rng = random.Random(7)
    words = poll.vocabulary(46)
    generated = [
        (
            f"http://127.0.0.2/feed/{n}.xml",
            poll.feed_body(n, ENTRIES, rng, words, poll.author_of(n)),
        )
        for n in range(FEEDS)
    ]
    data = sorted(
        path
        for pattern in ("*.xml", "*.rss", "*.atom")
        for path in (ROOT / "tests" / "data").rglob(pattern)
    )
    files = [(f"https://example.org/{path.name}", path.read_bytes()) for path in data]
    results = {}
    for label, feeds in (("generated", generated), ("tests/data", files)):
        responses = [
            httpx.Response(200, content=body, request=httpx.Request("GET", url))
            for url, body in feeds
        ]
        entries = 0
        for response in responses:
            with contextlib.suppress(ParseError):
                entries += len(parse_feed("rss", response).entries)
        samples = []
        for _ in range(rounds):
            start = time.process_time()
            for response in responses:
                with contextlib.suppress(ParseError):
                    parse_feed("rss", response)
            samples.append((time.process_time() - start) / entries * 1e6)
        results[label] = statistics.median(samples)
        results[f"{label} entries"] = entries
    return results


def measure_revision(revision: str, rounds: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as directory:
        archive = Path(directory) / "tree.tar"
        subprocess.run(
            ["git", "archive", "--format=tar", "-o", str(archive), revision, "devfeed"],
            cwd=ROOT,
            check=True,
        )
        with tarfile.open(archive) as tar:
            tar.extractall(directory, filter="data")
        child = subprocess.run(
            [sys.executable, __file__, "--measure", directory, "--rounds", str(rounds)],
            check=True,
            capture_output=True,
            text=True,
        )
        result: dict[str, float] = json.loads(child.stdout)
        return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", default="main", help="git revision to compare with")
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(Path(args.measure), args.rounds)))
        return
    before = measure_revision(args.before, args.rounds)
    after = measure(ROOT, args.rounds)
    print(f"parse_feed CPU, median of {args.rounds} rounds (process time), µs per entry")
    print(f"| feeds | entries | before ({args.before}) | after (this tree) | ratio |")
    print("|---|---|---|---|---|")
    for label in ("generated", "tests/data"):
        entries = int(after[f"{label} entries"])
        ratio = after[label] / before[label]
        print(f"| {label} | {entries} | {before[label]:.1f} | {after[label]:.1f} | {ratio:.2f} |")


if __name__ == "__main__":
    main()
