"""Pools of API keys: which key to hand out next, and which keys are resting (pure logic).

A :class:`KeyPool` holds several keys and hands one out per call, by one of three strategies:

* ``"round_robin"``: the keys in turn, skipping resting ones;
* ``"least_used"``: the available key handed out the fewest times (ties: pool order);
* ``"weighted"``: smooth weighted round-robin (the nginx algorithm): with weights 5, 1, 1
  the order is ``a a b a c a a``, deterministic and evenly spread.

A key rests in one of two ways: a *cooldown* (its quota is spent: it comes back by itself when
the time is up) or a *quarantine* (the server rejected it: it comes back when
:meth:`KeyPool.restore` is called, or after a given time). Every time comes from the injected
:class:`~paca.resilience.Clock`; nothing here does I/O. What a response means for a key is
decided by ``paca.http._auth_schemes.assess_response``, also pure.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, TypeAlias, get_args

from paca.http._auth_protocol import CredentialsUnavailable
from paca.resilience import MonotonicClock
from paca.result import Secret

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    from paca.resilience import Clock

__all__ = ["KeyPool", "KeyStatus", "KeyStrategy", "keys_from_env"]

KeyStrategy: TypeAlias = Literal["round_robin", "least_used", "weighted"]
_STRATEGIES: tuple[str, ...] = get_args(KeyStrategy)
_FOREVER = math.inf


@dataclass(frozen=True, slots=True)
class KeyStatus:
    """One key of a pool as it stands now (no secret).

    Attributes:
        fingerprint: The key's fingerprint.
        state: ``"available"``, ``"cooling_down"`` or ``"quarantined"``.
        available_in: Seconds until it is handed out again (``0.0`` when available,
            ``None`` when quarantined until restored).
        uses: How many times it was handed out.
        weight: Its weight (used by the ``"weighted"`` strategy).
    """

    fingerprint: str
    state: str
    available_in: float | None
    uses: int
    weight: float


class _Slot:
    __slots__ = ("cool_until", "current", "fingerprint", "quarantine_until", "secret", "uses")

    def __init__(self, secret: Secret[str]) -> None:
        self.secret = secret
        self.fingerprint = secret.fingerprint()
        self.uses = 0
        self.cool_until = -_FOREVER
        self.quarantine_until = -_FOREVER
        self.current = 0.0  # smooth weighted round-robin state

    def free_at(self) -> float:
        return max(self.cool_until, self.quarantine_until)


class KeyPool:
    """Several keys for one API, handed out by a strategy, resting when the server says so.

    Example:
        >>> from paca.resilience import FakeClock
        >>> pool = KeyPool(["k1", "k2"], clock=FakeClock())
        >>> first, second = pool.acquire(), pool.acquire()
        >>> first[0].reveal(), second[0].reveal()
        ('k1', 'k2')
        >>> pool.cool_down(first[1], 30.0)
        True
        >>> pool.acquire()[0].reveal()
        'k2'
    """

    def __init__(
        self,
        keys: Iterable[Secret[str] | str],
        *,
        strategy: KeyStrategy = "round_robin",
        weights: Sequence[float] | None = None,
        clock: Clock | None = None,
        name: str = "default",
    ) -> None:
        """Create a pool.

        Args:
            keys: The keys, as plain strings or :class:`~paca.result.Secret` values; at least
                one, no duplicates, none empty.
            strategy: ``"round_robin"``, ``"least_used"`` or ``"weighted"``.
            weights: One positive weight per key (default: 1 each).
            clock: The clock for cooldowns and quarantines (default: monotonic time).
            name: A label for events and logs.

        Raises:
            ValueError: On an empty pool, an empty or duplicate key, a bad weight or an
                unknown strategy (the message names keys by fingerprint only).
        """
        if strategy not in _STRATEGIES:
            msg = f"strategy must be one of {', '.join(_STRATEGIES)}, got {strategy!r}"
            raise ValueError(msg)
        secrets = [k if isinstance(k, Secret) else Secret(k) for k in keys]
        if not secrets:
            msg = f"key pool {name!r} needs at least one key"
            raise ValueError(msg)
        slots = [_Slot(s) for s in secrets]
        seen: set[str] = set()
        for slot in slots:
            if not slot.secret:
                msg = f"key pool {name!r} got an empty key"
                raise ValueError(msg)
            if slot.fingerprint in seen:
                msg = f"key pool {name!r} got the key {slot.fingerprint} twice"
                raise ValueError(msg)
            seen.add(slot.fingerprint)
        chosen = [1.0] * len(slots) if weights is None else [float(w) for w in weights]
        if len(chosen) != len(slots):
            msg = f"weights has {len(chosen)} values for {len(slots)} keys"
            raise ValueError(msg)
        if not all(math.isfinite(w) and w > 0 for w in chosen):
            msg = f"weights must be finite and positive, got {chosen!r}"
            raise ValueError(msg)
        self._slots = slots
        self._weights = chosen
        self._by_fingerprint = {slot.fingerprint: slot for slot in slots}
        self._strategy: KeyStrategy = strategy
        self._clock: Clock = clock if clock is not None else MonotonicClock()
        self._name = name
        self._cursor = 0

    @property
    def name(self) -> str:
        """The pool's label."""
        return self._name

    @property
    def strategy(self) -> KeyStrategy:
        """The selection strategy."""
        return self._strategy

    @property
    def fingerprints(self) -> tuple[str, ...]:
        """The keys' fingerprints, in pool order."""
        return tuple(slot.fingerprint for slot in self._slots)

    def __len__(self) -> int:
        return len(self._slots)

    def __contains__(self, fingerprint: object) -> bool:
        return fingerprint in self._by_fingerprint

    def acquire(self, prefer: str | None = None) -> tuple[Secret[str], str]:
        """Hand out the next key by the strategy and count one use of it.

        Args:
            prefer: The fingerprint of a key to hand out if it is available (a retry after a
                network error keeps its key); the strategy's turn order is left as it is.

        Returns:
            The key and its fingerprint.

        Raises:
            CredentialsUnavailable: Every key is cooling down or quarantined;
                ``retry_after`` is the time until the first one comes back (``None`` when all
                are quarantined until restored).
        """
        now = self._clock.now()
        preferred = None if prefer is None else self._by_fingerprint.get(prefer)
        if preferred is not None and preferred.free_at() <= now:
            preferred.uses += 1
            return preferred.secret, preferred.fingerprint
        index = self._pick(now, commit=True)
        if index is None:
            retry_after = self.retry_after()
            waiting = "unknown" if retry_after is None else f"{retry_after:g} s"
            msg = (
                f"all {len(self._slots)} keys of key pool {self._name!r} are cooling down or "
                f"quarantined (next one free in {waiting})"
            )
            raise CredentialsUnavailable(msg, retry_after=retry_after)
        slot = self._slots[index]
        slot.uses += 1
        return slot.secret, slot.fingerprint

    def peek(self) -> str | None:
        """Return the fingerprint :meth:`acquire` would hand out now, changing nothing."""
        index = self._pick(self._clock.now(), commit=False)
        return None if index is None else self._slots[index].fingerprint

    def cool_down(self, fingerprint: str, seconds: float) -> bool:
        """Rest a key for ``seconds`` from now (a longer rest already set is kept).

        Returns:
            Whether the key is in this pool.
        """
        slot = self._by_fingerprint.get(fingerprint)
        if slot is None:
            return False
        slot.cool_until = max(slot.cool_until, self._clock.now() + max(0.0, seconds))
        return True

    def quarantine(self, fingerprint: str, seconds: float | None = None) -> bool:
        """Take a key out until :meth:`restore`, or for ``seconds`` from now.

        Returns:
            Whether the key is in this pool.
        """
        slot = self._by_fingerprint.get(fingerprint)
        if slot is None:
            return False
        until = _FOREVER if seconds is None else self._clock.now() + max(0.0, seconds)
        slot.quarantine_until = max(slot.quarantine_until, until)
        return True

    def restore(self, fingerprint: str) -> bool:
        """End a key's cooldown and quarantine now.

        Returns:
            Whether the key is in this pool.
        """
        slot = self._by_fingerprint.get(fingerprint)
        if slot is None:
            return False
        slot.cool_until = slot.quarantine_until = -_FOREVER
        return True

    def retry_after(self) -> float | None:
        """Seconds until some key is available: ``0.0`` if one is now, ``None`` if never."""
        now = self._clock.now()
        earliest = min(slot.free_at() for slot in self._slots)
        if earliest <= now:
            return 0.0
        return None if math.isinf(earliest) else earliest - now

    def status(self) -> list[KeyStatus]:
        """Every key's state, in pool order."""
        now = self._clock.now()
        found = []
        for slot, weight in zip(self._slots, self._weights, strict=True):
            if slot.quarantine_until > now:
                state = "quarantined"
            elif slot.cool_until > now:
                state = "cooling_down"
            else:
                state = "available"
            free_at = slot.free_at()
            available_in = None if math.isinf(free_at) and free_at > 0 else max(0.0, free_at - now)
            found.append(KeyStatus(slot.fingerprint, state, available_in, slot.uses, weight))
        return found

    def _pick(self, now: float, *, commit: bool) -> int | None:
        ready = [i for i, slot in enumerate(self._slots) if slot.free_at() <= now]
        if not ready:
            return None
        if self._strategy == "least_used":
            return min(ready, key=lambda i: (self._slots[i].uses, i))
        if self._strategy == "weighted":
            return self._pick_weighted(ready, commit=commit)
        size = len(self._slots)
        index = min(ready, key=lambda i: (i - self._cursor) % size)
        if commit:
            self._cursor = (index + 1) % size
        return index

    def _pick_weighted(self, ready: list[int], *, commit: bool) -> int:
        slots, weights = self._slots, self._weights
        index = max(ready, key=lambda i: (slots[i].current + weights[i], -i))
        if commit:
            for i in ready:
                slots[i].current += weights[i]
            slots[index].current -= sum(weights[i] for i in ready)
        return index

    def __repr__(self) -> str:
        now = self._clock.now()
        free = sum(1 for slot in self._slots if slot.free_at() <= now)
        return (
            f"KeyPool(name={self._name!r}, strategy={self._strategy!r}, "
            f"keys={len(self._slots)}, available={free})"
        )


def keys_from_env(
    *names: str, separator: str = ",", environ: Mapping[str, str] | None = None
) -> list[Secret[str]]:
    """Read keys from environment variables, each holding one key or several.

    ``MY_API_KEYS=k1,k2,k3`` gives three keys; blanks around keys and empty items are dropped.

    Args:
        *names: The variable names, at least one.
        separator: What separates keys in one variable.
        environ: Where to read (default ``os.environ``).

    Returns:
        The keys, in order.

    Raises:
        ValueError: No name given, a variable is unset, or no key was found (the message
            names variables, never values).
    """
    if not names:
        msg = "give at least one environment variable name"
        raise ValueError(msg)
    env = os.environ if environ is None else environ
    keys: list[Secret[str]] = []
    for variable in names:
        raw = env.get(variable)
        if raw is None:
            msg = f"environment variable {variable} is not set"
            raise ValueError(msg)
        keys.extend(Secret(part.strip()) for part in raw.split(separator) if part.strip())
    if not keys:
        msg = f"no API key found in {', '.join(names)}"
        raise ValueError(msg)
    return keys
