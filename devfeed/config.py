"""feeds.toml -> validated `Config`. Every error names the file, the entry and the field.

Reading uses `tomllib`; editing (later, `devfeed follow`) uses tomlkit so that comments
survive. Paths come from arguments, then `DEVFEED_CONFIG` / `DEVFEED_DB`, then the XDG
directories (platformdirs). Nothing here touches the network or the database.
"""

from __future__ import annotations

import difflib
import os
import tomllib
from collections.abc import Mapping, Sequence
from datetime import timedelta
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

import platformdirs
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
)

from devfeed.durations import parse_interval
from devfeed.errors import ConfigError
from devfeed.limits import Rate, parse_rate
from devfeed.models import PLATFORM_NAMES, Follow
from devfeed.sanitize import safe_url

APP_NAME = "devfeed"
DEFAULT_CONFIG_NAME = "default_feeds.toml"


def _interval(value: object) -> object:
    if isinstance(value, str):
        return parse_interval(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        example = max(int(value), 1)
        raise ValueError(f"write durations with a unit, like '{example}m' or '{example}s'")
    return value


Interval = Annotated[timedelta, BeforeValidator(_interval)]

TAG_FORBIDDEN = ",/"
"""Characters a tag cannot hold: OPML's `category` separates tags with ',' and paths with '/'."""


def check_tags(tags: Sequence[str]) -> tuple[str, ...]:
    """A follow's tags, stripped and without repeats (first one kept). Raises ValueError
    for an empty tag, control characters, or ',' and '/' (OPML uses them as separators)."""
    result: list[str] = []
    for tag in tags:
        name = tag.strip()
        if not name:
            raise ValueError("a tag cannot be empty")
        if any(ch in TAG_FORBIDDEN for ch in name):
            raise ValueError(f"{name!r}: a tag cannot contain ',' or '/'")
        if any(ord(ch) < 32 or ord(ch) == 127 for ch in name) or len(name) > 100:
            raise ValueError(f"{name!r}: a tag is one short line of text")
        if name not in result:
            result.append(name)
    return tuple(result)


def _rate(value: object) -> object:
    if isinstance(value, str):
        return parse_rate(value)
    return value


RateLimit = Annotated[Rate | None, BeforeValidator(_rate)]


class Settings(BaseModel):
    """`[settings]`: how devfeed behaves."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    long_video_minutes: int = Field(default=10, ge=1)
    """A video this long or longer is offered for Lunch."""
    lunch_minutes: int = Field(default=45, ge=1)
    """The break the Lunch planner fills."""
    poll_interval: Interval = timedelta(minutes=30)
    """Default interval for follows without their own."""
    max_concurrency: int = Field(default=8, ge=1, le=64)
    """Requests in flight at once (httpx degrades above ~16 here; see DESIGN.md)."""
    timeout: Interval = timedelta(seconds=30)
    """Total time one fetch may take."""
    user_agent: str | None = None
    """Replaces the User-Agent (keep a way to contact you in it)."""
    browser: tuple[str, ...] | None = None
    """Command (argv) that opens links; `$BROWSER` or the system opener when unset."""
    player: tuple[str, ...] = ("mpv",)
    """Command (argv) that plays videos."""
    resurrect_on_new_sighting: bool = False
    """A read story becomes unread again when a new entry joins it (a new platform or
    person posts the same thing). Off: read stays read."""
    per_host_concurrency: int = Field(default=4, ge=1, le=16)
    """Requests in flight at once to one host (host and port), whatever the platform."""
    unhealthy_after: int = Field(default=5, ge=1)
    """Consecutive failures after which a source is unhealthy: retried rarely, never dropped."""
    notify_command: tuple[str, ...] | None = Field(default=None, min_length=1)
    """Command (argv, no shell) run with a short summary when a poll brings new stories
    from follows marked `notify = true`, e.g. `["notify-send", "devfeed"]`."""
    parse_workers: int | None = Field(default=None, ge=0, le=64)
    """Processes that parse feeds during a large poll; unset, one per core; 0 parses in
    threads of the polling process."""


class PlatformSettings(BaseModel):
    """`[platforms.NAME]`: where a platform lives and how to sign in to it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    base_url: str | None = None
    """Replaces the platform's public address (a mirror, a bridge, a test server)."""
    api_key: str | None = None
    """An API key, where the platform has one (YouTube Data API ...)."""
    handle: str | None = None
    """An account handle for platforms that need a session (Bluesky search)."""
    app_password: str | None = None
    """An app password for that account."""
    bridge_url: str | None = None
    """An RSS-Bridge or RSSHub address (Instagram and others without feeds)."""
    session_url: str | None = None
    """Where `handle` signs in (Bluesky: the account's service, default https://bsky.social)."""
    poll_interval: Interval | None = None
    """Default interval for this platform's follows (between a follow's own and
    `[settings] poll_interval`)."""
    rate_limit: RateLimit = None
    """Replaces devfeed's built-in request budget for this platform ("300/5m", "10/1m",
    "10000/1d" with an API key, or "none")."""

    @field_validator("base_url", "bridge_url", "session_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and safe_url(value) is None:
            raise ValueError(
                "must be an http:// or https:// URL with a host (a valid port, no user info)"
            )
        return value


class _FollowIn(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    platform: str
    url: str | None = None
    instance: str | None = None
    hashtag: str | None = None
    profile: str | None = None
    name: str | None = None
    interval: Interval | None = None
    tags: tuple[str, ...] = ()
    notify: bool = False

    @field_validator("tags")
    @classmethod
    def _tags(cls, tags: tuple[str, ...]) -> tuple[str, ...]:
        return check_tags(tags)


class _ConfigIn(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    settings: Settings = Settings()
    platforms: dict[str, PlatformSettings] = {}
    keys: dict[str, str] = {}
    follow: tuple[_FollowIn, ...] = ()


class Config(BaseModel):
    """A whole feeds.toml, validated."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    path: Path | None
    """Where it was read from (None for the bundled default)."""
    settings: Settings
    """`[settings]`."""
    platforms: dict[str, PlatformSettings]
    """`[platforms.NAME]` sections by platform name."""
    follows: tuple[Follow, ...]
    """Every `[[follow]]`, in file order."""
    keys: dict[str, str] = {}
    """`[keys]`: the reader's key bindings the user changed, action name -> keys
    (`save = "S"`, `down = "j,down,ctrl+n"`). The reader checks the names."""

    def platform(self, name: str) -> PlatformSettings:
        """The settings of one platform (empty ones when the file has none)."""
        return self.platforms.get(name, PlatformSettings())

    def interval_for(self, follow: Follow) -> timedelta:
        """How often a follow is polled: its own interval, its platform's, or the default."""
        return (
            follow.interval
            or self.platform(follow.platform).poll_interval
            or self.settings.poll_interval
        )


def _hint(word: str, choices: Sequence[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def _fields_of(model: type[BaseModel]) -> list[str]:
    return list(model.model_fields)


def _follow_label(raw: Mapping[str, Any], index: int) -> str:
    name = raw.get("name") or raw.get("url") or raw.get("hashtag") or raw.get("profile")
    number = f"follow #{index + 1}"
    return f"{number} ({name})" if isinstance(name, str) and name else number


def _errors_from(path: Path | None, raw: Mapping[str, Any], error: ValidationError) -> ConfigError:
    problems: list[ConfigError] = []
    raw_follows = raw.get("follow")
    follows: list[Any] = raw_follows if isinstance(raw_follows, list) else []
    for item in error.errors():
        loc = list(item["loc"])
        entry: str | None = None
        model: type[BaseModel] = _ConfigIn
        if loc and loc[0] == "follow" and len(loc) > 1 and isinstance(loc[1], int):
            index = loc[1]
            follow_raw = follows[index] if index < len(follows) else {}
            entry = _follow_label(follow_raw if isinstance(follow_raw, dict) else {}, index)
            loc = loc[2:]
            model = _FollowIn
        elif loc and loc[0] == "settings":
            entry, loc, model = "[settings]", loc[1:], Settings
        elif loc and loc[0] == "platforms" and len(loc) > 1:
            entry, loc, model = f"[platforms.{loc[1]}]", loc[2:], PlatformSettings
        elif loc and loc[0] == "keys":
            entry, loc = "[keys]", loc[1:]
        field = ".".join(str(part) for part in loc) or None
        if item["type"] == "extra_forbidden":
            message = "unknown field" + _hint(str(loc[-1]) if loc else "", _fields_of(model))
        elif item["type"] == "missing":
            message = "this field is required"
        else:
            message = item["msg"].removeprefix("Value error, ")
        problems.append(ConfigError(message, path=path, entry=entry, field=field))
    first = problems[0]
    if len(problems) > 1:
        # printed after "devfeed: error: " as one message: every line reads like the first
        lines = "\n".join([str(first), *(f"devfeed: error: {p}" for p in problems[1:])])
        combined = ConfigError(
            f"{first.message}\n{lines}", path=first.path, entry=first.entry, field=first.field
        )
        combined.args = (lines,)
        return combined
    return first


def _check_follow(path: Path | None, index: int, raw: Mapping[str, Any], follow: _FollowIn) -> None:
    entry = _follow_label(raw, index)
    if follow.platform not in PLATFORM_NAMES:
        raise ConfigError(
            f"unknown platform {follow.platform!r}{_hint(follow.platform, PLATFORM_NAMES)}"
            f" (known: {', '.join(PLATFORM_NAMES)})",
            path=path,
            entry=entry,
            field="platform",
        )
    targets = [t for t in ("url", "hashtag", "profile") if getattr(follow, t)]
    if len(targets) != 1:
        raise ConfigError(
            "a follow needs exactly one of 'url', 'hashtag' or 'profile'"
            + (f" (it has {', '.join(targets)})" if targets else ""),
            path=path,
            entry=entry,
            field=targets[1] if len(targets) > 1 else "url",
        )
    if follow.url is not None and safe_url(follow.url) is None:
        raise ConfigError(
            "only http:// and https:// URLs with a host (a valid port, no user info) can be "
            "followed",
            path=path,
            entry=entry,
            field="url",
        )
    if follow.platform in ("mastodon", "peertube") and not follow.url and not follow.instance:
        raise ConfigError(
            f"a {follow.platform} follow needs an 'instance' (a host name such as "
            "'fosstodon.org' or a base URL)",
            path=path,
            entry=entry,
            field="instance",
        )


def parse_config(text: str, path: Path | None = None) -> Config:
    """Validate the text of a feeds.toml. Raises `ConfigError`."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"not valid TOML: {error}", path=path) from None
    try:
        parsed = _ConfigIn.model_validate(raw)
    except ValidationError as error:
        raise _errors_from(path, raw, error) from None
    for name in parsed.platforms:
        if name not in PLATFORM_NAMES:
            raise ConfigError(
                f"unknown platform{_hint(name, PLATFORM_NAMES)}",
                path=path,
                entry=f"[platforms.{name}]",
            )
    follows: list[Follow] = []
    seen: dict[str, int] = {}
    raw_follows = raw.get("follow", [])
    for index, follow_in in enumerate(parsed.follow):
        _check_follow(path, index, raw_follows[index], follow_in)
        hashtag = follow_in.hashtag.lstrip("#") if follow_in.hashtag else None
        follow = Follow(**{**follow_in.model_dump(), "hashtag": hashtag})
        if follow.key in seen:
            raise ConfigError(
                f"the same follow as follow #{seen[follow.key] + 1}",
                path=path,
                entry=_follow_label(raw_follows[index], index),
            )
        seen[follow.key] = index
        follows.append(follow)
    for name, keys in parsed.keys.items():
        if not keys.strip():
            raise ConfigError("give at least one key", path=path, entry="[keys]", field=name)
    return Config(
        path=path,
        settings=parsed.settings,
        platforms=dict(parsed.platforms),
        follows=tuple(follows),
        keys=dict(parsed.keys),
    )


def default_config_text() -> str:
    """The bundled starter feeds.toml (inside the wheel, or at the checkout's root)."""
    bundled = resources.files("devfeed").joinpath(DEFAULT_CONFIG_NAME)
    if bundled.is_file():
        return bundled.read_text(encoding="utf-8")
    return (Path(__file__).resolve().parent.parent / "feeds.toml").read_text(encoding="utf-8")


def config_path(explicit: Path | None, env: Mapping[str, str] | None = None) -> Path:
    """Where feeds.toml is: the argument, `DEVFEED_CONFIG`, or the user's config dir."""
    env = os.environ if env is None else env
    if explicit is not None:
        return explicit
    if env.get("DEVFEED_CONFIG"):
        return Path(env["DEVFEED_CONFIG"])
    return Path(platformdirs.user_config_dir(APP_NAME)) / "feeds.toml"


def db_path(explicit: Path | None, env: Mapping[str, str] | None = None) -> Path:
    """Where the database is: the argument, `DEVFEED_DB`, or the user's data dir."""
    env = os.environ if env is None else env
    if explicit is not None:
        return explicit
    if env.get("DEVFEED_DB"):
        return Path(env["DEVFEED_DB"])
    return Path(platformdirs.user_data_dir(APP_NAME)) / "devfeed.db"


ENV_CREDENTIALS = ("handle", "app_password", "api_key")
"""`[platforms.NAME]` fields that may come from `DEVFEED_<NAME>_<FIELD>` instead of the file."""


def with_env_credentials(config: Config, env: Mapping[str, str] | None = None) -> Config:
    """Credentials the file leaves unset, taken from `DEVFEED_BLUESKY_APP_PASSWORD` and the
    like (one per platform and field of `ENV_CREDENTIALS`); the file wins when it sets one."""
    env = os.environ if env is None else env
    platforms = dict(config.platforms)
    for name in PLATFORM_NAMES:
        settings = platforms.get(name, PlatformSettings())
        found = {
            field: value
            for field in ENV_CREDENTIALS
            if getattr(settings, field) is None
            and (value := env.get(f"DEVFEED_{name.upper()}_{field.upper()}"))
        }
        if found:
            platforms[name] = settings.model_copy(update=found)
    if platforms == config.platforms:
        return config
    return config.model_copy(update={"platforms": platforms})


def load_config(path: Path | None, *, explicit: bool) -> Config:
    """Read feeds.toml. An explicit path must exist; the default one falls back to the
    bundled starter set when the user has none."""
    if path is not None and path.exists():
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise ConfigError(f"cannot read: {error}", path=path) from None
        return with_env_credentials(parse_config(text, path))
    if explicit:
        raise ConfigError("no such file", path=path)
    return with_env_credentials(parse_config(default_config_text(), None))
