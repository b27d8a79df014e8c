import pytest

from paca.result import ErrorKind

EXPECTED = {
    "timeout", "connection", "http_status", "rate_limited", "circuit_open", "auth",
    "validation", "not_found", "conflict", "query", "integrity", "unavailable",
    "read_only", "cancelled", "unknown",
}  # fmt: skip


def test_the_taxonomy_is_the_closed_set_every_package_shares() -> None:
    assert {k.value for k in ErrorKind} == EXPECTED


@pytest.mark.parametrize("kind", list(ErrorKind))
def test_values_are_stable_strings(kind: ErrorKind) -> None:
    assert str(kind) == kind.value
    assert ErrorKind(kind.value) is kind
    assert kind == kind.value


def test_retryable_kinds() -> None:
    retryable = {k for k in ErrorKind if k.is_retryable}
    assert retryable == {
        ErrorKind.TIMEOUT,
        ErrorKind.CONNECTION,
        ErrorKind.RATE_LIMITED,
        ErrorKind.UNAVAILABLE,
        ErrorKind.READ_ONLY,
    }
