"""Words for counts in messages: "1 source", "2 sources", "1 story", "3 stories"."""

from __future__ import annotations


def plural(count: int, one: str, many: str | None = None) -> str:
    """The noun for `count` things: `one` for exactly one, else `many` (`one` + "s" unless
    given)."""
    return one if count == 1 else (many if many is not None else one + "s")
