"""Exact SQL of INSERT, UPDATE, DELETE, upsert and RETURNING, for every dialect."""

from __future__ import annotations

import pytest

from paca.sql._builder import QueryBuilder
from paca.sql._dialect import UnsupportedFeature
from paca.sql._expressions import col
from paca.sql._functions import excluded, raw


def qb(dialect: str, table: str = "t", **kwargs: object) -> QueryBuilder:
    return QueryBuilder(table, dialect=dialect, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("dialect", "sql"),
    [
        ("postgresql", 'INSERT INTO "s"."t" ("a", "b") VALUES ($1, now())'),
        ("mysql", "INSERT INTO `s`.`t` (`a`, `b`) VALUES (%s, now())"),
        ("sqlite", 'INSERT INTO "s"."t" ("a", "b") VALUES (?, now())'),
    ],
)
def test_insert_single_row(dialect: str, sql: str) -> None:
    q = qb(dialect, "s.t").insert({"a": "x'y", "b": raw("now()")})
    assert q.build() == (sql, ["x'y"])


def test_insert_multi_row_and_defaults() -> None:
    rows = [{"a": 1, "b": 2}, {"a": 3, "b": 4}]
    assert qb("postgresql").insert(rows).build() == (
        'INSERT INTO "t" ("a", "b") VALUES ($1, $2), ($3, $4)',
        [1, 2, 3, 4],
    )
    assert qb("postgresql").insert({}).build() == ('INSERT INTO "t" DEFAULT VALUES', [])
    assert qb("sqlite").insert({}).build() == ('INSERT INTO "t" DEFAULT VALUES', [])
    assert qb("mariadb").insert({}).build() == ("INSERT INTO `t` () VALUES ()", [])
    with pytest.raises(ValueError, match="same columns"):
        qb("sqlite").insert([{"a": 1}, {"b": 2}])
    with pytest.raises(ValueError, match="at least one row"):
        qb("sqlite").insert([])
    with pytest.raises(ValueError, match="defaults"):
        qb("sqlite").insert([{}, {}])


def test_insert_from_select() -> None:
    source = qb("postgresql", "u").select("id", "name").where(col("age") > 1)
    q = qb("postgresql").insert_from(source, columns=["a", "b"])
    assert q.build() == (
        'INSERT INTO "t" ("a", "b") SELECT "id", "name" FROM "u" WHERE "age" > $1',
        [1],
    )
    with pytest.raises(TypeError, match="SELECT"):
        qb("postgresql").insert_from(qb("postgresql", "u").delete())


UPSERT = {
    "postgresql": (
        'INSERT INTO "t" ("id", "n", "c") VALUES ($1, $2, $3) ON CONFLICT ("id") '
        'DO UPDATE SET "n" = EXCLUDED."n", "c" = "c" + EXCLUDED."c"'
    ),
    "sqlite": (
        'INSERT INTO "t" ("id", "n", "c") VALUES (?, ?, ?) ON CONFLICT ("id") '
        'DO UPDATE SET "n" = EXCLUDED."n", "c" = "c" + EXCLUDED."c"'
    ),
    "mysql": (
        "INSERT INTO `t` (`id`, `n`, `c`) VALUES (%s, %s, %s) AS `new` ON DUPLICATE KEY UPDATE "
        "`n` = `new`.`n`, `c` = `c` + `new`.`c`"
    ),
    "mariadb": (
        "INSERT INTO `t` (`id`, `n`, `c`) VALUES (%s, %s, %s) ON DUPLICATE KEY UPDATE "
        "`n` = VALUES(`n`), `c` = `c` + VALUES(`c`)"
    ),
}


@pytest.mark.parametrize("dialect", list(UPSERT))
def test_upsert_do_update(dialect: str) -> None:
    q = qb(dialect).insert({"id": 1, "n": "a", "c": 2})
    q = q.on_conflict_do_update(["id"], {"n": excluded("n"), "c": col("c") + excluded("c")})
    assert q.build() == (UPSERT[dialect], [1, "a", 2])


def test_upsert_column_list_and_mysql_versions() -> None:
    q = qb("mysql", server_version=(8, 0, 18)).insert({"id": 1, "n": "a"})
    assert q.on_conflict_do_update(["id"], ["n"]).build() == (
        "INSERT INTO `t` (`id`, `n`) VALUES (%s, %s) ON DUPLICATE KEY UPDATE `n` = VALUES(`n`)",
        [1, "a"],
    )
    new = qb("mysql", server_version=(8, 0, 19)).insert({"id": 1, "n": "a"})
    assert (
        new.on_conflict_do_update(["id"], ["n"])
        .build()[0]
        .endswith("VALUES (%s, %s) AS `new` ON DUPLICATE KEY UPDATE `n` = `new`.`n`")
    )
    # INSERT ... SELECT cannot take a row alias: VALUES() is used instead.
    select = qb("mysql").insert_from(qb("mysql", "u").select("id", "n"), ["id", "n"])
    assert select.on_conflict_do_update(["id"], ["n"]).build() == (
        "INSERT INTO `t` (`id`, `n`) SELECT `id`, `n` FROM `u` "
        "ON DUPLICATE KEY UPDATE `n` = VALUES(`n`)",
        [],
    )


@pytest.mark.parametrize(
    ("dialect", "sql"),
    [
        ("postgresql", 'INSERT INTO "t" ("id") VALUES ($1) ON CONFLICT ("id") DO NOTHING'),
        ("sqlite", 'INSERT INTO "t" ("id") VALUES (?) ON CONFLICT ("id") DO NOTHING'),
        ("mysql", "INSERT INTO `t` (`id`) VALUES (%s) ON DUPLICATE KEY UPDATE `id` = `id`"),
        ("mariadb", "INSERT INTO `t` (`id`) VALUES (%s) ON DUPLICATE KEY UPDATE `id` = `id`"),
    ],
)
def test_upsert_do_nothing(dialect: str, sql: str) -> None:
    assert qb(dialect).insert({"id": 7}).on_conflict_do_nothing(["id"]).build() == (sql, [7])


def test_upsert_rules() -> None:
    assert qb("postgresql").insert({"id": 1}).on_conflict_do_nothing().build() == (
        'INSERT INTO "t" ("id") VALUES ($1) ON CONFLICT DO NOTHING',
        [1],
    )
    with pytest.raises(ValueError, match="conflict columns"):
        qb("postgresql").insert({"id": 1}).on_conflict_do_update([], ["id"]).build()
    with pytest.raises(ValueError, match="at least one column"):
        qb("postgresql").insert({"id": 1}).on_conflict_do_update(["id"], [])
    with pytest.raises(UnsupportedFeature, match=r"ON CONFLICT is not supported by SQLite 3\.23"):
        qb("sqlite", server_version=(3, 23)).insert({"id": 1}).on_conflict_do_nothing().build()
    with pytest.raises(ValueError, match="belongs to an INSERT"):
        qb("sqlite").update({"a": 1}).on_conflict_do_nothing().build()
    # SQLite's INSERT ... SELECT ... ON CONFLICT needs a WHERE to parse.
    q = (
        qb("sqlite")
        .insert_from(qb("sqlite", "u").select("id"), ["id"])
        .on_conflict_do_nothing(["id"])
    )
    assert q.build() == (
        'INSERT INTO "t" ("id") SELECT "id" FROM "u" WHERE 1 ON CONFLICT ("id") DO NOTHING',
        [],
    )


@pytest.mark.parametrize(
    ("dialect", "sql"),
    [
        ("postgresql", 'UPDATE "t" AS "x" SET "a" = $1, "n" = "n" + $2 WHERE "x"."id" = $3'),
        ("sqlite", 'UPDATE "t" AS "x" SET "a" = ?, "n" = "n" + ? WHERE "x"."id" = ?'),
        ("mysql", "UPDATE `t` AS `x` SET `a` = %s, `n` = `n` + %s WHERE `x`.`id` = %s"),
    ],
)
def test_update(dialect: str, sql: str) -> None:
    q = qb(dialect, alias="x").update({"a": None, "n": col("n") + 1}).where(col("x.id") == 5)
    assert q.build() == (sql, [None, 1, 5])


def test_update_and_delete_with_cte_order_limit() -> None:
    ids = qb("postgresql", "old").select("id")
    q = (
        qb("postgresql")
        .with_("o", ids)
        .delete()
        .where(col("id").in_(qb("postgresql", "o").select("id")))
    )
    assert q.build() == (
        'WITH "o" AS (SELECT "id" FROM "old") DELETE FROM "t" WHERE "id" IN (SELECT "id" FROM "o")',
        [],
    )
    mysql = qb("mysql").delete().where(a=1).order_by("id").limit(10)
    assert mysql.build() == ("DELETE FROM `t` WHERE `a` = %s ORDER BY `id` ASC LIMIT %s", [1, 10])
    with pytest.raises(UnsupportedFeature, match=r"DELETE \.\.\. ORDER BY/LIMIT"):
        qb("postgresql").delete().limit(1).build()
    with pytest.raises(UnsupportedFeature, match=r"UPDATE \.\.\. ORDER BY/LIMIT"):
        qb("sqlite").update({"a": 1}).limit(1).build()
    with pytest.raises(ValueError, match="at least one column"):
        qb("sqlite").update({}).build()
    with pytest.raises(ValueError, match="joins"):
        qb("sqlite").delete().join("u", col("a") == col("b")).build()
    with pytest.raises(ValueError, match="WHERE"):
        qb("sqlite").insert({"a": 1}).where(a=1).build()


@pytest.mark.parametrize(
    ("dialect", "sql"),
    [
        ("postgresql", 'DELETE FROM "t" WHERE "a" < $1'),
        ("mysql", "DELETE FROM `t` WHERE `a` < %s"),
        ("mariadb", "DELETE FROM `t` WHERE `a` < %s"),
        ("sqlite", 'DELETE FROM "t" WHERE "a" < ?'),
    ],
)
def test_delete(dialect: str, sql: str) -> None:
    assert qb(dialect).delete().where(col("a") < 3).build() == (sql, [3])


RETURNING = [
    # dialect, version, insert ok, update ok, delete ok
    ("postgresql", None, True, True, True),
    ("sqlite", None, True, True, True),
    ("sqlite", (3, 34), False, False, False),
    ("mariadb", None, True, False, True),
    ("mariadb", (10, 4), False, False, True),
    ("mariadb", (10, 0, 4), False, False, False),
    ("mysql", None, False, False, False),
    ("mysql", (8, 0, 36), False, False, False),
]


@pytest.mark.parametrize(("dialect", "version", "ins", "upd", "dele"), RETURNING)
def test_returning_support(
    dialect: str, version: tuple[int, ...] | None, ins: bool, upd: bool, dele: bool
) -> None:
    base = qb(dialect, server_version=version)
    statements = {
        "INSERT": (base.insert({"a": 1}).returning("id", col("a").as_("b")), ins),
        "UPDATE": (base.update({"a": 1}).where(id=2).returning("id"), upd),
        "DELETE": (base.delete().where(id=2).returning("*"), dele),
    }
    for word, (q, supported) in statements.items():
        if supported:
            assert " RETURNING " in q.build()[0]
        else:
            with pytest.raises(UnsupportedFeature) as info:
                q.build()
            assert info.value.feature == f"{word} ... RETURNING"
            label = {"postgresql": "PostgreSQL", "sqlite": "SQLite"}.get(
                dialect, dialect[:2].title()
            )
            assert str(info.value).startswith(f"{word} ... RETURNING is not supported by ")
            assert label.lower()[:2] in info.value.dialect.lower()


def test_returning_exact() -> None:
    q = qb("postgresql").insert({"a": 1}).returning("id", col("a").as_("b"))
    assert q.build() == ('INSERT INTO "t" ("a") VALUES ($1) RETURNING "id", "a" AS "b"', [1])
    d = qb("mariadb").delete().where(id=2).returning("*")
    assert d.build() == ("DELETE FROM `t` WHERE `id` = %s RETURNING *", [2])
