"""Token bucket and GCRA: a smooth rate with bursts (sans-I/O, see ``_limiter_algorithms``)."""

from __future__ import annotations

from ._limiter_core import EPS, Base, Blockable, Decision, admitted_table, blocked_decision, new

__all__ = ["BucketState", "Gcra", "GcraState", "TokenBucket"]

# --- token bucket -----------------------------------------------------------------------------


class BucketState(Blockable):
    """Per-key token bucket state: tokens left at ``last``."""

    __slots__ = ("last", "tokens")

    def __init__(self, tokens: float, last: float) -> None:
        super().__init__()
        self.tokens = tokens
        self.last = last


class TokenBucket(Base):
    """A bucket of ``capacity`` tokens refilled at ``rate`` tokens per second.

    Args:
        rate: Tokens added per second (> 0).
        capacity: Bucket size, the largest burst (>= 1).
    """

    __slots__ = ("_admitted", "capacity", "name", "rate")

    def __init__(self, rate: float, capacity: float) -> None:
        self.name = "token_bucket"
        self.rate = rate
        self.capacity = capacity
        self._admitted = admitted_table(capacity)

    def new_state(self, now: float) -> BucketState:
        """Return a full bucket."""
        return BucketState(self.capacity, now)

    def decide(self, state: BucketState, now: float, cost: float) -> Decision:
        """Take ``cost`` tokens if the bucket holds them."""
        if now < state.blocked:
            return blocked_decision(state.blocked, now)
        tokens = state.tokens + (now - state.last) * self.rate
        if tokens > self.capacity:  # noqa: PLR1730 - hot path: faster than min()
            tokens = self.capacity
        state.last = now
        if tokens >= cost:
            tokens -= cost
            state.tokens = tokens
            left = int(tokens + EPS)
            table = self._admitted
            return table[left] if left < len(table) else new(Decision, (True, 0.0, left))
        state.tokens = tokens
        return new(Decision, (False, (cost - tokens) / self.rate, int(tokens) if tokens > 0 else 0))

    def admit(self, state: BucketState, now: float, cost: float) -> bool:
        """Like :meth:`decide`, returning only ``allowed`` (no Decision is built)."""
        if now < state.blocked:
            return False
        tokens = state.tokens + (now - state.last) * self.rate
        if tokens > self.capacity:  # noqa: PLR1730 - hot path: faster than min()
            tokens = self.capacity
        state.last = now
        if tokens >= cost:
            state.tokens = tokens - cost
            return True
        state.tokens = tokens
        return False

    def refund(self, state: BucketState, now: float, cost: float) -> None:
        """Put ``cost`` tokens back (never above capacity)."""
        state.tokens = min(self.capacity, state.tokens + cost)

    def idle_at(self, state: BucketState) -> float:
        """When the bucket is full again."""
        return max(state.last + (self.capacity - state.tokens) / self.rate, state.blocked)


# --- GCRA -----------------------------------------------------------------------------------


class GcraState(Blockable):
    """Per-key GCRA state: the theoretical arrival time ``tat``."""

    __slots__ = ("tat",)

    def __init__(self, tat: float) -> None:
        super().__init__()
        self.tat = tat


class Gcra(Base):
    """The generic cell rate algorithm: a token bucket kept as one timestamp.

    Each unit of cost pushes the theoretical arrival time (TAT) by
    ``interval = 1 / rate``; a request is admitted when the new TAT is at most
    ``capacity * interval`` ahead of ``now``.

    Args:
        rate: Units per second (> 0).
        capacity: The largest burst (>= 1).
    """

    __slots__ = ("_admitted", "capacity", "interval", "name", "rate", "tolerance")

    def __init__(self, rate: float, capacity: float) -> None:
        self.name = "gcra"
        self.rate = rate
        self.capacity = capacity
        self.interval = 1.0 / rate
        self.tolerance = capacity * self.interval
        self._admitted = admitted_table(capacity)

    def new_state(self, now: float) -> GcraState:
        """Return a state with the whole burst available."""
        return GcraState(now)

    def decide(self, state: GcraState, now: float, cost: float) -> Decision:
        """Admit ``cost`` units if the TAT stays within the burst tolerance."""
        if now < state.blocked:
            return blocked_decision(state.blocked, now)
        tat = state.tat
        if tat < now:  # noqa: PLR1730 - hot path: faster than max()
            tat = now
        new_tat = tat + cost * self.interval
        allow_at = new_tat - self.tolerance
        if allow_at <= now:
            state.tat = new_tat
            left = int((now - allow_at) * self.rate + EPS)
            table = self._admitted
            return table[left] if left < len(table) else new(Decision, (True, 0.0, left))
        left = int((now + self.tolerance - tat) * self.rate + EPS)
        return new(Decision, (False, allow_at - now, left))

    def admit(self, state: GcraState, now: float, cost: float) -> bool:
        """Like :meth:`decide`, returning only ``allowed`` (no Decision is built)."""
        if now < state.blocked:
            return False
        tat = state.tat
        if tat < now:  # noqa: PLR1730 - hot path: faster than max()
            tat = now
        new_tat = tat + cost * self.interval
        if new_tat - self.tolerance <= now:
            state.tat = new_tat
            return True
        return False

    def refund(self, state: GcraState, now: float, cost: float) -> None:
        """Pull the TAT back by ``cost`` units (never before ``now``)."""
        state.tat = max(now, state.tat - cost * self.interval)

    def idle_at(self, state: GcraState) -> float:
        """When the TAT is in the past (the whole burst is available)."""
        return max(state.tat, state.blocked)
