"""The poll and reader benchmarks run (how fast is their own business: they print tables).
Tiny sizes, no newsboat: the smoke run checks the harness, never a speed."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import run_benchmark


def run(script: str, *args: str) -> str:
    done = run_benchmark(script, *args, timeout=240)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def table(out: str) -> list[list[str]]:
    rows = [line for line in out.splitlines() if line.startswith("| ")]
    return [[cell.strip() for cell in row.strip("|").split("|")] for row in rows]


@pytest.mark.slow
def test_the_poll_benchmark_runs_every_cycle() -> None:
    out = run(
        "poll.py", "--feeds", "4", "--hosts", "2", "--latency", "0", "--runs", "1", "--no-newsboat"
    )
    head, *cycles = table(out)
    assert head[:2] == ["cycle", "devfeed wall s"]
    assert [row[0] for row in cycles] == ["first", "same-body", "one-new", "all-304"]
    assert all(float(row[1]) > 0 for row in cycles), out


@pytest.mark.slow
def test_the_reader_benchmark_runs(tmp_path: Path) -> None:
    out = run("tui.py", "--sizes", "300", "--stories-only", "--cache", str(tmp_path))
    head, row = table(out)
    assert head[0] == "stories" and row[0] == "300"
    assert row[1].endswith(")") and float(row[1].split()[0]) > 0, out
    # from launch: the interpreter's start and the imports come before the first paint
    assert head[2] == "from launch" and float(row[2].split()[0]) > float(row[1].split()[0]), out
