"""A real GraphQL server for the tests: a Strawberry schema served by aiohttp on loopback.

The ``graphql_server`` fixture yields a :class:`GraphQLTestServer` with ``http_url`` and
``ws_url`` (``graphql-transport-ws`` and ``graphql-ws``), shared by the HTTP client tests and
the subscription tests. What the schema offers:

- queries: ``hello``, ``user(id)`` (``NOT_FOUND`` for unknown ids), ``whoami`` (echoes the
  ``Authorization`` header; ``UNAUTHENTICATED`` without one), ``slow(seconds)``, ``partial``
  (one field fails: partial data + error), ``flaky(key, failures)`` (``SERVICE_UNAVAILABLE``
  for the first ``failures`` calls per key), ``counter(key)`` (counts executions);
- mutations: ``addMessage(text)`` (published to ``messageAdded``), ``increment(key)``,
  ``flakyIncrement(key, failures)``;
- subscriptions: ``count(to, delay)``, ``messageAdded``, ``wsUser`` (the accepted token);
  ``connection_init`` must carry ``{"Authorization": "Bearer <token>"}`` or
  ``{"token": "<token>"}`` with ``server.token``, else the socket is closed with 4403;
- ``/apq``: a tiny endpoint speaking the automatic persisted queries protocol over the same
  schema (``PersistedQueryNotFound`` until the document was sent once with its hash);
- ``/unavailable`` (503 with a GraphQL error body) and ``/not-graphql`` (plain text).

The server counts requests in ``server.state`` (``requests``, ``calls[key]``, ``apq_misses``,
``idempotency_keys``, ``authorizations``).
"""

# Strawberry reads the annotations at runtime: its types must be imported for real.
# ruff: noqa: TC002, TC003

from __future__ import annotations

import asyncio
import hashlib
from collections import defaultdict
from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import strawberry
from aiohttp import web
from graphql import GraphQLError
from strawberry.aiohttp.views import GraphQLView
from strawberry.exceptions import ConnectionRejectionError
from strawberry.schema.config import StrawberryConfig
from strawberry.types import Info

WS_TOKEN = "ws-secret"  # noqa: S105 - a test credential


@dataclass
class ServerState:
    requests: int = 0
    calls: defaultdict[str, int] = field(default_factory=lambda: defaultdict(int))
    authorizations: list[str | None] = field(default_factory=list)
    idempotency_keys: list[str | None] = field(default_factory=list)
    methods: list[str] = field(default_factory=list)
    accepts: list[str | None] = field(default_factory=list)
    query_strings: list[str] = field(default_factory=list)
    apq_store: dict[str, str] = field(default_factory=dict)
    apq_misses: int = 0
    apq_requests: int = 0
    subscribers: set[asyncio.Queue[Message]] = field(default_factory=set)
    next_id: int = 1


def _state(info: Info) -> ServerState:
    state: ServerState = info.context["state"]
    return state


def _fail(message: str, code: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": code})


@strawberry.type
class User:
    id: strawberry.ID
    name: str


@strawberry.type
class Message:
    id: int
    text: str


@strawberry.type
class Partial:
    ok: str

    @strawberry.field
    def bad(self) -> str | None:
        raise _fail("this field is broken", "INTERNAL_SERVER_ERROR")


USERS = {"1": "Ada", "2": "Grace"}


@strawberry.type
class Query:
    @strawberry.field
    def hello(self, name: str = "world") -> str:
        return f"hello {name}"

    @strawberry.field
    def user(self, id: strawberry.ID) -> User | None:  # noqa: A002 - GraphQL's name
        if id not in USERS:
            raise _fail(f"no user {id}", "NOT_FOUND")
        return User(id=id, name=USERS[id])

    @strawberry.field
    def whoami(self, info: Info) -> str:
        header = info.context["request"].headers.get("Authorization")
        if not header:
            raise _fail("missing token", "UNAUTHENTICATED")
        return str(header)

    @strawberry.field
    async def slow(self, seconds: float) -> str:
        await asyncio.sleep(seconds)
        return "done"

    @strawberry.field
    def partial(self) -> Partial:
        return Partial(ok="fine")

    @strawberry.field
    def flaky(self, info: Info, key: str, failures: int) -> str:
        state = _state(info)
        state.calls[key] += 1
        if state.calls[key] <= failures:
            raise _fail("try again later", "SERVICE_UNAVAILABLE")
        return f"ok after {state.calls[key]}"

    @strawberry.field
    def counter(self, info: Info, key: str) -> int:
        state = _state(info)
        state.calls[key] += 1
        return state.calls[key]


@strawberry.type
class Mutation:
    @strawberry.mutation
    def add_message(self, info: Info, text: str) -> Message:
        state = _state(info)
        message = Message(id=state.next_id, text=text)
        state.next_id += 1
        for queue in state.subscribers:
            queue.put_nowait(message)
        return message

    @strawberry.mutation
    def increment(self, info: Info, key: str) -> int:
        state = _state(info)
        state.calls[key] += 1
        return state.calls[key]

    @strawberry.mutation
    def flaky_increment(self, info: Info, key: str, failures: int) -> int:
        state = _state(info)
        state.calls[key] += 1
        if state.calls[key] <= failures:
            raise _fail("try again later", "SERVICE_UNAVAILABLE")
        return state.calls[key]


@strawberry.type
class Subscription:
    @strawberry.subscription
    async def count(self, to: int = 3, delay: float = 0.0) -> AsyncGenerator[int, None]:
        for i in range(1, to + 1):
            if delay:
                await asyncio.sleep(delay)
            yield i

    @strawberry.subscription
    async def message_added(self, info: Info) -> AsyncGenerator[Message, None]:
        state = _state(info)
        queue: asyncio.Queue[Message] = asyncio.Queue()
        state.subscribers.add(queue)
        try:
            while True:
                yield await queue.get()
        finally:
            state.subscribers.discard(queue)

    @strawberry.subscription
    async def ws_user(self, info: Info) -> AsyncGenerator[str, None]:
        yield str(info.context.get("ws_user"))


SCHEMA = strawberry.Schema(
    query=Query,
    mutation=Mutation,
    subscription=Subscription,
    config=StrawberryConfig(batching_config={"max_operations": 50}),
)


def _accepted(params: Any) -> str | None:
    if not isinstance(params, dict):
        return None
    header = params.get("Authorization") or params.get("authorization")
    if header == f"Bearer {WS_TOKEN}" or params.get("token") == WS_TOKEN:
        return WS_TOKEN
    return None


class _View(GraphQLView):  # type: ignore[misc]
    def __init__(self, state: ServerState) -> None:
        super().__init__(schema=SCHEMA, keep_alive=False)
        self.state = state

    async def get_context(self, request: web.Request, response: Any) -> Any:
        return {"request": request, "response": response, "state": self.state}

    async def on_ws_connect(self, context: Any) -> Any:
        user = _accepted(context.get("connection_params"))
        if user is None:
            raise ConnectionRejectionError({"reason": "invalid token"})
        context["ws_user"] = user
        return {"user": user}


def _build_app(state: ServerState) -> web.Application:
    view = _View(state)

    @web.middleware
    async def count(request: web.Request, handler: Any) -> web.StreamResponse:
        if request.path == "/graphql" and request.method in ("GET", "POST"):
            state.requests += 1
            state.methods.append(request.method)
            state.authorizations.append(request.headers.get("Authorization"))
            state.idempotency_keys.append(request.headers.get("Idempotency-Key"))
            state.accepts.append(request.headers.get("Accept"))
            state.query_strings.append(request.query_string)
        response: web.StreamResponse = await handler(request)
        return response

    async def apq(request: web.Request) -> web.Response:
        state.apq_requests += 1
        body = await request.json()
        query = body.get("query")
        persisted = (body.get("extensions") or {}).get("persistedQuery")
        if persisted is not None:
            digest = persisted.get("sha256Hash")
            if query is None:
                query = state.apq_store.get(digest)
                if query is None:
                    state.apq_misses += 1
                    error = {
                        "message": "PersistedQueryNotFound",
                        "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"},
                    }
                    return web.json_response({"errors": [error]})
            elif hashlib.sha256(query.encode()).hexdigest() != digest:
                return web.json_response({"errors": [{"message": "hash mismatch"}]}, status=400)
            state.apq_store[digest] = query
        context = {"request": request, "response": None, "state": state}
        result = await SCHEMA.execute(
            query,
            variable_values=body.get("variables"),
            operation_name=body.get("operationName"),
            context_value=context,
        )
        answer: dict[str, Any] = {"data": result.data}
        if result.errors:
            answer["errors"] = [error.formatted for error in result.errors]
        return web.json_response(answer)

    async def unavailable(request: web.Request) -> web.Response:
        error = {"message": "down for maintenance", "extensions": {"code": "MAINTENANCE"}}
        return web.json_response({"errors": [error]}, status=503)

    async def not_graphql(request: web.Request) -> web.Response:
        return web.Response(text="hello", content_type="text/plain")

    app = web.Application(middlewares=[count])
    app.router.add_route("*", "/graphql", view)
    app.router.add_post("/apq", apq)
    app.router.add_route("*", "/unavailable", unavailable)
    app.router.add_route("*", "/not-graphql", not_graphql)
    return app


@dataclass
class GraphQLTestServer:
    """Where the test server listens and what it saw."""

    http_url: str
    ws_url: str
    base_url: str
    token: str
    state: ServerState

    @property
    def apq_url(self) -> str:
        return f"{self.base_url}/apq"


@pytest.fixture
async def graphql_server() -> AsyncIterator[GraphQLTestServer]:
    state = ServerState()
    runner = web.AppRunner(_build_app(state), shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    base = f"http://127.0.0.1:{port}"
    try:
        yield GraphQLTestServer(
            f"{base}/graphql", f"ws://127.0.0.1:{port}/graphql", base, WS_TOKEN, state
        )
    finally:
        await runner.cleanup()
