"""How a ``CircuitBreaker`` classifies an outcome: failure, success, slow or not counted.

A mixin of :class:`~paca.resilience._breaker.CircuitBreaker` (it declares the
attributes it reads); the codes are those of
:mod:`paca.resilience._breaker_machine`.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from paca.resilience._breaker_machine import FAILURE, SLOW, SUCCESS
from paca.resilience._errors import classify
from paca.result import ErrorKind, Result

if TYPE_CHECKING:
    from collections.abc import Callable

    from paca.resilience._breaker_config import BreakerConfig

__all__ = ["IGNORED", "BreakerOutcomes"]

IGNORED = -1  # not counted: cancelled, ignored, or no outcome
_log = logging.getLogger("paca.resilience")


class BreakerOutcomes:
    """Outcome codes for exceptions and returned values (a mixin)."""

    __slots__ = ()

    name: str
    config: BreakerConfig
    _slow: float | None
    _now: Callable[[], float]

    def _exc_code(self, exc: BaseException) -> int:
        if not isinstance(exc, Exception):
            return IGNORED  # CancelledError, KeyboardInterrupt, SystemExit, GeneratorExit
        config = self.config
        if config.ignore_exceptions and isinstance(exc, config.ignore_exceptions):
            return IGNORED
        predicate = config.record_exception
        if predicate is None:
            return FAILURE if classify(exc) in config.failure_kinds else SUCCESS
        try:
            return FAILURE if predicate(exc) else SUCCESS
        except Exception:
            _log.exception("record_exception of breaker %r failed on %r", self.name, exc)
            return FAILURE

    def _value_code(self, value: object) -> int:
        config = self.config
        if isinstance(value, Result) and not value.is_success and value.kind is ErrorKind.CANCELLED:
            return IGNORED
        predicate = config.record_result
        if predicate is not None:
            try:
                return FAILURE if predicate(value) else SUCCESS
            except Exception:
                _log.exception("record_result of breaker %r failed on %r", self.name, value)
                return FAILURE
        if isinstance(value, Result) and not value.is_success:
            return FAILURE if value.kind in config.failure_kinds else SUCCESS
        return SUCCESS

    def _slowed(self, code: int, start: float) -> int:
        if code >= 0 and self._slow is not None and self._now() - start >= self._slow:
            return code | SLOW
        return code
