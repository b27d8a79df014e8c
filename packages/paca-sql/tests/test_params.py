import pytest
from hypothesis import given
from hypothesis import strategies as st

from paca.sql._params import bind, touches_session, translate


def test_named_to_dollar_reuses_numbers() -> None:
    t = translate("SELECT * FROM t WHERE a = :a AND b = :b OR a2 = :a", "dollar", True)
    assert t.sql == "SELECT * FROM t WHERE a = $1 AND b = $2 OR a2 = $1"
    assert bind(t, {"a": 1, "b": 2}) == [1, 2]


@pytest.mark.parametrize(("style", "mark"), [("qmark", "?"), ("format", "%s")])
def test_named_to_positional_repeats_values(style: str, mark: str) -> None:
    t = translate("SELECT :a, :b, :a", style, True)  # type: ignore[arg-type]
    assert t.sql == f"SELECT {mark}, {mark}, {mark}"
    assert bind(t, {"a": 1, "b": 2}) == [1, 2, 1]


def test_casts_assignments_and_strings_are_not_parameters() -> None:
    sql = "SELECT x::int, ':no', \"c:d\", $$ :no $$, $t$ :no $t$ -- :no\n, :yes /* :no */"
    t = translate(sql, "dollar", True)
    assert t.sql == sql.replace(":yes", "$1")
    assert t.names == ("yes",)


def test_mysql_comments_user_variables_and_backquotes() -> None:
    t = translate("SELECT @a := 1, `x:y`, :v # :no\n", "format", True)
    assert t.sql == "SELECT @a := 1, `x:y`, %s # :no\n"


def test_percent_is_doubled_for_format_style_everywhere() -> None:
    t = translate("SELECT '%', a % 2 FROM t WHERE b LIKE ? -- 50%", "format", False)
    assert t.sql == "SELECT '%%', a %% 2 FROM t WHERE b LIKE %s -- 50%%"
    assert translate("SELECT '%'", "dollar", False).sql == "SELECT '%'"


def test_question_marks_in_strings_and_jsonb_operator_with_named_params() -> None:
    assert translate("SELECT '?' , ?", "dollar", False).sql == "SELECT '?' , $1"
    t = translate("SELECT data ? 'k' FROM t WHERE id = :id", "dollar", True)
    assert t.sql == "SELECT data ? 'k' FROM t WHERE id = $1"


def test_backslash_escapes_in_mysql_and_e_strings() -> None:
    assert translate(r"SELECT 'it\'s :x', :y", "format", True).names == ("y",)
    assert translate(r"SELECT E'it\'s :x', :y", "dollar", True).names == ("y",)
    assert translate("SELECT 'it''s :x', :y", "dollar", True).names == ("y",)


def test_native_dollar_sql_passes_through() -> None:
    t = translate("SELECT $1, $2", "dollar", False)
    assert t.sql == "SELECT $1, $2"
    assert t.count is None
    assert bind(t, [1, 2]) == [1, 2]


def test_missing_named_parameter_fails_fast() -> None:
    t = translate("SELECT :a, :b", "qmark", True)
    with pytest.raises(ValueError, match=":b"):
        bind(t, {"a": 1})


def test_wrong_shapes_fail_fast() -> None:
    with pytest.raises(TypeError):
        bind(translate("SELECT :a", "qmark", True), [1])
    with pytest.raises(TypeError):
        bind(translate("SELECT ?", "qmark", False), "x")
    with pytest.raises(ValueError, match="placeholders"):
        bind(translate("SELECT ?, ?", "qmark", False), [1])


def test_translation_is_cached() -> None:
    assert translate("SELECT :cached", "dollar", True) is translate(
        "SELECT :cached", "dollar", True
    )


@pytest.mark.parametrize(
    ("sql", "dirty"),
    [
        ("SELECT 1", False),
        ("  (SELECT a FROM t)", False),
        ("INSERT INTO t VALUES (1)", False),
        ("UPDATE t SET a = 1", False),
        ("SET search_path = x", True),
        ("SELECT pg_advisory_lock(1)", True),
        ("SELECT set_config('a.b', '1', false)", True),
        ("CREATE TEMP TABLE x (a int)", True),
        ("LISTEN chan", True),
        ("DECLARE c CURSOR WITH HOLD FOR SELECT 1", True),
        ("BEGIN", True),
        ("SELECT 1; SET x = 1", True),
        ("SELECT @v := 1", True),
        ("SELECT GET_LOCK('a', 1)", True),
    ],
)
def test_session_touching_statements_are_flagged(sql: str, dirty: bool) -> None:
    assert touches_session(sql) is dirty


_names = st.from_regex(r"[a-z_][a-z0-9_]{0,8}", fullmatch=True)
_literals = st.text(alphabet="ab:?%$ -*/", max_size=12).map(
    lambda s: "'" + s.replace("'", "") + "'"
)


@given(
    st.lists(
        st.one_of(_names.map(lambda n: ("param", n)), _literals.map(lambda s: ("lit", s))),
        max_size=8,
    )
)
def test_property_only_parameters_outside_literals_are_rewritten(
    parts: list[tuple[str, str]],
) -> None:
    sql = "SELECT " + ", ".join(f":{v}" if kind == "param" else v for kind, v in parts)
    t = translate(sql, "qmark", True)
    expected = "SELECT " + ", ".join("?" if kind == "param" else v for kind, v in parts)
    assert t.sql == expected
    assert t.names == tuple(v for kind, v in parts if kind == "param")


@given(st.lists(_literals, max_size=6), st.integers(0, 5))
def test_property_positional_count_ignores_literals(literals: list[str], marks: int) -> None:
    sql = "SELECT " + ", ".join([*literals, *["?"] * marks])
    t = translate(sql, "dollar", False)
    assert (t.count or 0) == marks
    assert t.sql.count("$") - sum(lit.count("$") for lit in literals) == marks
