"""The ingest benchmark runs (how fast is its own business: it prints a table)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import run_benchmark


@pytest.mark.slow
def test_the_ingest_benchmark_runs(tmp_path: Path) -> None:
    done = run_benchmark("ingest.py", "--quick", "--cache", str(tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr
    rows = [line for line in done.stdout.splitlines() if line.startswith("| ")]
    assert len(rows) == 8, done.stdout  # the head and seven measured rows
    assert "|     200 |" in rows[1] and "known" in rows[4] and "at once" in rows[5]
    assert rows[6].split("|")[1].strip().endswith("prepared") and "prepared, 25 at once" in rows[7]
    assert "µs of CPU an entry" in done.stdout
    assert "new entries/s into the pre-filled store" in done.stdout
    assert "raw SQLite on the same titles and texts" in done.stdout
    assert done.stdout.count("best row / raw") == 2  # a trigger per row; one statement
