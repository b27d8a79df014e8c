import copy
import pickle
from types import MappingProxyType

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paca.result import ErrorKind, Result, ResultError

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=10,
)


def test_positional_success_and_failure_forms() -> None:
    ok = Result(True, {"test": 1})
    assert ok.is_success
    assert ok.data == {"test": 1}
    assert ok.error is None
    assert ok.kind is None
    failed = Result(False, None, "message")
    assert not failed.is_success
    assert failed.data is None
    assert failed.error == "message"
    assert failed.kind is ErrorKind.UNKNOWN


def test_ok_and_fail_build_the_same_values_as_the_constructor() -> None:
    assert Result.ok(3) == Result(True, 3)
    assert Result.ok() == Result(True, None)
    assert Result.fail("boom", ErrorKind.TIMEOUT) == Result(False, None, "boom", ErrorKind.TIMEOUT)


def test_failure_without_message_gets_one_from_its_kind() -> None:
    assert Result(False, kind=ErrorKind.RATE_LIMITED).error == "rate limited"
    assert Result(False).error == "unknown"


@pytest.mark.parametrize(
    "kwargs",
    [{"error": "x"}, {"kind": ErrorKind.QUERY}, {"cause": ValueError("x")}],
)
def test_success_rejects_failure_fields(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="successful Result"):
        Result(True, 1, **kwargs)  # type: ignore[arg-type]


def test_failure_rejects_data() -> None:
    with pytest.raises(ValueError, match="carries no data"):
        Result(False, 1, "x")


def test_failure_rejects_a_kind_that_is_not_an_error_kind() -> None:
    with pytest.raises(TypeError, match="ErrorKind, not str"):
        Result(False, None, "x", "timeout")  # type: ignore[arg-type]


def test_result_is_immutable() -> None:
    r = Result.ok(1)
    with pytest.raises(AttributeError, match="immutable"):
        r.data = 2  # type: ignore[misc]
    with pytest.raises(AttributeError, match="immutable"):
        del r.data  # type: ignore[misc]
    with pytest.raises(TypeError):
        r.meta["x"] = 1  # type: ignore[index]


def test_meta_is_a_read_only_copy() -> None:
    source = {"attempts": 2}
    r = Result.ok(1, meta=source)
    source["attempts"] = 3
    assert r.meta == {"attempts": 2}
    assert isinstance(r.meta, MappingProxyType)
    assert Result.ok(1).meta == {}
    proxy = MappingProxyType({"a": 1})
    assert Result.ok(1, meta=proxy).meta is proxy


def test_cause_is_kept_but_out_of_repr_eq_hash_and_pickle() -> None:
    secret_error = ValueError("password=hunter2")
    a = Result.fail("db down", ErrorKind.CONNECTION, cause=secret_error)
    b = Result.fail("db down", ErrorKind.CONNECTION)
    assert a.cause is secret_error
    assert a == b
    assert hash(a) == hash(b)
    assert "hunter2" not in repr(a)
    restored = pickle.loads(pickle.dumps(a))
    assert restored == b
    assert restored.cause is None


def test_repr_is_short_and_informative() -> None:
    assert repr(Result.ok(1)) == "Result(ok, data=1)"
    assert repr(Result.ok(1, meta={"attempts": 2})) == "Result(ok, data=1, meta={'attempts': 2})"
    assert repr(Result.fail("gone", ErrorKind.NOT_FOUND)) == (
        "Result(failed, kind=not_found, error='gone')"
    )
    assert len(repr(Result.ok("x" * 10_000))) < 120


def test_equality_with_other_types_is_not_implemented() -> None:
    assert Result.ok(1) != (True, 1)
    assert Result.ok(1).__eq__(1) is NotImplemented


def test_unwrap_returns_data_or_raises_typed_error_chained_to_cause() -> None:
    assert Result.ok([1]).unwrap() == [1]
    cause = ConnectionResetError("reset")
    failed = Result.fail("lost", ErrorKind.CONNECTION, cause=cause, meta={"host": "db1"})
    with pytest.raises(ResultError) as info:
        failed.unwrap()
    assert info.value.kind is ErrorKind.CONNECTION
    assert info.value.error == "lost"
    assert info.value.meta == {"host": "db1"}
    assert info.value.__cause__ is cause
    assert str(info.value) == "[connection] lost"


def test_unwrap_or_and_map() -> None:
    assert Result.ok(2).unwrap_or(0) == 2
    assert Result.fail("x").unwrap_or(0) == 0
    mapped = Result.ok(2, meta={"latency": 0.1}).map(lambda v: v * 10)
    assert mapped == Result.ok(20, meta={"latency": 0.1})
    failed = Result.fail("x", ErrorKind.AUTH)
    assert failed.map(lambda v: v) is failed


def test_with_meta_merges_and_keeps_everything_else() -> None:
    cause = OSError("x")
    r = Result.fail("x", ErrorKind.TIMEOUT, cause=cause, meta={"a": 1}).with_meta(b=2, a=3)
    assert r.meta == {"a": 3, "b": 2}
    assert r.kind is ErrorKind.TIMEOUT
    assert r.cause is cause


def test_copy_and_deepcopy() -> None:
    r = Result.ok({"k": [1]}, meta={"m": 1})
    assert copy.copy(r) == r
    deep = copy.deepcopy(r)
    assert deep == r
    assert deep.data is not r.data


def test_unhashable_data_makes_the_result_unhashable_like_a_tuple() -> None:
    with pytest.raises(TypeError):
        hash(Result.ok([1]))


@given(json_values)
def test_success_round_trips_through_pickle_and_unwrap(value: object) -> None:
    r = Result.ok(value, meta={"n": 1})
    assert pickle.loads(pickle.dumps(r)) == r
    assert r.unwrap() == value
    assert r.unwrap_or(object()) == value


@given(st.text(), st.sampled_from(list(ErrorKind)))
def test_any_failure_unwraps_to_its_kind(message: str, kind: ErrorKind) -> None:
    r = Result.fail(message, kind)
    assert r.error == message
    with pytest.raises(ResultError) as info:
        r.unwrap()
    assert info.value.kind is kind
    assert repr(r).startswith(f"Result(failed, kind={kind.value}")
