"""A Textual stylesheet that parses each piece of CSS once per set of CSS variables.

Textual's `Stylesheet.reparse` parses every source again in a fresh stylesheet, and
`set_variables` forgets every parse even when the variables did not change. When the
reader starts, the app's CSS is parsed, then again when the first mode's screen is made
(`refresh_css` with the same variables), then a third time when the first widgets bring
their own CSS (the fresh stylesheet's parses were not kept): `devfeed.tcss` and Textual's
app CSS are parsed three times before the first stories are drawn. Parsing them once
took ~18 ms off the first paint (medians of 13 alternating runs of `python
benchmarks/tui.py`: 102 -> 83 ms at 10k stories, 107 -> 89 ms at 1M; BENCHMARKS.md).

A parse depends only on the source (its text, where it was read from, whether it is a
widget's default CSS, its tie-breaker and scope) and the variables. Textual's own parse
cache is keyed on the source, and cleared when the variables change. So here:
- setting the same variables again keeps the parses;
- re-parsing parses only what is not parsed yet with these variables; new variables
  (a theme change) still clear everything first, as Textual does;
- CSS that defines a variable (neither devfeed nor Textual's widgets do) makes both
  Textual's own again: such a parse changes the variables that later parses use.
"""

from __future__ import annotations

import re
from typing import Any

from textual.app import App
from textual.css.stylesheet import Stylesheet

_DEFINES_VARIABLE = re.compile(r"\$[\w-]+\s*:")
"""CSS that defines a variable (`$accent: red;`): its parse changes the variables later
sources are parsed with, so it is always parsed Textual's way."""


class ReusingStylesheet(Stylesheet):
    """A `Stylesheet` whose `reparse` re-uses parses made with the same variables.

    Textual's parse cache keeps 64 sources; the reader has 26 once every screen, the help
    and the command palette were shown. Textual's CSS file watcher (`textual run --dev`)
    swaps in a plain `Stylesheet`: from then on the reader parses as Textual does.
    """

    def _defines_variables(self) -> bool:
        return any(_DEFINES_VARIABLE.search(css) for css, *_ in self.source.values())

    def set_variables(self, variables: dict[str, str]) -> None:
        if variables != self._variables or self._defines_variables():
            super().set_variables(variables)
        else:
            self._invalid_css = set()  # the only other thing Textual resets here

    def reparse(self) -> None:
        if self._defines_variables():
            super().reparse()
            return
        # Textual parses every source in a fresh stylesheet: CSS that failed before is
        # tried again, and a failure is added to those known (`parse` keeps the rules as
        # they were when a source fails, as `reparse` does)
        failed = self._invalid_css
        self._invalid_css = set()
        try:
            self.parse()
        finally:
            self._invalid_css |= failed


def use_reusing_stylesheet(app: App[Any]) -> None:
    """Give `app` a `ReusingStylesheet` (before it starts: it holds no CSS yet)."""
    stylesheet = ReusingStylesheet(variables=app.get_css_variables())
    stylesheet.source = dict(app.stylesheet.source)
    app.stylesheet = stylesheet
