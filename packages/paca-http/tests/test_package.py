"""The distribution as installed: its metadata, its typing marker, its public names."""

import importlib.metadata
import importlib.resources
import sys
from pathlib import Path

import paca.http

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"


def test_installed_version_is_the_version_in_the_tree() -> None:
    declared = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]["version"]
    assert importlib.metadata.version("paca-http") == declared


def test_ships_py_typed() -> None:
    assert importlib.resources.files("paca.http").joinpath("py.typed").is_file()


def test_public_names_are_pinned() -> None:
    assert set(paca.http.__all__) == {
        "UniversalAPIClient", "RESTClient", "StreamedResponse", "ClientNotInitializedError",
        "HTTPMethod", "APIEndpoint", "PathTemplate", "EndpointError", "APIRegistry",
        "RegistryError", "Pagination", "LinkPagination", "CursorPagination", "PagePagination",
        "OffsetPagination", "parse_link_header", "AuthManager", "AuthProvider", "AuthTicket",
        "AuthVerdict", "CredentialsUnavailable", "KeyPool", "KeyStatus", "KeyStrategy", "Signer",
        "SigningInput", "HmacSigner", "ResponseCache", "CachePolicy", "CacheStats", "CacheStore",
        "MemoryCacheStore", "RedisCacheStore", "OutgoingRequest", "RawResponse", "EndpointStats",
        "HTTPEvent", "RequestFinished", "RateLimitPaused", "AuthRetried", "AuthEvent",
        "KeyRotated", "KeyCooldown", "KeyQuarantined", "TokenRefreshed", "HTTPTransportError",
        "HTTPTimeoutError", "HTTPConnectionError", "HTTPProtocolError",
    }  # fmt: skip
    for name in paca.http.__all__:
        assert getattr(paca.http, name) is not None


def test_importing_the_package_loads_no_optional_driver() -> None:
    import subprocess
    import sys

    code = "import sys, paca.http; print('redis' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
