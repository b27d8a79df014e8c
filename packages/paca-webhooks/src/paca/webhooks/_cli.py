"""``paca webhooks``: run a receiver from a TOML file, list and replay dead letters.

Registered in the ``paca.cli`` entry-point group (``webhooks = "paca.webhooks._cli:register"``).

The configuration file (secrets come from the environment, never from the file)::

    path = "/webhooks/billing"  # URL path deliveries are POSTed to
    host = "127.0.0.1"
    port = 8080
    source = "billing"  # dedup scope: (source, event id) is unique
    workers = 4  # dispatcher workers in this process (0: receive only)
    handlers = ["myapp.hooks:setup"]  # callables taking the WebhookHandler, to add routes
    max_body_size = 1048576
    max_attempts = 5
    handler_timeout = 30.0

    [verifier]
    scheme = "standard-webhooks"  # or "stripe", "github", "slack"
    secrets_env = ["BILLING_WEBHOOK_SECRET"]  # each variable may hold several, comma-separated
    tolerance = 300

    [inbox]
    sqlite = "hooks.db"  # or: redis_url_env = "PACA_REDIS_URL" (or redis_url)
    prefix = "paca:webhooks"  # Redis key prefix
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import os
import signal
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiohttp import web

from paca.webhooks._handler import WebhookHandler
from paca.webhooks._inbox_redis import RedisInbox
from paca.webhooks._inbox_sqlite import SQLiteInbox

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

if TYPE_CHECKING:
    from collections.abc import Callable

    from paca.webhooks._inbox import Inbox
    from paca.webhooks._verify_protocol import Verifier

__all__ = [
    "ConfigError",
    "ServeConfig",
    "build_handler",
    "build_inbox",
    "build_verifier",
    "load_config",
    "main",
    "register",
    "serve",
]

_SCHEMES = ("standard-webhooks", "stripe", "github", "slack")


class ConfigError(ValueError):
    """The configuration file is missing, unreadable or invalid."""


@dataclass(frozen=True)
class ServeConfig:
    """A receiver's configuration, read from TOML by :func:`load_config`."""

    path: str = "/webhooks"
    host: str = "127.0.0.1"
    port: int = 8080
    source: str = "default"
    workers: int = 4
    handlers: tuple[str, ...] = ()
    max_body_size: int = 1024 * 1024
    max_attempts: int = 5
    handler_timeout: float = 30.0
    verifier: dict[str, Any] = field(default_factory=dict)
    inbox: dict[str, Any] = field(default_factory=dict)


def load_config(path: str | Path) -> ServeConfig:
    """Read a TOML configuration file.

    Raises:
        ConfigError: The file cannot be read or holds unknown or ill-typed keys.
    """
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        msg = f"cannot read configuration {path}: {exc}"
        raise ConfigError(msg) from exc
    known = set(ServeConfig.__dataclass_fields__)
    unknown = sorted(set(data) - known)
    if unknown:
        msg = f"unknown configuration keys: {', '.join(unknown)}"
        raise ConfigError(msg)
    if "handlers" in data:
        data["handlers"] = tuple(data["handlers"])
    try:
        return ServeConfig(**data)
    except TypeError as exc:
        raise ConfigError(str(exc)) from exc


def _secrets(section: dict[str, Any]) -> list[str]:
    names = section.get("secrets_env", [])
    if isinstance(names, str):
        names = [names]
    secrets: list[str] = []
    for name in names:
        value = os.environ.get(name)
        if not value:
            msg = f"environment variable {name} (a webhook secret) is not set"
            raise ConfigError(msg)
        secrets += [part.strip() for part in value.split(",") if part.strip()]
    if not secrets:
        msg = "[verifier] needs secrets_env: the names of variables holding the secrets"
        raise ConfigError(msg)
    return secrets


def build_verifier(section: dict[str, Any]) -> Verifier:
    """Build the verifier a ``[verifier]`` section describes (secrets read from the env)."""
    from paca.webhooks import _verifiers  # noqa: PLC0415 - only the CLI needs every scheme

    scheme = section.get("scheme", "standard-webhooks")
    secrets = _secrets(section)
    options: dict[str, Any] = {}
    if "tolerance" in section and scheme != "github":
        options["tolerance"] = float(section["tolerance"])
    try:
        if scheme == "standard-webhooks":
            return _verifiers.StandardWebhooksVerifier(secrets, **options)
        if scheme == "stripe":
            return _verifiers.StripeVerifier(secrets, **options)
        if scheme == "github":
            return _verifiers.GitHubVerifier(secrets)
        if scheme == "slack":
            return _verifiers.SlackVerifier(secrets, **options)
    except ValueError as exc:
        msg = f"[verifier] {scheme}: {exc}"
        raise ConfigError(msg) from exc
    msg = f"[verifier] scheme must be one of {', '.join(_SCHEMES)}, got {scheme!r}"
    raise ConfigError(msg)


def build_inbox(section: dict[str, Any]) -> Inbox:
    """Build the inbox an ``[inbox]`` section describes."""
    if "sqlite" in section:
        return SQLiteInbox(section["sqlite"])
    url = section.get("redis_url")
    if "redis_url_env" in section:
        url = os.environ.get(section["redis_url_env"])
        if not url:
            msg = f"environment variable {section['redis_url_env']} (the Redis URL) is not set"
            raise ConfigError(msg)
    if url:
        return RedisInbox(url, prefix=section.get("prefix", "paca:webhooks"))
    msg = "[inbox] needs sqlite = 'file.db', redis_url or redis_url_env"
    raise ConfigError(msg)


def build_handler(config: ServeConfig, verifier: Verifier | None = None) -> WebhookHandler:
    """Build the :class:`WebhookHandler` of a configuration and run its ``handlers`` setups."""
    hooks = WebhookHandler(
        verifier=verifier or build_verifier(config.verifier),
        inbox=build_inbox(config.inbox),
        source=config.source,
        max_body_size=config.max_body_size,
        workers=max(1, config.workers),
        max_attempts=config.max_attempts,
        handler_timeout=config.handler_timeout,
    )
    for spec in config.handlers:
        module_name, _, attr = spec.partition(":")
        try:
            setup: Callable[[WebhookHandler], object] = getattr(
                importlib.import_module(module_name), attr or "setup"
            )
        except (ImportError, AttributeError) as exc:
            msg = f"handlers: cannot load {spec!r}: {exc}"
            raise ConfigError(msg) from exc
        setup(hooks)
    return hooks


async def serve(
    config: ServeConfig,
    *,
    stop: asyncio.Event | None = None,
    ready: Callable[[int], object] | None = None,
) -> int:
    """Run the receiver (and ``config.workers`` workers) until SIGINT/SIGTERM or ``stop``.

    Args:
        config: The configuration.
        stop: Set it to shut down (tests); signals also do.
        ready: Called with the bound port once the server listens.

    Returns:
        The exit code, 0.
    """
    hooks = build_handler(config)
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, stop.set)
    runner = web.AppRunner(hooks.create_app(config.path, run_workers=config.workers > 0))
    await runner.setup()
    try:
        site = web.TCPSite(runner, config.host, config.port)
        await site.start()
        port = config.port
        server = getattr(site, "_server", None)
        if server is not None and server.sockets:
            port = server.sockets[0].getsockname()[1]
        sys.stdout.write(f"paca webhooks: listening on http://{config.host}:{port}{config.path}\n")
        sys.stdout.flush()
        if ready is not None:
            ready(port)
        await stop.wait()
    finally:
        await runner.cleanup()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.remove_signal_handler(sig)
    return 0


async def _replay(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    inbox = build_inbox(config.inbox)
    await inbox.open()
    try:
        if args.all:
            count = 0
            for letter in await inbox.dead_letters(100_000):
                if letter.source == config.source:
                    count += await inbox.replay(letter.event_id, config.source)
            sys.stdout.write(f"replayed {count} dead letter(s)\n")
            return 0
        missing = [e for e in args.event_ids if not await inbox.replay(e, config.source)]
        for event_id in missing:
            sys.stderr.write(f"no dead letter {event_id!r} in source {config.source!r}\n")
        sys.stdout.write(f"replayed {len(args.event_ids) - len(missing)} dead letter(s)\n")
        return 1 if missing else 0
    finally:
        await inbox.close()


async def _list(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    inbox = build_inbox(config.inbox)
    await inbox.open()
    try:
        for letter in await inbox.dead_letters(args.limit):
            sys.stdout.write(
                f"{letter.source}\t{letter.event_id}\t{letter.event_type}\t"
                f"{letter.attempts}\t{letter.error or ''}\n"
            )
    finally:
        await inbox.close()
    return 0


async def _run(args: argparse.Namespace) -> int:
    try:
        if args.action == "serve":
            config = load_config(args.config)
            if args.port is not None:
                config = ServeConfig(**{**config.__dict__, "port": args.port})
            return await serve(config)
        if args.action == "replay":
            if not args.all and not args.event_ids:
                sys.stderr.write("paca webhooks replay: give event ids or --all\n")
                return 2
            return await _replay(args)
        return await _list(args)
    except ConfigError as exc:
        sys.stderr.write(f"paca webhooks: {exc}\n")
        return 2


def register(parser: argparse.ArgumentParser) -> Callable[[argparse.Namespace], Any]:
    """Add the ``serve``, ``replay`` and ``dead-letters`` actions to ``paca webhooks``.

    Returns:
        The handler: it takes the parsed arguments and returns an awaitable exit code.
    """
    parser.description = "Receive webhooks durably; list and replay dead letters."
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    serve_parser = actions.add_parser("serve", help="run a receiver from a TOML config file")
    serve_parser.add_argument("--config", "-c", required=True, help="the TOML file")
    serve_parser.add_argument("--port", type=int, help="override the configured port")
    replay = actions.add_parser("replay", help="queue dead letters again")
    replay.add_argument("--config", "-c", required=True, help="the TOML file")
    replay.add_argument("event_ids", nargs="*", metavar="EVENT_ID")
    replay.add_argument("--all", action="store_true", help="replay every dead letter")
    letters = actions.add_parser("dead-letters", help="list dead letters")
    letters.add_argument("--config", "-c", required=True, help="the TOML file")
    letters.add_argument("--limit", type=int, default=100)
    return _run


def main(argv: list[str] | None = None) -> int:
    """Run ``paca webhooks`` without the ``paca`` launcher (``python -m``-style use, tests)."""
    parser = argparse.ArgumentParser(prog="paca webhooks")
    handler = register(parser)
    result: Any = handler(parser.parse_args(argv))
    return int(asyncio.run(result))
