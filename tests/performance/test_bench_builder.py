"""Building a 3-join SELECT: paca's QueryBuilder against SQLAlchemy Core compiling the same.

Run: ``pytest tests/performance/test_bench_builder.py --benchmark-only`` (or ``python
tools/bench -k builder`` for the ratio table). Each round builds ``CALLS`` statements,
from construction to ``(sql, params)``; SQLAlchemy constructs the equivalent ``select()``
and compiles it for PostgreSQL (the ``baseline``). Goal: the builder is >= 5x faster.
"""

from __future__ import annotations

from typing import Any

import pytest

from paca.sql._builder import QueryBuilder
from paca.sql._expressions import col

sqlalchemy = pytest.importorskip("sqlalchemy")
postgresql = pytest.importorskip("sqlalchemy.dialects.postgresql")

CALLS = 200
ROUNDS = 30


def build_paca() -> tuple[str, list[Any]]:
    return (
        QueryBuilder("users", dialect="postgresql", alias="u")
        .select("u.id", "u.name", "o.total", "p.title", "c.name")
        .join("orders", col("o.user_id") == col("u.id"), alias="o")
        .join("products", col("p.id") == col("o.product_id"), alias="p")
        .left_join("categories", col("c.id") == col("p.category_id"), alias="c")
        .where(col("u.age") > 18, col("o.total") >= 100, col("p.title").like("a%"))
        .order_by(col("o.total").desc())
        .limit(10)
        .build()
    )


_meta = sqlalchemy.MetaData()
_users = sqlalchemy.Table(
    "users", _meta, sqlalchemy.Column("id"), sqlalchemy.Column("name"), sqlalchemy.Column("age")
)
_orders = sqlalchemy.Table(
    "orders",
    _meta,
    sqlalchemy.Column("user_id"),
    sqlalchemy.Column("product_id"),
    sqlalchemy.Column("total"),
)
_products = sqlalchemy.Table(
    "products",
    _meta,
    sqlalchemy.Column("id"),
    sqlalchemy.Column("title"),
    sqlalchemy.Column("category_id"),
)
_categories = sqlalchemy.Table(
    "categories", _meta, sqlalchemy.Column("id"), sqlalchemy.Column("name")
)
_dialect = postgresql.asyncpg.dialect(paramstyle="numeric_dollar")


def build_sqlalchemy() -> tuple[str, list[Any]]:
    u, o, p, c = (
        _users.alias("u"),
        _orders.alias("o"),
        _products.alias("p"),
        _categories.alias("c"),
    )
    stmt = (
        sqlalchemy.select(u.c.id, u.c.name, o.c.total, p.c.title, c.c.name)
        .select_from(
            u.join(o, o.c.user_id == u.c.id)
            .join(p, p.c.id == o.c.product_id)
            .outerjoin(c, c.c.id == p.c.category_id)
        )
        .where(u.c.age > 18, o.c.total >= 100, p.c.title.like("a%"))
        .order_by(o.c.total.desc())
        .limit(10)
    )
    compiled = stmt.compile(dialect=_dialect)
    return str(compiled), list(compiled.params.values())


def _run(benchmark: Any, build: Any) -> None:
    def batch() -> None:
        for _ in range(CALLS):
            build()

    batch()  # warm-up
    benchmark.pedantic(batch, rounds=ROUNDS, iterations=1)
    benchmark.extra_info["calls"] = CALLS
    benchmark.extra_info["per_call_us"] = round(benchmark.stats.stats.median / CALLS * 1e6, 3)


def test_statements_are_equivalent() -> None:
    sql, params = build_paca()
    assert sql.count("JOIN") == 3
    assert params == [18, 100, "a%", 10]
    other_sql, other_params = build_sqlalchemy()
    assert other_sql.count("JOIN") == 3
    assert sorted(map(str, other_params)) == sorted(map(str, params))


@pytest.mark.benchmark(group="sql-builder-3-join-select")
def test_sqlalchemy_core_compile_baseline(benchmark: Any) -> None:
    _run(benchmark, build_sqlalchemy)


@pytest.mark.benchmark(group="sql-builder-3-join-select")
def test_paca_query_builder(benchmark: Any) -> None:
    _run(benchmark, build_paca)
