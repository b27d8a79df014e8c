"""Circuit breakers, rate limiters, retries, bulkheads and timeouts for asyncio.

Each component works in one process (``MemoryStore``, the default) or is shared by many
processes through Redis (``RedisStore``: one atomic Lua script per decision, Redis ``TIME`` as
the clock). Every component takes ``clock=``; tests drive a :class:`FakeClock` instead of
sleeping. ``Pipeline`` composes them in one order per call: timeout → rate limiter → bulkhead →
breaker → retry (with its per-attempt timeout).

Raising APIs (``call``, ``async with``) raise the exception tree below; every ``execute``
returns a :class:`paca.result.Result` instead and never raises for an outside failure::

    ResilienceError                 kind, retry_after
    ├── CircuitOpenError            the breaker rejected the call
    ├── RateLimitedError            the limiter did not admit the call in time
    └── BulkheadFullError           no concurrency slot or queue place

Bad configuration raises ``ValueError`` naming the parameter, at construction.
"""

from paca.resilience._backoff import decorrelated_jitter, full_jitter
from paca.resilience._breaker import CircuitBreaker
from paca.resilience._breaker_config import (
    DEFAULT_FAILURE_KINDS,
    BreakerConfig,
    BreakerState,
    WindowType,
)
from paca.resilience._breaker_events import (
    BreakerEvent,
    BreakerMetrics,
    BreakerStateChanged,
    BreakerStoreFailed,
    CallRejected,
)
from paca.resilience._budget import RetryBudget
from paca.resilience._bulkhead import Bulkhead, BulkheadRejected, BulkheadStats
from paca.resilience._clock import Clock, FakeClock, MonotonicClock
from paca.resilience._errors import (
    BulkheadFullError,
    CircuitOpenError,
    RateLimitedError,
    ResilienceError,
    classify,
    failure_from,
)
from paca.resilience._limiter import RateLimiter
from paca.resilience._limiter_algorithms import Decision
from paca.resilience._limiter_events import (
    RateLimiterEvent,
    RateLimitHeadersAdopted,
    RateLimitRejected,
    RateLimitStoreFailed,
)
from paca.resilience._limiter_headers import RateLimitInfo, parse_rate_limit_headers
from paca.resilience._listeners import Listeners
from paca.resilience._pipeline import Pipeline
from paca.resilience._retry import Backoff, RetryEvent, RetryGaveUp, RetryPolicy, RetryScheduled
from paca.resilience._retry_after import parse_retry_after
from paca.resilience._store import FailureMode, MemoryStore, RedisStore, Store
from paca.resilience._timeout import Timeout

__all__ = [
    # time
    "Clock",
    "MonotonicClock",
    "FakeClock",
    # shared state
    "Store",
    "MemoryStore",
    "RedisStore",
    "FailureMode",
    # errors
    "ResilienceError",
    "CircuitOpenError",
    "RateLimitedError",
    "BulkheadFullError",
    "classify",
    "failure_from",
    # listeners (for packages that emit events the same way)
    "Listeners",
    # circuit breaker
    "CircuitBreaker",
    "BreakerConfig",
    "BreakerState",
    "WindowType",
    "DEFAULT_FAILURE_KINDS",
    "BreakerMetrics",
    "BreakerEvent",
    "BreakerStateChanged",
    "CallRejected",
    "BreakerStoreFailed",
    # rate limiter
    "RateLimiter",
    "Decision",
    "RateLimitInfo",
    "parse_rate_limit_headers",
    "RateLimiterEvent",
    "RateLimitRejected",
    "RateLimitStoreFailed",
    "RateLimitHeadersAdopted",
    # retry
    "RetryPolicy",
    "RetryBudget",
    "Backoff",
    "RetryEvent",
    "RetryScheduled",
    "RetryGaveUp",
    "parse_retry_after",
    "full_jitter",
    "decorrelated_jitter",
    # bulkhead, timeout, composition
    "Bulkhead",
    "BulkheadStats",
    "BulkheadRejected",
    "Timeout",
    "Pipeline",
]
