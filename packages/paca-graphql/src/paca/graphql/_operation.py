"""GraphQL documents: parsing (cached), operation name and type, APQ hashing, request payloads.

Pure code, no I/O. A document string is parsed once with gql (graphql-core underneath) and
the outcome is kept in a small LRU, so a client sending the same document again pays a dict
lookup, not a parse.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Literal

from gql import gql

from graphql import GraphQLError, OperationDefinitionNode

if TYPE_CHECKING:
    from collections.abc import Mapping

    from graphql import DocumentNode

__all__ = [
    "DocumentError",
    "Operation",
    "OperationType",
    "apq_hash",
    "build_payload",
    "parse_operation",
]

OperationType = Literal["query", "mutation", "subscription"]


class DocumentError(ValueError):
    """A document that does not parse, or names no (or an unknown) operation."""


@dataclass(frozen=True, slots=True)
class Operation:
    """One parsed GraphQL operation.

    Attributes:
        document: The document text as given.
        node: The parsed document (graphql-core AST).
        name: The operation's name (``None`` for an anonymous operation).
        type: ``"query"``, ``"mutation"`` or ``"subscription"``.
        sha256: The hex SHA-256 of ``document`` (the automatic persisted query hash).
        multiple: The document holds several operations (``operationName`` must be sent).
    """

    document: str
    node: DocumentNode = field(repr=False, compare=False)
    name: str | None
    type: OperationType
    sha256: str = field(repr=False)
    multiple: bool = False


def apq_hash(document: str) -> str:
    """The automatic persisted query hash of ``document`` (hex SHA-256 of its UTF-8 text)."""
    return hashlib.sha256(document.encode("utf-8")).hexdigest()


@lru_cache(maxsize=512)
def _parse(document: str, operation_name: str | None) -> Operation:
    try:
        node = gql(document).document
    except GraphQLError as exc:
        raise DocumentError(f"document does not parse: {exc.message}") from None
    operations = [d for d in node.definitions if isinstance(d, OperationDefinitionNode)]
    if not operations:
        msg = "document holds no operation"
        raise DocumentError(msg)
    if operation_name is None:
        if len(operations) > 1:
            msg = "document holds several operations: pass operation_name"
            raise DocumentError(msg)
        chosen = operations[0]
    else:
        named = [op for op in operations if op.name is not None and op.name.value == operation_name]
        if not named:
            msg = f"document has no operation named {operation_name!r}"
            raise DocumentError(msg)
        chosen = named[0]
    kind: OperationType = chosen.operation.value
    return Operation(
        document,
        node,
        chosen.name.value if chosen.name is not None else None,
        kind,
        apq_hash(document),
        len(operations) > 1,
    )


def parse_operation(document: str, operation_name: str | None = None) -> Operation:
    """Parse ``document`` and pick its operation (cached per document and name).

    Args:
        document: GraphQL document text.
        operation_name: Which operation to run when the document holds several.

    Returns:
        The :class:`Operation`.

    Raises:
        DocumentError: A syntax error, no operation, several operations without
            ``operation_name``, or no operation of that name.
        TypeError: ``document`` is not a string.
    """
    if not isinstance(document, str):
        msg = f"document must be a str, got {type(document).__name__}"
        raise TypeError(msg)
    return _parse(document, operation_name)


def build_payload(
    operation: Operation,
    variables: Mapping[str, Any] | None,
    extensions: Mapping[str, Any] | None = None,
    *,
    persisted: bool = False,
    include_query: bool = True,
) -> dict[str, Any]:
    """Build the GraphQL-over-HTTP request object of one operation.

    Args:
        operation: The parsed operation.
        variables: Its variables (omitted when ``None`` or empty).
        extensions: Request extensions, merged with ``persistedQuery`` when ``persisted``.
        persisted: Add ``extensions.persistedQuery`` (version 1, the SHA-256 hash).
        include_query: Send the document text (``False``: hash only, the first APQ try).

    Returns:
        A JSON-ready dict: ``query``, ``variables``, ``operationName``, ``extensions``.
    """
    payload: dict[str, Any] = {}
    if include_query:
        payload["query"] = operation.document
    if variables:
        payload["variables"] = dict(variables)
    if operation.name is not None:
        payload["operationName"] = operation.name
    merged: dict[str, Any] = dict(extensions) if extensions else {}
    if persisted:
        merged["persistedQuery"] = {"version": 1, "sha256Hash": operation.sha256}
    if merged:
        payload["extensions"] = merged
    return payload
