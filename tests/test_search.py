"""The search language: parsing is pure, and what it yields is always valid FTS5."""

from __future__ import annotations

import sqlite3

from hypothesis import given
from hypothesis import strategies as st

from devfeed.store.search import Term, describe, parse_search


def test_words_are_prefixes_and_quotes_make_phrases() -> None:
    search = parse_search('rust  "borrow checker"')
    assert search.terms == (Term("rust"), Term("borrow checker", phrase=True))
    assert search.match_expression() == '"rust"* AND "borrow checker"'
    assert search.exclude_expression() is None


def test_operators_pick_columns_and_facets() -> None:
    search = parse_search('author:ada title:"async io" tag:Python,rust platform:youtube kind:video')
    assert search.terms == (
        Term("ada", column="author"),
        Term("async io", phrase=True, column="title"),
    )
    assert search.match_expression() == 'author : "ada"* AND title : "async io"'
    assert search.facets == (
        ("tag", frozenset({"python", "rust"})),
        ("platform", frozenset({"youtube"})),
        ("kind", frozenset({"video"})),
    )
    assert search.values("tag") == [frozenset({"python", "rust"})]


def test_minus_excludes_words_phrases_and_facets() -> None:
    search = parse_search('python -crypto -"web three" -platform:reddit')
    assert search.match_expression() == '"python"*'
    assert search.exclude_expression() == '"crypto"* OR "web three"'
    assert search.excluded_facets == (("platform", frozenset({"reddit"})),)
    assert describe(search) == "python* -crypto -web three -platform:reddit"


def test_platform_takes_the_badges_the_reader_shows() -> None:
    search = parse_search("platform:yt,HN,dev.to -platform:masto")
    assert search.facets == (("platform", frozenset({"youtube", "hackernews", "devto"})),)
    assert search.excluded_facets == (("platform", frozenset({"mastodon"})),)


def test_unknown_operators_and_stray_syntax_are_plain_text() -> None:
    search = parse_search('foo:bar "unclosed phrase  AND OR NOT * ( ) - ""')
    assert search.terms[0] == Term("foo:bar", phrase=False)
    assert search.terms[1] == Term("unclosed phrase AND OR NOT * ( ) -", phrase=True)
    assert parse_search("*** ((( ---").is_empty
    assert parse_search("   ").match_expression() is None
    assert parse_search("tag:").is_empty  # an operator without a value is dropped


def test_operator_names_are_case_insensitive_and_dash_in_words_stays() -> None:
    search = parse_search("AUTHOR:Ada pre-commit")
    assert search.terms == (Term("Ada", column="author"), Term("pre-commit"))


@given(st.text(max_size=60))
def test_any_input_is_a_valid_fts5_query(text: str) -> None:
    db = sqlite3.connect(":memory:")
    db.execute("CREATE VIRTUAL TABLE f USING fts5 (title, summary, author)")
    db.execute("INSERT INTO f VALUES ('Rust borrow checker', 'text', 'Ada')")
    search = parse_search(text)
    for expression in (search.match_expression(), search.exclude_expression()):
        if expression is not None:
            db.execute("SELECT count(*) FROM f WHERE f MATCH ?", (expression,)).fetchone()
