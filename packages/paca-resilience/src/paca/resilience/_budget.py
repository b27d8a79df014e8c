"""``RetryBudget``: one token bucket that several retry policies draw from.

A retry costs one token; a successful call deposits a fraction of a token;
an optional trickle refills the bucket over time. During an outage nothing
succeeds, the bucket drains and retries stop, so retries cannot multiply the
load on a service that is already down (the idea behind Finagle's and
Envoy's retry budgets). First attempts never need a token.

The budget lives in this process's memory; share one instance between the
policies that call the same dependency.
"""

from __future__ import annotations

import math

from paca.resilience._clock import Clock, MonotonicClock

__all__ = ["RetryBudget"]


class RetryBudget:
    """A token bucket for retries, shared by any number of ``RetryPolicy``.

    Args:
        capacity: The most tokens the bucket holds (and holds at start):
            how many retries a burst may use. Must be ``>= 1``.
        deposit_per_success: Tokens a successful call adds (``0.1`` lets
            one retry through per ten successes). Must be in ``[0, 1]``.
        refill_per_second: Tokens added per second of clock time whatever
            happens, a floor that keeps a trickle of retries going
            (``0`` turns it off). Must be ``>= 0``.
        initial: Tokens at start (default: ``capacity``).
        clock: The time source for the refill (default ``MonotonicClock()``).

    Raises:
        ValueError: If a parameter is out of range; the message names it.

    Example:
        >>> budget = RetryBudget(capacity=2, deposit_per_success=0.5)
        >>> budget.try_withdraw(), budget.try_withdraw(), budget.try_withdraw()
        (True, True, False)
        >>> budget.deposit()
        ... budget.deposit()
        ... budget.try_withdraw()
        True
    """

    __slots__ = ("_capacity", "_clock", "_deposit", "_last", "_refill", "_tokens")

    def __init__(
        self,
        capacity: float = 10.0,
        *,
        deposit_per_success: float = 0.1,
        refill_per_second: float = 0.0,
        initial: float | None = None,
        clock: Clock | None = None,
    ) -> None:
        if not (math.isfinite(capacity) and capacity >= 1):
            msg = f"capacity must be a finite number >= 1, got {capacity!r}"
            raise ValueError(msg)
        if not 0 <= deposit_per_success <= 1:
            msg = f"deposit_per_success must be in [0, 1], got {deposit_per_success!r}"
            raise ValueError(msg)
        if not (math.isfinite(refill_per_second) and refill_per_second >= 0):
            msg = f"refill_per_second must be a finite number >= 0, got {refill_per_second!r}"
            raise ValueError(msg)
        if initial is not None and not 0 <= initial <= capacity:
            msg = f"initial must be in [0, capacity], got {initial!r}"
            raise ValueError(msg)
        self._capacity = float(capacity)
        self._deposit = float(deposit_per_success)
        self._refill = float(refill_per_second)
        self._tokens = self._capacity if initial is None else float(initial)
        self._clock: Clock = clock if clock is not None else MonotonicClock()
        self._last = self._clock.now()

    @property
    def capacity(self) -> float:
        """The most tokens the bucket holds."""
        return self._capacity

    @property
    def tokens(self) -> float:
        """Tokens available now (after the time-based refill)."""
        self._catch_up()
        return self._tokens

    def try_withdraw(self, cost: float = 1.0) -> bool:
        """Take ``cost`` tokens for a retry if the bucket holds them.

        Args:
            cost: Tokens one retry costs.

        Returns:
            ``True`` if the retry may go ahead, ``False`` if the budget is
            spent (nothing is taken then).
        """
        self._catch_up()
        if self._tokens + 1e-9 >= cost:
            self._tokens = max(0.0, self._tokens - cost)
            return True
        return False

    def deposit(self, amount: float | None = None) -> None:
        """Add tokens after a success (default ``deposit_per_success``).

        Args:
            amount: Tokens to add; the bucket never exceeds ``capacity``.
        """
        add = self._deposit if amount is None else amount
        if add > 0:
            self._tokens = min(self._capacity, self._tokens + add)

    def _catch_up(self) -> None:
        if self._refill:
            now = self._clock.now()
            elapsed = now - self._last
            self._last = now
            if elapsed > 0:
                self._tokens = min(self._capacity, self._tokens + elapsed * self._refill)

    def __repr__(self) -> str:
        return f"RetryBudget(tokens={self.tokens:.2f}, capacity={self._capacity:g})"
