"""Fixtures shared by the paca-resilience tests."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

import pytest
from redis.asyncio import BlockingConnectionPool, Redis

from paca.resilience._store import RedisStore

if TYPE_CHECKING:
    from collections.abc import AsyncIterator


@pytest.fixture
async def redis_store(redis_url: str) -> AsyncIterator[RedisStore]:
    """A ``RedisStore`` on the real server, under a fresh prefix deleted afterwards."""
    # A blocking pool: with the default pool, hundreds of concurrent calls hit
    # MaxConnectionsError, which the breaker (rightly) treats as a Redis failure.
    pool = BlockingConnectionPool.from_url(redis_url, max_connections=32)
    client = Redis(connection_pool=pool)
    prefix = f"test-resilience-{uuid.uuid4().hex}"
    try:
        yield RedisStore(client, prefix=prefix)
    finally:
        keys = [key async for key in client.scan_iter(match=f"{prefix}:*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()
        await pool.aclose()
