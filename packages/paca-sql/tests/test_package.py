"""The distribution as installed: its metadata, its typing marker, its public names."""

import importlib.metadata
import importlib.resources
import sys
from pathlib import Path

import paca.sql

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"


def test_installed_version_is_the_version_in_the_tree() -> None:
    declared = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]["version"]
    assert importlib.metadata.version("paca-sql") == declared


def test_ships_py_typed() -> None:
    assert importlib.resources.files("paca.sql").joinpath("py.typed").is_file()


def test_public_names_are_pinned() -> None:
    assert set(paca.sql.__all__) == {
        "SQLConnector", "SQLConfig", "create_sqlite_config", "create_postgres_config",
        "create_mysql_config", "Transaction", "Query", "PoolStats",
        "SQLEvent", "QueryFinished", "PoolAcquired", "PoolReleased",
        "QueryBuilder", "col", "raw", "func", "exists", "excluded", "and_", "or_", "not_",
        "escape_like", "Expr", "Ordering", "Subquery", "Dialect", "get_dialect",
        "TransactionError", "TransactionStateError", "StreamError", "PoolTimeoutError",
        "UnsupportedFeature", "InvalidIdentifier",
    }  # fmt: skip
    for name in paca.sql.__all__:
        assert getattr(paca.sql, name) is not None


def test_importing_the_package_loads_no_optional_driver() -> None:
    import subprocess
    import sys

    code = "import sys, paca.sql; print([m for m in ('asyncpg', 'aiomysql') if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
