"""Parsing of lengths of time: config intervals ("15m", "2h") and media durations
("1:02:03", "3723", "PT1H2M3S"). Pure: no I/O, no clock."""

from __future__ import annotations

import re
from datetime import timedelta

_INTERVAL = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d|w)\s*$", re.IGNORECASE)
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
TIERS: dict[str, timedelta] = {
    "realtime": timedelta(minutes=2),
    "hourly": timedelta(hours=1),
    "daily": timedelta(days=1),
}
"""Importance tiers: names a follow may use for its interval (`interval = "realtime"`)."""
MAX_INTERVAL = timedelta(days=366)
_ISO8601 = re.compile(
    r"^P(?:(?P<d>\d+(?:\.\d+)?)D)?(?:T(?:(?P<h>\d+(?:\.\d+)?)H)?(?:(?P<m>\d+(?:\.\d+)?)M)?"
    r"(?:(?P<s>\d+(?:\.\d+)?)S)?)?$",
    re.IGNORECASE,
)
# a media duration is never longer than this; longer values are junk in the feed
_MAX_MEDIA_SECONDS = 7 * 86400


def parse_interval(text: str) -> timedelta:
    """Parse a config interval such as "90s", "15m", "2h", "1d", "1w", or a tier name
    ("realtime", "hourly", "daily").

    Raises ValueError with a message meant for the user.
    """
    tier = TIERS.get(text.strip().lower())
    if tier is not None:
        return tier
    match = _INTERVAL.match(text)
    if not match:
        raise ValueError(
            f"{text!r} is not a duration; write it like '90s', '15m', '2h' or '1d', "
            f"or name a tier: {', '.join(TIERS)}"
        )
    seconds = float(match.group(1)) * _UNIT_SECONDS[match.group(2).lower()]
    if seconds <= 0:
        raise ValueError(f"{text!r} must be longer than zero")
    if seconds > MAX_INTERVAL.total_seconds():
        raise ValueError(f"{text!r} is longer than a year")
    return timedelta(seconds=seconds)


def format_interval(delta: timedelta) -> str:
    """The shortest config spelling of an interval ("30m", "2h", "45s")."""
    seconds = int(delta.total_seconds())
    for unit in ("w", "d", "h", "m"):
        size = _UNIT_SECONDS[unit]
        if seconds % size == 0 and seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def parse_media_duration(value: object) -> int | None:
    """Seconds from a media duration as feeds write it, or None when it makes no sense.

    Accepts plain seconds ("3723", "3723.4", 3723), clock forms ("62:03", "1:02:03") and
    ISO 8601 ("PT1H2M3S"). Junk, negatives and absurd lengths give None.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        text = str(value).strip()
        if not text:
            return None
        iso = _ISO8601.match(text)
        if iso and text.upper() != "P":
            parts = {k: float(v) for k, v in iso.groupdict().items() if v}
            if not parts:
                return None
            seconds = (
                parts.get("d", 0) * 86400
                + parts.get("h", 0) * 3600
                + parts.get("m", 0) * 60
                + parts.get("s", 0)
            )
        elif ":" in text:
            pieces = text.split(":")
            if len(pieces) > 3 or not all(p.strip().replace(".", "", 1).isdigit() for p in pieces):
                return None
            seconds = 0.0
            for piece in pieces:
                seconds = seconds * 60 + float(piece)
        else:
            try:
                seconds = float(text)
            except ValueError:
                return None
    if seconds != seconds or seconds <= 0 or seconds > _MAX_MEDIA_SECONDS:  # NaN, zero, junk
        return None
    return round(seconds)


def format_duration(seconds: int) -> str:
    """A compact clock form for display: "4:05", "1:02:03"."""
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{minutes}:{secs:02d}"
