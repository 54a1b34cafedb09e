"""The search language of the reader's `/`, parsed into a `Search`. Pure: no I/O.

    rust async                 stories whose title, text or author has words starting so
    "borrow checker"           an exact phrase
    -crypto  -"web3 thing"     and not this (also -tag:, -platform:, -kind:)
    author:ada  author:"Ada L" the author
    title:release              in the title only
    tag:python,rust            a tag (a comma means "or")
    platform:youtube           seen on a platform
    kind:video                 a kind (video, article, post, podcast ...)

Every part must match. Words and operator values are always quoted when they become an
FTS5 expression, so nothing a user types is FTS5 syntax and no input is an error: an
unknown `name:` is searched as the text it is, a missing closing quote ends at the end.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from devfeed.models import PLATFORM_ALIASES
from devfeed.sanitize import clean_line
from devfeed.store.schema import fold_tag

TEXT_OPERATORS = ("author", "title")
"""Operators that search one FTS5 column."""
FACET_OPERATORS = ("tag", "platform", "kind")
"""Operators that filter on a facet (exact values, not text search)."""
OPERATORS = TEXT_OPERATORS + FACET_OPERATORS
MAX_SEARCH_LENGTH = 500


@dataclass(frozen=True)
class Term:
    """One searched piece of text: a word (matched as a prefix) or a quoted phrase."""

    text: str
    """The words, as typed (without the quotes)."""
    phrase: bool = False
    """Quoted: the words must appear together, in order, whole."""
    column: str | None = None
    """Only in this column (`author` or `title`); None is any column."""

    def fts(self) -> str:
        """The term as an FTS5 expression (always quoted)."""
        quoted = '"' + self.text.replace('"', '""') + '"'
        if not self.phrase:
            quoted += "*"
        return f"{self.column} : {quoted}" if self.column else quoted


@dataclass(frozen=True)
class Search:
    """A parsed search: FTS5 terms that must match or must not, and facet filters."""

    terms: tuple[Term, ...] = ()
    """Every one of these must match."""
    excluded: tuple[Term, ...] = ()
    """None of these may match."""
    facets: tuple[tuple[str, frozenset[str]], ...] = field(default=())
    """(operator, values): the story must have one of the values, for each pair."""
    excluded_facets: tuple[tuple[str, frozenset[str]], ...] = field(default=())
    """(operator, values): the story must have none of the values."""

    @property
    def is_empty(self) -> bool:
        """Nothing to search for."""
        return not (self.terms or self.excluded or self.facets or self.excluded_facets)

    def match_expression(self) -> str | None:
        """The FTS5 expression the stories must match, or None when no text is searched."""
        if not self.terms:
            return None
        return " AND ".join(term.fts() for term in self.terms)

    def exclude_expression(self) -> str | None:
        """The FTS5 expression the stories must not match, or None."""
        if not self.excluded:
            return None
        return " OR ".join(term.fts() for term in self.excluded)

    def values(self, operator: str) -> list[frozenset[str]]:
        """The value sets given for one facet operator (each set must match)."""
        return [values for name, values in self.facets if name == operator]


def _has_token(text: str) -> bool:
    """Whether FTS5's unicode61 tokenizer finds a word in `text` (it splits on the rest)."""
    return any(ch.isalnum() for ch in text)


def _scan(text: str) -> list[tuple[bool, str | None, str, bool]]:
    """(negated, operator, value, quoted) for each part of the search text."""
    parts: list[tuple[bool, str | None, str, bool]] = []
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        negated = text[i] == "-" and i + 1 < n and not text[i + 1].isspace()
        if negated:
            i += 1
        operator: str | None = None
        colon = text.find(":", i)
        if colon > i:
            name = text[i:colon].lower()
            if name in OPERATORS and not any(ch.isspace() or ch == '"' for ch in text[i:colon]):
                operator, i = name, colon + 1
        if i < n and text[i] == '"':
            end = text.find('"', i + 1)
            end = n if end < 0 else end
            parts.append((negated, operator, text[i + 1 : end], True))
            i = end + 1
        else:
            end = i
            while end < n and not text[end].isspace():
                end += 1
            parts.append((negated, operator, text[i:end], False))
            i = end
    return parts


def parse_search(text: str) -> Search:
    """Parse what the user typed after `/` (see the module docstring for the language).
    Control characters (NUL ends an SQLite string) are dropped first."""
    text = clean_line(text, max_length=MAX_SEARCH_LENGTH)
    terms: list[Term] = []
    excluded: list[Term] = []
    facets: list[tuple[str, frozenset[str]]] = []
    excluded_facets: list[tuple[str, frozenset[str]]] = []
    for negated, operator, value, quoted in _scan(text):
        value = " ".join(value.split())
        if operator in FACET_OPERATORS:
            fold = fold_tag if operator == "tag" else str.lower  # as the facets spell them
            values = frozenset(fold(v.strip()) for v in value.split(",") if v.strip())
            if operator == "platform":  # the badges the reader shows work too: platform:yt
                values = frozenset(PLATFORM_ALIASES.get(v, v) for v in values)
            if values:
                (excluded_facets if negated else facets).append((operator, values))
            continue
        if not _has_token(value):
            continue
        term = Term(value, phrase=quoted or " " in value, column=operator)
        (excluded if negated else terms).append(term)
    return Search(
        terms=tuple(terms),
        excluded=tuple(excluded),
        facets=tuple(facets),
        excluded_facets=tuple(excluded_facets),
    )


def describe(search: Search) -> str:
    """The search as one short line for the status bar ("author:ada rust*")."""
    parts: list[str] = []
    for term in search.terms:
        shown = f'"{term.text}"' if term.phrase else f"{term.text}*"
        parts.append(f"{term.column}:{shown}" if term.column else shown)
    parts += [f"-{term.text}" for term in search.excluded]
    parts += [f"{name}:{','.join(sorted(values))}" for name, values in search.facets]
    parts += [f"-{name}:{','.join(sorted(values))}" for name, values in search.excluded_facets]
    return " ".join(parts)
