"""What to do about a source's error: one short hint per kind of failure. Pure: no I/O.

The poller stores errors as sentences ("HTTP 404 Not Found", "ConnectError: ...", "no
complete answer within 30 s"); this turns them into the next step for the user.
"""

from __future__ import annotations

import re

_HINTS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), hint)
    for pattern, hint in (
        (r"\bHTTP 404\b|\bHTTP 410\b", "the address is gone: check the follow's url, profile "
         "or hashtag (and the instance)"),
        (r"\bHTTP 40[13]\b", "the server refused: it may need credentials in "
         "[platforms.{platform}] (api_key, or handle and app_password) or a base_url mirror"),
        (r"\bHTTP 429\b", "rate-limited: give this follow a longer interval"),
        (r"\bHTTP 5\d\d\b", "the server failed; devfeed tries again later, waiting longer "
         "after each failure"),
        (r"ConnectError|Name or service|getaddrinfo|nodename|resolve",
         "cannot reach the host: check the instance or host name, and the network"),
        (r"no complete answer within|Timeout", "too slow: try later, or raise [settings] "
         "timeout"),
        (r"larger than", "the response is too large: follow a smaller feed (one tag, one "
         "channel)"),
        (r"redirects", "too many redirects: follow the final address instead"),
        (r"not a feed|no feed|html", "the address is a web page, not a feed: use the "
         "page's feed link"),
        (r"unsupported|cannot follow", "this kind of follow is not supported on "
         "{platform}: see the README's platform table"),
        (r"internal error", "a bug in devfeed: please report it with the output of "
         "`devfeed sources --json`"),
    )
)  # fmt: skip


def hint_for(platform: str, error: str | None) -> str | None:
    """The next step for a source whose last poll failed with `error`; None when there is
    no error or nothing useful to say."""
    if not error:
        return None
    for pattern, hint in _HINTS:
        if pattern.search(error):
            return hint.replace("{platform}", platform)
    return None
