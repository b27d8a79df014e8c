"""Pins what the meta-package exports: each package issue adds its names here."""

import importlib

import pytest

EXPECTED = {
    "paca.integrations": {"ErrorKind", "Result", "ResultError", "Secret"},
    "paca.integrations.apis": {
        "UniversalAPIClient",
        "RESTClient",
        "APIEndpoint",
        "HTTPMethod",
        "APIRegistry",
        "AuthManager",
        "WebhookHandler",
        "GraphQLClient",
        "CircuitBreaker",
        "RateLimiter",
    },
    "paca.integrations.databases": {
        "SQLConnector",
        "QueryBuilder",
        "create_sqlite_config",
        "create_postgres_config",
        "create_mysql_config",
    },
    "paca.integrations.databases.sql_connector": {
        "SQLConnector",
        "SQLConfig",
        "create_sqlite_config",
        "create_postgres_config",
        "create_mysql_config",
    },
    "paca.integrations.databases.nosql_connector": set(),
}


@pytest.mark.parametrize("module", sorted(EXPECTED))
def test_exported_names_are_pinned(module: str) -> None:
    mod = importlib.import_module(module)
    assert set(mod.__all__) == EXPECTED[module]
    for name in mod.__all__:
        assert getattr(mod, name) is not None


def test_reexports_are_the_same_objects() -> None:
    import paca.integrations
    import paca.result

    assert paca.integrations.Result is paca.result.Result
    assert paca.integrations.ErrorKind is paca.result.ErrorKind
