"""Events a ``GraphQLClient`` emits to its listeners (small frozen records)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from paca.result import ErrorKind

__all__ = ["GraphQLEvent", "OperationFinished"]


@dataclass(frozen=True, slots=True)
class GraphQLEvent:
    """Base of the events of ``paca.graphql``."""


@dataclass(frozen=True, slots=True)
class OperationFinished(GraphQLEvent):
    """One GraphQL operation ended (successfully or not).

    Attributes:
        operation_name: The operation's name (``None`` when anonymous).
        operation_type: ``"query"``, ``"mutation"`` or ``"subscription"``.
        duration: Seconds from the call to its result, retries included.
        kind: ``None`` on success, else the failure's kind.
        error_codes: The ``extensions.code`` values of the GraphQL errors.
        attempts: HTTP attempts made (``0``: rejected before sending, e.g. validation).
        from_cache: Answered by the response cache.
        persisted: Sent as an automatic persisted query (hash first).
        batch_size: Operations in the HTTP request that carried it (1 when not batched).
    """

    operation_name: str | None
    operation_type: str
    duration: float
    kind: ErrorKind | None
    error_codes: tuple[str, ...] = ()
    attempts: int = 1
    from_cache: bool = False
    persisted: bool = False
    batch_size: int = 1
