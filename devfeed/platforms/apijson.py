"""Reading JSON API responses defensively: decode, pick typed fields, never trust a shape.

Shared by the platforms that speak JSON (Hacker News, dev.to, Lobsters, YouTube's Data
API). A field of the wrong type reads as missing rather than crashing a poll; every
string still goes through `devfeed.sanitize` in the platform. Pure: no I/O.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import httpx

from devfeed.errors import ParseError


def load_json(response: httpx.Response) -> Any:
    """The decoded body. Raises `ParseError` when it is empty, HTML or not JSON."""
    body = response.content
    if not body.strip():
        raise ParseError("the response was empty")
    if body.lstrip()[:15].lower().startswith((b"<!doctype html", b"<html")):
        raise ParseError("the server sent an HTML page, not JSON")
    try:
        return json.loads(body)  # bytes: UTF-8/16/32 and a BOM are detected
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise ParseError(f"not valid JSON: {type(error).__name__}") from None


def json_list(document: Any, what: str) -> list[Mapping[str, Any]]:
    """The objects of a JSON array, skipping anything that is not an object.
    Raises `ParseError` when `document` is not an array."""
    if not isinstance(document, list):
        raise ParseError(f"expected a list of {what}, got {type(document).__name__}")
    return [item for item in document if isinstance(item, Mapping)]


def text_field(node: Mapping[str, Any], key: str) -> str | None:
    """A string field; None when it is missing, empty or not a string."""
    value = node.get(key)
    return value if isinstance(value, str) and value.strip() else None


def int_field(node: Mapping[str, Any], key: str) -> int | None:
    """A non-negative integer field (counts, scores, timestamps); None otherwise."""
    value = node.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if value != value or value < 0 or value > 2**53:  # NaN, negatives, junk
        return None
    return int(value)


def object_field(node: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    """A nested object; an empty mapping when it is missing or not an object."""
    value = node.get(key)
    return value if isinstance(value, Mapping) else {}


def iso_datetime(value: object) -> datetime | None:
    """An ISO 8601 timestamp (`2026-11-27T16:00:06Z`, `...-06:00`) in UTC; None if invalid.
    A timestamp without a zone is taken as UTC."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def epoch_datetime(value: object) -> datetime | None:
    """Seconds since the epoch as a UTC datetime; None when not a sane number."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if not 0 < value < 2**34:  # before 2514; anything else is junk
        return None
    return datetime.fromtimestamp(value, UTC)
