"""Query batching: several operations in ONE HTTP request (a JSON array of request objects).

The server answers with an array of responses in the same order (Apollo Server, Strawberry
with ``batching_config``, graphql-python servers...). Pure helpers: the client sends the array
through its one pipeline and :func:`split_batch` turns the answer into one ``Result`` each.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from paca.graphql._client_send import POST_ENDPOINT, base_meta, label
from paca.graphql._operation import build_payload
from paca.graphql._response import graphql_result
from paca.result import ErrorKind, Result

if TYPE_CHECKING:
    from collections.abc import Mapping

    from paca.graphql._client_send import CallState
    from paca.graphql._operation import Operation
    from paca.http import UniversalAPIClient
    from paca.resilience import RetryPolicy

__all__ = ["BatchOperation", "send_batch", "split_batch"]


@dataclass(frozen=True, slots=True)
class BatchOperation:
    """One operation of a batch (see ``GraphQLClient.batch``).

    Attributes:
        document: GraphQL document text.
        variables: Its variables.
        operation_name: Which operation of the document to run, when it holds several.
    """

    document: str
    variables: Mapping[str, Any] | None = None
    operation_name: str | None = None


def split_batch(
    http: Result[Any], labels: list[str], metas: list[dict[str, Any]]
) -> list[Result[Any]]:
    """Split the outcome of a batched request into one ``Result`` per operation.

    Args:
        http: What the HTTP client returned for the whole batch.
        labels: Each operation's label, in request order.
        metas: Each operation's base ``meta``, in request order.

    Returns:
        One result per operation. A failed exchange (timeout, 5xx...) fails each operation with
        the same kind; an answer that is not an array of the right length fails each with
        ``VALIDATION`` (the server probably does not support batching).
    """
    body = http.data if http.is_success else http.meta.get("body")
    if isinstance(body, list) and len(body) == len(labels):
        results = []
        for label, meta, item in zip(labels, metas, body, strict=True):
            one = Result.ok(item, meta=http.meta) if http.is_success else _with_body(http, item)
            results.append(graphql_result(one, label, meta))
        return results
    if not http.is_success:
        return [
            graphql_result(http, label, meta) for label, meta in zip(labels, metas, strict=True)
        ]
    message = "the server did not answer the batch with one response per operation"
    return [
        Result.fail(f"{label}: {message}", ErrorKind.VALIDATION, meta={**meta, "body": body})
        for label, meta in zip(labels, metas, strict=True)
    ]


def _with_body(http: Result[Any], item: Any) -> Result[Any]:
    return Result.fail(
        http.error or "request failed",
        http.kind or ErrorKind.UNKNOWN,
        cause=http.cause,
        meta={**http.meta, "body": item},
    )


async def send_batch(
    http: UniversalAPIClient,
    retry: RetryPolicy | None,
    operations: list[Operation],
    variables: list[Mapping[str, Any] | None],
    call: CallState,
) -> list[Result[Any]]:
    """POST ``operations`` as one JSON array (through ``retry`` if given); one result each."""
    payload = [build_payload(op, values) for op, values in zip(operations, variables, strict=True)]

    async def attempt() -> Result[Any]:
        call.attempts += 1
        return await http.request(
            "POST",
            POST_ENDPOINT,
            params=call.url_params,
            json=payload,
            headers=call.headers,
            timeout=call.timeout,
        )

    answer = await (retry.call(attempt) if retry is not None else attempt())
    labels = [label(op) for op in operations]
    return split_batch(answer, labels, [base_meta(op) for op in operations])
