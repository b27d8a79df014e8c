"""HTTP/REST clients on aiohttp with retries, breakers, rate limits, key pools and caching.

``UniversalAPIClient`` sends every call through ONE resilience pipeline from
``paca-resilience`` (rate limiter → per-host circuit breaker → retry) and returns a
:class:`paca.result.Result`: non-2xx answers, timeouts and connection errors are failed
results with an :class:`~paca.result.ErrorKind`, never exceptions. ``AuthManager`` adds
credentials per attempt (API keys, bearer, basic, OAuth2 client credentials, HMAC signing,
key pools with rotation); ``ResponseCache`` follows RFC 9111 in memory or in Redis.

Exceptions (misuse at construction, or a streamed body that fails after it was handed out)::

    EndpointError, RegistryError           bad endpoint definitions (ValueError)
    ClientNotInitializedError              a call before ``initialize()`` (RuntimeError)
    HTTPTransportError                     a streamed body failed mid-read
    ├── HTTPTimeoutError
    ├── HTTPConnectionError
    └── HTTPProtocolError
    CredentialsUnavailable                 reported as a failed Result, never raised to callers
"""

from paca.http._auth import AuthManager
from paca.http._auth_events import (
    AuthEvent,
    KeyCooldown,
    KeyQuarantined,
    KeyRotated,
    TokenRefreshed,
)
from paca.http._auth_protocol import AuthProvider, AuthTicket, AuthVerdict, CredentialsUnavailable
from paca.http._cache import ResponseCache
from paca.http._cache_policy import CachePolicy, CacheStats
from paca.http._cache_redis import RedisCacheStore
from paca.http._cache_store import CacheStore, MemoryCacheStore
from paca.http._client import ClientNotInitializedError, UniversalAPIClient
from paca.http._endpoint import APIEndpoint, EndpointError, PathTemplate
from paca.http._exchange import OutgoingRequest, RawResponse
from paca.http._http_events import AuthRetried, HTTPEvent, RateLimitPaused, RequestFinished
from paca.http._key_pool import KeyPool, KeyStatus, KeyStrategy
from paca.http._methods import HTTPMethod
from paca.http._registry import APIRegistry, RegistryError
from paca.http._rest import (
    CursorPagination,
    LinkPagination,
    OffsetPagination,
    PagePagination,
    Pagination,
    RESTClient,
    parse_link_header,
)
from paca.http._send import (
    HTTPConnectionError,
    HTTPProtocolError,
    HTTPTimeoutError,
    HTTPTransportError,
)
from paca.http._signing import HmacSigner, Signer, SigningInput
from paca.http._stats import EndpointStats
from paca.http._stream import StreamedResponse

__all__ = [
    # clients
    "UniversalAPIClient",
    "RESTClient",
    "StreamedResponse",
    "ClientNotInitializedError",
    # endpoints
    "HTTPMethod",
    "APIEndpoint",
    "PathTemplate",
    "EndpointError",
    "APIRegistry",
    "RegistryError",
    # pagination
    "Pagination",
    "LinkPagination",
    "CursorPagination",
    "PagePagination",
    "OffsetPagination",
    "parse_link_header",
    # auth
    "AuthManager",
    "AuthProvider",
    "AuthTicket",
    "AuthVerdict",
    "CredentialsUnavailable",
    "KeyPool",
    "KeyStatus",
    "KeyStrategy",
    "Signer",
    "SigningInput",
    "HmacSigner",
    # cache
    "ResponseCache",
    "CachePolicy",
    "CacheStats",
    "CacheStore",
    "MemoryCacheStore",
    "RedisCacheStore",
    # requests and responses
    "OutgoingRequest",
    "RawResponse",
    # statistics and events
    "EndpointStats",
    "HTTPEvent",
    "RequestFinished",
    "RateLimitPaused",
    "AuthRetried",
    "AuthEvent",
    "KeyRotated",
    "KeyCooldown",
    "KeyQuarantined",
    "TokenRefreshed",
    # transport errors of streamed bodies
    "HTTPTransportError",
    "HTTPTimeoutError",
    "HTTPConnectionError",
    "HTTPProtocolError",
]
