"""Demo step: ``Result``, ``ErrorKind`` and ``Secret`` from ``paca-result``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from paca.integrations._demo._expect import expect
from paca.result import ErrorKind, Result, ResultError, Secret, redact_url

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["run"]


def _parse_port(text: str) -> Result[int]:
    if not text.isdigit() or not 0 < int(text) < 65536:
        return Result.fail(f"not a TCP port: {text!r}", ErrorKind.VALIDATION)
    return Result.ok(int(text), meta={"source": "demo"})


async def run(say: Callable[[str], None]) -> None:
    """Show successes, typed failures, unwrapping and secret redaction."""
    good, bad = _parse_port("5432"), _parse_port("http")
    say(f"{good!r}")
    say(f"{bad!r}  retryable={bad.kind is not None and bad.kind.is_retryable}")
    expect(good.unwrap() == 5432, "unwrap() returns the data of a success")
    expect(bad.unwrap_or(5432) == 5432, "unwrap_or() returns the default for a failure")
    try:
        bad.unwrap()
    except ResultError as exc:
        say(f"unwrap() on a failure raises ResultError: {exc}")
        expect(exc.kind is ErrorKind.VALIDATION, "ResultError carries the failure's kind")
    else:
        expect(False, "unwrap() on a failure raises")
    password = Secret("hunter2")
    dsn = f"postgresql://app:{password.reveal()}@db.internal:5432/prod"
    say(f"a Secret prints as {password}; a DSN prints as {redact_url(dsn)}")
    expect("hunter2" not in repr(password), "a Secret never prints its value")
    expect("hunter2" not in redact_url(dsn), "redact_url masks the password")
