"""RESTClient: resource conveniences and the four pagination styles, against a real server."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from paca.http._client import UniversalAPIClient
from paca.http._rest import (
    CursorPagination,
    LinkPagination,
    OffsetPagination,
    PagePagination,
    RESTClient,
    parse_link_header,
)
from paca.result import ErrorKind, ResultError

if TYPE_CHECKING:
    from conftest import TestServer


async def test_crud(server: TestServer) -> None:
    async with RESTClient(server.url) as api:
        listed = await api.list("/items")
        created = await api.create("/items", {"name": "n"})
        got = await api.get("/items", "a/b")
        updated = await api.update("/items", 1, {"x": 1})
        patched = await api.update("/items", 1, {"x": 2}, partial=True)
        deleted = await api.delete("/items", 1)
    assert listed.data == [{"id": "1"}]
    assert created.meta["status"] == 201
    assert got.data["id"] == "a/b"  # escaped on the way, decoded by the server's router
    assert server.seen[2]["name"] == "item"
    assert updated.data["method"] == "PUT"
    assert patched.data == {"id": "1", "method": "PATCH", "body": {"x": 2}}
    assert deleted.is_success
    assert deleted.data is None


async def test_shared_client_is_not_closed(server: TestServer) -> None:
    async with UniversalAPIClient(server.url) as client:
        api = RESTClient(client)
        async with api:
            pass
        assert client.session is not None
        assert not client.session.closed
        with pytest.raises(TypeError):
            RESTClient(client, timeout=1)
        assert "RESTClient" in repr(api)


async def test_link_pagination(server: TestServer) -> None:
    async with RESTClient(server.url) as api:
        items = [item async for item in api.paginate("/link-pages", LinkPagination())]
        limited = [page async for page in api.pages("/link-pages", max_pages=2)]
    assert items == [11, 12, 21, 22, 31, 32]
    assert len(limited) == 2


async def test_cursor_page_and_offset_pagination(server: TestServer) -> None:
    async with RESTClient(server.url) as api:
        cursor = [i async for i in api.paginate("/cursor-pages", CursorPagination())]
        numbered = [i async for i in api.paginate("/numbered-pages", PagePagination(size=2))]
        unsized = [i async for i in api.paginate("/numbered-pages", PagePagination())]
        offset = [i async for i in api.paginate("/offset-pages", OffsetPagination(limit=2))]
    assert cursor == ["a", "b", "c"]
    assert numbered == [0, 1, 2, 3, 4]
    assert unsized == [0, 1, 2, 3, 4]
    assert offset == [0, 1, 2, 3, 4]


async def test_pagination_stops_on_failure(server: TestServer) -> None:
    async with RESTClient(server.url, retry=None) as api:
        pages = [p async for p in api.pages("/status/500")]
        with pytest.raises(ResultError) as raised:
            [i async for i in api.paginate("/status/404")]
    assert len(pages) == 1
    assert pages[0].kind is ErrorKind.HTTP_STATUS
    assert raised.value.kind is ErrorKind.NOT_FOUND


def test_parse_link_header() -> None:
    value = '<https://a/?p=2>; rel="next", <https://a/?p=1>; rel="prev first", <x>; title=t'
    assert parse_link_header(value) == {
        "next": "https://a/?p=2",
        "prev": "https://a/?p=1",
        "first": "https://a/?p=1",
    }
    assert parse_link_header(None) == {}
