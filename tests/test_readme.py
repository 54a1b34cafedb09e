"""The README is a contract too: its first two commands and its CLI description."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from devfeed.cli import main as cli

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _shell_blocks(text: str) -> list[str]:
    return [block.strip() for block in re.findall(r"```sh\n(.*?)```", text, re.S)]


def test_readme_opens_with_the_install_and_test_commands() -> None:
    first, second = _shell_blocks(README)[:2]
    assert first.endswith("devfeed demo")
    assert "pip install -q --upgrade pip" in first and "pip install -q ." in first
    assert "'.[test]'" in second and second.split("&&")[-1].strip().endswith("pytest -q")
    # nothing but the two commands comes before them
    assert README.index(second) < README.index("---")


def test_ci_runs_exactly_the_readme_test_command() -> None:
    second = _shell_blocks(README)[1]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert second in ci.splitlines()
    assert "set -euo pipefail" in ci


def test_readme_mentions_every_command() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    commands = re.findall(r"^  (\w[\w-]*)\s", result.output.split("Commands:")[1], re.M)
    assert len(commands) >= 8
    missing = [name for name in commands if f"devfeed {name}" not in README]
    assert missing == []
