"""Lua twins of the limiter algorithms: one atomic script, one round trip per decision.

Each script mirrors its Python algorithm in ``_limiter_algorithms`` with
Redis ``TIME`` as the clock, in integer microseconds (exact in a double up to
year 2255). Per-key state is one hash (``prefix:ratelimit:<name>:<key>``)
whose TTL is set to the moment the key would be back to a full budget, so
idle keys vanish by themselves. A block from a server's headers is the
``blk`` field of the same hash, checked first by every script.

Floats cross the Lua boundary as ``%.17g`` strings (a Lua number returned
to Redis would be truncated to an integer).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from redis.exceptions import RedisError

from ._limiter_algorithms import Decision, FixedWindow, Gcra, SlidingWindow, TokenBucket
from ._store import FailureMode

if TYPE_CHECKING:
    from collections.abc import Callable

    from ._clock import Clock
    from ._limiter_algorithms import Algorithm
    from ._store import RedisStore

__all__ = ["REDIS_FAILURES", "RedisLimiterBackend"]

REDIS_FAILURES: tuple[type[BaseException], ...] = (
    ConnectionError,
    TimeoutError,
    OSError,
    RedisError,
)
"""What counts as "Redis failed" (the limiter then fails open or closed)."""

_PRELUDE = """
if redis.replicate_commands then redis.replicate_commands() end
local function F(x) return string.format('%.17g', x) end
local key = KEYS[1]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
"""

_TOKEN_BUCKET = (
    _PRELUDE
    + """
local rate, cap, cost = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local v = redis.call('HMGET', key, 'tk', 'ts', 'blk')
local blk = tonumber(v[3])
if blk and now < blk then return {0, F(blk - now), 0, 1} end
local tokens = tonumber(v[1]) or cap
local ts = tonumber(v[2]) or now
tokens = math.min(cap, tokens + math.max(0, now - ts) * rate)
if tokens < cost then return {0, F((cost - tokens) / rate), math.floor(tokens + 1e-9)} end
tokens = tokens - cost
redis.call('HSET', key, 'tk', F(tokens), 'ts', F(now))
redis.call('PEXPIRE', key, math.ceil((cap - tokens) / rate / 1000) + 1)
return {1, '0', math.floor(tokens + 1e-9)}
"""
)

_GCRA = (
    _PRELUDE
    + """
local interval, tol, cost = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local v = redis.call('HMGET', key, 'tat', 'blk')
local blk = tonumber(v[2])
if blk and now < blk then return {0, F(blk - now), 0, 1} end
local tat = tonumber(v[1]) or now
if tat < now then tat = now end
local new_tat = tat + cost * interval
local allow_at = new_tat - tol
if allow_at > now then
  return {0, F(allow_at - now), math.max(0, math.floor((now + tol - tat + 1) / interval))}
end
redis.call('HSET', key, 'tat', F(new_tat))
redis.call('PEXPIRE', key, math.ceil((new_tat - now) / 1000) + 1)
return {1, '0', math.floor((now - allow_at + 1) / interval)}
"""
)

_FIXED_WINDOW = (
    _PRELUDE
    + """
local window, limit, cost = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local v = redis.call('HMGET', key, 'ws', 'c', 'blk')
local blk = tonumber(v[3])
if blk and now < blk then return {0, F(blk - now), 0, 1} end
local start = now - (now % window)
local count = 0
if tonumber(v[1]) == start then count = tonumber(v[2]) or 0 end
if count + cost > limit then
  return {0, F(start + window - now), math.floor(limit - count + 1e-9)}
end
count = count + cost
redis.call('HSET', key, 'ws', F(start), 'c', F(count))
redis.call('PEXPIRE', key, math.ceil((start + window - now) / 1000) + 1)
return {1, '0', math.floor(limit - count + 1e-9)}
"""
)

_SLIDING_WINDOW = (
    _PRELUDE
    + """
local window, limit, cost = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local v = redis.call('HMGET', key, 'ws', 'c', 'p', 'blk')
local blk = tonumber(v[4])
if blk and now < blk then return {0, F(blk - now), 0, 1} end
local start = now - (now % window)
local ws, c, p = tonumber(v[1]), tonumber(v[2]) or 0, tonumber(v[3]) or 0
if ws == nil then
  c, p = 0, 0
elseif ws ~= start then
  if start - ws <= window * 1.5 then p = c else p = 0 end
  c = 0
end
local elapsed = now - start
local weighted = p * (1 - elapsed / window)
if weighted + c + cost > limit then
  local room = limit - c - cost
  local wait
  if room >= 0 and p > 0 then
    wait = window * (1 - room / p) - elapsed
  else
    wait = window - elapsed
    if c > 0 then wait = wait + math.max(0, window * (1 - (limit - cost) / c)) end
  end
  return {0, F(wait), math.floor(math.max(0, limit - weighted - c) + 1e-9)}
end
c = c + cost
redis.call('HSET', key, 'ws', F(start), 'c', F(c), 'p', F(p))
redis.call('PEXPIRE', key, math.ceil((start + 2 * window - now) / 1000) + 1)
return {1, '0', math.floor(limit - weighted - c + 1e-9)}
"""
)

_BLOCK = (
    _PRELUDE
    + """
local duration = tonumber(ARGV[1])
local untl = now + duration
local current = tonumber(redis.call('HGET', key, 'blk') or '0') or 0
if untl > current then redis.call('HSET', key, 'blk', F(untl)) end
local need = math.ceil(duration / 1000) + 1
if redis.call('PTTL', key) < need then redis.call('PEXPIRE', key, need) end
return 1
"""
)

_US = 1_000_000.0


_OPEN = Decision(True, 0.0, 0)
_CLOSED = Decision(False, None, 0)


class RedisLimiterBackend:
    """Runs one algorithm's Lua twin against a :class:`~paca.resilience.RedisStore`.

    Redis failures (:data:`REDIS_FAILURES`) never escape: they are reported to
    ``on_failure(key, operation, exc)`` and answered per ``failure_mode``.

    Args:
        store: Where the state lives.
        algorithm: The configured Python algorithm this backend mirrors.
        name: The limiter's name (part of every key).
        failure_mode: Admit or reject when Redis fails.
        clock: What ``acquire`` sleeps on.
        on_failure: Told about each Redis failure.
    """

    __slots__ = ("_args", "_clock", "_name", "_on_failure", "_source", "_store", "failure_mode")

    def __init__(
        self,
        store: RedisStore,
        algorithm: Algorithm[Any],
        name: str,
        failure_mode: FailureMode,
        clock: Clock,
        on_failure: Callable[[str, str, BaseException], None],
    ) -> None:
        self._store = store
        self._name = name
        self.failure_mode = failure_mode
        self._clock = clock
        self._on_failure = on_failure
        if isinstance(algorithm, TokenBucket):
            self._source = _TOKEN_BUCKET
            self._args = [repr(algorithm.rate / _US), repr(float(algorithm.capacity))]
        elif isinstance(algorithm, Gcra):
            self._source = _GCRA
            interval = algorithm.interval * _US
            self._args = [repr(interval), repr(algorithm.capacity * interval)]
        elif isinstance(algorithm, SlidingWindow):  # before FixedWindow: it is a subclass
            self._source = _SLIDING_WINDOW
            self._args = [repr(algorithm.window * _US), repr(float(algorithm.capacity))]
        elif isinstance(algorithm, FixedWindow):
            self._source = _FIXED_WINDOW
            self._args = [repr(algorithm.window * _US), repr(float(algorithm.capacity))]
        else:  # pragma: no cover - the limiter only builds the four above
            msg = f"no Redis script for {algorithm!r}"
            raise TypeError(msg)

    def key(self, key: str) -> str:
        """The Redis key holding ``key``'s state."""
        return self._store.key("ratelimit", self._name, key)

    async def decide(self, key: str, cost: float) -> tuple[Decision, str]:
        """Take ``cost`` units from ``key`` atomically, in one round trip.

        Returns:
            The decision, and why a denial happened: ``"limit"``,
            ``"blocked"`` (a block from headers) or ``"store_unavailable"``.
        """
        try:
            reply = await self._store.run(
                self._source, [self.key(key)], [*self._args, repr(float(cost))]
            )
        except REDIS_FAILURES as exc:
            self._on_failure(key, "acquire", exc)
            failed_open = self.failure_mode is FailureMode.FAIL_OPEN
            return (_OPEN if failed_open else _CLOSED), "store_unavailable"
        if reply[0]:
            return Decision(True, 0.0, int(reply[2])), "limit"
        wait = max(0.0, float(reply[1]) / _US)
        return Decision(False, wait, max(0, int(reply[2]))), "blocked" if len(
            reply
        ) > 3 else "limit"

    async def acquire(self, key: str, cost: float, timeout: float | None) -> tuple[Decision, str]:
        """Sleep ``retry_after`` and try again until admitted or past ``timeout``.

        Gives up at once when the wait needed would end after the deadline,
        or when Redis fails closed (``retry_after`` is then ``None``).
        """
        now = self._clock.now
        deadline = None if timeout is None else now() + timeout
        while True:
            decision, reason = await self.decide(key, cost)
            wait = decision.retry_after
            if decision.allowed or wait is None:
                return decision, reason
            if deadline is not None and now() + wait > deadline:
                return decision, reason
            await self._clock.sleep(max(wait, 1e-6))

    async def block(self, key: str, seconds: float) -> bool:
        """Make ``key`` admit nothing for ``seconds`` (never shortens a longer block).

        Returns:
            Whether Redis recorded the block (``False``: Redis failed).
        """
        try:
            await self._store.run(_BLOCK, [self.key(key)], [repr(seconds * _US)])
        except REDIS_FAILURES as exc:
            self._on_failure(key, "block", exc)
            return False
        return True
