"""``RESTClient``: resource conveniences and pagination on top of ``UniversalAPIClient``.

Resources are paths (``"/posts"``); an item is ``{resource}/{id}`` with the id escaped like
any path parameter. Pagination strategies are pure objects that read a page's ``Result`` and
say where the next page is: :class:`LinkPagination` (``Link: <...>; rel="next"``),
:class:`CursorPagination` (a cursor field in the body), :class:`PagePagination` (page
numbers) and :class:`OffsetPagination` (offset/limit).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from paca.http._client import UniversalAPIClient
from paca.http._endpoint import escape_path_value
from paca.http._lifecycle import AsyncLifecycle
from paca.http._prepare import build_params

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from paca.http._prepare import ParamsLike
    from paca.result import Result

__all__ = [
    "CursorPagination",
    "LinkPagination",
    "OffsetPagination",
    "PagePagination",
    "Pagination",
    "RESTClient",
    "parse_link_header",
]

_LINK = re.compile(r"<([^>]*)>\s*((?:;\s*[^;,]+)*)")
_REL = re.compile(r"""rel\s*=\s*"?([^";]+)"?""", re.IGNORECASE)


def parse_link_header(value: str | None) -> dict[str, str]:
    """Parse an RFC 8288 ``Link`` header into ``{rel: url}`` (the first link of each rel).

    Example:
        >>> parse_link_header('<https://x/?page=2>; rel="next", <https://x/?page=9>; rel=last')
        {'next': 'https://x/?page=2', 'last': 'https://x/?page=9'}
    """
    links: dict[str, str] = {}
    if not value:
        return links
    for match in _LINK.finditer(value):
        rel = _REL.search(match.group(2) or "")
        if rel:
            for name in rel.group(1).split():
                links.setdefault(name.lower(), match.group(1))
    return links


def _field(data: Any, path: str | None) -> Any:
    if path is None:
        return data
    for part in path.split("."):
        if not isinstance(data, dict):
            return None
        data = data.get(part)
    return data


def _items(data: Any, field: str | None) -> list[Any]:
    found = _field(data, field)
    return found if isinstance(found, list) else []


class Pagination(Protocol):
    """A pagination strategy: where the first page is, which items a page holds, what's next."""

    def first(self, params: list[tuple[str, str]]) -> list[tuple[str, str]]:
        """Query parameters of the first page."""
        ...

    def items(self, page: Result[Any]) -> list[Any]:
        """The items of a successful page."""
        ...

    def next(
        self, page: Result[Any], target: str, params: list[tuple[str, str]]
    ) -> tuple[str, list[tuple[str, str]]] | None:
        """``(target, params)`` of the next page, or ``None`` after the last one."""
        ...


def _replace(params: list[tuple[str, str]], name: str, value: object) -> list[tuple[str, str]]:
    return [(k, v) for k, v in params if k != name] + [(name, str(value))]


@dataclass(frozen=True, slots=True)
class LinkPagination:
    """Follow ``Link: <url>; rel="next"`` (GitHub style); ``items_field`` names the list."""

    items_field: str | None = None

    def first(self, params: list[tuple[str, str]]) -> list[tuple[str, str]]:
        """Keep the caller's parameters."""
        return params

    def items(self, page: Result[Any]) -> list[Any]:
        """The list in the body (or in ``items_field``)."""
        return _items(page.data, self.items_field)

    def next(
        self, page: Result[Any], target: str, params: list[tuple[str, str]]
    ) -> tuple[str, list[tuple[str, str]]] | None:
        """The ``rel="next"`` URL (it carries its own query)."""
        url = parse_link_header(page.meta["headers"].get("Link"))
        return (url["next"], []) if "next" in url else None


@dataclass(frozen=True, slots=True)
class CursorPagination:
    """Send ``cursor_param`` with the cursor found at ``cursor_field`` until there is none."""

    cursor_param: str = "cursor"
    cursor_field: str = "next_cursor"
    items_field: str | None = "data"

    def first(self, params: list[tuple[str, str]]) -> list[tuple[str, str]]:
        """Keep the caller's parameters."""
        return params

    def items(self, page: Result[Any]) -> list[Any]:
        """The list at ``items_field``."""
        return _items(page.data, self.items_field)

    def next(
        self, page: Result[Any], target: str, params: list[tuple[str, str]]
    ) -> tuple[str, list[tuple[str, str]]] | None:
        """The same target with the new cursor; ``None`` when the cursor is empty."""
        cursor = _field(page.data, self.cursor_field)
        if cursor in (None, "", False):
            return None
        return target, _replace(params, self.cursor_param, cursor)


@dataclass(frozen=True, slots=True)
class PagePagination:
    """Count pages from ``start``; stop on an empty page or one shorter than ``size``."""

    page_param: str = "page"
    size_param: str | None = "per_page"
    size: int | None = None
    start: int = 1
    items_field: str | None = None

    def first(self, params: list[tuple[str, str]]) -> list[tuple[str, str]]:
        """Add the first page number (and the size, when given)."""
        params = _replace(params, self.page_param, self.start)
        if self.size is not None and self.size_param:
            params = _replace(params, self.size_param, self.size)
        return params

    def items(self, page: Result[Any]) -> list[Any]:
        """The list in the body (or in ``items_field``)."""
        return _items(page.data, self.items_field)

    def next(
        self, page: Result[Any], target: str, params: list[tuple[str, str]]
    ) -> tuple[str, list[tuple[str, str]]] | None:
        """The next page number, unless this page was empty or short."""
        count = len(self.items(page))
        if count == 0 or (self.size is not None and count < self.size):
            return None
        current = int(dict(params).get(self.page_param, self.start))
        return target, _replace(params, self.page_param, current + 1)


@dataclass(frozen=True, slots=True)
class OffsetPagination:
    """Send ``offset``/``limit``; stop on a page shorter than ``limit``."""

    limit: int = 100
    offset_param: str = "offset"
    limit_param: str = "limit"
    items_field: str | None = None

    def first(self, params: list[tuple[str, str]]) -> list[tuple[str, str]]:
        """Start at offset 0."""
        return _replace(_replace(params, self.offset_param, 0), self.limit_param, self.limit)

    def items(self, page: Result[Any]) -> list[Any]:
        """The list in the body (or in ``items_field``)."""
        return _items(page.data, self.items_field)

    def next(
        self, page: Result[Any], target: str, params: list[tuple[str, str]]
    ) -> tuple[str, list[tuple[str, str]]] | None:
        """Advance the offset by the items received, unless the page was short."""
        count = len(self.items(page))
        if count < self.limit:
            return None
        offset = int(dict(params).get(self.offset_param, 0))
        return target, _replace(params, self.offset_param, offset + count)


class RESTClient(AsyncLifecycle):
    """JSON resources over a :class:`UniversalAPIClient`: list, get, create, update, delete.

    Args:
        client: A base URL (a client is created and owned), or a client to share (not
            closed by :meth:`cleanup`).
        **options: ``UniversalAPIClient`` options when a URL is given.

    Example:
        >>> api = RESTClient("https://api.example.com")
        >>> # async with api:
        >>> #     post = await api.get("/posts", 1)
        >>> #     async for item in api.paginate("/posts", LinkPagination()): ...
    """

    def __init__(self, client: str | UniversalAPIClient, **options: Any) -> None:
        if isinstance(client, UniversalAPIClient):
            if options:
                msg = "options are for a client built from a URL; configure your client instead"
                raise TypeError(msg)
            self.client, self._owned = client, False
        else:
            self.client, self._owned = UniversalAPIClient(client, **options), True

    async def initialize(self) -> None:
        """Initialize the underlying client."""
        await self.client.initialize()

    async def cleanup(self) -> None:
        """Close the underlying client if this object created it."""
        if self._owned:
            await self.client.cleanup()

    @staticmethod
    def item_path(resource: str, item_id: object) -> str:
        """``{resource}/{id}`` with the id escaped (``/``, ``?``, ``#``, ``..`` cannot escape)."""
        return f"{resource.rstrip('/')}/{escape_path_value('id', item_id)}"

    async def list(self, resource: str, *, params: ParamsLike | None = None, **options: Any
                   ) -> Result[Any]:  # fmt: skip
        """``GET {resource}``."""
        return await self.client.get(resource, params=params, **options)

    async def get(self, resource: str, item_id: object, **options: Any) -> Result[Any]:
        """``GET {resource}/{id}``."""
        return await self.client.get(self.item_path(resource, item_id), **options)

    async def create(self, resource: str, data: Any, **options: Any) -> Result[Any]:
        """``POST {resource}`` with ``data`` as JSON (retried only with an idempotency key)."""
        return await self.client.post(resource, json=data, **options)

    async def update(
        self, resource: str, item_id: object, data: Any, *, partial: bool = False, **options: Any
    ) -> Result[Any]:
        """``PUT {resource}/{id}`` (or ``PATCH`` when ``partial``) with ``data`` as JSON."""
        method = "PATCH" if partial else "PUT"
        path = self.item_path(resource, item_id)
        return await self.client.request(method, path, json=data, **options)

    async def delete(self, resource: str, item_id: object, **options: Any) -> Result[Any]:
        """``DELETE {resource}/{id}``."""
        return await self.client.delete(self.item_path(resource, item_id), **options)

    async def pages(
        self,
        target: str,
        pagination: Pagination | None = None,
        *,
        params: ParamsLike | None = None,
        max_pages: int | None = None,
        **options: Any,
    ) -> AsyncIterator[Result[Any]]:
        """Yield each page's ``Result``; stop after the last page or a failed one.

        Args:
            target: A path, URL or endpoint name (``GET``).
            pagination: The strategy (default :class:`LinkPagination`).
            params: Query parameters of the first page.
            max_pages: Stop after this many pages.
            **options: Passed to :meth:`UniversalAPIClient.get`.
        """
        strategy: Pagination = pagination if pagination is not None else LinkPagination()
        current = strategy.first(build_params(params, []))
        count = 0
        while max_pages is None or count < max_pages:
            page = await self.client.get(target, params=current, **options)
            count += 1
            yield page
            if not page.is_success:
                return
            step = strategy.next(page, target, current)
            if step is None:
                return
            target, current = step

    async def paginate(
        self,
        target: str,
        pagination: Pagination | None = None,
        *,
        params: ParamsLike | None = None,
        max_pages: int | None = None,
        **options: Any,
    ) -> AsyncIterator[Any]:
        """Yield every item of every page (see :meth:`pages`).

        Raises:
            ResultError: A page failed (its kind and meta are on the error).
        """
        strategy: Pagination = pagination if pagination is not None else LinkPagination()
        async for page in self.pages(
            target, strategy, params=params, max_pages=max_pages, **options
        ):
            if not page.is_success:
                page.unwrap()  # raises ResultError with the page's kind and meta
            for item in strategy.items(page):
                yield item

    def __repr__(self) -> str:
        return f"RESTClient({self.client!r})"
