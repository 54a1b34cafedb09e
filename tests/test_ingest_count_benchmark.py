"""The instruction-count benchmark runs (what it counts is its own business: it prints a
table). Without valgrind here, it runs in its CPU-time mode."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import run_benchmark


@pytest.mark.slow
def test_the_instruction_count_benchmark_runs(tmp_path: Path) -> None:
    done = run_benchmark("ingest_count.py", "--quick", "--cache", str(tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr
    rows = [line for line in done.stdout.splitlines() if line.startswith("| ")]
    assert rows[0] == "| store | entries | CPU seconds | per entry |", done.stdout
    assert [row.split("|")[1].strip() for row in rows[1:]] == ["empty", "300 stories"]
    assert all(row.split("|")[2].strip() == "200" for row in rows[1:])
    assert all(row.rstrip(" |").endswith("µs") for row in rows[1:])
