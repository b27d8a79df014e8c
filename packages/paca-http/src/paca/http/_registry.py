"""``APIRegistry``: named endpoints, validated on registration, loaded from dicts, TOML or OpenAPI.

Dictionary / TOML form::

    [endpoints.get_post]
    url = "/posts/{id}"
    method = "GET"
    timeout = 5.0
    headers = { Accept = "application/json" }

(``endpoints`` may also be a list of tables each with a ``name``.) An OpenAPI 3 document gives
one endpoint per operation that has an ``operationId``: the name is the ``operationId``, the
url the path, the method the operation's key; the first ``servers[].url`` becomes
:attr:`APIRegistry.base_url`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from paca.http._endpoint import APIEndpoint, EndpointError

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Mapping

__all__ = ["APIRegistry", "RegistryError"]

_DICT_KEYS = frozenset({"url", "method", "timeout", "headers", "description", "skip_auth"})
_OPENAPI_METHODS = ("get", "put", "post", "delete", "options", "head", "patch")


class RegistryError(ValueError):
    """A registration or a definition document is invalid (the message names the entry)."""


class APIRegistry:
    """The endpoints a client can call by name.

    Args:
        endpoints: Endpoints to register at once.
        base_url: The API's base URL, when the definition document gives one.

    Raises:
        RegistryError: A duplicate name or a malformed definition.

    Example:
        >>> registry = APIRegistry.from_dict({"endpoints": {"ping": {"url": "/ping"}}})
        >>> registry["ping"].method.value
        'GET'
    """

    __slots__ = ("_endpoints", "_version", "base_url")

    def __init__(self, endpoints: Iterable[APIEndpoint] = (), *, base_url: str | None = None):
        self._endpoints: dict[str, APIEndpoint] = {}
        #: Bumped by every change of the endpoints; clients drop what they derived from them.
        self._version = 0
        self.base_url = base_url
        for endpoint in endpoints:
            self.register(endpoint)

    def register(self, endpoint: APIEndpoint, *, replace: bool = False) -> APIEndpoint:
        """Add ``endpoint``.

        Args:
            endpoint: The endpoint (validated when it was built).
            replace: Allow replacing an endpoint of the same name.

        Returns:
            The endpoint.

        Raises:
            RegistryError: The name is taken (and ``replace`` is false).
            TypeError: ``endpoint`` is not an :class:`APIEndpoint`.
        """
        if not isinstance(endpoint, APIEndpoint):
            msg = f"register() takes an APIEndpoint, got {type(endpoint).__name__}"
            raise TypeError(msg)
        if not replace and endpoint.name in self._endpoints:
            msg = f"an endpoint named {endpoint.name!r} is already registered"
            raise RegistryError(msg)
        self._endpoints[endpoint.name] = endpoint
        self._version += 1
        return endpoint

    def unregister(self, name: str) -> None:
        """Remove the endpoint ``name`` (a ``KeyError`` if there is none)."""
        del self._endpoints[name]
        self._version += 1

    def get(self, name: str) -> APIEndpoint | None:
        """Return the endpoint ``name``, or ``None``."""
        return self._endpoints.get(name)

    def __getitem__(self, name: str) -> APIEndpoint:
        try:
            return self._endpoints[name]
        except KeyError:
            msg = f"no endpoint named {name!r} (registered: {sorted(self._endpoints)})"
            raise KeyError(msg) from None

    def __contains__(self, name: object) -> bool:
        return name in self._endpoints

    def __iter__(self) -> Iterator[APIEndpoint]:
        return iter(self._endpoints.values())

    def __len__(self) -> int:
        return len(self._endpoints)

    def names(self) -> list[str]:
        """The registered names, in registration order."""
        return list(self._endpoints)

    # -- loading ----------------------------------------------------------------------------

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> APIRegistry:
        """Build a registry from ``{"base_url": ..., "endpoints": {name: {...}}}``.

        Each entry takes ``url`` (required), ``method``, ``timeout``, ``headers``,
        ``description`` and ``skip_auth``.

        Raises:
            RegistryError: An unknown key, a missing ``url``, a malformed endpoint or a
                duplicate name; the message names the entry.
        """
        if not hasattr(data, "get"):
            msg = f"a registry definition must be a mapping, got {type(data).__name__}"
            raise RegistryError(msg)
        raw = data.get("endpoints", {})
        entries: list[tuple[str, Any]]
        if isinstance(raw, list):
            entries = [(str(item.get("name", "")) if hasattr(item, "get") else "", item)
                       for item in raw]  # fmt: skip
        elif hasattr(raw, "items"):
            entries = [(str(name), item) for name, item in raw.items()]
        else:
            msg = "'endpoints' must be a table (name -> definition) or a list of tables"
            raise RegistryError(msg)
        base_url = data.get("base_url")
        registry = cls(base_url=str(base_url) if base_url is not None else None)
        for name, item in entries:
            registry.register(_endpoint_from_entry(name, item))
        return registry

    @classmethod
    def from_toml(cls, source: str | Path) -> APIRegistry:
        """Build a registry from a TOML file path or TOML text (see :meth:`from_dict`).

        Raises:
            RegistryError: The TOML does not parse, or a definition is malformed.
        """
        if sys.version_info >= (3, 11):
            import tomllib  # noqa: PLC0415 - only needed here
        else:  # pragma: no cover - Python 3.10
            try:
                import tomli as tomllib  # noqa: PLC0415
            except ImportError as exc:
                msg = "reading TOML on Python 3.10 needs the 'tomli' package"
                raise RegistryError(msg) from exc
        text = _read(source, ".toml")
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            msg = f"invalid TOML: {exc}"
            raise RegistryError(msg) from None
        return cls.from_dict(data)

    @classmethod
    def from_openapi(cls, document: Mapping[str, Any] | str | Path) -> APIRegistry:
        """Build a registry from an OpenAPI 3 document (a mapping, JSON text or a .json path).

        Operations without an ``operationId`` are skipped. ``summary`` becomes the
        description.

        Raises:
            RegistryError: Not an OpenAPI 3 document, a malformed path, or two operations with
                the same ``operationId``.
        """
        if not hasattr(document, "get"):
            text = _read(document, ".json")
            try:
                document = json.loads(text)
            except ValueError as exc:
                msg = f"an OpenAPI document must be JSON here: {exc}"
                raise RegistryError(msg) from None
        doc: Mapping[str, Any] = document  # type: ignore[assignment]
        version = str(doc.get("openapi", ""))
        if not version.startswith("3."):
            msg = f"not an OpenAPI 3 document (openapi={doc.get('openapi')!r})"
            raise RegistryError(msg)
        servers = doc.get("servers") or []
        base_url = servers[0].get("url") if servers and hasattr(servers[0], "get") else None
        registry = cls(base_url=base_url)
        for path, item in (doc.get("paths") or {}).items():
            if not hasattr(item, "get"):
                continue
            for method in _OPENAPI_METHODS:
                operation = item.get(method)
                if not hasattr(operation, "get") or not operation.get("operationId"):
                    continue
                name = str(operation["operationId"])
                entry = {"url": path, "method": method}
                entry["description"] = str(operation.get("summary", ""))
                registry.register(_endpoint_from_entry(name, entry))
        return registry


def _read(source: str | Path, suffix: str) -> str:
    if isinstance(source, Path) or (
        isinstance(source, str) and source.endswith(suffix) and "\n" not in source
    ):
        try:
            return Path(source).read_text(encoding="utf-8")
        except OSError as exc:
            msg = f"cannot read {source}: {exc.strerror}"
            raise RegistryError(msg) from None
    return source


def _endpoint_from_entry(name: str, item: Any) -> APIEndpoint:
    if not hasattr(item, "get"):
        msg = f"endpoint {name!r}: the definition must be a table, got {type(item).__name__}"
        raise RegistryError(msg)
    unknown = set(item) - _DICT_KEYS - {"name"}
    if unknown:
        msg = f"endpoint {name!r}: unknown keys {sorted(unknown)} (allowed: {sorted(_DICT_KEYS)})"
        raise RegistryError(msg)
    if "url" not in item:
        msg = f"endpoint {name!r}: 'url' is required"
        raise RegistryError(msg)
    try:
        return APIEndpoint(
            name=name,
            url=item["url"],
            method=item.get("method", "GET"),
            timeout=item.get("timeout"),
            headers=dict(item.get("headers") or {}),
            description=str(item.get("description", "")),
            skip_auth=bool(item.get("skip_auth", False)),
        )
    except EndpointError as exc:
        raise RegistryError(str(exc)) from None
