"""Reading JSON API responses defensively: any field may be missing, null or of another type.

Platforms that speak JSON (Mastodon, Bluesky, PeerTube ...) read fields through these
accessors instead of indexing, so a surprising response drops a field, never a poll.
Pure: no I/O.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import httpx

from devfeed.errors import ParseError

MAX_ITEMS = 200
"""The most entries taken from one response (APIs page far below this)."""


def load_json(response: httpx.Response) -> Any:
    """The JSON document of a response. Raises `ParseError` when it is not JSON."""
    body = response.content
    if not body.strip():
        raise ParseError("the response was empty")
    try:
        return json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        looks_html = body.lstrip()[:200].lower().startswith((b"<!doctype html", b"<html"))
        if looks_html:
            raise ParseError("the server sent an HTML page, not JSON") from None
        raise ParseError(f"not valid JSON: {error}") from None


def obj(value: object) -> Mapping[str, Any]:
    """`value` when it is a JSON object, else an empty one."""
    return value if isinstance(value, dict) else {}


def objects(value: object, limit: int = MAX_ITEMS) -> list[Mapping[str, Any]]:
    """The JSON objects in a list (other items skipped), at most `limit` of them."""
    if not isinstance(value, list):
        return []
    found: list[Mapping[str, Any]] = [item for item in value if isinstance(item, dict)]
    return found[:limit]


def text(value: object) -> str | None:
    """`value` when it is a non-empty string, else None."""
    return value if isinstance(value, str) and value.strip() else None


def integer(value: object) -> int | None:
    """`value` as a non-negative int (JSON numbers or digit strings), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, float) and value == value and value >= 0:
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def timestamp(value: object) -> datetime | None:
    """An ISO 8601 date-time as an aware UTC datetime (naive ones are taken as UTC)."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)
