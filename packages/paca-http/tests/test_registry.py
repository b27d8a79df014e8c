"""APIRegistry: registration rules and loading from dicts, TOML and OpenAPI 3."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from paca.http._endpoint import APIEndpoint
from paca.http._methods import HTTPMethod
from paca.http._registry import APIRegistry, RegistryError

if TYPE_CHECKING:
    from pathlib import Path

OPENAPI = {
    "openapi": "3.0.3",
    "servers": [{"url": "https://api.example.com/v1"}],
    "paths": {
        "/pets": {
            "get": {"operationId": "listPets", "summary": "List pets"},
            "post": {"operationId": "createPet"},
        },
        "/pets/{petId}": {
            "parameters": [{"name": "petId", "in": "path"}],
            "get": {"operationId": "showPetById"},
            "delete": {"summary": "no operationId: skipped"},
        },
    },
}


def test_register_rejects_duplicates_and_non_endpoints() -> None:
    registry = APIRegistry([APIEndpoint(name="a", url="/a")])
    with pytest.raises(RegistryError, match="already registered"):
        registry.register(APIEndpoint(name="a", url="/other"))
    registry.register(APIEndpoint(name="a", url="/other"), replace=True)
    assert registry["a"].url == "/other"
    with pytest.raises(TypeError):
        registry.register({"name": "x"})  # type: ignore[arg-type]
    with pytest.raises(KeyError, match="no endpoint named 'zzz'"):
        registry["zzz"]
    assert "a" in registry
    assert len(registry) == 1
    assert registry.names() == ["a"]
    registry.unregister("a")
    assert registry.get("a") is None


def test_from_dict_table_and_list_forms() -> None:
    table = APIRegistry.from_dict(
        {
            "base_url": "https://x",
            "endpoints": {
                "get_post": {"url": "/posts/{id}", "timeout": 5, "headers": {"A": "1"}},
                "make": {"url": "/posts", "method": "post"},
            },
        }
    )
    assert table.base_url == "https://x"
    assert table["get_post"].timeout == 5
    assert table["make"].method is HTTPMethod.POST
    listed = APIRegistry.from_dict({"endpoints": [{"name": "a", "url": "/a"}]})
    assert [e.name for e in listed] == ["a"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"endpoints": {"a": {"url": "/a", "colour": "red"}}}, "unknown keys"),
        ({"endpoints": {"a": {"method": "GET"}}}, "'url' is required"),
        ({"endpoints": {"a": {"url": "a"}}}, "endpoint 'a'.*must start with '/'"),
        ({"endpoints": {"a": "/a"}}, "must be a table"),
        ({"endpoints": 3}, "'endpoints' must be"),
        ({"endpoints": [{"name": "a", "url": "/a"}, {"name": "a", "url": "/b"}]}, "already"),
    ],
)
def test_from_dict_errors_name_the_entry(data: dict[str, object], message: str) -> None:
    with pytest.raises(RegistryError, match=message):
        APIRegistry.from_dict(data)


def test_from_toml_text_and_file(tmp_path: Path) -> None:
    text = """
base_url = "https://api.example.com"

[endpoints.get_post]
url = "/posts/{id}"
method = "GET"
timeout = 2.5
"""
    assert APIRegistry.from_toml(text)["get_post"].timeout == 2.5
    path = tmp_path / "api.toml"
    path.write_text(text)
    assert APIRegistry.from_toml(path).base_url == "https://api.example.com"
    assert APIRegistry.from_toml(str(path)).names() == ["get_post"]
    with pytest.raises(RegistryError, match="invalid TOML"):
        APIRegistry.from_toml("[endpoints\n")
    with pytest.raises(RegistryError, match="cannot read"):
        APIRegistry.from_toml(tmp_path / "missing.toml")


def test_from_openapi(tmp_path: Path) -> None:
    registry = APIRegistry.from_openapi(OPENAPI)
    assert registry.base_url == "https://api.example.com/v1"
    assert registry.names() == ["listPets", "createPet", "showPetById"]
    assert registry["createPet"].method is HTTPMethod.POST
    assert registry["showPetById"].render_path({"petId": 7}) == "/pets/7"
    assert registry["listPets"].description == "List pets"
    path = tmp_path / "openapi.json"
    path.write_text(json.dumps(OPENAPI))
    assert len(APIRegistry.from_openapi(path)) == 3
    assert len(APIRegistry.from_openapi(json.dumps(OPENAPI))) == 3


def test_from_openapi_errors() -> None:
    with pytest.raises(RegistryError, match="not an OpenAPI 3"):
        APIRegistry.from_openapi({"swagger": "2.0"})
    with pytest.raises(RegistryError, match="must be JSON"):
        APIRegistry.from_openapi("openapi: 3.0.0")
    duplicate = {
        "openapi": "3.1.0",
        "paths": {"/a": {"get": {"operationId": "x"}}, "/b": {"get": {"operationId": "x"}}},
    }
    with pytest.raises(RegistryError, match="already registered"):
        APIRegistry.from_openapi(duplicate)
