"""Golden pairs: every response file under tests/data/<platform>/ and its expected output.

A new quirk is a new data file, not new test code. Regenerate the expected files after a
deliberate change with `DEVFEED_UPDATE_GOLDEN=1 pytest tests/test_platform_golden.py`
and review the diff.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import httpx
import pytest

from devfeed.errors import ParseError
from devfeed.models import Follow
from devfeed.platforms import platform_for, supported_platforms
from tests.conftest import DATA

CASES = sorted(
    path
    for platform in supported_platforms()
    if (DATA / platform).is_dir()
    for path in (DATA / platform).iterdir()
    if not path.name.endswith(".expected.json")
)
BASE_URL = "https://feeds.example.test/feed"


def parsed(path: Path) -> dict[str, Any]:
    platform = platform_for(path.parent.name)
    follow = Follow(platform=path.parent.name, url=BASE_URL)
    response = httpx.Response(
        200, content=path.read_bytes(), request=httpx.Request("GET", BASE_URL)
    )
    try:
        result = platform.parse(follow, response)
    except ParseError as error:
        return {"error": str(error)}
    return json.loads(result.model_dump_json())


@pytest.mark.parametrize("path", CASES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_golden(path: Path) -> None:
    expected_path = path.with_name(path.name + ".expected.json")
    actual = parsed(path)
    if os.environ.get("DEVFEED_UPDATE_GOLDEN"):
        expected_path.write_text(json.dumps(actual, indent=2, ensure_ascii=False) + "\n")
    assert expected_path.exists(), f"no expected output beside {path}"
    assert actual == json.loads(expected_path.read_text())


def test_there_are_golden_pairs_for_the_feed_kinds() -> None:
    names = {p.name for p in CASES}
    assert {"podcast.xml", "atom.xml", "jsonfeed.json", "media.xml", "hostile.xml"} <= names
