"""How a call ends: the final ``Result`` (decoded body, meta), statistics, event and log line.

Also the two decisions about outcomes the client configures: which failures a breaker counts
(:func:`counts_as_breaker_failure`) and the default per-attempt timeout (:func:`default_timeout`).
"""

from __future__ import annotations

import logging
import os
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from paca.http._decode import BodyDecodeError, decode_body
from paca.http._exchange import RawResponse
from paca.http._http_events import RequestFinished
from paca.http._send import CallState, display_url, status_failure
from paca.http._stats import StatsRecorder, now
from paca.http._status import is_breaker_failure_status, kind_for_status
from paca.resilience import DEFAULT_FAILURE_KINDS, failure_from
from paca.result import ErrorKind, Result, redact

if TYPE_CHECKING:
    from paca.http._endpoint import APIEndpoint

__all__ = ["counts_as_breaker_failure", "default_timeout", "failure_of", "finish_call"]

_log = logging.getLogger("paca.http")
_FROM_CACHE = frozenset({"hit", "stale"})


def default_timeout() -> float:
    """Seconds per attempt: ``API_TIMEOUT`` from the environment, else 30."""
    raw = os.environ.get("API_TIMEOUT")
    try:
        value = float(raw) if raw else 30.0
    except ValueError:
        value = 30.0
    return value if value > 0 else 30.0


def counts_as_breaker_failure(value: object) -> bool:
    """Decide whether a call's outcome counts as a breaker failure (its ``record_result``).

    5xx, 408, 429 and transport failures count; other 4xx and unavailable credentials do not.
    """
    if not isinstance(value, Result) or value.is_success:
        return False
    meta = value.meta
    if meta.get("auth_unavailable"):
        return False
    status = meta.get("status")
    if status is not None:
        return is_breaker_failure_status(status)
    return value.kind in DEFAULT_FAILURE_KINDS


def finish_call(
    client: Any,
    call: CallState,
    endpoint: APIEndpoint | None,
    value: Any,
    start: float,
    cache_status: str | None,
) -> Result[Any]:
    """Build the final ``Result`` of a call; record statistics, emit the event, log."""
    finished = now()
    elapsed = finished - start
    request = call.request
    if call.raw is not None and isinstance(value, Result):
        value = call.raw  # an HTTP failure: build the final Result from the response
    meta: dict[str, Any] = {
        "attempts": call.attempts,
        "elapsed": elapsed,
        "from_cache": cache_status in _FROM_CACHE,
        "endpoint": request.endpoint,
        "method": request.method,
    }
    if cache_status is not None:
        meta["cache"] = cache_status
    if call.auth_retries:
        meta["auth_retries"] = call.auth_retries
    if isinstance(value, RawResponse):
        result = _from_response(call, value, meta)
    else:
        failed: Result[Any] = value
        meta["url"] = display_url(request.url, call.secrets)
        meta.update(failed.meta)
        meta["attempts"] = call.attempts
        result = Result.fail(
            failed.error or "request failed",
            failed.kind or ErrorKind.UNKNOWN,
            cause=failed.cause,
            meta=meta,
        )
    kind = result.kind
    stats_key = request.endpoint or f"{request.method} {call.host}"
    recorder = client._stats.get(stats_key)
    if recorder is None:
        recorder = client._stats[stats_key] = StatsRecorder(stats_key)
        client._endpoint_hosts[stats_key] = call.host
    recorder.record(kind, elapsed, call.attempts, cache_status, finished)
    if client._events:
        client._events.emit(
            RequestFinished(
                request.method,
                display_url(request.url, call.secrets),
                call.host,
                request.endpoint,
                result.meta.get("status"),
                kind,
                call.attempts,
                elapsed,
                cache_status,
            )
        )
    if _log.isEnabledFor(logging.DEBUG):
        _log.debug(
            "%s -> %s in %.1f ms (%d attempts)%s",
            call.label(),
            result.meta.get("status", kind),
            elapsed * 1000,
            call.attempts,
            "" if kind is None else f": {result.error}",
        )
    return result


def failure_of(exc: Exception, secrets: tuple[str, ...]) -> Result[Any]:
    """The failed ``Result`` of an exception raised by a call (its message redacted)."""
    failed = failure_from(exc)
    if secrets and failed.error is not None:
        clean = redact(failed.error, *secrets)
        if clean != failed.error:
            kind = failed.kind or ErrorKind.UNKNOWN
            return Result.fail(clean, kind, cause=exc, meta=failed.meta)
    return failed


def _from_response(call: CallState, raw: RawResponse, meta: dict[str, Any]) -> Result[Any]:
    status = raw.status
    meta["status"] = status
    meta["headers"] = raw.headers
    kind = None if 200 <= status < 300 else kind_for_status(status)
    try:
        data = decode_body(raw.body, raw.headers.get("Content-Type"))
    except BodyDecodeError as exc:
        if kind is None:
            meta["url"] = display_url(raw.url, call.secrets)
            return Result.fail(f"{call.label()}: {exc}", ErrorKind.VALIDATION, cause=exc, meta=meta)
        data = raw.body
    if kind is None:
        # a read-only view of this call's own dict: what Result.ok would build, minus a copy
        return Result.ok(data, meta=MappingProxyType(meta))
    meta["url"] = display_url(raw.url, call.secrets)
    meta["body"] = data
    return status_failure(call, raw, kind, meta)
