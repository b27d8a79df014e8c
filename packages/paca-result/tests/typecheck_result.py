"""Checked by mypy --strict (lint env), never run: pins how the public API types."""

from __future__ import annotations

from typing import Any

from typing_extensions import assert_type

from paca.result import ErrorKind, Result, Secret


def rows() -> Result[list[dict[str, Any]]]:
    if ErrorKind.TIMEOUT.is_retryable:
        return Result.fail("slow", ErrorKind.TIMEOUT)  # a failure fits any Result[T]
    return Result.ok([{"id": 1}])


def check() -> None:
    r = rows()
    assert_type(r.data, "list[dict[str, Any]] | None")
    assert_type(r.unwrap(), "list[dict[str, Any]]")
    assert_type(r.unwrap_or([]), "list[dict[str, Any]]")
    assert_type(r.map(len), "Result[int]")
    assert_type(Result.ok(), "Result[None]")
    assert_type(Result.ok("x").unwrap_or(None), "str | None")
    assert_type(Secret("k").reveal(), "str")
    assert_type(Secret(b"k").reveal(), "bytes")
    positional: Result[int] = Result(False, None, "message")
    assert_type(positional.kind, "ErrorKind | None")
