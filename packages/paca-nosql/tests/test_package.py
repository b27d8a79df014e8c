"""The distribution as installed: its metadata, its typing marker, its public names."""

import importlib.metadata
import importlib.resources
import sys
from pathlib import Path

import paca.nosql

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"


def test_installed_version_is_the_version_in_the_tree() -> None:
    declared = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]["version"]
    assert importlib.metadata.version("paca-nosql") == declared


def test_ships_py_typed() -> None:
    assert importlib.resources.files("paca.nosql").joinpath("py.typed").is_file()


def test_public_names_are_pinned() -> None:
    assert paca.nosql.__all__ == []
