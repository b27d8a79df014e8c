"""The distribution as installed: its metadata, its typing marker, its public names."""

import importlib.metadata
import importlib.resources
import sys
from pathlib import Path

import paca.resilience

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"


def test_installed_version_is_the_version_in_the_tree() -> None:
    declared = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]["version"]
    assert importlib.metadata.version("paca-resilience") == declared


def test_ships_py_typed() -> None:
    assert importlib.resources.files("paca.resilience").joinpath("py.typed").is_file()


def test_public_names_are_pinned() -> None:
    assert set(paca.resilience.__all__) == {
        "Clock", "MonotonicClock", "FakeClock",
        "Store", "MemoryStore", "RedisStore", "FailureMode",
        "ResilienceError", "CircuitOpenError", "RateLimitedError", "BulkheadFullError",
        "classify", "failure_from", "Listeners", "DEFAULT_FAILURE_KINDS",
        "CircuitBreaker", "BreakerConfig", "BreakerState", "WindowType", "BreakerMetrics",
        "BreakerEvent", "BreakerStateChanged", "CallRejected", "BreakerStoreFailed",
        "RateLimiter", "Decision", "RateLimitInfo", "parse_rate_limit_headers",
        "RateLimiterEvent", "RateLimitRejected", "RateLimitStoreFailed", "RateLimitHeadersAdopted",
        "RetryPolicy", "RetryBudget", "Backoff", "RetryEvent", "RetryScheduled", "RetryGaveUp",
        "parse_retry_after", "full_jitter", "decorrelated_jitter",
        "Bulkhead", "BulkheadStats", "BulkheadRejected", "Timeout", "Pipeline",
    }  # fmt: skip
    for name in paca.resilience.__all__:
        assert getattr(paca.resilience, name) is not None
