"""``Result[T]``: the value every PACA I/O call returns instead of raising."""

from __future__ import annotations

import reprlib
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Generic, NoReturn, TypeVar, cast, overload

from paca.result._kind import ErrorKind

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

__all__ = ["Result", "ResultError"]

T_co = TypeVar("T_co", covariant=True)
U = TypeVar("U")

_EMPTY_META: Mapping[str, Any] = MappingProxyType({})
_repr = reprlib.Repr()
_repr.maxstring = 80
_repr.maxother = 80
_set = object.__setattr__
_new = object.__new__


def _field(index: int, doc: str) -> Any:
    return property(lambda self: self._v[index], doc=doc)


def _freeze(meta: Mapping[str, Any] | None) -> Mapping[str, Any]:
    if not meta:
        return _EMPTY_META
    if isinstance(meta, MappingProxyType):
        return meta
    return MappingProxyType(dict(meta))


class ResultError(Exception):
    """Raised by :meth:`Result.unwrap` on a failed result.

    Attributes:
        kind: The :class:`ErrorKind` of the failure.
        error: The failure message.
        meta: The failed result's metadata.

    The original exception, if any, is chained as ``__cause__``.
    """

    def __init__(self, error: str, kind: ErrorKind, meta: Mapping[str, Any] | None = None) -> None:
        super().__init__(error)
        self.error = error
        self.kind = kind
        self.meta: Mapping[str, Any] = _freeze(meta)

    def __str__(self) -> str:
        return f"[{self.kind.value}] {self.error}"


class Result(Generic[T_co]):
    """The outcome of an operation: a value, or a typed failure.

    ``Result(True, data)`` is a success, ``Result(False, None, "message")`` a
    failure; :meth:`ok` and :meth:`fail` say the same more clearly. A result is
    immutable.

    Attributes:
        is_success: ``True`` for a success.
        data: The value of a success; ``None`` for a failure.
        error: The message of a failure; ``None`` for a success.
        kind: The :class:`ErrorKind` of a failure (``UNKNOWN`` when not
            given); ``None`` for a success.
        cause: The exception behind a failure, if any. Kept for debugging and
            chained by :meth:`unwrap`; it takes no part in ``repr``, ``==``,
            hashing or pickling, since driver exceptions can hold parameters.
        meta: Read-only facts about the call: ``attempts``, ``latency``,
            ``from_cache``, ``host``, ``status``, ``retry_after``... Each package
            documents the keys it sets.

    Example:
        >>> r = Result.ok([1, 2]).map(len)
        >>> r.unwrap()
        2
        >>> Result.fail("no route", ErrorKind.CONNECTION).unwrap_or(0)
        0
    """

    # All six fields live in one tuple: building a Result is one allocation and one slot
    # store, which keeps it cheap on the hot paths that return one per call.
    __slots__ = ("_v",)

    _v: tuple[
        bool, T_co | None, str | None, ErrorKind | None, BaseException | None, Mapping[str, Any]
    ]

    if TYPE_CHECKING:

        @property
        def is_success(self) -> bool: ...
        @property
        def data(self) -> T_co | None: ...
        @property
        def error(self) -> str | None: ...
        @property
        def kind(self) -> ErrorKind | None: ...
        @property
        def cause(self) -> BaseException | None: ...
        @property
        def meta(self) -> Mapping[str, Any]: ...

    else:
        is_success = _field(0, "``True`` for a success.")
        data = _field(1, "The value of a success; ``None`` for a failure.")
        error = _field(2, "The message of a failure; ``None`` for a success.")
        kind = _field(3, "The ErrorKind of a failure; ``None`` for a success.")
        cause = _field(4, "The exception behind a failure, if any.")
        meta = _field(5, "Read-only facts about the call.")

    def __init__(
        self,
        is_success: bool,
        data: T_co | None = None,
        error: str | None = None,
        kind: ErrorKind | None = None,
        cause: BaseException | None = None,
        meta: Mapping[str, Any] | None = None,
    ) -> None:
        if is_success:
            if error is not None or kind is not None or cause is not None:
                msg = "a successful Result takes no error, kind or cause"
                raise ValueError(msg)
        else:
            if data is not None:
                msg = "a failed Result carries no data; put extra facts in meta"
                raise ValueError(msg)
            if kind is None:
                kind = ErrorKind.UNKNOWN
            elif not isinstance(kind, ErrorKind):
                msg = f"kind must be an ErrorKind, not {type(kind).__name__}"
                raise TypeError(msg)
            if error is None:
                error = kind.value.replace("_", " ")
        _set(self, "_v", (bool(is_success), data, error, kind, cause, _freeze(meta)))

    @overload
    @staticmethod
    def ok(*, meta: Mapping[str, Any] | None = None) -> Result[None]: ...

    @overload
    @staticmethod
    def ok(data: U, *, meta: Mapping[str, Any] | None = None) -> Result[U]: ...

    @staticmethod
    def ok(data: Any = None, *, meta: Mapping[str, Any] | None = None) -> Result[Any]:
        """Build a success holding ``data``.

        Args:
            data: The value.
            meta: Facts about the call (attempts, latency...).

        Returns:
            A successful result.
        """
        result: Result[Any] = _new(Result)
        _set(
            result,
            "_v",
            (True, data, None, None, None, _EMPTY_META if meta is None else _freeze(meta)),
        )
        return result

    @staticmethod
    def fail(
        error: str,
        kind: ErrorKind = ErrorKind.UNKNOWN,
        *,
        cause: BaseException | None = None,
        meta: Mapping[str, Any] | None = None,
    ) -> Result[NoReturn]:
        """Build a failure.

        The result fits any ``Result[T]`` annotation.

        Args:
            error: A message for people. Never put secrets or query
                parameters in it.
            kind: What went wrong.
            cause: The exception behind the failure, kept out of ``repr``.
            meta: Facts about the call (status, attempts, retry_after...).

        Returns:
            A failed result.
        """
        return Result(False, None, error, kind, cause, meta)

    def unwrap(self) -> T_co:
        """Return the data of a success.

        Raises:
            ResultError: If the result is a failure; its ``kind`` is the
                failure's kind and the original exception is its ``__cause__``.
        """
        if self.is_success:
            return cast("T_co", self.data)
        raise ResultError(cast("str", self.error), cast("ErrorKind", self.kind), self.meta) from (
            self.cause
        )

    def unwrap_or(self, default: U) -> T_co | U:
        """Return the data of a success, or ``default`` for a failure."""
        if self.is_success:
            return cast("T_co", self.data)
        return default

    def map(self, fn: Callable[[T_co], U]) -> Result[U]:
        """Apply ``fn`` to the data of a success; pass a failure through.

        ``fn`` is the caller's code: an exception it raises propagates.
        The metadata is kept.
        """
        if self.is_success:
            return Result(True, fn(cast("T_co", self.data)), meta=self.meta)
        return cast("Result[U]", self)

    def with_meta(self, **meta: Any) -> Result[T_co]:
        """Return a copy whose metadata is updated with ``meta``."""
        merged = {**self.meta, **meta}
        return Result(self.is_success, self.data, self.error, self.kind, self.cause, merged)

    def __setattr__(self, name: str, value: object) -> NoReturn:
        msg = "Result is immutable"
        raise AttributeError(msg)

    def __delattr__(self, name: str) -> NoReturn:
        msg = "Result is immutable"
        raise AttributeError(msg)

    def _key(self) -> tuple[Any, ...]:
        v = self._v
        return (v[0], v[1], v[2], v[3], tuple(v[5].items()))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Result):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __reduce__(self) -> tuple[Any, ...]:
        meta = dict(self.meta) if self.meta else None
        return (Result, (self.is_success, self.data, self.error, self.kind, None, meta))

    def __repr__(self) -> str:
        meta = f", meta={dict(self.meta)!r}" if self.meta else ""
        if self.is_success:
            return f"Result(ok, data={_repr.repr(self.data)}{meta})"
        kind = cast("ErrorKind", self.kind).value
        return f"Result(failed, kind={kind}, error={self.error!r}{meta})"
