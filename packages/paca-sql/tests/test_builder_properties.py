"""Property tests: adversarial identifiers and values never change a statement's structure."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from paca.sql._builder import QueryBuilder
from paca.sql._expressions import col
from paca.sql._functions import raw
from paca.sql._identifiers import InvalidIdentifier, quote_identifier

DIALECTS = ["postgresql", "mysql", "mariadb", "sqlite"]
NASTY = [*"'\"`\\;-/*%?$:{}#\x00\n\r\t é中🎉\u202e", "--", "/*", "*/", "%s", "$1", "''"]
texts = st.lists(st.sampled_from(NASTY) | st.characters(codec="utf-8"), max_size=20).map("".join)
values = st.one_of(
    texts,
    st.binary(max_size=20),
    st.integers(),
    st.floats(allow_nan=False),
    st.booleans(),
    st.none(),
    st.lists(st.integers(), max_size=3),
)
# Identifiers: anything, except that a dot always separates qualified parts.
identifiers = (
    st.lists(
        st.sampled_from([c for c in NASTY if "." not in c]) | st.characters(exclude_characters="."),
        max_size=40,
    )
    .map("".join)
    .filter(lambda name: name != "*")
)  # col("*") is the star, by design


def statement(dialect: str, value: Any, other: Any) -> QueryBuilder:
    q = QueryBuilder("t", dialect=dialect).select("a", raw("COALESCE({}, {})", col("b"), value))
    q = q.where(
        col("a") == value,
        col("b").in_([value, other]),
        col("c").startswith(value if isinstance(value, str) else "x")
        | col("d").between(other, value),
        raw("{} <> {}", col("e"), value),
    )
    return q.order_by(col("a").desc(nulls="last")).limit(5)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(DIALECTS), values.filter(lambda v: v is not None), values)
def test_values_never_reach_the_sql_text(dialect: str, value: Any, other: Any) -> None:
    # (``col == None`` is IS NULL by design, so the compared value is never None.)
    sql, params = statement(dialect, value, other).build()
    reference_sql, reference_params = statement(dialect, 0, 1).build()
    assert sql == reference_sql
    assert len(params) == len(reference_params)
    assert value in params or value != value  # noqa: PLR0124 - NaN excluded anyway
    write = QueryBuilder("t", dialect=dialect).insert({"a": value, "b": other})
    assert (
        write.build()[0] == QueryBuilder("t", dialect=dialect).insert({"a": 0, "b": 1}).build()[0]
    )


def _structure(dialect: str, name: str) -> tuple[str, list[Any]]:
    q = QueryBuilder(name, dialect=dialect, alias=name).where(col(f"{name}.{name}") == 1)
    select_sql, params = q.select(name, col(name).as_(name)).order_by(name).build()
    update_sql, more = q.update({name: 2}).build()
    return select_sql + " ; " + update_sql, params + more


@settings(max_examples=300)
@given(st.sampled_from(DIALECTS), identifiers)
def test_identifiers_are_rejected_or_quoted_without_changing_structure(
    dialect: str, name: str
) -> None:
    try:
        sql, params = _structure(dialect, name)
    except InvalidIdentifier:
        return
    family = "mysql" if dialect == "mariadb" else dialect
    quoted = quote_identifier(name, family)
    reference, reference_params = _structure(dialect, "x")
    assert sql.replace(quoted, quote_identifier("x", family)) == reference
    assert params == reference_params
    # The quoted form reads back as exactly one identifier.
    quote = quoted[0]
    inner = quoted[1:-1]
    assert quoted[-1] == quote
    assert inner.replace(quote + quote, "").count(quote) == 0
    assert inner.replace(quote + quote, quote) == name


@settings(max_examples=150, deadline=None)
@given(identifiers, texts)
def test_sqlite_runs_adversarial_identifiers_and_values(name: str, value: str) -> None:
    try:
        create_column = quote_identifier(name, "sqlite")
    except InvalidIdentifier:
        return
    conn = sqlite3.connect(":memory:")
    try:
        conn.execute(f"CREATE TABLE {create_column} (id INTEGER PRIMARY KEY, {create_column} TEXT)")
        sql, params = QueryBuilder(name, dialect="sqlite").insert({"id": 1, name: value}).build()
        conn.execute(sql, params)
        sql, params = (
            QueryBuilder(name, dialect="sqlite").select(name).where(col(name) == value).build()
        )
        assert conn.execute(sql, params).fetchall() == [(value,)]
        sql, params = (
            QueryBuilder(name, dialect="sqlite")
            .select(name)
            .where(col(name).contains(value))
            .build()
        )
        assert conn.execute(sql, params).fetchall() == [(value,)]
    finally:
        conn.close()


@pytest.mark.parametrize("dialect", DIALECTS)
def test_raw_text_is_only_reachable_through_raw(dialect: str) -> None:
    evil = "1; DROP TABLE t --"
    sql, params = QueryBuilder("t", dialect=dialect).where(col("a") == evil).build()
    assert evil not in sql
    assert params == [evil]
    sql, _ = QueryBuilder("t", dialect=dialect).where(raw("a = 1 -- trusted")).build()
    assert sql.endswith("a = 1 -- trusted")
