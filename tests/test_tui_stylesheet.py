"""The reader's stylesheet keeps its CSS parses while the CSS variables stay the same: its
rules must always be what Textual's own full re-parse gives, across modes and a change of
theme (which the command palette offers)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from textual.color import Color
from textual.css.stylesheet import Stylesheet, StylesheetParseError

from devfeed.store import Store
from devfeed.tui.stylesheet import ReusingStylesheet
from tests.tui_support import make_app, seed, settle


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    async with await Store.open(tmp_path / "t.db") as opened:
        yield opened


Rule = tuple[str, dict[str, str], bool, int]


def rules(stylesheet: Stylesheet) -> list[Rule]:
    """Each rule's selectors and declarations (`RuleSet.css` fails on some of Textual's)."""
    return [
        (
            rule.selectors,
            {k: repr(v) for k, v in rule.styles.get_rules().items()},
            rule.is_default_rules,
            rule.tie_breaker,
        )
        for rule in stylesheet.rules
    ]


def fresh_rules(stylesheet: Stylesheet) -> list[Rule]:
    """The rules Textual's `reparse` makes: every source parsed in a new stylesheet."""
    fresh = Stylesheet(variables=dict(stylesheet._variables))
    fresh.source = dict(stylesheet.source)
    fresh.parse()
    return rules(fresh)


async def test_the_rules_are_a_full_parse_in_every_mode_and_after_a_theme_change(
    store: Store,
) -> None:
    await seed(store)
    app = make_app(store)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert isinstance(app.stylesheet, ReusingStylesheet)
        for mode in ("saved", "lunch", "sources", "feed"):
            await pilot.press({"saved": "2", "lunch": "3", "sources": "4", "feed": "1"}[mode])
            await settle(pilot)
            assert app.current_mode == mode
            assert rules(app.stylesheet) == fresh_rules(app.stylesheet)
        dark = rules(app.stylesheet)
        list_background = app.screen.story_list.styles.background

        app.theme = "textual-light"
        await settle(pilot)
        light = rules(app.stylesheet)
        assert light == fresh_rules(app.stylesheet)
        assert light != dark  # the theme's colours, not the parses made with the old ones
        assert app.screen.story_list.styles.background != list_background


def test_css_that_failed_fails_again_on_the_next_reparse() -> None:
    stylesheet = ReusingStylesheet(variables={"accent": "red"})
    stylesheet.add_source("Label { color: $accent; }", read_from=("good", ""))
    stylesheet.parse()
    stylesheet.add_source("Label { colour: red; }", read_from=("bad", ""))
    for _ in range(2):
        with pytest.raises(StylesheetParseError):
            stylesheet.reparse()
        assert [rule.styles.color for rule in stylesheet.rules] == [Color.parse("red")]


def test_new_variables_parse_everything_again() -> None:
    stylesheet = ReusingStylesheet(variables={"accent": "red"})
    stylesheet.add_source("Label { color: $accent; }", read_from=("one", ""))
    stylesheet.parse()
    stylesheet.set_variables({"accent": "red"})
    stylesheet.reparse()
    assert stylesheet.rules[0].styles.color == Color.parse("red")
    stylesheet.set_variables({"accent": "blue"})
    stylesheet.reparse()
    assert stylesheet.rules[0].styles.color == Color.parse("blue")
