"""The reader's stylesheet keeps its CSS parses while the CSS variables stay the same: its
rules, and what the reader looks like, must always be what Textual's own stylesheet
gives, across modes and changes of theme (which the command palette offers), and with
CSS that fails or defines a variable."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from textual.app import App
from textual.color import Color
from textual.css.stylesheet import Stylesheet, StylesheetParseError

from devfeed.store import Store
from devfeed.tui import app as app_module
from devfeed.tui.stylesheet import ReusingStylesheet
from tests.tui_support import make_app, seed, seed_lunch, settle


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


def fresh_rules(app: App[Any]) -> list[Rule]:
    """The rules Textual's `reparse` makes: every source parsed in a new stylesheet, with
    the app's variables as they are now."""
    fresh = Stylesheet(variables=app.get_css_variables())
    fresh.source = dict(app.stylesheet.source)
    fresh.parse()
    return rules(fresh)


def node_styles(app: App[Any]) -> list[tuple[str, str, str]]:
    """Every node's own styles and its component styles (the rows' colours)."""
    return [
        (
            f"{type(node).__name__}#{node.id}",
            repr(sorted((k, repr(v)) for k, v in node.styles.base.get_rules().items())),
            repr(sorted((c, repr(v.base.get_rules())) for c, v in node._component_styles.items())),
        )
        for node in app.screen.walk_children(with_self=True)
    ]


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
            assert rules(app.stylesheet) == fresh_rules(app)
        dark = rules(app.stylesheet)
        list_background = app.screen.story_list.styles.background

        app.theme = "textual-light"
        await settle(pilot)
        light = rules(app.stylesheet)
        assert light == fresh_rules(app)
        assert light != dark  # the theme's colours, not the parses made with the old ones
        assert app.screen.story_list.styles.background != list_background


async def reader_looks(store: Store) -> list[tuple[str, object]]:
    """What the reader's screen looks like (styles and screenshot) in each mode, the help,
    the command palette, and four themes."""
    app = make_app(store)
    looks: list[tuple[str, object]] = []
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        for key in ("2", "3", "4", "1", "question_mark", "escape", "ctrl+p", "escape"):
            await pilot.press(key)
            await settle(pilot)
            looks.append((key, (node_styles(app), app.export_screenshot())))
        for theme in ("textual-light", "nord", "textual-dark", "ansi-dark"):
            app.theme = theme
            await settle(pilot)
            looks.append((theme, (node_styles(app), app.export_screenshot())))
    return looks


async def test_the_reader_looks_the_same_with_textuals_own_stylesheet(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    await seed(store)
    await seed_lunch(store)
    reusing = await reader_looks(store)
    monkeypatch.setattr(app_module, "use_reusing_stylesheet", lambda app: None)
    textuals = await reader_looks(store)
    assert [name for name, _ in reusing] == [name for name, _ in textuals]
    for (name, mine), (_, theirs) in zip(reusing, textuals, strict=True):
        assert mine == theirs, name


def defining_a_variable(sheet: Stylesheet) -> list[list[Rule]]:
    """A widget's CSS, then CSS that sets `$accent`, parsed; the widget's CSS added again
    with another tie-breaker: the rules after a reparse (as a new screen's CSS makes), and
    after the same variables are set again and a reparse (as `refresh_css` does)."""
    sheet.add_source("Label { color: $accent; }", read_from=("widget", ""), tie_breaker=2)
    sheet.add_source("$accent: blue;\nButton { color: $accent; }", read_from=("app", ""))
    sheet.parse()
    sheet.add_source("Label { color: $accent; }", read_from=("widget", ""), tie_breaker=0)
    sheet.reparse()
    seen = [rules(sheet)]
    sheet.set_variables({"accent": "red"})
    sheet.reparse()
    return [*seen, rules(sheet)]


def test_css_that_defines_a_variable_is_parsed_textuals_way() -> None:
    """Parsing `$accent: blue;` changes the variables later CSS is parsed with: Textual
    starts over at each reparse, and so does this stylesheet when a source does that."""
    mine = defining_a_variable(ReusingStylesheet(variables={"accent": "red"}))
    assert mine == defining_a_variable(Stylesheet(variables={"accent": "red"}))


def failing_sources(sheet: Stylesheet) -> list[object]:
    """Two sources that fail added to a parsed one; reparse, reparse, read the rules,
    reparse; one of them fixed, the same variables set again, reparse: what each step
    gave (the rules' colours, or "error") and the failures remembered."""
    sheet.add_source("Label { color: $a; }", read_from=("good", ""))
    sheet.parse()
    sheet.add_source("Label { colour: red; }", read_from=("bad", ""))
    sheet.add_source("Button { colr: red; }", read_from=("worse", ""))
    outcomes: list[object] = []

    def step(change: Callable[[], object]) -> None:
        try:
            change()
            outcomes.append([rule.styles.color for rule in sheet.rules])
        except StylesheetParseError:
            outcomes.append("error")
        outcomes.append(sorted(sheet._invalid_css))

    for change in (sheet.reparse, sheet.reparse, lambda: None, sheet.reparse):
        step(change)
    sheet.add_source("Label { color: blue; }", read_from=("bad", ""))
    sheet.set_variables({"a": "red"})
    step(sheet.reparse)
    return outcomes


def test_css_that_fails_fails_as_with_textuals_stylesheet() -> None:
    """Step by step, what Textual's own stylesheet gives and the same failures
    remembered: each reparse tries every source again and raises at the first that
    fails, and setting the same variables forgets the failures."""
    textuals, mine = Stylesheet(variables={"a": "red"}), ReusingStylesheet(variables={"a": "red"})
    outcomes = failing_sources(mine)
    assert outcomes == failing_sources(textuals)
    assert "error" in outcomes


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
