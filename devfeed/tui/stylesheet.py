"""A Textual stylesheet that parses each piece of CSS once per set of CSS variables.

Textual's `Stylesheet.reparse` parses every source again in a fresh stylesheet, and
`set_variables` forgets every parse even when the variables did not change. When the
reader starts, the app's CSS is parsed, then again when the first mode's screen is made
(`refresh_css` with the same variables), then a third time when the first widgets bring
their own CSS (the fresh stylesheet's parses were not kept): `devfeed.tcss` and Textual's
app CSS are parsed three times before the first stories are drawn. Parsing them once
took the first paint from 98-156 ms to 73-89 ms (`python benchmarks/tui.py`, alternating
runs, 2026-12-07).

A parse depends only on the CSS text, where it was read from, its scope and the
variables (Textual's own parse cache is keyed on all but the variables, and cleared
when they change). So here:
- setting the same variables again keeps the parses;
- re-parsing parses only what is not parsed yet with these variables; new variables
  (a theme change) still clear everything first, as Textual does.
"""

from __future__ import annotations

from typing import Any

from textual.app import App
from textual.css.stylesheet import Stylesheet


class ReusingStylesheet(Stylesheet):
    """A `Stylesheet` whose `reparse` re-uses parses made with the same variables.

    Textual's parse cache keeps 64 sources; the reader has 21 once every screen was shown.
    """

    def set_variables(self, variables: dict[str, str]) -> None:
        if variables != self._variables:
            super().set_variables(variables)

    def reparse(self) -> None:
        # Textual parses in a fresh stylesheet, so CSS that failed before is tried
        # again and an error leaves this one's rules as they were; `parse` keeps the
        # rules too when a source fails.
        self._invalid_css = set()
        self.parse()


def use_reusing_stylesheet(app: App[Any]) -> None:
    """Give `app` a `ReusingStylesheet` (before it starts: it holds no CSS yet)."""
    stylesheet = ReusingStylesheet(variables=app.get_css_variables())
    stylesheet.source = dict(app.stylesheet.source)
    app.stylesheet = stylesheet
