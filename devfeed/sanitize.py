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

import httpx

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
    text = text.encode("utf-8", "replace").decode("utf-8")  # lone surrogates become "?"
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if _ESCAPE_START.search(text):  # a cheap scan first: most text has no escapes
        text = _ESCAPE_SEQUENCE.sub("", text)
    text = _drop_controls(text)
    if "\n\n\n" in text:
        text = _BLANK_LINES.sub("\n\n", text)
    if len(text) > max_length:
        text = text[: max_length - 1] + "…"
    return text


def clean_line(value: object, *, max_length: int = TITLE_MAX_LENGTH) -> str:
    """One line of text (a title, an author, a tag): like `clean_text`, with every run of
    white space, newlines included, folded into one space."""
    text = clean_text(value, max_length=max_length * 2)
    text = _SPACES.sub(" ", text.replace("\n", " ")).strip()
    if len(text) > max_length:
        text = text[: max_length - 1] + "…"
    return text


def safe_url(value: object) -> str | None:
    """The URL when it is an absolute http(s) URL with a host, a port that exists and no
    user info; else None."""
    if not isinstance(value, str):
        return None
    value = value.strip()
    if not value.lower().startswith(("http://", "https://")):
        return None
    try:
        url = httpx.URL(value)
    except (httpx.InvalidURL, ValueError):
        return None
    if not url.host or url.userinfo or (url.port is not None and not 0 < url.port < 65536):
        return None
    cleaned = clean_line(value, max_length=2000)
    return cleaned if cleaned == value and " " not in value else None
