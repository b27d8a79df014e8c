"""The client settings that prepared plain calls depend on, as plain-looking attributes.

``auth``, ``retry``, ``rate_limit`` and ``registry`` read, assign and delete like plain
attributes (``mock.patch.object`` works); assigning or deleting one drops every plain call
prepared from the old value (see :mod:`paca.http._route`), so the next call is prepared again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from paca.http._auth_protocol import AuthProvider
    from paca.http._registry import APIRegistry
    from paca.http._route import Route
    from paca.resilience import RateLimiter, RetryPolicy

__all__ = ["RoutedSettings"]


class RoutedSettings:
    """Mixin of :class:`~paca.http._client.UniversalAPIClient`: settings that reset routes."""

    _routes: dict[tuple[Any, str], Route]
    _auth: AuthProvider | None
    _retry: RetryPolicy | None
    _rate_limit: RateLimiter | None
    _registry: APIRegistry

    def _drop_routes(self) -> None:
        routes = getattr(self, "_routes", None)  # None while __init__ has not set it
        if routes:
            routes.clear()

    @property
    def auth(self) -> AuthProvider | None:
        """The auth provider applied to every attempt (an endpoint's own replaces it)."""
        return self._auth

    @auth.setter
    def auth(self, value: AuthProvider | None) -> None:
        self._auth = value
        self._drop_routes()

    @auth.deleter
    def auth(self) -> None:
        del self._auth
        self._drop_routes()

    @property
    def retry(self) -> RetryPolicy | None:
        """The retry policy of idempotent calls (``None``: no retries)."""
        return self._retry

    @retry.setter
    def retry(self, value: RetryPolicy | None) -> None:
        self._retry = value
        self._drop_routes()

    @retry.deleter
    def retry(self) -> None:
        del self._retry
        self._drop_routes()

    @property
    def rate_limit(self) -> RateLimiter | None:
        """The rate limiter (``None``: no limit)."""
        return self._rate_limit

    @rate_limit.setter
    def rate_limit(self, value: RateLimiter | None) -> None:
        self._rate_limit = value
        self._drop_routes()

    @rate_limit.deleter
    def rate_limit(self) -> None:
        del self._rate_limit
        self._drop_routes()

    @property
    def registry(self) -> APIRegistry:
        """The endpoints calls can name."""
        return self._registry

    @registry.setter
    def registry(self, value: APIRegistry) -> None:
        self._registry = value
        self._drop_routes()

    @registry.deleter
    def registry(self) -> None:
        del self._registry
        self._drop_routes()
