"""Per-endpoint call statistics: counts, error kinds, latency percentiles, retries, cache hits.

Recording a call is a handful of integer updates and one append to a bounded ring of recent
latencies; percentiles are computed only when :func:`snapshot` is asked for.
"""

from __future__ import annotations

import math
import time
from collections import deque
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping

    from paca.result import ErrorKind

__all__ = ["EndpointStats", "StatsRecorder"]

#: Latencies kept per endpoint for the percentiles (the most recent ones).
LATENCY_WINDOW = 2048


@dataclass(frozen=True, slots=True)
class EndpointStats:
    """A snapshot of one endpoint's statistics.

    Attributes:
        name: The endpoint name (``"METHOD host"`` for calls made by path).
        count: Calls finished.
        successes: Calls that returned a successful ``Result``.
        failures: Calls that returned a failed ``Result``.
        errors: Failures by ``ErrorKind`` value.
        latency_p50: Median seconds per call over the recent window (``0.0`` without calls).
        latency_p95: 95th percentile, seconds.
        latency_p99: 99th percentile, seconds.
        throughput: Calls per second between the first and the last call.
        retries: Attempts beyond the first, summed over calls.
        cache_hits: Calls answered from the cache (``hit`` or ``stale``).
        cache_lookups: Calls that went through the cache.
        breaker_state: The state of the breaker of the endpoint's host, if any.
    """

    name: str
    count: int
    successes: int
    failures: int
    errors: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    latency_p50: float = 0.0
    latency_p95: float = 0.0
    latency_p99: float = 0.0
    throughput: float = 0.0
    retries: int = 0
    cache_hits: int = 0
    cache_lookups: int = 0
    breaker_state: str | None = None

    @property
    def cache_hit_rate(self) -> float:
        """Hits per cache lookup (``0.0`` without lookups)."""
        return self.cache_hits / self.cache_lookups if self.cache_lookups else 0.0

    @property
    def success_rate(self) -> float:
        """Successes per call (``0.0`` without calls)."""
        return self.successes / self.count if self.count else 0.0


def _percentile(ordered: list[float], q: float) -> float:
    if not ordered:
        return 0.0
    index = max(0, math.ceil(q * len(ordered)) - 1)  # nearest-rank
    return ordered[index]


class StatsRecorder:
    """The live counters of one endpoint (not thread-safe; one event loop)."""

    __slots__ = (
        "cache_hits",
        "cache_lookups",
        "count",
        "errors",
        "first",
        "last",
        "latencies",
        "name",
        "retries",
        "successes",
    )

    def __init__(self, name: str) -> None:
        self.name = name
        self.count = 0
        self.successes = 0
        self.retries = 0
        self.cache_hits = 0
        self.cache_lookups = 0
        self.errors: dict[str, int] = {}
        self.latencies: deque[float] = deque(maxlen=LATENCY_WINDOW)
        self.first = 0.0
        self.last = 0.0

    def record(
        self,
        kind: ErrorKind | None,
        elapsed: float,
        attempts: int,
        cache: str | None,
        now: float,
    ) -> None:
        """Count one finished call."""
        if not self.count:
            self.first = now - elapsed
        self.count += 1
        self.last = now
        if kind is None:
            self.successes += 1
        else:
            self.errors[kind.value] = self.errors.get(kind.value, 0) + 1
        if attempts > 1:
            self.retries += attempts - 1
        if cache is not None:
            self.cache_lookups += 1
            if cache in ("hit", "stale"):
                self.cache_hits += 1
        self.latencies.append(elapsed)

    def record_success(self, elapsed: float, now: float) -> None:
        """Count one call that succeeded at its first attempt without a cache.

        What ``record(None, elapsed, 1, None, now)`` does, without the branches it skips.
        """
        if not self.count:
            self.first = now - elapsed
        self.count += 1
        self.successes += 1
        self.last = now
        self.latencies.append(elapsed)

    def snapshot(self, breaker_state: str | None = None) -> EndpointStats:
        """Return the current statistics."""
        ordered = sorted(self.latencies)
        span = self.last - self.first
        return EndpointStats(
            name=self.name,
            count=self.count,
            successes=self.successes,
            failures=self.count - self.successes,
            errors=MappingProxyType(dict(self.errors)),
            latency_p50=_percentile(ordered, 0.50),
            latency_p95=_percentile(ordered, 0.95),
            latency_p99=_percentile(ordered, 0.99),
            throughput=self.count / span if span > 0 else 0.0,
            retries=self.retries,
            cache_hits=self.cache_hits,
            cache_lookups=self.cache_lookups,
            breaker_state=breaker_state,
        )


#: Monotonic seconds (statistics only; no decision reads it). ``time.perf_counter`` itself,
#: not a wrapper: it is read twice per call.
now = time.perf_counter
