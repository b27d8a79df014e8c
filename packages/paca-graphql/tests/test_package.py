"""The distribution as installed: its metadata, its typing marker, its public names."""

import importlib.metadata
import importlib.resources
import sys
from pathlib import Path

import paca.graphql

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"


def test_installed_version_is_the_version_in_the_tree() -> None:
    declared = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]["version"]
    assert importlib.metadata.version("paca-graphql") == declared


def test_ships_py_typed() -> None:
    assert importlib.resources.files("paca.graphql").joinpath("py.typed").is_file()


def test_public_names_are_pinned() -> None:
    assert set(paca.graphql.__all__) == {
        "GraphQLClient", "BatchOperation", "DEFAULT_RETRYABLE_CODES", "SubscriptionOptions",
        "subscribe_stream", "GraphQLEvent", "OperationFinished",
    }  # fmt: skip
    for name in paca.graphql.__all__:
        assert getattr(paca.graphql, name) is not None
