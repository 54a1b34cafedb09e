"""The one sanitizer for text from the web. Pure: no I/O.

Every string that came from outside (titles, authors, text, tags, URLs, error messages,
HTTP reasons) passes through `clean_text` or `clean_line` before it is stored or shown:
whole escape sequences are removed first (so no parameter bytes are left behind to be
shown), then every remaining control and format character except tab and newline, lone
surrogates are replaced and the length is capped.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit

# ESC-introduced sequences: CSI (ESC [ ... final), OSC/DCS/SOS/PM/APC (... BEL or ST),
# and the two-byte forms; plus their 8-bit C1 twins (0x9b CSI, 0x9d OSC, 0x90 DCS ...).
_ESCAPE_SEQUENCE = re.compile(
    r"""
    (?:\x1b\[|\x9b)[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]?        # CSI
  | (?:\x1b[\]PX^_]|[\x9d\x90\x98\x9e\x9f])                     # OSC, DCS, SOS, PM, APC
      [^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?                     #   ... up to BEL or ST
  | \x1b[\x20-\x2f]*[\x30-\x7e]?                                # other ESC sequences
    """,
    re.VERBOSE,
)
_ESCAPE_START = re.compile("[\x1b\x90\x98\x9b\x9d\x9e\x9f]")
"""The characters that can start an escape sequence."""
_BLANK_LINES = re.compile(r"\n{3,}")
_SPACES = re.compile(r"[ \t\r\f\v\u00a0]{2,}|[\t\r\f\v\u00a0]")
"""White space that `clean_line` folds into one space (single spaces stay as they are)."""

DEFAULT_MAX_LENGTH = 100_000
TITLE_MAX_LENGTH = 500


_SUSPECT = re.compile(r"[^\t\n\x20-\x7e]")
"""Characters that need a closer look: everything but tab, newline and printable ASCII."""
_DROP_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})


def _keep_or_drop(match: re.Match[str]) -> str:
    ch = match.group()
    return "" if unicodedata.category(ch) in _DROP_CATEGORIES else ch


def _drop_controls(text: str) -> str:
    # a regex finds the few characters worth a look (most web text is printable ASCII);
    # only those pay for a Unicode category lookup
    return _SUSPECT.sub(_keep_or_drop, text)


def clean_text(value: object, *, max_length: int = DEFAULT_MAX_LENGTH) -> str:
    """Multi-line text safe for a terminal: no escape sequences, no control characters
    but tab and newline, no lone surrogates, at most `max_length` characters."""
    if value is None:
        return ""
    text = str(value)
    if not _nothing_to_drop(text):
        text = _drop_unsafe(text)
    if "\n\n\n" in text:
        text = _BLANK_LINES.sub("\n\n", text)
    if len(text) > max_length:
        text = text[: max_length - 1] + "…"
    return text


def _nothing_to_drop(text: str) -> bool:
    """Whether `_drop_unsafe` would return `text` as it is, decided by cheap C-level checks.

    `str.isprintable` is False for every character of the categories Cc, Cf, Cs, Co, Cn,
    Zl, Zp and Zs (but the ASCII space): so a printable text holds no lone surrogate, no
    carriage return, no escape or C1 character and nothing `_drop_controls` removes. Tabs
    and newlines are the only non-printable characters that stay, so they are set aside
    first; ASCII text is cheaper still: only C0 controls and DEL could need work."""
    if text.isprintable():
        return True
    if text.isascii():
        return not text.encode("ascii").translate(None, _ASCII_KEPT)
    return text.replace("\n", "").replace("\t", "").isprintable()


_ASCII_KEPT = bytes([0x09, 0x0A, *range(0x20, 0x7F)])
"""The ASCII characters `_drop_unsafe` leaves alone: tab, newline and the printable ones
(so not the other C0 controls, carriage return and ESC included, nor DEL)."""


def _drop_unsafe(text: str) -> str:
    """Lone surrogates replaced, line ends unified, escape sequences and control and
    format characters removed (the full, slow path of `clean_text`)."""
    text = text.encode("utf-8", "replace").decode("utf-8")  # lone surrogates become "?"
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if _ESCAPE_START.search(text):  # a cheap scan first: most text has no escapes
        text = _ESCAPE_SEQUENCE.sub("", text)
    return _drop_controls(text)


def clean_line(value: object, *, max_length: int = TITLE_MAX_LENGTH) -> str:
    """One line of text (a title, an author, a tag): like `clean_text`, with every run of
    white space, newlines included, folded into one space."""
    text = clean_text(value, max_length=max_length * 2)
    if "\n" in text:
        text = text.replace("\n", " ")
    # printable text holds no tab, form feed, no-break space ...: only double spaces fold
    if "  " in text or not text.isprintable():
        text = _SPACES.sub(" ", text)
    text = text.strip()
    if len(text) > max_length:
        text = text[: max_length - 1] + "…"
    return text


_PLAIN_URL = re.compile(r"https?://([A-Za-z0-9.-]+)(?:[/?#][\x21-\x7e]*)?")
"""An absolute http(s) URL of printable ASCII without spaces, user info, port, brackets
or non-ASCII host: `safe_url` can accept it without building an `httpx.URL`."""
_IPV4_STYLE = re.compile(r"[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+")
"""Hosts httpx validates as IPv4 addresses (its IPv4_STYLE_HOSTNAME)."""
_PLAIN_URL_MAX = 2000


def plain_url(value: str) -> bool:
    """Whether `value` (already stripped) is an absolute http(s) URL that `safe_url` returns
    unchanged, decided without `httpx.URL`: lower-case scheme, a host of letters, digits,
    dots and hyphens (not an IPv4 address, not IDNA `xn--`), no port, no user info, then
    only printable ASCII but spaces, at most 2,000 characters. Such a URL passes every
    httpx check (nothing to quote in the host, a path that starts with "/", no control
    character) and every sanitizer check (nothing to drop, fold or cut)."""
    if len(value) > _PLAIN_URL_MAX:
        return False
    match = _PLAIN_URL.fullmatch(value)
    if match is None:
        return False
    host = match.group(1)
    return host[:4].lower() != "xn--" and _IPV4_STYLE.fullmatch(host) is None


def safe_url(value: object) -> str | None:
    """The URL when it is an absolute http(s) URL with a host, a port that exists and no
    user info; else None."""
    if not isinstance(value, str):
        return None
    value = value.strip()
    if plain_url(value):
        return value
    return checked_url(value)


def checked_url(value: str) -> str | None:
    """`safe_url`'s full check of a stripped string through `httpx.URL` (the reference
    that `plain_url`'s shortcut is tested against). httpx is imported here, not at the
    top: most URLs take the shortcut, and the reader and the CLI start ~50 ms sooner
    when no URL they check needs this (a port, an IP address, an IDN host, a non-ASCII
    path); the first one that does pays the import."""
    import httpx

    if not value.lower().startswith(("http://", "https://")):
        return None
    try:
        url = httpx.URL(value)
        host = url.host  # decodes an "xn--" host, which raises IDNAError when malformed
        urlsplit(value)  # refuses what httpx lets by: "http://[x/a", an unclosed bracket
    except (httpx.InvalidURL, ValueError):  # IDNAError is a UnicodeError, so a ValueError
        return None
    if not host or url.userinfo or (url.port is not None and not 0 < url.port < 65536):
        return None
    cleaned = clean_line(value, max_length=2000)
    return cleaned if cleaned == value and " " not in value else None
