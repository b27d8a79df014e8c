"""``APIEndpoint``: a named request template, and the path-template rules that keep it safe.

A path template holds ``{name}`` placeholders. Rendering percent-encodes every value with no
safe characters, so a path parameter can never add a segment (``/``), start a query (``?``) or
a fragment (``#``), or climb (``..``): the values ``""``, ``"."`` and ``".."`` are refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from paca.http._methods import HTTPMethod

if TYPE_CHECKING:
    from collections.abc import Mapping

    from paca.http._auth_protocol import AuthProvider
    from paca.resilience import RateLimiter, RetryPolicy
    from paca.result import Secret

__all__ = ["APIEndpoint", "EndpointError", "PathTemplate"]

_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*\Z")
_FORBIDDEN = re.compile(r"[\s?#\\]")
_DOT_SEGMENTS = frozenset({"", ".", ".."})


class EndpointError(ValueError):
    """An endpoint definition or its path parameters are malformed (the message says how)."""


class PathTemplate:
    r"""A parsed path template such as ``/users/{user_id}/posts/{post_id}``.

    Args:
        template: A path starting with ``/``, or an absolute ``http``/``https`` URL.

    Raises:
        EndpointError: Unbalanced braces, a placeholder that is not an identifier or appears
            twice, whitespace, ``?``, ``#``, ``\\`` or a ``.``/``..`` segment in the template,
            or an absolute URL without an ``http``/``https`` scheme and a host.

    Example:
        >>> PathTemplate("/files/{name}").render({"name": "a/b?c"})
        '/files/a%2Fb%3Fc'
    """

    __slots__ = ("_literals", "names", "template")

    def __init__(self, template: str) -> None:
        if not isinstance(template, str) or not template:
            msg = f"url must be a non-empty string, got {template!r}"
            raise EndpointError(msg)
        self.template = template
        if _FORBIDDEN.search(template):
            msg = (
                f"url {template!r} must not contain whitespace, '?', '#' or '\\' "
                "(pass query parameters as params=)"
            )
            raise EndpointError(msg)
        path = template
        if not template.startswith("/"):
            parts = urlsplit(template)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                msg = f"url {template!r} must start with '/' or be an absolute http(s) URL"
                raise EndpointError(msg)
            if "{" in parts.netloc:
                msg = f"url {template!r}: placeholders are allowed in the path only"
                raise EndpointError(msg)
            path = parts.path
        if any(segment in (".", "..") for segment in path.split("/")):
            msg = f"url {template!r} must not contain '.' or '..' segments"
            raise EndpointError(msg)
        literals: list[str] = []
        names: list[str] = []
        position = 0
        for match in _PLACEHOLDER.finditer(template):
            name = match.group(1)
            if not _IDENT.match(name):
                msg = f"url {template!r}: placeholder {{{name}}} must be an identifier"
                raise EndpointError(msg)
            if name in names:
                msg = f"url {template!r}: placeholder {{{name}}} appears twice"
                raise EndpointError(msg)
            literals.append(template[position : match.start()])
            names.append(name)
            position = match.end()
        literals.append(template[position:])
        if any("{" in part or "}" in part for part in literals):
            msg = f"url {template!r} has unbalanced braces"
            raise EndpointError(msg)
        self._literals = tuple(literals)
        self.names: tuple[str, ...] = tuple(names)

    def render(self, params: Mapping[str, Any] | None = None) -> str:
        """Fill in the placeholders, percent-encoding each value.

        Args:
            params: One value per placeholder (``str(value)`` is encoded).

        Returns:
            The path (or URL) with every value escaped.

        Raises:
            EndpointError: A placeholder has no value, a value is ``""``, ``"."`` or
                ``".."``, or a parameter matches no placeholder.
        """
        if not self.names:
            if params:
                msg = f"url {self.template!r} takes no path parameters, got {sorted(params)}"
                raise EndpointError(msg)
            return self.template
        params = params or {}
        unknown = set(params) - set(self.names)
        if unknown:
            msg = f"url {self.template!r} has no placeholder for {sorted(unknown)}"
            raise EndpointError(msg)
        literals = self._literals
        out = [literals[0]]
        for index, name in enumerate(self.names):
            if name not in params:
                msg = f"url {self.template!r} needs the path parameter {name!r}"
                raise EndpointError(msg)
            out.append(escape_path_value(name, params[name]))
            out.append(literals[index + 1])
        return "".join(out)

    def __repr__(self) -> str:
        return f"PathTemplate({self.template!r})"


def escape_path_value(name: str, value: object) -> str:
    """Percent-encode one path parameter so it stays inside its segment.

    Raises:
        EndpointError: The value is ``None``, ``""``, ``"."`` or ``".."``.
    """
    if value is None or isinstance(value, bool):
        msg = f"path parameter {name!r} must be a string or a number, got {value!r}"
        raise EndpointError(msg)
    text = str(value)
    if text in _DOT_SEGMENTS:
        msg = f"path parameter {name!r} must not be empty, '.' or '..'"
        raise EndpointError(msg)
    return quote(text, safe="")


@dataclass(frozen=True, slots=True)
class APIEndpoint:
    """A named request: path template, method and per-endpoint behaviour.

    Args:
        name: The name calls use (``client.get("get_post", ...)``); letters, digits, ``_``,
            ``.``, ``-``, starting with a letter or ``_``.
        url: A path template (``"/posts/{id}"``) relative to the client's base URL, or an
            absolute ``http(s)`` URL template.
        method: The HTTP method (an :class:`HTTPMethod` or its name).
        timeout: Seconds for one attempt (default: the client's).
        retry: A ``RetryPolicy`` replacing the client's for this endpoint.
        rate_limit: A ``RateLimiter`` replacing the client's for this endpoint.
        cache_policy: Passed as is to the client's response cache.
        auth: An auth provider replacing the client's for this endpoint.
        skip_auth: Send without any auth provider (a public endpoint).
        headers: Extra request headers for this endpoint (a ``Secret`` value is revealed
            only when sent and redacted from every message).
        description: Free text (from OpenAPI ``summary``, for example).

    Raises:
        EndpointError: A malformed name, url, method or timeout.

    Example:
        >>> ep = APIEndpoint(name="get_post", url="/posts/{id}", method="get")
        >>> ep.method, ep.render_path({"id": 7})
        (<HTTPMethod.GET: 'GET'>, '/posts/7')
    """

    name: str
    url: str
    method: HTTPMethod = HTTPMethod.GET
    timeout: float | None = None
    retry: RetryPolicy | None = None
    rate_limit: RateLimiter | None = None
    cache_policy: object | None = None
    auth: AuthProvider | None = None
    skip_auth: bool = False
    headers: Mapping[str, str | Secret[str]] = field(default_factory=lambda: MappingProxyType({}))
    description: str = ""
    template: PathTemplate = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not _NAME.match(self.name):
            msg = f"endpoint name must be an identifier-like string, got {self.name!r}"
            raise EndpointError(msg)
        try:
            method = HTTPMethod(self.method)
        except ValueError:
            msg = f"endpoint {self.name!r}: unknown HTTP method {self.method!r}"
            raise EndpointError(msg) from None
        if self.timeout is not None and (
            isinstance(self.timeout, bool)
            or not isinstance(self.timeout, (int, float))
            or not self.timeout > 0
        ):
            msg = f"endpoint {self.name!r}: timeout must be a number > 0, got {self.timeout!r}"
            raise EndpointError(msg)
        try:
            template = PathTemplate(self.url)
        except EndpointError as exc:
            msg = f"endpoint {self.name!r}: {exc}"
            raise EndpointError(msg) from None
        headers = MappingProxyType(dict(self.headers))
        object.__setattr__(self, "method", method)
        object.__setattr__(self, "headers", headers)
        object.__setattr__(self, "template", template)

    def render_path(self, path_params: Mapping[str, Any] | None = None) -> str:
        """Return :attr:`url` with ``path_params`` filled in and escaped.

        Raises:
            EndpointError: A missing, unknown or unsafe path parameter.
        """
        try:
            return self.template.render(path_params)
        except EndpointError as exc:
            msg = f"endpoint {self.name!r}: {exc}"
            raise EndpointError(msg) from None
