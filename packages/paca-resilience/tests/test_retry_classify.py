"""The pure rules of what RetryPolicy retries: retry_on, kinds, Retry-After hints."""

from __future__ import annotations

import pytest

from paca.resilience._retry_classify import (
    RETRYABLE_KINDS,
    exception_test,
    kind_of,
    retry_after_of,
)
from paca.result import ErrorKind, Result


def test_default_kinds_are_the_retryable_ones() -> None:
    assert {kind for kind in ErrorKind if kind.is_retryable} == RETRYABLE_KINDS
    assert ErrorKind.CONNECTION in RETRYABLE_KINDS


def test_exception_test_accepts_types_tuples_and_predicates() -> None:
    assert exception_test(KeyError)(KeyError("k"))
    assert not exception_test(KeyError)(ValueError())
    by_tuple = exception_test((KeyError, ValueError))
    assert by_tuple(ValueError())
    assert not by_tuple(OSError())
    by_predicate = exception_test(lambda exc: "again" in str(exc))
    assert by_predicate(RuntimeError("try again"))
    assert not by_predicate(RuntimeError("no"))


@pytest.mark.parametrize("bad", [(KeyError, "x"), 3])
def test_exception_test_refuses_anything_else(bad: object) -> None:
    with pytest.raises(TypeError, match="retry_on must be exception types or a predicate"):
        exception_test(bad)  # type: ignore[arg-type]


def test_kind_of_an_error_a_failed_result_and_anything_else() -> None:
    assert kind_of(ConnectionResetError(), None) is ErrorKind.CONNECTION
    assert kind_of(None, Result.fail("busy", ErrorKind.UNAVAILABLE)) is ErrorKind.UNAVAILABLE
    assert kind_of(None, "not a result") is ErrorKind.UNKNOWN


def test_retry_after_of_reads_the_error_or_the_result_meta_and_caps() -> None:
    error = RuntimeError("slow down")
    error.retry_after = "120"  # type: ignore[attr-defined]
    assert retry_after_of(error, None, 60.0) == 60.0
    assert retry_after_of(error, None, None) == 120.0
    failed = Result.fail("busy", ErrorKind.RATE_LIMITED, meta={"retry_after": 2})
    assert retry_after_of(None, failed, 60.0) == 2.0
    assert retry_after_of(RuntimeError(), None, 60.0) is None
    assert retry_after_of(None, Result.fail("busy", ErrorKind.UNAVAILABLE), 60.0) is None
    assert retry_after_of(None, "value", 60.0) is None
