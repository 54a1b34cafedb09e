"""Editing feeds.toml: a follow is added or removed and every other byte stays."""

from __future__ import annotations

import stat
import tomllib
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from devfeed.config import default_config_text, parse_config
from devfeed.config_edit import add_follows, follow_table, remove_follow, write_config
from devfeed.errors import ConfigError
from devfeed.models import Follow

COMMENTED = """\
# My follows. Keep the blogs first.
[settings]
poll_interval = "30m"   # not too often
lunch_minutes = 40

# --- blogs ---------------------------------------------------------------

[[follow]]
platform = "rss"
url = "https://jvns.ca/atom.xml"   # Julia Evans
name = "Julia Evans"
# interval = "2h"    <- tried it, too slow

[[follow]]
platform   =   "rss"      # odd spacing on purpose
url = 'https://simonwillison.net/atom/everything/'

# --- hashtags ------------------------------------------------------------

[[follow]]
platform = "mastodon"
instance = "fosstodon.org"
hashtag = "python"
tags = [
  "python",   # the language
  "community",
]

# --- platform settings ---------------------------------------------------
[platforms.youtube]
base_url = "https://www.youtube.com"  # or an Invidious mirror
"""

NEW = Follow(
    platform="youtube",
    profile="@ArjanCodes",
    name='Arjan "Codes" \\ Python',
    interval=timedelta(hours=2),
    tags=("python", "video"),
)


def test_a_new_follow_is_written_by_tomlkit_with_its_keys_in_order() -> None:
    assert follow_table(NEW) == (
        "[[follow]]\n"
        'platform = "youtube"\n'
        'profile = "@ArjanCodes"\n'
        'name = "Arjan \\"Codes\\" \\\\ Python"\n'
        'interval = "2h"\n'
        'tags = ["python", "video"]\n'
    )
    (loaded,) = parse_config(follow_table(NEW)).follows
    assert loaded == NEW


def test_adding_keeps_every_other_byte_and_puts_it_after_the_last_follow() -> None:
    edited = add_follows(COMMENTED, [NEW])
    inserted = "\n" + follow_table(NEW)
    at = edited.index(inserted)
    assert edited[:at] + edited[at + len(inserted) :] == COMMENTED
    # after the last follow (its multi-line tags included), before the platforms' comment
    assert edited.index('  "community",\n]\n') < at < edited.index("# --- platform settings")
    follows = parse_config(edited).follows
    assert [f.key for f in follows][-1] == NEW.key
    assert follows[:-1] == parse_config(COMMENTED).follows


def test_removing_takes_the_follow_and_its_own_comments_and_nothing_else() -> None:
    edited = remove_follow(COMMENTED, 0)
    julia = (
        "[[follow]]\n"
        'platform = "rss"\n'
        'url = "https://jvns.ca/atom.xml"   # Julia Evans\n'
        'name = "Julia Evans"\n'
        '# interval = "2h"    <- tried it, too slow\n'
        "\n"
    )
    assert edited == COMMENTED.replace(julia, "")
    assert [f.name for f in parse_config(edited).follows] == [None, None]


def test_removing_the_last_of_a_section_keeps_the_next_sections_heading() -> None:
    edited = remove_follow(COMMENTED, 2)
    assert "# --- hashtags ---" in edited  # it heads a section (now empty); the user's words
    assert "# --- platform settings ---" in edited
    assert "fosstodon" not in edited and "community" not in edited
    assert parse_config(edited).platform("youtube").base_url == "https://www.youtube.com"
    assert len(parse_config(edited).follows) == 2


def test_add_then_remove_gives_back_the_same_bytes() -> None:
    for text in (COMMENTED, default_config_text(), "", "[settings]\nlunch_minutes = 30\n"):
        count = len(tomllib.loads(text).get("follow", []))
        assert remove_follow(add_follows(text, [NEW]), count) == text


def test_windows_line_endings_are_kept() -> None:
    crlf = COMMENTED.replace("\n", "\r\n")
    edited = add_follows(crlf, [NEW])
    assert "\n" not in edited.replace("\r\n", "")
    assert remove_follow(edited, 3) == crlf


def test_a_file_without_a_final_newline_or_without_follows() -> None:
    no_newline = '[[follow]]\nplatform = "rss"\nurl = "https://a.example/feed"'
    edited = add_follows(no_newline, [NEW])
    assert edited.startswith(no_newline + "\n\n[[follow]]")
    assert len(parse_config(edited).follows) == 2
    settings_only = "# only settings\n[settings]\nlunch_minutes = 30\n"
    edited = add_follows(settings_only, [NEW])
    assert edited == settings_only + "\n" + follow_table(NEW)
    assert add_follows("", [NEW]) == follow_table(NEW)


def test_an_inline_array_of_follows_is_edited_through_tomlkit() -> None:
    inline = '# inline style\nfollow = [{platform = "rss", url = "https://a.example/feed"}]\n'
    edited = add_follows(inline, [NEW])
    assert edited.startswith("# inline style\nfollow = [")
    assert [f.key for f in parse_config(edited).follows] == [
        "rss:https://a.example/feed",
        NEW.key,
    ]
    assert [f.key for f in parse_config(remove_follow(edited, 0)).follows] == [NEW.key]


def test_a_header_look_alike_inside_a_multiline_string_is_not_cut() -> None:
    tricky = (
        '[[follow]]\nplatform = "rss"\nurl = "https://a.example/feed"\n'
        'name = """a\n[[follow]]\nname"""\n\n'
        '[[follow]]\nplatform = "rss"\nurl = "https://b.example/feed"\n'
    )
    edited = remove_follow(tricky, 1)
    assert [f.url for f in parse_config(edited).follows] == ["https://a.example/feed"]
    edited = remove_follow(tricky, 0)
    assert [f.url for f in parse_config(edited).follows] == ["https://b.example/feed"]


def test_broken_toml_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="not valid TOML"):
        add_follows("[[follow]\nplatform=", [NEW])


def test_write_config_replaces_the_file_atomically_and_keeps_its_mode(tmp_path: Path) -> None:
    path = tmp_path / "feeds.toml"
    path.write_text(COMMENTED)
    path.chmod(0o600)
    config = write_config(path, add_follows(COMMENTED, [NEW]))
    assert config.path == path
    assert config.follows[-1] == NEW
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["feeds.toml"]  # no temp file left


def test_an_invalid_result_never_replaces_the_file(tmp_path: Path) -> None:
    path = tmp_path / "feeds.toml"
    path.write_text(COMMENTED)
    broken = COMMENTED.replace('hashtag = "python"', 'hashtag = "python"\nprofle = "x"')
    with pytest.raises(ConfigError) as caught:
        write_config(path, broken)
    assert caught.value.path == path  # the error names the user's file, not the temp file
    assert caught.value.field == "profle"
    assert path.read_text() == COMMENTED
    assert sorted(p.name for p in tmp_path.iterdir()) == ["feeds.toml"]


def test_a_symlinked_feeds_toml_is_written_through_the_link(tmp_path: Path) -> None:
    real = tmp_path / "dotfiles" / "feeds.toml"
    real.parent.mkdir()
    real.write_text(COMMENTED)
    link = tmp_path / "config" / "feeds.toml"
    link.parent.mkdir()
    link.symlink_to(real)
    write_config(link, add_follows(COMMENTED, [NEW]))
    assert link.is_symlink()
    assert NEW.key in {f.key for f in parse_config(real.read_text()).follows}


def test_a_missing_directory_is_created(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "feeds.toml"
    write_config(path, follow_table(NEW))
    assert parse_config(path.read_text()).follows == (NEW,)


def test_an_unwritable_place_is_a_config_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where a directory should be")
    with pytest.raises(ConfigError, match="cannot write"):
        write_config(blocker / "feeds.toml", follow_table(NEW))
    assert blocker.read_text() == "a file where a directory should be"


names = (
    st.text(
        st.characters(blacklist_categories=("Cc", "Cs", "Cf", "Co", "Cn", "Zl", "Zp")),
        min_size=1,
        max_size=30,
    )
    .map(str.strip)
    .filter(bool)
)


@settings(max_examples=60, deadline=None)
@given(names)
def test_any_name_survives_the_round_trip_through_the_file(name: str) -> None:
    follow = Follow(platform="rss", url="https://new.example/feed", name=name)
    edited = add_follows(COMMENTED, [follow])
    assert parse_config(edited).follows[-1] == follow
    assert remove_follow(edited, 3) == COMMENTED
