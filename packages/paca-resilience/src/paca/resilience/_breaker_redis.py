"""The Redis backend of the circuit breaker: one Lua script, one round trip per decision.

Keys (the ``{name}`` hash tag keeps them in one Redis Cluster slot):

* ``<prefix>:breaker:{name}``: hash with ``state``, ``version`` (incremented on
  every transition, the compare-and-set token of outcomes), ``open_until``
  (ms), ``opens`` (consecutive openings), ``since`` (half-open start, ms),
  ``pd``/``pf``/``ps`` (probes done/failed/slow), ``consec``, ``np``
  (not-permitted count) and the window totals ``wt``/``wf``/``ws``, ring
  position ``wp`` and newest second ``wh``.
* ``<prefix>:breaker:{name}:win``: hash holding the window. Count window: a
  ring, field ``<i>`` = outcome code of slot ``i``. Time window: per-second
  buckets, fields ``t<i>``/``f<i>``/``s<i>`` for bucket ``second % size``.
* ``<prefix>:breaker:{name}:leases``: sorted set of half-open probe leases,
  member = call token, score = expiry (ms). Expired leases are dropped before
  counting, so a crashed process frees its slot after ``probe_lease_duration``.

The script reads the time with Redis ``TIME`` (milliseconds), so every process
shares one clock. ``time_override`` (tests only) sends a clock's reading
instead, which lets the same deterministic tests run against Redis.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from paca.resilience._breaker_config import BreakerConfig, BreakerState, WindowType

if TYPE_CHECKING:
    import random

    from paca.resilience._clock import Clock
    from paca.resilience._store import RedisStore

__all__ = ["RedisBreakerBackend", "RedisReply"]

_SCRIPT = """
local S, W, L = KEYS[1], KEYS[2], KEYS[3]
local op = ARGV[1]
local wtime = ARGV[2] == 'time'
local wsize, minc = tonumber(ARGV[3]), tonumber(ARGV[4])
local fthr, sthr, climit = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
local base, mult, cap = tonumber(ARGV[8]), tonumber(ARGV[9]), tonumber(ARGV[10])
local permits, maxhalf, lease = tonumber(ARGV[11]), tonumber(ARGV[12]), tonumber(ARGV[13])
local now
if ARGV[14] ~= '' then
  now = tonumber(ARGV[14])
else
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local jf = tonumber(ARGV[15])
local h = redis.call('HMGET', S, 'state', 'version', 'open_until', 'opens', 'since', 'pd', 'pf',
  'ps', 'consec', 'np', 'wt', 'wf', 'ws', 'wp', 'wh')
local st = h[1] or 'closed'
local ver, ou, opens = tonumber(h[2] or '0'), tonumber(h[3] or '0'), tonumber(h[4] or '0')
local since, pd, pf = tonumber(h[5] or '0'), tonumber(h[6] or '0'), tonumber(h[7] or '0')
local ps, consec, np = tonumber(h[8] or '0'), tonumber(h[9] or '0'), tonumber(h[10] or '0')
local wt, wf, ws = tonumber(h[11] or '0'), tonumber(h[12] or '0'), tonumber(h[13] or '0')
local wp, wh = tonumber(h[14] or '0'), tonumber(h[15] or '')
local dirty, code, retry, events = false, 0, -1, {}

local function to(new, reason, dur)
  for _, v in ipairs({st, new, reason, tostring(dur or -1)}) do events[#events + 1] = v end
  st, ver, pd, pf, ps, dirty = new, ver + 1, 0, 0, 0, true
  redis.call('DEL', L)
end
local function open(reason)
  opens = opens + 1
  local d = base * (mult ^ (opens - 1)) * jf
  if cap > 0 and d > cap then d = cap end
  ou = now + d
  to('open', reason, d)
end
local function reset_window()
  redis.call('DEL', W)
  wt, wf, ws, wp, wh, consec = 0, 0, 0, 0, nil, 0
end
local function advance()
  local sec = math.floor(now / 1000)
  if wh == nil then
    wh, dirty = sec, true
  elseif sec > wh then
    dirty = true
    for s = wh + 1, wh + math.min(sec - wh, wsize) do
      local i = s % wsize
      local b = redis.call('HMGET', W, 't' .. i, 'f' .. i, 's' .. i)
      wt = wt - tonumber(b[1] or '0')
      wf = wf - tonumber(b[2] or '0')
      ws = ws - tonumber(b[3] or '0')
      redis.call('HDEL', W, 't' .. i, 'f' .. i, 's' .. i)
    end
    wh = sec
  else
    sec = wh
  end
  return sec % wsize
end
local function add(c)
  local f, s = c % 2, math.floor(c / 2)
  if wtime then
    local i = advance()
    redis.call('HINCRBY', W, 't' .. i, 1)
    if f == 1 then redis.call('HINCRBY', W, 'f' .. i, 1) end
    if s == 1 then redis.call('HINCRBY', W, 's' .. i, 1) end
    wt = wt + 1
  else
    if wt == wsize then
      local old = tonumber(redis.call('HGET', W, wp) or '0')
      wf, ws = wf - old % 2, ws - math.floor(old / 2)
    else
      wt = wt + 1
    end
    redis.call('HSET', W, wp, c)
    wp = (wp + 1) % wsize
  end
  wf, ws, dirty = wf + f, ws + s, true
  if f == 1 then consec = consec + 1 else consec = 0 end
end
local function half_open_expired()
  if maxhalf > 0 and now - since >= maxhalf then
    open('half_open_timeout')
    return true
  end
  return false
end
local function reject()
  np, dirty, code = np + 1, true, 0
end

if op == 'acquire' then
  if st == 'closed' or st == 'disabled' or st == 'metrics_only' then
    code = 1
  elseif st == 'forced_open' then
    reject()
  else
    if st == 'open' and now >= ou then
      since = now
      to('half_open', 'open_duration_elapsed')
    end
    if st == 'open' then
      reject()
      retry = ou - now
    elseif half_open_expired() then
      reject()
      retry = ou - now
    else
      redis.call('ZREMRANGEBYSCORE', L, '-inf', now)
      if redis.call('ZCARD', L) + pd < permits then
        redis.call('ZADD', L, now + lease, ARGV[16])
        code = 2
      else
        reject()
        retry = 0
      end
    end
  end
elseif op == 'record' then
  local c, released = tonumber(ARGV[17]), 0
  if ARGV[18] ~= '' then released = redis.call('ZREM', L, ARGV[18]) end
  if tonumber(ARGV[16]) == ver and c >= 0 then
    if st == 'closed' then
      add(c)
      if climit > 0 and consec >= climit then
        open('consecutive_failures')
      elseif wf > 0 or ws > 0 then
        if wtime then advance() end
        if wt >= minc then
          if wf * 100 >= fthr * wt then open('failure_rate')
          elseif ws * 100 >= sthr * wt then open('slow_call_rate') end
        end
      end
    elseif st == 'metrics_only' then
      add(c)
    elseif st == 'half_open' and released == 1 and not half_open_expired() then
      pd, pf, ps, dirty = pd + 1, pf + c % 2, ps + math.floor(c / 2), true
      if pd >= permits then
        if pf * 100 >= fthr * pd or ps * 100 >= sthr * pd then
          open('probes_failed')
        else
          reset_window()
          opens = 0
          to('closed', 'probes_succeeded')
        end
      end
    end
  end
elseif op == 'transition' then
  local target = ARGV[16]
  if target == 'closed' then
    reset_window()
    opens = 0
    to('closed', 'reset')
  else
    to(target, target)
  end
elseif wtime then
  advance()
end

if dirty then
  redis.call('HSET', S, 'state', st, 'version', ver, 'open_until', ou, 'opens', opens,
    'since', since, 'pd', pd, 'pf', pf, 'ps', ps, 'consec', consec, 'np', np,
    'wt', wt, 'wf', wf, 'ws', ws, 'wp', wp)
  if wh ~= nil then
    redis.call('HSET', S, 'wh', wh)
  elseif wtime then
    redis.call('HDEL', S, 'wh')
  end
end
local reply = {code, ver, st, tostring(retry), wt, wf, ws, np, consec, tostring(now)}
for _, v in ipairs(events) do reply[#reply + 1] = v end
return reply
"""


@dataclass(frozen=True, slots=True)
class RedisReply:
    """What one script run answered.

    Attributes:
        code: ``acquire``: 0 rejected, 1 admitted, 2 admitted as a half-open
            probe holding a lease. Other operations: 0.
        version: The state version after the run.
        state: The state after the run.
        retry_after: Seconds until admission may succeed, ``None`` if unknown.
        calls: Calls in the window.
        failed: Failures in the window.
        slow: Slow calls in the window.
        not_permitted: Rejections so far, across every process.
        consecutive: Failures in a row.
        now: The script's clock reading, in seconds.
        transitions: ``(previous, state, reason, open_duration)`` per transition.
    """

    code: int
    version: int
    state: BreakerState
    retry_after: float | None
    calls: int
    failed: int
    slow: int
    not_permitted: int
    consecutive: int
    now: float
    transitions: tuple[tuple[BreakerState, BreakerState, str, float | None], ...]


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _parse(raw: list[Any]) -> RedisReply:
    retry_ms = float(_text(raw[3]))
    events = [_text(v) for v in raw[10:]]
    transitions = []
    for i in range(0, len(events) - 3, 4):
        duration_ms = float(events[i + 3])
        transitions.append(
            (
                BreakerState(events[i]),
                BreakerState(events[i + 1]),
                events[i + 2],
                duration_ms / 1000 if duration_ms >= 0 else None,
            )
        )
    return RedisReply(
        code=int(raw[0]),
        version=int(raw[1]),
        state=BreakerState(_text(raw[2])),
        retry_after=max(0.0, retry_ms / 1000) if retry_ms >= 0 else None,
        calls=int(raw[4]),
        failed=int(raw[5]),
        slow=int(raw[6]),
        not_permitted=int(raw[7]),
        consecutive=int(raw[8]),
        now=float(_text(raw[9])) / 1000,
        transitions=tuple(transitions),
    )


class RedisBreakerBackend:
    """Runs the breaker script against one breaker's keys.

    Args:
        store: The Redis store.
        name: The breaker's name (the key's hash tag).
        config: The breaker's configuration, sent with every run.
        rng: Random source for the open-duration jitter.
        time_override: Tests only: send this clock's reading (as ms) instead
            of letting the script read Redis ``TIME``.
    """

    __slots__ = ("_base_args", "_config", "_keys", "_rng", "_store", "_time")

    def __init__(
        self,
        store: RedisStore,
        name: str,
        config: BreakerConfig,
        rng: random.Random,
        time_override: Clock | None = None,
    ) -> None:
        if any(c in name for c in "{}"):
            msg = f"name must not contain braces with a Redis store, got {name!r}"
            raise ValueError(msg)
        base = store.key("breaker", "{" + name + "}")
        self._store = store
        self._keys = [base, base + ":win", base + ":leases"]
        self._config = config
        self._rng = rng
        self._time = time_override
        cap = config.max_open_duration
        maxhalf = config.max_half_open_duration
        self._base_args: list[Any] = [
            "time" if config.window_type is WindowType.TIME else "count",
            config.window_size,
            config.minimum_calls,
            config.failure_rate_threshold,
            config.slow_call_rate_threshold,
            config.consecutive_failures or 0,
            config.open_duration * 1000,
            config.open_duration_multiplier,
            cap * 1000 if cap is not None else 0,
            config.half_open_permits,
            maxhalf * 1000 if maxhalf is not None else 0,
            config.probe_lease_duration * 1000,
        ]

    @property
    def keys(self) -> list[str]:
        """The three keys of this breaker (state, window, leases)."""
        return list(self._keys)

    async def _run(self, op: str, *extra: Any) -> RedisReply:
        now = "" if self._time is None else repr(self._time.now() * 1000)
        jitter = self._config.open_duration_jitter
        factor = 1 + jitter * (2 * self._rng.random() - 1) if jitter else 1.0
        args = [op, *self._base_args, now, repr(factor), *extra]
        return _parse(await self._store.run(_SCRIPT, self._keys, args))

    async def acquire(self, token: str) -> RedisReply:
        """Ask for a permit; in half-open, take a probe lease named ``token``."""
        return await self._run("acquire", token)

    async def record(self, version: int, code: int, token: str) -> RedisReply:
        """Report outcome ``code`` (``-1``: ignored) of a call admitted at ``version``."""
        return await self._run("record", version, code, token)

    async def transition(self, state: BreakerState) -> RedisReply:
        """Move the shared breaker to ``state`` by hand."""
        return await self._run("transition", state.value)

    async def read(self) -> RedisReply:
        """Read the shared state without changing it."""
        return await self._run("read")
