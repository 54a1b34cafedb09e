"""The HTTP path benchmark runs (how fast is its own business: it prints a table)."""

from __future__ import annotations

import pytest

from tests.helpers import run_benchmark


@pytest.mark.slow
def test_the_http_path_benchmark_runs() -> None:
    quick = ["--feeds", "20", "--hosts", "2", "--latency", "0", "--runs", "1"]
    done = run_benchmark("http_path.py", *quick, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    rows = [line for line in done.stdout.splitlines() if line.startswith("| ")]
    assert len(rows) == 4, done.stdout  # the head and three clients
    assert [row.split("|")[1].strip() for row in rows[1:]] == [
        "devfeed fetch()",
        "stock httpx",
        "asyncio streams (floor)",
    ]
    read = {row.split("|")[-2].strip() for row in rows[1:]}
    assert len(read) == 1 and read != {"0.0"}, "every client read the same bodies"
