"""Every statement form of the QueryBuilder, executed on SQLite, PostgreSQL and MariaDB.

The raw drivers are used directly (sqlite3, asyncpg, aiomysql), so these tests check
the builder's SQL and parameters against the real servers, not a connector.
Adversarial values are inserted and read back equal on all three: no value ever
escapes its parameter.
"""

from __future__ import annotations

import random
import sqlite3
import uuid
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest

from paca.sql._builder import QueryBuilder
from paca.sql._dialect import UnsupportedFeature
from paca.sql._expressions import col, or_
from paca.sql._functions import excluded, exists, func, raw

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path

ADVERSARIAL = [
    "",
    "'",
    "''",
    '"',
    "`",
    "\\",
    "\\'",
    "'; DROP TABLE users; --",
    "' OR '1'='1",
    "/* comment */",
    "-- comment",
    "#",
    "a%b_c!d",
    "%s",
    "%%s",
    "$1",
    "?",
    ":name",
    "{}",
    "\n\r\t",
    "é ü ß 中文 🎉 \u202e",
    "\\x00",
    "$$ dollar $$",
    "$tag$ x $tag$",
    "E'\\n'",
    "\u0000 nul",
    ") ; SELECT 1; (",
]


class Db:
    """One database behind a tiny async interface: ``fetch(q)`` and ``execute(sql)``."""

    def __init__(self, name: str, dialect: str) -> None:
        self.name = name
        self.dialect = dialect
        self.conn: Any = None
        self.suffix = uuid.uuid4().hex[:10]
        self.tables: list[str] = []

    def table(self, base: str) -> str:
        name = f"qb_{base}_{self.suffix}"
        self.tables.append(name)
        return name

    def q(self, table: str, **kwargs: Any) -> QueryBuilder:
        return QueryBuilder(table, dialect=self.dialect, **kwargs)

    async def execute(self, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        params = params or []
        if self.name == "sqlite":
            cur = self.conn.execute(sql, params)
            rows = cur.fetchall()
            self.conn.commit()
            return [tuple(r) for r in rows]
        if self.name == "postgresql":
            return [tuple(r) for r in await self.conn.fetch(sql, *params)]
        async with self.conn.cursor() as cur:
            await cur.execute(sql, tuple(params))
            return [tuple(r) for r in await cur.fetchall()]

    async def fetch(self, q: QueryBuilder) -> list[tuple[Any, ...]]:
        sql, params = q.build()
        return await self.execute(sql, params)

    def ddl(self, sql: str) -> str:
        quote = "`" if self.name == "mariadb" else '"'
        sql = sql.replace('"', quote)
        return sql + (" DEFAULT CHARSET=utf8mb4" if self.name == "mariadb" else "")


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param("postgresql", marks=pytest.mark.postgres),
        pytest.param("mariadb", marks=pytest.mark.mysql),
    ]
)
async def db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Db]:
    name = request.param
    database = Db(name, name)
    if name == "sqlite":
        database.conn = sqlite3.connect(tmp_path / "t.db")
    elif name == "postgresql":
        import asyncpg

        database.conn = await asyncpg.connect(request.getfixturevalue("postgres_url"))
    else:
        import aiomysql

        parts = urlsplit(request.getfixturevalue("mysql_url"))
        database.conn = await aiomysql.connect(
            host=parts.hostname or "127.0.0.1",
            port=parts.port or 3306,
            user=parts.username or "root",
            password=parts.password or "",
            db=parts.path.lstrip("/") or "test",
            charset="utf8mb4",
            autocommit=True,
        )
    try:
        yield database
    finally:
        for table in reversed(database.tables):
            quote = "`" if name == "mariadb" else '"'
            await database.execute(f"DROP TABLE IF EXISTS {quote}{table}{quote}")
        if name == "postgresql":
            await database.conn.close()
        else:
            database.conn.close()


async def _schema(db: Db) -> tuple[str, str]:
    users, orders = db.table("users"), db.table("orders")
    await db.execute(
        db.ddl(
            f'CREATE TABLE "{users}" (id INTEGER PRIMARY KEY, name VARCHAR(200) NOT NULL, '
            "age INTEGER NULL, UNIQUE (name))"
        )
    )
    await db.execute(
        db.ddl(f'CREATE TABLE "{orders}" (id INTEGER PRIMARY KEY, user_id INTEGER, total INTEGER)')
    )
    await db.fetch(
        db.q(users).insert(
            [
                {"id": 1, "name": "ann", "age": 30},
                {"id": 2, "name": "bob", "age": 17},
                {"id": 3, "name": "a%b", "age": None},
                {"id": 4, "name": "carl", "age": 45},
            ]
        )
    )
    await db.fetch(
        db.q(orders).insert(
            [
                {"id": 10, "user_id": 1, "total": 50},
                {"id": 11, "user_id": 1, "total": 150},
                {"id": 12, "user_id": 4, "total": 500},
                {"id": 13, "user_id": 99, "total": 5},
            ]
        )
    )
    return users, orders


async def test_select_forms(db: Db) -> None:
    users, orders = await _schema(db)
    q = db.q(users).select("id")
    assert await db.fetch(q.where(col("age") > 18).order_by("id")) == [(1,), (4,)]
    assert await db.fetch(q.where(col("name").like("a%")).order_by("id")) == [(1,), (3,)]
    assert await db.fetch(q.where(col("name").startswith("a%"))) == [(3,)]
    assert await db.fetch(q.where(col("name").contains("%"))) == [(3,)]
    assert await db.fetch(q.where(col("name").endswith("rl"))) == [(4,)]
    assert await db.fetch(q.where(col("age").is_null())) == [(3,)]
    assert await db.fetch(q.where(age=None)) == [(3,)]
    assert await db.fetch(q.where(col("age").between(17, 30)).order_by("id")) == [(1,), (2,)]
    assert await db.fetch(q.where(col("id").in_([2, 4])).order_by("id")) == [(2,), (4,)]
    assert await db.fetch(q.where(col("id").in_([]))) == []
    assert len(await db.fetch(q.where(col("id").not_in([])))) == 4
    either = or_(col("age") < 18, ~(col("name") != "carl"))
    assert await db.fetch(q.where(either).order_by("id")) == [(2,), (4,)]
    distinct = db.q(orders).select("user_id").distinct().order_by("user_id")
    assert await db.fetch(distinct) == [(1,), (4,), (99,)]
    page = q.order_by(col("age").asc(nulls="first"), "id").limit(2).offset(1)
    assert await db.fetch(page) == [(2,), (1,)]
    nulls_last = q.order_by(col("age").desc(nulls="last"))
    assert await db.fetch(nulls_last) == [(4,), (1,), (2,), (3,)]
    assert await db.fetch(q.order_by("id").offset(3)) == [(4,)]
    assert await db.fetch(q.after({"id": 2}).limit(1)) == [(3,)]
    assert await db.fetch(q.after({"id": 3}, descending=True)) == [(2,), (1,)]
    keyset = db.q(orders).select("id").after({"user_id": 1, "id": 10})
    assert await db.fetch(keyset) == [(11,), (12,), (13,)]
    lowered = db.q(users).select(func.lower(col("name")).as_("n")).where(id=4)
    assert await db.fetch(lowered) == [("carl",)]
    assert await db.fetch(q.where(raw("{} + {} = {}", col("id"), 1, 3))) == [(2,)]


async def test_joins_aggregates_subqueries(db: Db) -> None:
    users, orders = await _schema(db)
    base = db.q(users, alias="u")
    on = col("o.user_id") == col("u.id")
    inner = base.select("u.id", "o.total").join(orders, on, alias="o").order_by("o.total")
    assert await db.fetch(inner) == [(1, 50), (1, 150), (4, 500)]
    left = base.select("u.id").left_join(orders, on, alias="o").where(col("o.id").is_null())
    assert await db.fetch(left.order_by("u.id")) == [(2,), (3,)]
    right = base.select("o.id").right_join(orders, on, alias="o").where(col("u.id").is_null())
    assert await db.fetch(right) == [(13,)]
    full = base.select("u.id", "o.id").full_join(orders, on, alias="o")
    if db.name == "mariadb":
        with pytest.raises(UnsupportedFeature, match="FULL JOIN"):
            full.build()
    else:
        assert len(await db.fetch(full)) == 6
    cross = base.select(func.count()).cross_join(orders, alias="o")
    assert await db.fetch(cross) == [(16,)]
    agg = (
        db.q(orders)
        .select(
            "user_id",
            func.count().as_("n"),
            func.sum(col("total")).as_("s"),
            func.min(col("total")),
            func.max(col("total")),
        )
        .group_by("user_id")
        .having(func.count() > 1)
    )
    assert [tuple(int(v) for v in row) for row in await db.fetch(agg)] == [(1, 2, 200, 50, 150)]
    avg = db.q(orders).select(func.avg(col("total"))).where(user_id=1)
    assert float((await db.fetch(avg))[0][0]) == 100.0
    count_distinct = db.q(orders).select(func.count(col("user_id"), distinct=True))
    assert await db.fetch(count_distinct) == [(3,)]
    big = db.q(orders).select("user_id").where(col("total") > 100)
    assert await db.fetch(db.q(users).select("id").where(col("id").in_(big)).order_by("id")) == [
        (1,),
        (4,),
    ]
    correlated = db.q(orders, alias="o").select("o.id").where(col("o.user_id") == col("u.id"))
    no_orders = base.select("u.id").where(~exists(correlated)).order_by("u.id")
    assert await db.fetch(no_orders) == [(2,), (3,)]
    derived = db.q(orders).select("user_id", func.sum(col("total")).as_("s")).group_by("user_id")
    from_sub = db.q(derived.subquery("t")).select("t.user_id").where(col("t.s") > 100)
    assert await db.fetch(from_sub.order_by("t.user_id")) == [(1,), (4,)]
    scalar = db.q(orders).select(func.max(col("total")))
    assert await db.fetch(db.q(orders).select("id").where(col("total") == scalar)) == [(12,)]


async def test_ctes_and_unions(db: Db) -> None:
    users, orders = await _schema(db)
    adults = db.q(users).select("id").where(col("age") >= 18)
    q = db.q("adults").with_("adults", adults).select("id").order_by("id")
    assert await db.fetch(q) == [(1,), (4,)]
    start = db.q(users).select(raw("1").as_("n")).limit(None).where(id=1)
    step = db.q("counter").select((col("n") + 1).as_("n")).where(col("n") < 5)
    counter = db.q("counter").with_("counter", start.union_all(step), columns=["n"], recursive=True)
    assert await db.fetch(counter.select("n").order_by("n")) == [(i,) for i in range(1, 6)]
    union = db.q(users).select("id").where(id=1).union(db.q(orders).select("user_id"))
    assert sorted(await db.fetch(union.order_by("id"))) == [(1,), (4,), (99,)]


async def test_writes(db: Db) -> None:
    users, orders = await _schema(db)
    await db.fetch(db.q(users).update({"age": col("age") + 1}).where(col("id").in_([1, 2])))
    ages = db.q(users).select("age").where(col("id").in_([1, 2])).order_by("id")
    assert await db.fetch(ages) == [(31,), (18,)]
    await db.fetch(db.q(orders).delete().where(col("total") < 100))
    assert await db.fetch(db.q(orders).select(func.count())) == [(2,)]
    copy = db.q(users).select(col("id") + 100, "id", "age").where(col("age").is_not_null())
    await db.fetch(db.q(orders).insert_from(copy, columns=["id", "user_id", "total"]))
    assert await db.fetch(db.q(orders).select(func.count())) == [(5,)]

    upsert = db.q(users).insert({"id": 1, "name": "ann", "age": 99})
    update = upsert.on_conflict_do_update(["id"], ["name", "age"])
    await db.fetch(update)
    await db.fetch(upsert.on_conflict_do_update(["id"], {"age": excluded("age") + 1}))
    assert await db.fetch(db.q(users).select("age").where(id=1)) == [(100,)]
    await db.fetch(
        db.q(users).insert({"id": 1, "name": "x", "age": 1}).on_conflict_do_nothing(["id"])
    )
    assert await db.fetch(db.q(users).select("name", "age").where(id=1)) == [("ann", 100)]
    await db.fetch(db.q(users).insert({"id": 7, "name": "new", "age": 1}).on_conflict_do_nothing())
    assert await db.fetch(db.q(users).select("name").where(id=7)) == [("new",)]
    from_select = db.q(users).insert_from(db.q(users).select(col("id") + 1000, "name", "age"))
    await db.fetch(from_select.on_conflict_do_update(["name"], ["age"]))
    assert await db.fetch(db.q(users).select(func.count())) == [(5,)]


async def test_returning(db: Db) -> None:
    users, _ = await _schema(db)
    insert = db.q(users).insert({"id": 5, "name": "eve", "age": 20}).returning("id", "name")
    update = db.q(users).update({"age": 21}).where(id=5).returning("age")
    delete = db.q(users).delete().where(id=5).returning("id")
    if db.name == "mariadb":
        assert await db.fetch(insert) == [(5, "eve")]
        with pytest.raises(UnsupportedFeature, match=r"MariaDB.*|UPDATE \.\.\. RETURNING"):
            update.build()
        await db.fetch(db.q(users).update({"age": 21}).where(id=5))
    else:
        assert await db.fetch(insert) == [(5, "eve")]
        assert await db.fetch(update) == [(21,)]
    assert await db.fetch(delete) == [(5,)]


def _fuzz_values(count: int) -> list[str]:
    rng = random.Random(20_240_501)
    alphabet = "'\"`\\;%_!$?:{}()-/*#\n\r\t \x00aZ0é中🎉\u202e"
    return ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 24))) for _ in range(count)]


async def test_adversarial_values_round_trip(db: Db) -> None:
    notes = db.table("notes")
    await db.execute(db.ddl(f'CREATE TABLE "{notes}" (id INTEGER PRIMARY KEY, body TEXT)'))
    values = ADVERSARIAL + _fuzz_values(150)
    if db.name == "postgresql":  # PostgreSQL text cannot hold NUL at all (a server rule)
        values = [v for v in values if "\x00" not in v]
    rows = [{"id": i, "body": v} for i, v in enumerate(values)]
    await db.fetch(db.q(notes).insert(rows))
    got = await db.fetch(db.q(notes).select("id", "body").order_by("id"))
    assert got == [(i, v) for i, v in enumerate(values)]
    for i, v in enumerate(values[:40]):
        match = db.q(notes).select("id").where(col("body") == v, col("body").in_([v, "zz"]))
        found = {row[0] for row in await db.fetch(match)}
        assert i in found
        assert await db.fetch(db.q(notes).select("id").where(id=i, body=raw("{}", v))) == [(i,)]
        if v:
            contains = db.q(notes).select("id").where(col("body").contains(v), id=i)
            assert await db.fetch(contains) == [(i,)]
    assert await db.fetch(db.q(notes).select(func.count())) == [(len(values),)]
