"""Markdown and JSON exports: golden output, and text from the web that tries to inject."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from markdown_it.token import Token

from devfeed import api
from devfeed.export import markdown, md_escape
from devfeed.models import Sighting, Story
from devfeed.sanitize import clean_line
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


def story(n: int, title: str, url: str | None) -> Story:
    return Story(
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


async def test_exports_match_their_golden_files(tmp_path: Path) -> None:
    path = tmp_path / "d.db"
    podcast = follow("https://bytes.example.fm/feed.rss", name="Bytes & Pieces")
    entries = [
        entry(1, title="Episode 1: *the* [start]", kind="podcast", duration_s=3723),
        entry(2, title="A post | with a pipe", comments_url="https://lobste.rs/s/x"),
        entry(3, title="Not saved"),
    ]
    async with await Store.open(path) as store:
        await store.apply(result(podcast, entries))
        await store.save(1, FROZEN_NOW - timedelta(days=1))
        await store.save(2, FROZEN_NOW)
        await store.lunch(1, FROZEN_NOW)
    md = await api.export_queue(path, "saved", "md", now=FROZEN_NOW)
    as_json = await api.export_queue(path, "saved", "json", now=FROZEN_NOW)
    lunch = await api.export_queue(path, "lunch", "md", now=FROZEN_NOW)
    golden = DATA / "export"
    assert md == (golden / "saved.md").read_text()
    assert json.loads(as_json) == json.loads((golden / "saved.json").read_text())
    assert lunch == (golden / "lunch.md").read_text()
