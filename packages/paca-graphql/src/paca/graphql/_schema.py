"""Schemas for local validation: from SDL, from an introspection result, or a ready object.

Validation runs graphql-core's ``validate`` against the schema; the outcome is cached per
document text, so a document is validated once per schema, not once per call.
"""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from graphql import (
    GraphQLError,
    GraphQLSchema,
    build_client_schema,
    build_schema,
    get_introspection_query,
    validate,
)

if TYPE_CHECKING:
    from paca.graphql._operation import Operation

__all__ = ["INTROSPECTION_QUERY", "SchemaValidator", "load_schema", "schema_from_introspection"]

#: The introspection query the client sends (descriptions left out: validation needs none).
INTROSPECTION_QUERY = get_introspection_query(descriptions=False)


def load_schema(source: str | Path | GraphQLSchema) -> GraphQLSchema:
    """Build a schema from SDL text, an SDL file, or return a ``GraphQLSchema`` as is.

    Raises:
        ValueError: The SDL does not build a valid schema.
        TypeError: ``source`` is none of the accepted types.
    """
    if isinstance(source, GraphQLSchema):
        return source
    if isinstance(source, Path):
        source = source.read_text(encoding="utf-8")
    if not isinstance(source, str):
        msg = f"schema must be SDL text, a Path or a GraphQLSchema, got {type(source).__name__}"
        raise TypeError(msg)
    try:
        return build_schema(source)
    except (GraphQLError, TypeError) as exc:
        msg = f"invalid schema SDL: {exc}"
        raise ValueError(msg) from None


def schema_from_introspection(data: Any) -> GraphQLSchema:
    """Build a client schema from the ``data`` of an introspection query.

    Raises:
        ValueError: ``data`` is not an introspection result.
    """
    if not isinstance(data, dict) or "__schema" not in data:
        msg = "not an introspection result (no __schema)"
        raise ValueError(msg)
    try:
        return build_client_schema(data)  # type: ignore[arg-type]
    except (GraphQLError, TypeError, KeyError) as exc:
        msg = f"invalid introspection result: {exc}"
        raise ValueError(msg) from None


class SchemaValidator:
    """Validate operations against one schema, remembering each document's verdict.

    Args:
        schema: The schema.
        max_documents: How many documents' verdicts are kept (least recently used go).
    """

    __slots__ = ("_max", "_verdicts", "schema")

    def __init__(self, schema: GraphQLSchema, max_documents: int = 512) -> None:
        self.schema = schema
        self._max = max_documents
        self._verdicts: OrderedDict[str, tuple[str, ...]] = OrderedDict()

    def errors(self, operation: Operation) -> tuple[str, ...]:
        """The validation error messages of ``operation``'s document (empty: valid)."""
        key = operation.document
        verdict = self._verdicts.get(key)
        if verdict is not None:
            self._verdicts.move_to_end(key)
            return verdict
        verdict = tuple(error.message for error in validate(self.schema, operation.node))
        self._verdicts[key] = verdict
        if len(self._verdicts) > self._max:
            self._verdicts.popitem(last=False)
        return verdict
