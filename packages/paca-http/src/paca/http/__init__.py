"""HTTP/REST clients on aiohttp with retries, breakers, rate limits, key pools and caching.

UniversalAPIClient, RESTClient, APIRegistry and AuthManager with key pools and an RFC 9111
cache, on aiohttp.

This package is being built: its public names (UniversalAPIClient, RESTClient, APIEndpoint,
HTTPMethod, APIRegistry, AuthManager) arrive with the issue that implements them.
"""

__all__: list[str] = []
