"""Entry point for API integrations: HTTP/REST, GraphQL, webhooks and resilience.

Re-exports the public names of ``paca-http``, ``paca-graphql``, ``paca-webhooks`` and
``paca-resilience``. A name appears here once the package that implements it ships it.
"""

from paca.graphql import GraphQLClient
from paca.http import (
    APIEndpoint,
    APIRegistry,
    AuthManager,
    HTTPMethod,
    RESTClient,
    UniversalAPIClient,
)
from paca.resilience import CircuitBreaker, RateLimiter
from paca.webhooks import WebhookHandler

__all__ = [
    # paca-http
    "UniversalAPIClient",
    "RESTClient",
    "APIEndpoint",
    "HTTPMethod",
    "APIRegistry",
    "AuthManager",
    # paca-graphql
    "GraphQLClient",
    # paca-webhooks
    "WebhookHandler",
    # paca-resilience
    "CircuitBreaker",
    "RateLimiter",
]
