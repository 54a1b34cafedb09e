"""What every screen of the reader is given: the store, the config, the clock and the
ways out (opening links, playing videos, polling). Built once by the app.

Holds values and callables only; no Textual state. Nothing is created at import time.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from devfeed.config import Config
from devfeed.refresh import PollRunner
from devfeed.store import Store

LinkOpener = Callable[[str], None]
"""Opens one checked http(s) link (the browser)."""
Player = Callable[[Sequence[str]], None]
"""Plays checked http(s) links as one playlist (the player)."""


@dataclass
class ReaderContext:
    """The reader's outside world. `config` changes when the user removes a follow."""

    store: Store
    """The database the reader reads and marks stories in."""
    config: Config
    """The user's feeds.toml."""
    now: Callable[[], datetime]
    """The clock (ages; when a story was saved or queued)."""
    open_url: LinkOpener | None = None
    """Opens links; None when the caller gave no way to open them."""
    play: Player | None = None
    """Plays videos; None when the caller gave no player."""
    poll: PollRunner | None = None
    """Polls follows with progress; None when the reader cannot poll."""
    user_config_path: Path | None = None
    """Where the user's feeds.toml goes when the starter set is edited."""
    page_size: int = 50
    """How many stories the lists read at a time."""
    say: Callable[[str], None] = field(default=lambda _text: None)
    """Puts a line in the status bar (what was just done)."""
    start_poll: Callable[[Sequence[str] | None], None] = field(default=lambda _keys: None)
    """Starts a poll of these follows (None: every follow not paused) in the background."""
    show_follow: Callable[[str], None] = field(default=lambda _key: None)
    """Shows the feed filtered to one follow."""

    @property
    def long_video_s(self) -> int:
        """From this length on a video is offered for Lunch."""
        return self.config.settings.long_video_minutes * 60
