"""Circuit breakers, rate limiters, retries, bulkheads and timeouts for asyncio.

Circuit breakers, rate limiters, retries, bulkheads and timeouts for asyncio, in memory or
shared through Redis.

This package is being built: its public names (CircuitBreaker, RateLimiter, RetryPolicy,
Bulkhead, Timeout, Pipeline) arrive with the issue that implements them.
"""

__all__: list[str] = []
