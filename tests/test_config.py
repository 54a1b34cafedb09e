"""feeds.toml validation: every error names the file, the entry and the field."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from devfeed.config import config_path, db_path, default_config_text, load_config, parse_config
from devfeed.durations import format_interval, parse_interval, parse_media_duration
from devfeed.errors import ConfigError, ExitCode, exit_code_for

PATH = Path("/home/u/feeds.toml")


def error_of(text: str) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        parse_config(text, PATH)
    return caught.value


def test_a_valid_file_gives_follows_settings_and_platforms() -> None:
    config = parse_config(
        """
        [settings]
        lunch_minutes = 30
        poll_interval = "15m"

        [platforms.youtube]
        base_url = "http://127.0.0.1:9999"

        [[follow]]
        platform = "rss"
        url = "https://blog.example.org/feed.xml"

        [[follow]]
        platform = "mastodon"
        instance = "fosstodon.org"
        hashtag = "#python"
        interval = "2h"
        """,
        PATH,
    )
    assert config.settings.lunch_minutes == 30
    assert config.settings.poll_interval == timedelta(minutes=15)
    assert config.platform("youtube").base_url == "http://127.0.0.1:9999"
    assert config.platform("reddit").base_url is None
    rss, tag = config.follows
    assert rss.key == "rss:https://blog.example.org/feed.xml"
    assert tag.hashtag == "python"  # the pasted '#' is dropped
    assert tag.key == "mastodon:fosstodon.org/#python"
    assert config.interval_for(tag) == timedelta(hours=2)
    assert config.interval_for(rss) == timedelta(minutes=15)


def test_an_unknown_follow_field_names_file_follow_field_and_a_hint() -> None:
    error = error_of(
        """
        [[follow]]
        platform = "rss"
        url = "https://a.example/feed"

        [[follow]]
        platform = "mastodon"
        instance = "fosstodon.org"
        hashtg = "python"
        name = "Python toots"
        """
    )
    assert error.path == PATH
    assert error.entry == "follow #2 (Python toots)"
    assert error.field == "hashtg"
    assert "did you mean 'hashtag'?" in str(error)
    assert str(PATH) in str(error)


def test_an_unknown_platform_gets_a_hint() -> None:
    error = error_of('[[follow]]\nplatform = "mastadon"\nhashtag = "x"\ninstance = "a.b"\n')
    assert error.field == "platform"
    assert "did you mean 'mastodon'?" in str(error)


def test_an_unknown_settings_key_is_an_error() -> None:
    error = error_of("[settings]\nlunch_minute = 30\n")
    assert error.entry == "[settings]"
    assert error.field == "lunch_minute"
    assert "did you mean 'lunch_minutes'?" in str(error)


def test_an_unknown_platform_section_is_an_error() -> None:
    error = error_of('[platforms.yotube]\nbase_url = "http://x"\n')
    assert error.entry == "[platforms.yotube]"
    assert "did you mean 'youtube'?" in str(error)


@pytest.mark.parametrize(
    ("value", "expected"),
    [('"15 minutes"', "not a duration"), ("15", "write durations with a unit")],
)
def test_a_bad_interval_says_how_to_write_one(value: str, expected: str) -> None:
    error = error_of(
        f'[[follow]]\nplatform = "rss"\nurl = "https://a.example/f"\ninterval = {value}\n'
    )
    assert error.field == "interval"
    assert expected in str(error)


def test_a_follow_needs_exactly_one_target() -> None:
    none = error_of('[[follow]]\nplatform = "rss"\n')
    assert "exactly one of" in str(none)
    two = error_of('[[follow]]\nplatform = "devto"\nhashtag = "a"\nprofile = "b"\n')
    assert two.field == "profile"


def test_only_http_urls_can_be_followed() -> None:
    error = error_of('[[follow]]\nplatform = "rss"\nurl = "file:///etc/passwd"\n')
    assert error.field == "url"


def test_a_federated_follow_needs_an_instance() -> None:
    error = error_of('[[follow]]\nplatform = "mastodon"\nhashtag = "python"\n')
    assert error.field == "instance"


def test_a_duplicate_follow_is_an_error() -> None:
    text = '[[follow]]\nplatform = "rss"\nurl = "https://a.example/f"\n'
    error = error_of(text + text)
    assert "follow #1" in str(error)
    assert error.entry is not None and error.entry.startswith("follow #2")


def test_broken_toml_names_the_file() -> None:
    error = error_of("[[follow]\n")
    assert str(PATH) in str(error)
    assert "not valid TOML" in str(error)


def test_config_errors_exit_2() -> None:
    assert exit_code_for(ConfigError("x")) == ExitCode.USAGE == 2


def test_the_bundled_starter_set_is_valid_and_spans_platforms() -> None:
    config = parse_config(default_config_text())
    platforms = {f.platform for f in config.follows}
    assert len(config.follows) >= 8
    assert {"rss", "mastodon", "youtube", "github"} <= platforms
    assert any(f.hashtag for f in config.follows) and any(f.profile for f in config.follows)


def test_paths_come_from_arguments_then_env_then_xdg(tmp_path: Path) -> None:
    env = {"DEVFEED_CONFIG": "/e/feeds.toml", "DEVFEED_DB": "/e/db.sqlite"}
    assert config_path(tmp_path / "c.toml", env) == tmp_path / "c.toml"
    assert config_path(None, env) == Path("/e/feeds.toml")
    assert db_path(None, env) == Path("/e/db.sqlite")
    assert db_path(None, {}).name == "devfeed.db"
    assert "devfeed" in str(config_path(None, {}))


def test_a_missing_explicit_config_is_an_error_and_a_missing_default_is_not(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        load_config(tmp_path / "nope.toml", explicit=True)
    assert load_config(tmp_path / "nope.toml", explicit=False).follows


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90s", 90), ("15m", 900), ("2h", 7200), ("1d", 86400), ("1.5h", 5400)],
)
def test_intervals(text: str, seconds: int) -> None:
    assert parse_interval(text).total_seconds() == seconds
    assert parse_interval(format_interval(parse_interval(text))) == parse_interval(text)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("3725", 3725),
        ("52:10", 3130),
        ("1:05:02", 3902),
        ("02:02:35", 7355),
        ("PT1H2M3S", 3723),
        (88.654, 89),
        ("", None),
        ("abc", None),
        ("-5", None),
        ("1:2:3:4", None),
        ("0", None),
    ],
)
def test_media_durations(value: object, seconds: int | None) -> None:
    assert parse_media_duration(value) == seconds


def test_tags_are_stripped_deduplicated_and_cannot_hold_opml_separators() -> None:
    (follow,) = parse_config(
        '[[follow]]\nplatform = "rss"\nurl = "https://a.example/f"\n'
        'tags = [" python ", "web", "python"]\n'
    ).follows
    assert follow.tags == ("python", "web")
    for bad, message in (
        ('"a,b"', "cannot contain"),
        ('"a/b"', "cannot contain"),
        ('" "', "empty"),
    ):
        error = error_of(
            f'[[follow]]\nplatform = "rss"\nurl = "https://a.example/f"\ntags = [{bad}]\n'
        )
        assert message in str(error)
        assert error.field == "tags"
    error = error_of('[[follow]]\nplatform = "rss"\nurl = "https://a.example/f"\ntagz = ["x"]\n')
    assert "did you mean 'tags'?" in str(error)


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ('[platforms.youtube]\nbase_url = "ftp://mirror.example"\n', "base_url"),
        ('[platforms.instagram]\nbridge_url = "javascript:alert(1)"\n', "bridge_url"),
        ('[platforms.bluesky]\nsession_url = "https://u:pw@bsky.example"\n', "session_url"),
        ('[[follow]]\nplatform = "rss"\nurl = "http://127.0.0.1:99999/f.xml"\n', "url"),
        ('[[follow]]\nplatform = "rss"\nurl = "file:///etc/passwd"\n', "url"),
    ],
)
def test_urls_in_the_config_are_checked_before_any_poll(text: str, field: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(text)
    assert f"{field}:" in str(caught.value) and "http://" in str(caught.value)
    assert exit_code_for(caught.value) == ExitCode.USAGE


def test_a_follow_label_says_where_a_hashtag_is_followed() -> None:
    config = parse_config(
        '[[follow]]\nplatform = "hackernews"\nhashtag = "rust"\n'
        '[[follow]]\nplatform = "devto"\nhashtag = "python"\n'
        '[[follow]]\nplatform = "mastodon"\ninstance = "fosstodon.org"\nhashtag = "python"\n'
        '[[follow]]\nplatform = "devto"\nhashtag = "go"\nname = "Go on dev"\n'
    )
    assert [f.label for f in config.follows] == [
        "#rust on Hacker News",
        "#python on dev.to",
        "#python on fosstodon.org",
        "Go on dev",
    ]
