"""The poll and reader benchmarks run (how fast is their own business: they print tables).
Tiny sizes, no newsboat: the smoke run checks the harness, never a speed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import REPO, run_benchmark


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


BURN = "import time\nwhile time.process_time() < 0.4: pass"
"""A grandchild's work: 0.4 s of CPU."""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a subreaper is Linux's")
def test_the_poll_benchmark_counts_the_cpu_of_a_readers_grandchildren() -> None:
    """devfeed's parse workers are grandchildren (children of its fork server): a child
    that leaves a grandchild burning 0.4 s of CPU must be measured with that CPU."""
    child = f"import subprocess, sys; subprocess.Popen([sys.executable, '-c', {BURN!r}])"
    script = f"""
import sys
sys.path.insert(0, {str(REPO / "benchmarks")!r})
import poll
from pathlib import Path
subreaper = "--subreaper" in sys.argv
if subreaper:
    assert poll.become_subreaper()
sample = poll.measure([sys.executable, "-c", {child!r}], Path("."), {{}})
print(sample.cpu)
"""
    counted = [
        float(
            subprocess.run(
                [sys.executable, "-c", script, *flag],
                capture_output=True,
                text=True,
                check=True,
                timeout=60,
            ).stdout
        )
        for flag in ([], ["--subreaper"])
    ]
    alone, whole = counted
    assert whole >= 0.4, counted
    assert alone < 0.4, counted  # wait4 on the child alone misses it: why the harness reaps


@pytest.mark.slow
def test_the_reader_benchmark_runs(tmp_path: Path) -> None:
    out = run("tui.py", "--sizes", "300", "--stories-only", "--cache", str(tmp_path))
    head, row = table(out)
    assert head[0] == "stories" and row[0] == "300"
    assert row[1].endswith(")") and float(row[1].split()[0]) > 0, out
    # from launch: the interpreter's start and the imports come before the first paint
    assert head[2] == "from launch" and float(row[2].split()[0]) > float(row[1].split()[0]), out
