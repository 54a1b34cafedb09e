"""The dedup benchmark runs (how fast is its own business: it prints a table)."""

from __future__ import annotations

import pytest

from tests.helpers import run_benchmark


@pytest.mark.slow
def test_the_dedup_eval_runs_and_meets_its_targets() -> None:
    done = run_benchmark("dedup_eval.py", "--seeds", "2", "--scale", "300")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "targets: precision >= 0.99, recall >= 0.95: met" in done.stdout
    assert "|     300 |" in done.stdout
