"""A GraphQL client on gql with the whole paca-http resilience stack.

``GraphQLClient`` sends queries and mutations through one ``paca.http.UniversalAPIClient``
(auth and key pools, breaker, rate limits, stats, the response cache), retries queries (and
mutations with an idempotency key) on transport failures and retryable error codes, validates
documents locally against a schema, supports batching and automatic persisted queries, and
runs subscriptions over WebSocket (``graphql-transport-ws``, or the legacy ``graphql-ws``) with
keep-alive, dead-socket detection and reconnection with fresh credentials. Every operation
returns a :class:`paca.result.Result`; a response with ``errors`` is a failed result that still
carries the partial ``data``, the errors and their ``extensions.code`` in ``meta``.
"""

from paca.graphql._batch import BatchOperation
from paca.graphql._client import DEFAULT_RETRYABLE_CODES, GraphQLClient
from paca.graphql._graphql_events import GraphQLEvent, OperationFinished
from paca.graphql._subscription_options import SubscriptionOptions
from paca.graphql._subscriptions import subscribe_stream

__all__ = [
    "GraphQLClient",
    "BatchOperation",
    "DEFAULT_RETRYABLE_CODES",
    # subscriptions without a client
    "SubscriptionOptions",
    "subscribe_stream",
    # monitoring
    "GraphQLEvent",
    "OperationFinished",
]
