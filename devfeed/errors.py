"""The one exception tree and the one map from errors to exit codes.

Every error devfeed raises on purpose is a `DevfeedError`; the faces (CLI, TUI) turn them
into messages and exit codes with `exit_code_for`. Nothing here does I/O.
"""

from __future__ import annotations

import enum
from pathlib import Path


class ExitCode(enum.IntEnum):
    """The command line's exit codes (a contract, see DESIGN.md)."""

    OK = 0
    PARTIAL_FAILURE = 1
    USAGE = 2


class DevfeedError(Exception):
    """Base of every error devfeed raises on purpose."""


class ConfigError(DevfeedError):
    """feeds.toml is unreadable or invalid; names the file, the entry and the field."""

    def __init__(
        self,
        message: str,
        *,
        path: Path | None = None,
        entry: str | None = None,
        field: str | None = None,
    ) -> None:
        self.path = path
        self.entry = entry
        self.field = field
        self.message = message
        where = ": ".join(str(part) for part in (path, entry, field) if part is not None)
        super().__init__(f"{where}: {message}" if where else message)


class UsageError(DevfeedError):
    """The user asked for something that cannot be done (unknown story id, bad argument)."""


class StoreError(DevfeedError):
    """The database cannot be opened, is not a devfeed database, or is newer than this code."""


class FetchError(DevfeedError):
    """A source could not be fetched (network, HTTP status, limits)."""


class HTTPStatusError(FetchError):
    """The server answered with an error status (4xx or 5xx)."""

    def __init__(self, message: str, *, status: int, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.status = status
        """The HTTP status code."""
        self.retry_after = retry_after
        """Seconds the server asked us to wait (`Retry-After`), when it said."""


class ParseError(DevfeedError):
    """A response could not be turned into entries."""


def exit_code_for(error: BaseException) -> ExitCode:
    """Map an error to the exit code the command line reports for it."""
    if isinstance(error, ConfigError | UsageError | StoreError):
        return ExitCode.USAGE  # a database devfeed cannot use is the user's to fix, too
    return ExitCode.PARTIAL_FAILURE
