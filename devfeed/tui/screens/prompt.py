"""Small modal questions: a line of text (`PromptScreen`) or yes/no (`ConfirmScreen`).

Own only their widgets; they return the answer through `dismiss`. Must not read the store.
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from devfeed.sanitize import clean_line


class PromptScreen(ModalScreen[str | None]):
    """Asks for one line; enter answers, escape cancels (None)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="prompt.cancel"),
    ]

    def __init__(self, question: str, value: str = "", *, id: str | None = None) -> None:
        super().__init__(id=id, classes="prompt")
        self.question = question
        """What is asked."""
        self.value = value
        """The answer offered."""

    def compose(self) -> ComposeResult:
        with Vertical(classes="prompt-box"):
            yield Static(Content(clean_line(self.question)), classes="prompt-question")
            yield Input(value=self.value, id="prompt-input")
            yield Static(Content("enter: ok · escape: cancel"), classes="prompt-hint")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ConfirmScreen(ModalScreen[bool]):
    """Asks yes or no; y answers yes, n or escape no."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Yes", id="confirm.yes"),
        Binding("n,escape", "answer(False)", "No", id="confirm.no"),
    ]

    def __init__(self, question: str, *, id: str | None = None) -> None:
        super().__init__(id=id, classes="prompt")
        self.question = question
        """What is asked."""

    def compose(self) -> ComposeResult:
        with Vertical(classes="prompt-box"):
            yield Static(
                Content(clean_line(self.question, max_length=300)), classes="prompt-question"
            )
            yield Static(Content("y: yes · n or escape: no"), classes="prompt-hint")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
