"""Pure parts: document parsing, payloads, APQ hashes, GraphQL responses as Results."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paca.graphql._operation import DocumentError, apq_hash, build_payload, parse_operation
from paca.graphql._response import (
    error_codes,
    graphql_result,
    is_persisted_query_not_found,
    kind_for_codes,
    persisted_query_fallback,
)
from paca.result import ErrorKind, Result


@pytest.mark.parametrize(
    ("document", "name", "kind"),
    [
        ("{ hello }", None, "query"),
        ("query Q { hello }", "Q", "query"),
        ("mutation M($t: String!) { addMessage(text: $t) { id } }", "M", "mutation"),
        ("subscription { count }", None, "subscription"),
        ("fragment F on Query { hello } query WithFragment { ...F }", "WithFragment", "query"),
    ],
)
def test_parse_finds_name_and_type(document: str, name: str | None, kind: str) -> None:
    op = parse_operation(document)
    assert (op.name, op.type) == (name, kind)
    assert op.sha256 == hashlib.sha256(document.encode()).hexdigest()
    assert not op.multiple


def test_parse_is_cached() -> None:
    assert parse_operation("{ cached }") is parse_operation("{ cached }")


def test_several_operations_need_a_name() -> None:
    document = "query A { a } mutation B { b }"
    assert parse_operation(document, "B").type == "mutation"
    assert parse_operation(document, "A").multiple
    with pytest.raises(DocumentError, match="several"):
        parse_operation(document)
    with pytest.raises(DocumentError, match="no operation named 'C'"):
        parse_operation(document, "C")


@pytest.mark.parametrize("document", ["{ hello ", "fragment F on Query { a }", ""])
def test_bad_documents_raise_document_error(document: str) -> None:
    with pytest.raises(DocumentError):
        parse_operation(document)


def test_document_must_be_text() -> None:
    with pytest.raises(TypeError):
        parse_operation(b"{ hello }")  # type: ignore[arg-type]


def test_payload_shapes() -> None:
    op = parse_operation("query Q($id: ID!) { user(id: $id) { name } }")
    assert build_payload(op, {"id": "1"}) == {
        "query": op.document,
        "variables": {"id": "1"},
        "operationName": "Q",
    }
    hashed = build_payload(op, None, {"trace": True}, persisted=True, include_query=False)
    assert hashed == {
        "operationName": "Q",
        "extensions": {"trace": True, "persistedQuery": {"version": 1, "sha256Hash": op.sha256}},
    }
    assert build_payload(parse_operation("{ a }"), {}) == {"query": "{ a }"}


@given(st.text())
def test_apq_hash_is_the_sha256_of_the_utf8_text(document: str) -> None:
    digest = apq_hash(document)
    assert digest == hashlib.sha256(document.encode("utf-8")).hexdigest()
    assert len(digest) == 64


# -- responses ---------------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=10,
)


@given(json_values)
def test_any_body_gives_a_result_never_an_exception(body: Any) -> None:
    result = graphql_result(Result.ok(body, meta={"status": 200}), "query", {})
    assert isinstance(result, Result)
    if not result.is_success:
        assert result.kind is not None


def test_data_without_errors_is_success() -> None:
    http = Result.ok({"data": {"a": 1}, "extensions": {"cost": 3}}, meta={"status": 200})
    result = graphql_result(http, "query", {"operation_type": "query"})
    assert result.data == {"a": 1}
    assert result.meta["extensions"] == {"cost": 3}
    assert result.meta["operation_type"] == "query"


def test_errors_keep_partial_data_codes_and_count() -> None:
    errors = [
        {"message": "first", "extensions": {"code": "FORBIDDEN"}},
        {"message": "second", "extensions": {"code": "FORBIDDEN"}},
        {"message": "third"},
    ]
    http = Result.ok({"data": {"a": None}, "errors": errors}, meta={"status": 200})
    result = graphql_result(http, "query Q", {})
    assert result.kind is ErrorKind.AUTH
    assert result.error == "query Q: first (+2 more)"
    assert result.meta["data"] == {"a": None}
    assert result.meta["error_codes"] == ("FORBIDDEN",)


def test_transport_failures_pass_through() -> None:
    http: Result[Any] = Result.fail("timed out", ErrorKind.TIMEOUT, meta={"attempts": 1})
    result = graphql_result(http, "query", {"operation_name": None})
    assert (result.kind, result.error) == (ErrorKind.TIMEOUT, "timed out")
    assert "errors" not in result.meta


@pytest.mark.parametrize(
    ("codes", "kind"),
    [
        ((), ErrorKind.QUERY),
        (("SOMETHING",), ErrorKind.QUERY),
        (("bad_user_input",), ErrorKind.VALIDATION),
        (("X", "RATE_LIMITED"), ErrorKind.RATE_LIMITED),
        (("NOT_FOUND", "UNAUTHENTICATED"), ErrorKind.NOT_FOUND),
    ],
)
def test_kind_for_codes(codes: tuple[str, ...], kind: ErrorKind) -> None:
    assert kind_for_codes(codes) is kind


def test_error_codes_tolerate_odd_shapes() -> None:
    assert error_codes("nope") == ()
    assert error_codes(["x", {"extensions": "y"}, {"extensions": {"code": 3}}]) == ()
    assert error_codes([{"message": "PersistedQueryNotFound"}]) == ("PERSISTED_QUERY_NOT_FOUND",)


def test_persisted_query_not_found_is_recognised() -> None:
    http = Result.ok({"errors": [{"message": "PersistedQueryNotFound"}]}, meta={"status": 200})
    assert is_persisted_query_not_found(graphql_result(http, "query", {}))
    assert not is_persisted_query_not_found(Result.ok(None))


def test_persisted_query_fallback_reasons() -> None:
    not_supported = Result.ok(
        {"errors": [{"message": "PersistedQueryNotSupported"}]}, meta={"status": 200}
    )
    assert persisted_query_fallback(graphql_result(not_supported, "query", {})) == (
        "PERSISTED_QUERY_NOT_SUPPORTED"
    )
    bad_request: Result[Any] = Result.fail("HTTP 400", ErrorKind.VALIDATION, meta={"status": 400})
    assert persisted_query_fallback(graphql_result(bad_request, "query", {})) == (
        "PERSISTED_QUERY_NOT_SUPPORTED"
    )
    other = Result.ok({"errors": [{"message": "nope"}]}, meta={"status": 200})
    assert persisted_query_fallback(graphql_result(other, "query", {})) is None
