"""Identifier validation and quoting."""

from __future__ import annotations

import pytest

from paca.sql._builder import QueryBuilder
from paca.sql._dialect import get_dialect
from paca.sql._expressions import col
from paca.sql._functions import func
from paca.sql._identifiers import InvalidIdentifier, quote_identifier


@pytest.mark.parametrize(
    ("name", "family", "quoted"),
    [
        ("users", "postgresql", '"users"'),
        ("public.users", "postgresql", '"public"."users"'),
        ("db.s.t", "sqlite", '"db"."s"."t"'),
        ('we"ird', "postgresql", '"we""ird"'),
        ('we"ird', "sqlite", '"we""ird"'),
        ("we`ird", "mysql", "`we``ird`"),
        ('we"ird', "mysql", '`we"ird`'),
        ("Mixed Case", "postgresql", '"Mixed Case"'),
        ("; DROP TABLE x --", "mysql", "`; DROP TABLE x --`"),
        ("é中", "postgresql", '"é中"'),
    ],
)
def test_quoting(name: str, family: str, quoted: str) -> None:
    assert quote_identifier(name, family) == quoted


@pytest.mark.parametrize(
    ("name", "family", "message"),
    [
        ("", "postgresql", "empty"),
        ("a..b", "postgresql", "empty"),
        (".a", "sqlite", "empty"),
        ("a.", "sqlite", "empty"),
        ("a\x00b", "postgresql", "NUL"),
        ("\ud800", "sqlite", "Unicode"),
        ("a.b.c.d", "mysql", "more than 3"),
        ("x" * 64, "postgresql", "63 bytes"),
        ("é" * 32, "postgresql", "63 bytes"),
        ("x" * 65, "mysql", "64 characters"),
        ("trailing ", "mysql", "space"),
        ("🎉", "mysql", "does not allow"),
        ("x" * 256, "sqlite", "255"),
    ],
)
def test_rejected(name: str, family: str, message: str) -> None:
    with pytest.raises(InvalidIdentifier, match=message):
        quote_identifier(name, family)


def test_limits_are_inclusive() -> None:
    assert quote_identifier("x" * 63, "postgresql") == '"' + "x" * 63 + '"'
    assert quote_identifier("x" * 64, "mysql") == "`" + "x" * 64 + "`"
    assert quote_identifier("🎉", "postgresql") == '"🎉"'


def test_builder_validates_names_early_and_late() -> None:
    with pytest.raises(InvalidIdentifier):
        QueryBuilder("", dialect="sqlite")
    with pytest.raises(InvalidIdentifier):
        col("a\x00")
    with pytest.raises(InvalidIdentifier):
        QueryBuilder("t", dialect="sqlite", alias="a.b")
    with pytest.raises(InvalidIdentifier):
        QueryBuilder("t", dialect="sqlite").insert({"a.b": 1})
    with pytest.raises(InvalidIdentifier):
        QueryBuilder("t", dialect="sqlite").update({"": 1})
    with pytest.raises(InvalidIdentifier):
        col("a").as_("")
    with pytest.raises(TypeError):
        col(3)  # type: ignore[arg-type]
    # Dialect-specific limits are checked when the dialect is known: at build().
    long = QueryBuilder("t", dialect="postgresql").select("x" * 64)
    with pytest.raises(InvalidIdentifier, match="63 bytes"):
        long.build()
    assert QueryBuilder("t", dialect="sqlite").select("x" * 64).build()[0].startswith("SELECT")


@pytest.mark.parametrize("name", ["count(*)", "a b", "x;y", "", "1abc", "a.b.c", "lower--"])
def test_function_names_are_restricted(name: str) -> None:
    with pytest.raises(InvalidIdentifier):
        getattr(func, name)


def test_function_private_names_are_attribute_errors() -> None:
    with pytest.raises(AttributeError):
        func._secret  # noqa: B018


def test_dialect_table_is_shared_and_immutable() -> None:
    assert get_dialect("mariadb") is get_dialect("mariadb")
    assert get_dialect("mariadb").family == "mysql"
    assert get_dialect("mysql", (8, 0, 19)).upsert_row_alias
    assert not get_dialect("mysql", (8, 0, 18)).upsert_row_alias
    with pytest.raises(AttributeError):
        get_dialect("sqlite").full_join = False  # type: ignore[misc]
