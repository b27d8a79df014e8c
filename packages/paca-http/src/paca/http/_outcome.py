"""How a call ends: the final ``Result`` (decoded body, meta), statistics, event and log line.

Also the two decisions about outcomes the client configures: which failures a breaker counts
(:func:`counts_as_breaker_failure`) and the default per-attempt timeout (:func:`default_timeout`).
"""

from __future__ import annotations

import logging
import os
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from multidict import istr

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
    from paca.http._route import Route

__all__ = [
    "CONTENT_TYPE",
    "JSON",
    "counts_as_breaker_failure",
    "default_timeout",
    "emit_finished",
    "failure_of",
    "finish_call",
    "log_finished",
    "recorder_of",
]

_log = logging.getLogger("paca.http")
_FROM_CACHE = frozenset({"hit", "stale"})
#: ``Content-Type`` as an ``istr`` (a lookup skips case-folding it), and the JSON media type
#: a plain call's answer is checked against before :func:`decode_body`'s general parsing.
CONTENT_TYPE = istr("Content-Type")
JSON = "application/json"


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


def recorder_of(client: Any, call: CallState, route: Route | None) -> StatsRecorder:
    """The statistics recorder of the call's entry (created on its first call; kept by a route)."""
    if route is not None:
        stats_key = route.stats_key
    else:
        request = call.request
        stats_key = request.endpoint or f"{request.method} {call.host}"
    recorder: StatsRecorder | None = client._stats.get(stats_key)
    if recorder is None:
        recorder = client._stats[stats_key] = StatsRecorder(stats_key)
        client._endpoint_hosts[stats_key] = call.host
    if route is not None:
        route.recorder = recorder
    return recorder


def finish_call(
    client: Any,
    call: CallState,
    endpoint: APIEndpoint | None,
    value: Any,
    start: float,
    cache_status: str | None,
    route: Route | None = None,
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
    recorder = (route.recorder if route is not None else None) or recorder_of(client, call, route)
    recorder.record(kind, elapsed, call.attempts, cache_status, finished)
    status = result.meta.get("status")
    if client._listening:
        emit_finished(client, call, status, kind, elapsed, cache_status)
    if _log.isEnabledFor(logging.DEBUG):
        log_finished(call, status, kind, elapsed, result)
    return result


def emit_finished(
    client: Any,
    call: CallState,
    status: int | None,
    kind: ErrorKind | None,
    elapsed: float,
    cache_status: str | None,
) -> None:
    """Give the client's listeners the call's :class:`RequestFinished` event."""
    request = call.request
    client._events.emit(
        RequestFinished(
            request.method,
            display_url(request.url, call.secrets),
            call.host,
            request.endpoint,
            status,
            kind,
            call.attempts,
            elapsed,
            cache_status,
        )
    )


def log_finished(
    call: CallState,
    status: int | None,
    kind: ErrorKind | None,
    elapsed: float,
    result: Result[Any],
) -> None:
    """The call's debug line (the caller checked that debug logging is on)."""
    _log.debug(
        "%s -> %s in %.1f ms (%d attempts)%s",
        call.label(),
        kind if status is None else status,
        elapsed * 1000,
        call.attempts,
        "" if kind is None else f": {result.error}",
    )


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
