"""Markdown and JSON exports: golden output, and text from the web that tries to inject."""

from __future__ import annotations

import json
import os
import re
from datetime import timedelta
from pathlib import Path
from urllib.parse import unquote

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import example, given
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from markdown_it.token import Token

from devfeed import api
from devfeed.cli import main as cli
from devfeed.export import front_matter, markdown, md_escape, md_link, note_file_name
from devfeed.models import ParsedEntry, Sighting, Story
from devfeed.sanitize import clean_line, safe_url
from devfeed.store import Store
from tests.conftest import DATA, FROZEN_NOW
from tests.helpers import entry, follow, result

HOSTILE_TITLES = [
    "Click [here](javascript:alert(1))",
    "`code` and ``more``",
    "# not a heading",
    "<script>alert(1)</script>",
    "a | table | row",
    "line one\n- injected item\n# injected heading",
    "![img](https://evil.example/x.png)",
    "<https://evil.example>",
    "*bold* _em_ ~~strike~~",
    "&lt;b&gt;entity&lt;/b&gt;",
    "trailing backslash \\",
]


def story(n: int, title: str, url: str | None, **fields: object) -> Story:
    values: dict[str, object] = dict(
        id=n,
        title=title,
        url=url,
        kind="article",
        duration_s=None,
        published=FROZEN_NOW,
        author="Mallory](javascript:x)",
        summary="",
        read=False,
        saved=True,
        lunch=False,
        saved_at=FROZEN_NOW,
        seen_on=(
            Sighting(
                platform="lobsters",
                author=None,
                url=url,
                follow="x",
                seen_at=FROZEN_NOW,
                comments_url="javascript:alert(2)",
            ),
        ),
    )
    values.update(fields)
    return Story.model_validate(values)


def walk(tokens: list[Token]) -> list[Token]:
    out: list[Token] = []
    for token in tokens:
        out.append(token)
        out.extend(walk(token.children or []))
    return out


def test_hostile_titles_render_as_plain_text_in_one_list() -> None:
    stories = [story(i, t, "https://ok.example/a") for i, t in enumerate(HOSTILE_TITLES)]
    stories.append(story(99, "bad link", "javascript:alert(1)"))
    document = markdown(stories, queue="saved", exported_at=FROZEN_NOW)
    tokens = walk(MarkdownIt("commonmark").parse(document))
    kinds = [t.type for t in tokens]
    assert "html_block" not in kinds and "html_inline" not in kinds
    assert kinds.count("heading_open") == 2  # the title and the one day
    assert kinds.count("list_item_open") == len(stories)
    assert "image" not in kinds and "code_inline" not in kinds
    hrefs = [t.attrs["href"] for t in tokens if t.type == "link_open"]
    assert hrefs and all(str(h).startswith("https://ok.example/") for h in hrefs)
    rendered_text = "".join(t.content for t in tokens if t.type == "text")
    for title in HOSTILE_TITLES:
        assert " ".join(title.split()) in rendered_text


@given(st.text(alphabet=st.characters(codec="ascii", exclude_categories=["Cc"]), max_size=80))
def test_escaped_text_round_trips_through_a_markdown_parser(text: str) -> None:
    escaped = md_escape(text)
    tokens = walk(MarkdownIt("commonmark").parse(f"x {escaped}"))
    rendered = "".join(t.content for t in tokens if t.type in ("text", "softbreak"))
    assert rendered.rstrip() == f"x {clean_line(text)}".rstrip()


GOLDEN = DATA / "export"
UPDATE = os.environ.get("DEVFEED_UPDATE_GOLDEN") == "1"


def golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), f"{name} differs from its golden file"


async def seed(path: Path) -> None:
    """A podcast feed (ids 1-3), a video added by hand (4) and a hostile page (5); Saved
    holds 1, 2, 4, 5 with notes and tags; Lunch holds 1 and 4."""
    podcast = follow("https://bytes.example.fm/feed.rss", name="Bytes & Pieces")
    entries = [
        entry(1, title="Episode 1: *the* [start]", kind="podcast", duration_s=3723),
        entry(2, title="A post | with a pipe", comments_url="https://lobste.rs/s/x"),
        entry(3, title="Not saved"),
    ]
    video = ParsedEntry(
        platform="youtube",
        native_id="youtube.com/watch?v=Cc0mpiler01",
        url="https://www.youtube.com/watch?v=Cc0mpiler01",
        title="Writing a tiny bytecode VM in 30 minutes",
        author="Compiler Corner",
        kind="video",
        duration_s=1872,
        published=FROZEN_NOW - timedelta(days=2),
    )
    hostile = ParsedEntry(
        platform="web",
        native_id="evil.example/x",
        url="https://evil.example/x?a=<b>&c=\\",
        title="Click [here](javascript:alert(1)) <script>x</script> | `tick` # not heading",
        author="Mallory](javascript:x)",
        text="+ injected item\n# injected heading\n1. ordered",
        published=FROZEN_NOW - timedelta(days=3),
    )
    async with await Store.open(path) as store:
        await store.apply(result(podcast, entries))
        await store.add_by_hand(video, FROZEN_NOW - timedelta(days=1))
        await store.add_by_hand(hostile, FROZEN_NOW)
        await store.save(1, FROZEN_NOW - timedelta(days=1))
        await store.set_note(1, "Listen again: the part on *pointers*")
        await store.set_saved_tags(1, ["audio", "c"])
        await store.save(2, FROZEN_NOW)
        await store.set_saved_tags(2, ["db", "c"])
        await store.save(4, FROZEN_NOW - timedelta(days=1, hours=2))
        await store.set_note(4, "- watch with [the notes](javascript:alert(1))\n# not a heading")
        await store.set_note(2, "1. first point")
        await store.save(5, FROZEN_NOW - timedelta(minutes=5))
        await store.set_saved_tags(5, ["# evil", "<b>x</b>"])
        await store.lunch(1, FROZEN_NOW)
        await store.lunch(4, FROZEN_NOW - timedelta(hours=1))


@pytest.fixture
async def seeded(tmp_path: Path) -> Path:
    path = tmp_path / "d.db"
    await seed(path)
    return path


async def test_exports_match_their_golden_files(seeded: Path) -> None:
    saved = await api.export_queue(seeded, "saved", "md", now=FROZEN_NOW)
    golden("saved.md", saved)
    golden(
        "saved-by-tag.md",
        await api.export_queue(seeded, "saved", "md", now=FROZEN_NOW, group_by="tag"),
    )
    golden(
        "saved-by-platform.md",
        await api.export_queue(seeded, "saved", "md", now=FROZEN_NOW, group_by="platform"),
    )
    golden("saved.json", await api.export_queue(seeded, "saved", "json", now=FROZEN_NOW))
    golden("lunch.md", await api.export_queue(seeded, "lunch", "md", now=FROZEN_NOW))


async def test_the_json_export_has_the_list_json_fields_and_the_note_and_tags(
    seeded: Path,
) -> None:
    document = json.loads(await api.export_queue(seeded, "saved", "json", now=FROZEN_NOW))
    first = document["stories"][0]
    assert {"id", "title", "url", "kind", "duration_s", "published", "read", "saved", "lunch",
            "seen_on", "note", "saved_tags"} <= set(first)  # fmt: skip
    by_id = {s["id"]: s for s in document["stories"]}
    assert [s["id"] for s in document["stories"]] == [2, 5, 1, 4]  # most recently saved first
    assert by_id[1]["note"] == "Listen again: the part on *pointers*"
    assert by_id[1]["saved_tags"] == ["audio", "c"]
    assert by_id[4]["seen_on"][0]["follow"] is None  # added by hand


def rendered(document: str) -> tuple[list[str], list[str], list[Token]]:
    tokens = walk(MarkdownIt("commonmark").parse(document))
    kinds = [t.type for t in tokens]
    hrefs = [str(t.attrs["href"]) for t in tokens if t.type == "link_open"]
    return kinds, hrefs, tokens


@pytest.mark.parametrize("group_by", ["day", "tag", "platform"])
async def test_every_export_renders_cleanly(seeded: Path, group_by: str) -> None:
    document = await api.export_queue(seeded, "saved", "md", now=FROZEN_NOW, group_by=group_by)
    kinds, hrefs, tokens = rendered(document)
    assert "html_block" not in kinds and "html_inline" not in kinds
    assert "image" not in kinds and "code_inline" not in kinds and "table_open" not in kinds
    assert hrefs and all(re.match(r"https?://", h) for h in hrefs)
    groups = {"day": 2, "tag": 6, "platform": 3}[
        group_by
    ]  # tags: # evil, <b>x</b>, audio, c, db, untagged
    assert kinds.count("heading_open") == 1 + groups
    items = {"day": 4, "tag": 7, "platform": 4}[group_by]  # under each tag: 1, 2 and 5 twice
    assert kinds.count("list_item_open") == items
    notes = {"day": 3, "tag": 5, "platform": 3}[group_by]
    assert kinds.count("blockquote_open") == notes
    text = "".join(t.content for t in tokens if t.type == "text")
    assert "Click [here](javascript:alert(1)) <script>x</script> | `tick` # not heading" in text
    assert "- watch with [the notes](javascript:alert(1)) # not a heading" in text
    assert "1. first point" in text


async def test_unsafe_urls_are_written_percent_encoded_inside_angle_brackets(
    seeded: Path,
) -> None:
    document = await api.export_queue(seeded, "saved", "md", now=FROZEN_NOW)
    assert "(<https://evil.example/x?a=%3Cb%3E&c=%5C>)" in document
    _, hrefs, _ = rendered(document)
    assert "https://evil.example/x?a=%3Cb%3E&c=%5C" in hrefs


# -- the vault --------------------------------------------------------------------------


def files(folder: Path) -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(folder.iterdir())}


async def test_the_vault_matches_its_golden_files_and_a_rerun_changes_nothing(
    seeded: Path, tmp_path: Path
) -> None:
    vault = tmp_path / "vault"
    first = await api.export_vault(seeded, "saved", vault)
    assert len(first.created) == 4 and not first.skipped
    written = files(vault)
    for name, text in written.items():
        golden(f"vault/{name}", text)
    assert sorted(written) == sorted(p.name for p in (GOLDEN / "vault").iterdir())
    mtimes = {p.name: p.stat().st_mtime_ns for p in vault.iterdir()}
    second = await api.export_vault(seeded, "saved", vault)
    assert len(second.unchanged) == 4 and not (second.created or second.updated)
    assert files(vault) == written
    assert {p.name: p.stat().st_mtime_ns for p in vault.iterdir()} == mtimes


async def test_a_vault_note_is_updated_in_place_when_its_story_changes(
    seeded: Path, tmp_path: Path
) -> None:
    vault = tmp_path / "vault"
    await api.export_vault(seeded, "saved", vault)
    before = files(vault)
    async with await Store.open(seeded) as store:
        await store.set_note(2, "a new note")
        await store.set_saved_tags(2, ["renamed"])
    report = await api.export_vault(seeded, "saved", vault)
    after = files(vault)
    assert sorted(after) == sorted(before), "never a second file for one story"
    assert [p.name for p in report.updated] == ["a-post-with-a-pipe-2.md"]
    assert "a new note" in after["a-post-with-a-pipe-2.md"]


def test_the_vault_never_overwrites_a_file_devfeed_did_not_write(
    seeded: Path, tmp_path: Path
) -> None:
    vault = tmp_path / "vault"
    vault.mkdir()
    mine = vault / "a-post-with-a-pipe-2.md"
    mine.write_text("my own notes\n")
    runner = CliRunner()
    done = runner.invoke(cli, ["--db", str(seeded), "export", "saved", "--dir", str(vault)])
    assert done.exit_code == 1
    assert "skipped" in done.stderr and "3 new" in done.stderr
    assert mine.read_text() == "my own notes\n"


@pytest.mark.parametrize(
    ("title", "name"),
    [
        ("../../etc/passwd", "etc-passwd-7.md"),
        ("CON", "con-7.md"),
        ("", "item-7.md"),
        ("...", "item-7.md"),
        ("Ünïcödé 日本語 title", "unicode-title-7.md"),
        ("a" * 200, "a" * 60 + "-7.md"),
        ("C:\\Windows\\system32 / .bashrc", "c-windows-system32-bashrc-7.md"),
    ],
)
def test_vault_file_names_are_safe_and_stable(title: str, name: str) -> None:
    item = story(7, title, "https://ok.example/a")
    assert note_file_name(item) == name
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*-7\.md", note_file_name(item))


@given(st.text(max_size=60))
@example("yes")
@example("null")
@example("1e3")
@example("2026-11-28")
@example("- item")
@example("key: value # comment")
@example("&anchor *alias !!python/object:os.system")
@example("'single' \"double\"")
@example("---")
@example("line\u2028separator\x85next")
def test_front_matter_reads_back_as_written(title: str) -> None:
    item = story(7, title, "https://ok.example/a", saved_tags=(title, "plain"))
    from devfeed.export import note_markdown

    text = note_markdown(item, "saved")
    assert text.startswith("---\n")
    header = text[4 : text.index("\n---\n", 3)]
    assert yaml.safe_load(header) == front_matter(item, "saved")


_URL_PATH = st.text(
    alphabet=st.sampled_from(list("abcXYZ019-._~()[]<>\\!*'@:;=+$,&?#%/`|{}^\"")), max_size=30
)


@given(st.text(max_size=80), _URL_PATH)
@example("", "&#9;")  # an entity reference in the destination: Markdown would decode it
@example("x", "a?b=1&amp;c=2")
def test_a_link_item_reads_back_as_its_text_and_its_url(text: str, path: str) -> None:
    """Any Unicode title inside `[...]`, any URL inside `(<...>)`: what a Markdown reader
    sees is the clean title as plain text and a link to the safe URL, nothing else."""
    url = f"https://example.org/{path}"
    line = f"- {md_link(text, url)}"
    tokens = walk(MarkdownIt("commonmark").parse(line))
    kinds = {t.type for t in tokens}
    assert kinds <= {
        "bullet_list_open",
        "bullet_list_close",
        "list_item_open",
        "list_item_close",
        "paragraph_open",
        "paragraph_close",
        "inline",
        "text",
        "link_open",
        "link_close",
    }, kinds
    rendered = "".join(t.content for t in tokens if t.type == "text")
    assert rendered == (clean_line(text, max_length=1000) or "link")
    links = [t for t in tokens if t.type == "link_open"]
    safe = safe_url(url)
    if safe is None:
        assert links == []
    else:
        (link,) = links
        assert unquote(str(link.attrs["href"])) == unquote(safe)


def test_the_output_name_picks_the_format_and_a_bad_path_is_a_usage_error(
    seeded: Path, tmp_path: Path
) -> None:
    runner = CliRunner()
    base = ["--db", str(seeded), "export", "saved"]
    as_json = tmp_path / "saved.json"
    assert runner.invoke(cli, [*base, "-o", str(as_json)]).exit_code == 0
    assert json.loads(as_json.read_text())["stories"]
    as_md = tmp_path / "saved.JSON.md"
    assert runner.invoke(cli, [*base, "-o", str(as_md)]).exit_code == 0
    assert as_md.read_text().startswith("# ")
    forced = tmp_path / "forced.json"
    assert runner.invoke(cli, [*base, "-o", str(forced), "--format", "md"]).exit_code == 0
    assert forced.read_text().startswith("# ")
    nowhere = runner.invoke(cli, [*base, "-o", str(tmp_path / "missing" / "x.md")])
    assert nowhere.exit_code == 2 and "cannot write" in nowhere.stderr
    both = runner.invoke(cli, [*base, "--dir", str(tmp_path / "v"), "--format", "json"])
    assert both.exit_code == 2 and not (tmp_path / "v").exists()
