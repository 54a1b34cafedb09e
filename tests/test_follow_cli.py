"""`devfeed follow`, `unfollow`, `import-opml` and `export-opml` through the real CLI:
feeds.toml is edited in place, comments survive, mistakes exit 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import platformdirs
from click.testing import CliRunner, Result

from devfeed.cli import main as cli
from devfeed.config import default_config_text, parse_config
from devfeed.models import Follow
from tests.conftest import DATA
from tests.loopback import Route, serve

USER_FILE = """\
# my feeds, hand-written
[settings]
poll_interval = "1h"   # gently

[[follow]]
platform = "rss"
url = "https://jvns.ca/atom.xml"  # Julia
name = "Julia Evans"

# --- video -------------------------------------------------------------------

[[follow]]
platform = "youtube"
profile = "UCVhQ2NnY5Rskt6UjCUkJ_DA"
name = "ArjanCodes"

# --- the end: platform settings ----------------------------------------------
[platforms.youtube]
base_url = "https://www.youtube.com"
"""


def devfeed(*args: str, config: Path | None = None, stdin: bytes | None = None) -> Result:
    options = ["--config", str(config)] if config else []
    return CliRunner().invoke(cli, [*options, *args], input=stdin)


def keys(path: Path) -> list[str]:
    return [f.key for f in parse_config(path.read_text(), path).follows]


def test_follow_adds_the_follow_and_keeps_every_other_byte(tmp_path: Path) -> None:
    path = tmp_path / "feeds.toml"
    path.write_text(USER_FILE)
    result = devfeed(
        "follow",
        "https://fosstodon.org/@alice",
        "--name",
        "Alice",
        "--interval",
        "2h",
        "--tag",
        "people",
        config=path,
    )
    assert result.exit_code == 0, result.output
    assert "following Alice (mastodon) [mastodon:fosstodon.org/@alice]" in result.stderr
    assert result.stdout == ""
    added = (
        "\n[[follow]]\n"
        'platform = "mastodon"\n'
        'instance = "fosstodon.org"\n'
        'profile = "alice"\n'
        'name = "Alice"\n'
        'interval = "2h"\n'
        'tags = ["people"]\n'
    )
    text = path.read_text()
    assert text.replace(added, "", 1) == USER_FILE
    assert text.index(added) < text.index("# --- the end")
    assert keys(path)[-1] == "mastodon:fosstodon.org/@alice"


def test_following_again_changes_nothing_and_exits_0(tmp_path: Path) -> None:
    path = tmp_path / "feeds.toml"
    path.write_text(USER_FILE)
    result = devfeed(
        "follow", "https://www.youtube.com/channel/UCVhQ2NnY5Rskt6UjCUkJ_DA", config=path
    )
    assert result.exit_code == 0
    assert "already following ArjanCodes [youtube:@UCVhQ2NnY5Rskt6UjCUkJ_DA]" in result.stderr
    assert "unchanged" in result.stderr
    assert path.read_text() == USER_FILE


def test_a_target_it_cannot_place_exits_2_with_examples_and_leaves_the_file(
    tmp_path: Path,
) -> None:
    path = tmp_path / "feeds.toml"
    path.write_text(USER_FILE)
    for args in (
        ["javascript:alert(1)"],
        ["file:///etc/passwd"],
        ["#python"],
        ["#python", "--platform", "mastodon"],
        ["https://example.org/feed.xml", "--interval", "often"],
        ["https://example.org/feed.xml", "--name", "two\nlines"],
        ["https://example.org/feed.xml", "--tag", "a,b"],
        ["--", "--config"],
    ):
        result = devfeed("follow", *args, config=path)
        assert result.exit_code == 2, (args, result.output)
        assert result.stderr.startswith("devfeed: error: ")
        assert path.read_text() == USER_FILE
    result = devfeed("follow", "python", config=path)
    assert "devfeed follow https://fosstodon.org/@user" in result.stderr  # the examples


def test_a_broken_feeds_toml_is_reported_and_never_rewritten(tmp_path: Path) -> None:
    path = tmp_path / "feeds.toml"
    broken = USER_FILE.replace('name = "ArjanCodes"', 'nmae = "ArjanCodes"')
    path.write_text(broken)
    result = devfeed("follow", "r/python", config=path)
    assert result.exit_code == 2
    assert "nmae: unknown field; did you mean 'name'?" in result.stderr
    assert path.read_text() == broken


def test_without_a_feeds_toml_follow_starts_from_the_starter_set(tmp_path: Path) -> None:
    path = Path(platformdirs.user_config_dir("devfeed")) / "feeds.toml"
    assert not path.exists()
    result = devfeed("follow", "r/rust")
    assert result.exit_code == 0, result.output
    assert f"created {path} from the starter set" in result.stderr
    text = path.read_text()
    assert text == default_config_text() + '\n[[follow]]\nplatform = "reddit"\nhashtag = "rust"\n'
    # the second time it is the user's file, and nothing is said about the starter set
    again = devfeed("follow", "r/golang")
    assert again.exit_code == 0
    assert "starter set" not in again.stderr
    assert keys(path)[-2:] == ["reddit:#rust", "reddit:#golang"]


def test_unfollow_by_target_key_or_name(tmp_path: Path) -> None:
    path = tmp_path / "feeds.toml"
    path.write_text(USER_FILE)
    devfeed(
        "follow", "#python", "--platform", "mastodon", "--instance", "fosstodon.org", config=path
    )
    devfeed("follow", "https://lobste.rs/t/rust", config=path)
    result = devfeed(
        "unfollow", "#python", "--platform", "mastodon", "--instance", "fosstodon.org", config=path
    )
    assert result.exit_code == 0, result.output
    assert "unfollowed #python on fosstodon.org [mastodon:fosstodon.org/#python]" in result.stderr
    assert devfeed("unfollow", "lobsters:#rust", config=path).exit_code == 0
    assert path.read_text() == USER_FILE  # follow then unfollow gives the same bytes
    assert devfeed("unfollow", "julia evans", config=path).exit_code == 0
    assert keys(path) == ["youtube:@UCVhQ2NnY5Rskt6UjCUkJ_DA"]
    assert "# my feeds, hand-written" in path.read_text()
    assert "# --- video ---" in path.read_text()


def test_unfollow_of_something_not_followed_exits_2_with_close_matches(tmp_path: Path) -> None:
    path = tmp_path / "feeds.toml"
    path.write_text(USER_FILE)
    result = devfeed("unfollow", "youtube:@UCVhQ2NnY5Rskt6UjCUkJ_DB", config=path)
    assert result.exit_code == 2
    assert "not following 'youtube:@UCVhQ2NnY5Rskt6UjCUkJ_DB'; close matches:" in result.stderr
    assert "  youtube:@UCVhQ2NnY5Rskt6UjCUkJ_DA" in result.stderr
    result = devfeed("unfollow", "Julia Evens", config=path)
    assert result.exit_code == 2
    assert "rss:https://jvns.ca/atom.xml" in result.stderr
    result = devfeed("unfollow", "https://nothing.example/feed.xml", config=path)
    assert result.exit_code == 2
    assert "devfeed sources" in result.stderr
    assert path.read_text() == USER_FILE


def test_import_opml_adds_new_follows_once_and_reports_the_rest(tmp_path: Path) -> None:
    path = tmp_path / "feeds.toml"
    path.write_text(USER_FILE)
    opml = DATA / "opml" / "newsreader.opml"
    dry = devfeed("import-opml", str(opml), "--dry-run", config=path)
    assert dry.exit_code == 0, dry.output
    assert "would add 6 follows (nothing written), skipped 12" in dry.stderr
    assert path.read_text() == USER_FILE
    result = devfeed("import-opml", str(opml), config=path)
    assert result.exit_code == 0, result.output
    assert f"added 6 follows into {path}, skipped 12" in result.stderr
    assert "skipped    Runs a command: its scheme is javascript:" in result.stderr
    assert "skipped    Julia Evans: already followed" in result.stderr
    text = path.read_text()
    assert text.startswith(USER_FILE.split("# --- the end")[0])
    assert text.endswith('[platforms.youtube]\nbase_url = "https://www.youtube.com"\n')
    assert "reddit:#Python" in keys(path)
    again = devfeed("import-opml", str(opml), config=path)
    assert "added 0 follows (nothing written), skipped 18" in again.stderr
    assert path.read_text() == text


def test_import_opml_refuses_what_is_not_opml(tmp_path: Path) -> None:
    path = tmp_path / "feeds.toml"
    path.write_text(USER_FILE)
    bad = tmp_path / "bad.opml"
    bad.write_text('<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><opml>&e;</opml>')
    result = devfeed("import-opml", str(bad), config=path)
    assert result.exit_code == 2
    assert "refused" in result.stderr
    assert devfeed("import-opml", str(tmp_path / "missing.opml"), config=path).exit_code == 2
    assert path.read_text() == USER_FILE


def test_export_then_import_into_an_empty_config_gives_the_same_follows(tmp_path: Path) -> None:
    source = DATA / "opml" / "follows.toml"
    exported = devfeed("export-opml", config=source)
    assert exported.exit_code == 0
    assert exported.stdout.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<opml version="2.0"')
    out = tmp_path / "follows.opml"
    assert devfeed("export-opml", "-o", str(out), config=source).exit_code == 0
    target = tmp_path / "empty.toml"
    target.write_text("# nothing yet\n")
    result = devfeed("import-opml", "-", config=target, stdin=out.read_bytes())
    assert result.exit_code == 0, result.output
    imported = parse_config(target.read_text()).follows
    original = parse_config(source.read_text()).follows
    assert sorted(imported, key=lambda f: f.key) == sorted(original, key=lambda f: f.key)
    assert target.read_text().startswith("# nothing yet\n\n[[follow]]\n")


def test_follow_then_poll_brings_the_feed_in(tmp_path: Path) -> None:
    """The real command in a subprocess: follow a loopback feed, poll it, list it."""
    routes = {"/podcast.xml": Route((DATA / "rss" / "podcast.xml").read_bytes())}
    config, db = tmp_path / "feeds.toml", tmp_path / "devfeed.db"
    config.write_text("# only what I follow\n")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "devfeed", "--config", str(config), "--db", str(db), *args],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    with serve(routes) as server:
        followed = run("follow", f"{server.base_url}/podcast.xml", "--name", "Loopback cast")
        assert followed.returncode == 0, followed.stderr
        polled = run("poll", "--once")
        assert polled.returncode == 0, polled.stderr
        assert "Loopback cast (rss)" in polled.stderr
    stories = json.loads(run("list", "--json").stdout)["stories"]
    assert stories
    assert {s["seen_on"][0]["follow"] for s in stories} == {"Loopback cast"}
    assert run("unfollow", "Loopback cast").returncode == 0
    assert parse_config(config.read_text()).follows == ()
    assert config.read_text() == "# only what I follow\n"


def test_the_written_follow_is_what_the_config_reads(tmp_path: Path) -> None:
    path = tmp_path / "feeds.toml"
    assert devfeed("follow", "@user@fosstodon.org", config=path).exit_code == 0
    (follow,) = parse_config(path.read_text()).follows[-1:]
    assert follow == Follow(platform="mastodon", instance="fosstodon.org", profile="user")


def test_follow_refuses_a_port_out_of_range_without_a_traceback(tmp_path: Path) -> None:
    config = tmp_path / "feeds.toml"
    shown = CliRunner().invoke(
        cli, ["--config", str(config), "follow", "http://127.0.0.1:99999/feed.xml"]
    )
    assert shown.exit_code == 2 and "a valid port" in shown.output
    assert "Traceback" not in shown.output and not config.exists()
