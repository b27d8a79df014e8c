"""Exact SQL and parameters of every SELECT form, for every dialect."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import pytest

from paca.sql._builder import QueryBuilder
from paca.sql._dialect import UnsupportedFeature
from paca.sql._expressions import and_, col, not_, or_
from paca.sql._functions import exists, func, raw

if TYPE_CHECKING:
    from collections.abc import Callable

DIALECTS = ["postgresql", "mysql", "mariadb", "sqlite"]


def other_dialect(pg_sql: str, dialect: str) -> str:
    """The same statement where only placeholders and quotes differ from PostgreSQL."""
    if dialect == "postgresql":
        return pg_sql
    marker = "?" if dialect == "sqlite" else "%s"
    sql = re.sub(r"\$\d+", lambda _: marker, pg_sql)
    return sql.replace('"', "`") if dialect != "sqlite" else sql


CASES: list[tuple[str, Callable[[str], QueryBuilder], str, list[Any]]] = [
    (
        "issue example",
        lambda d: (
            QueryBuilder("users", dialect=d)
            .select("id", "name")
            .where(col("age") > 18, col("name").like("a%"))
            .order_by("name")
            .limit(10)
        ),
        'SELECT "id", "name" FROM "users" WHERE "age" > $1 AND "name" LIKE $2 '
        'ORDER BY "name" ASC LIMIT $3',
        [18, "a%", 10],
    ),
    ("star", lambda d: QueryBuilder("t", dialect=d), 'SELECT * FROM "t"', []),
    (
        "schema and alias",
        lambda d: QueryBuilder("s.t", dialect=d, alias="x").select("x.*", col("x.a").as_("b")),
        'SELECT "x".*, "x"."a" AS "b" FROM "s"."t" AS "x"',
        [],
    ),
    (
        "distinct",
        lambda d: QueryBuilder("t", dialect=d).select("a").distinct(),
        'SELECT DISTINCT "a" FROM "t"',
        [],
    ),
    (
        "and or not precedence",
        lambda d: QueryBuilder("t", dialect=d).where(
            (col("a") == 1) | ((col("b") != 2) & ~(col("c") <= 3)), col("d") >= 4
        ),
        'SELECT * FROM "t" WHERE ("a" = $1 OR "b" <> $2 AND NOT ("c" <= $3)) AND "d" >= $4',
        [1, 2, 3, 4],
    ),
    (
        "nested or inside and",
        lambda d: QueryBuilder("t", dialect=d).where(
            and_(or_(col("a") < 1, col("b") > 2), not_(col("c")))
        ),
        'SELECT * FROM "t" WHERE ("a" < $1 OR "b" > $2) AND NOT "c"',
        [1, 2],
    ),
    (
        "in, not in, empty",
        lambda d: QueryBuilder("t", dialect=d).where(
            col("a").in_([1, 2]), col("b").not_in(("x",)), col("c").in_([]), col("d").not_in([])
        ),
        'SELECT * FROM "t" WHERE "a" IN ($1, $2) AND "b" NOT IN ($3) AND 1 = 0 AND 1 = 1',
        [1, 2, "x"],
    ),
    (
        "null tests",
        lambda d: QueryBuilder("t", dialect=d).where(
            col("a").is_null(),
            col("b").is_not_null(),
            col("c") == None,  # noqa: E711
            col("e") != None,  # noqa: E711
        ),
        'SELECT * FROM "t" WHERE "a" IS NULL AND "b" IS NOT NULL AND "c" IS NULL '
        'AND "e" IS NOT NULL',
        [],
    ),
    (
        "keyword equality",
        lambda d: QueryBuilder("t", dialect=d).where(a=1, b=None),
        'SELECT * FROM "t" WHERE "a" = $1 AND "b" IS NULL',
        [1],
    ),
    (
        "between",
        lambda d: QueryBuilder("t", dialect=d).where(
            col("a").between(1, 5), col("b").not_between(0, 1)
        ),
        'SELECT * FROM "t" WHERE "a" BETWEEN $1 AND $2 AND "b" NOT BETWEEN $3 AND $4',
        [1, 5, 0, 1],
    ),
    (
        "like helpers escape",
        lambda d: QueryBuilder("t", dialect=d).where(
            col("a").startswith("a%b_"),
            col("b").endswith("!"),
            col("c").contains("x"),
            col("e").not_like("z%"),
        ),
        'SELECT * FROM "t" WHERE "a" LIKE $1 ESCAPE \'!\' AND "b" LIKE $2 ESCAPE \'!\' '
        'AND "c" LIKE $3 ESCAPE \'!\' AND "e" NOT LIKE $4',
        ["a!%b!_%", "%!!", "%x%", "z%"],
    ),
    (
        "arithmetic",
        lambda d: (
            QueryBuilder("t", dialect=d)
            .select((col("a") + 1) * 2, 3 - col("b"))
            .where(col("a") / 2 > col("b") - 1)
        ),
        'SELECT ("a" + $1) * $2, $3 - "b" FROM "t" WHERE "a" / $4 > "b" - $5',
        [1, 2, 3, 2, 1],
    ),
    (
        "joins",
        lambda d: (
            QueryBuilder("users", dialect=d, alias="u")
            .select("u.id", "o.total", "p.name")
            .join("orders", col("o.user_id") == col("u.id"), alias="o")
            .left_join(
                "products",
                (col("p.id") == col("o.product_id")) & (col("p.active") == True),  # noqa: E712
                alias="p",
            )
            .cross_join("s.flags")
            .where(col("o.total") > 10)
            .order_by(col("o.total").desc())
            .limit(5)
            .offset(10)
        ),
        'SELECT "u"."id", "o"."total", "p"."name" FROM "users" AS "u" '
        'INNER JOIN "orders" AS "o" ON "o"."user_id" = "u"."id" '
        'LEFT JOIN "products" AS "p" ON "p"."id" = "o"."product_id" AND "p"."active" = $1 '
        'CROSS JOIN "s"."flags" WHERE "o"."total" > $2 ORDER BY "o"."total" DESC '
        "LIMIT $3 OFFSET $4",
        [True, 10, 5, 10],
    ),
    (
        "right join",
        lambda d: QueryBuilder("a", dialect=d).right_join("b", col("a.id") == col("b.id")),
        'SELECT * FROM "a" RIGHT JOIN "b" ON "a"."id" = "b"."id"',
        [],
    ),
    (
        "aggregates group having",
        lambda d: (
            QueryBuilder("o", dialect=d)
            .select(
                "u",
                func.count().as_("n"),
                func.count(col("x"), distinct=True),
                func.sum(col("t")),
                func.avg(col("t")),
                func.min(col("t")),
                func.max(col("t")),
            )
            .group_by("u", func.lower(col("v")))
            .having(func.sum(col("t")) > 100)
        ),
        'SELECT "u", COUNT(*) AS "n", COUNT(DISTINCT "x"), SUM("t"), AVG("t"), MIN("t"), MAX("t") '
        'FROM "o" GROUP BY "u", LOWER("v") HAVING SUM("t") > $1',
        [100],
    ),
    (
        "subqueries",
        lambda d: (
            QueryBuilder(
                QueryBuilder("o", dialect=d).select("u").where(x=1).subquery("s"), dialect=d
            )
            .select("s.u", QueryBuilder("m", dialect=d).select(func.max(col("v"))))
            .where(
                col("s.u").in_(QueryBuilder("k", dialect=d).select("u").where(y=2)),
                exists(QueryBuilder("e", dialect=d).where(col("e.u") == col("s.u"), z=3)),
                col("s.u") > QueryBuilder("m", dialect=d).select(func.min(col("v"))),
            )
        ),
        'SELECT "s"."u", (SELECT MAX("v") FROM "m") '
        'FROM (SELECT "u" FROM "o" WHERE "x" = $1) AS "s" '
        'WHERE "s"."u" IN (SELECT "u" FROM "k" WHERE "y" = $2) '
        'AND EXISTS (SELECT * FROM "e" WHERE "e"."u" = "s"."u" AND "z" = $3) '
        'AND "s"."u" > (SELECT MIN("v") FROM "m")',
        [1, 2, 3],
    ),
    (
        "cte and union",
        lambda d: (
            QueryBuilder("c", dialect=d)
            .with_(
                "c",
                QueryBuilder("t", dialect=d)
                .select("a")
                .where(a=1)
                .union_all(QueryBuilder("t2", dialect=d).select("a")),
            )
            .with_("r", QueryBuilder("c", dialect=d).select("a"), columns=["x"], recursive=True)
            .select("a")
            .union(QueryBuilder("r", dialect=d).select("x").where(x=2))
            .order_by("a")
            .limit(3)
        ),
        'WITH RECURSIVE "c" AS (SELECT "a" FROM "t" WHERE "a" = $1 '
        'UNION ALL SELECT "a" FROM "t2"), '
        '"r" ("x") AS (SELECT "a" FROM "c") SELECT "a" FROM "c" UNION SELECT "x" FROM "r" '
        'WHERE "x" = $2 ORDER BY "a" ASC LIMIT $3',
        [1, 2, 3],
    ),
    (
        "keyset single key",
        lambda d: QueryBuilder("t", dialect=d).where(a=0).after({"id": 10}).limit(20),
        'SELECT * FROM "t" WHERE "a" = $1 AND "id" > $2 ORDER BY "id" ASC LIMIT $3',
        [0, 10, 20],
    ),
    (
        "keyset two keys descending",
        lambda d: QueryBuilder("t", dialect=d).after({"ts": 5, "id": 10}, descending=True),
        'SELECT * FROM "t" WHERE "ts" < $1 OR "ts" = $2 AND "id" < $3 '
        'ORDER BY "ts" DESC, "id" DESC',
        [5, 5, 10],
    ),
    (
        "raw with params and expressions",
        lambda d: (
            QueryBuilder("t", dialect=d)
            .select(raw("COALESCE({}, {})", col("a"), "x").as_("v"))
            .where(raw("{} = {{1}}", col("b")) | raw("{} + 1 > 2", 5))
        ),
        'SELECT COALESCE("a", $1) AS "v" FROM "t" WHERE ("b" = {1}) OR ($2 + 1 > 2)',
        ["x", 5],
    ),
]


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize(("name", "make", "pg_sql", "params"), CASES, ids=[c[0] for c in CASES])
def test_select_forms(
    dialect: str, name: str, make: Callable[[str], QueryBuilder], pg_sql: str, params: list[Any]
) -> None:
    assert make(dialect).build() == (other_dialect(pg_sql, dialect), params), name


NULLS = [
    ("postgresql", None, '"a" ASC NULLS FIRST, "b" DESC NULLS LAST'),
    ("sqlite", None, '"a" ASC NULLS FIRST, "b" DESC NULLS LAST'),
    ("sqlite", (3, 29), '"a" IS NOT NULL, "a" ASC, "b" IS NULL, "b" DESC'),
    ("mysql", None, "`a` IS NOT NULL, `a` ASC, `b` IS NULL, `b` DESC"),
    ("mariadb", None, "`a` IS NOT NULL, `a` ASC, `b` IS NULL, `b` DESC"),
]


@pytest.mark.parametrize(("dialect", "version", "order"), NULLS)
def test_nulls_ordering_native_or_emulated(
    dialect: str, version: tuple[int, ...] | None, order: str
) -> None:
    q = QueryBuilder("t", dialect=dialect, server_version=version).select("a")
    sql, _ = q.order_by(col("a").asc(nulls="first"), col("b").desc(nulls="last")).build()
    assert sql.endswith(" ORDER BY " + order)


def test_nulls_emulation_binds_expression_params_twice_in_order() -> None:
    q = QueryBuilder("t", dialect="mysql").order_by((col("a") + 1).asc(nulls="last"))
    assert q.build() == ("SELECT * FROM `t` ORDER BY `a` + %s IS NULL, `a` + %s ASC", [1, 1])


@pytest.mark.parametrize(
    ("dialect", "tail", "params"),
    [
        ("postgresql", " OFFSET $1", [5]),
        ("sqlite", " LIMIT -1 OFFSET ?", [5]),
        ("mysql", " LIMIT 18446744073709551615 OFFSET %s", [5]),
    ],
)
def test_offset_without_limit(dialect: str, tail: str, params: list[Any]) -> None:
    sql, got = QueryBuilder("t", dialect=dialect).offset(5).build()
    assert (sql, got) == (other_dialect('SELECT * FROM "t"', dialect) + tail, params)


@pytest.mark.parametrize("dialect", ["mysql", "mariadb"])
def test_full_join_unsupported_on_mysql_family(dialect: str) -> None:
    q = QueryBuilder("a", dialect=dialect).full_join("b", col("a.id") == col("b.id"))
    with pytest.raises(UnsupportedFeature, match="FULL JOIN is not supported by M") as info:
        q.build()
    assert info.value.feature == "FULL JOIN"


def test_version_gated_select_features() -> None:
    old_sqlite = QueryBuilder("a", dialect="sqlite", server_version=(3, 38))
    with pytest.raises(UnsupportedFeature, match=r"RIGHT JOIN is not supported by SQLite 3\.38"):
        old_sqlite.right_join("b", col("a.x") == col("b.x")).build()
    cte = QueryBuilder("c", dialect="mysql", server_version=(5, 7, 40)).with_(
        "c", QueryBuilder("t", dialect="mysql")
    )
    with pytest.raises(UnsupportedFeature, match="WITH"):
        cte.build()
    assert QueryBuilder("c", dialect="mariadb", server_version=(10, 2)).with_(
        "c", QueryBuilder("t", dialect="mariadb")
    ).build() == ("WITH `c` AS (SELECT * FROM `t`) SELECT * FROM `c`", [])


def test_mysql_doubles_percent_in_raw_text() -> None:
    q = QueryBuilder("t", dialect="mysql").select(raw("DATE_FORMAT({}, '%Y')", col("d")))
    assert q.build() == ("SELECT DATE_FORMAT(`d`, '%%Y') FROM `t`", [])
    pg = QueryBuilder("t", dialect="postgresql").select(raw("to_char({}, '%Y')", col("d")))
    assert pg.build() == ('SELECT to_char("d", \'%Y\') FROM "t"', [])


def test_builder_is_immutable_and_reusable() -> None:
    base = QueryBuilder("t", dialect="postgresql").where(a=1)
    one, two = base.where(b=2), base.limit(3)
    assert base.build() == ('SELECT * FROM "t" WHERE "a" = $1', [1])
    assert one.build() == ('SELECT * FROM "t" WHERE "a" = $1 AND "b" = $2', [1, 2])
    assert two.build() == ('SELECT * FROM "t" WHERE "a" = $1 LIMIT $2', [1, 3])
    first, second = base.build(), base.build()
    assert first == second
    assert first[1] is not second[1]
    with pytest.raises(AttributeError, match="immutable"):
        base.dialect = "mysql"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        del base.dialect


@pytest.mark.parametrize(
    ("dialect", "family"),
    [("postgresql", "postgresql"), ("mysql", "mysql"), ("mariadb", "mysql"), ("sqlite", "sqlite")],
)
def test_dialect_attribute_is_the_driver_family(dialect: str, family: str) -> None:
    q = QueryBuilder("t", dialect=dialect)
    assert q.dialect == family
    assert q.sql_dialect.name == dialect
    assert dialect in repr(q).lower()


def test_misuse_raises() -> None:
    q = QueryBuilder("t", dialect="sqlite")
    with pytest.raises(TypeError, match="truth value"):
        bool(col("a") > 1)
    with pytest.raises(ValueError, match="unknown SQL dialect"):
        QueryBuilder("t", dialect="oracle")
    with pytest.raises(ValueError, match="server_version"):
        QueryBuilder("t", dialect="mysql", server_version=(8, "0"))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="limit"):
        q.limit(-1)
    with pytest.raises(ValueError, match="offset"):
        q.offset(True)
    with pytest.raises(ValueError, match="join kind"):
        q.join("x", col("a") == 1, kind="outer")
    with pytest.raises(ValueError, match="CROSS"):
        q.join("x", kind="cross", on=col("a") == 1)
    with pytest.raises(ValueError, match="markers"):
        raw("{} {}", 1)
    with pytest.raises(ValueError, match="lone"):
        raw("{ x")
    with pytest.raises(TypeError, match="single string"):
        col("a").in_("abc")
    with pytest.raises(ValueError, match="None"):
        q.after({"id": None})
    with pytest.raises(ValueError, match="at least one"):
        q.after({})
    with pytest.raises(ValueError, match="nulls"):
        col("a").asc(nulls="middle")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="UNION member"):
        q.union(QueryBuilder("u", dialect="sqlite").limit(1)).build()
    with pytest.raises(ValueError, match="RETURNING"):
        q.returning("a").build()
    with pytest.raises(ValueError, match="subquery"):
        q.where(col("a").in_(QueryBuilder("u", dialect="sqlite").delete())).build()
    with pytest.raises(TypeError, match="value"):
        q.where(col("a") == col("b").asc())
    from paca.sql._functions import excluded

    with pytest.raises(ValueError, match="excluded"):
        q.update({"a": excluded("a")}).build()
