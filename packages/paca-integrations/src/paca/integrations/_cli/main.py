"""``paca``: the command line of PACA integrations."""

from __future__ import annotations

import argparse
import asyncio
import inspect
import sys
from importlib import metadata
from typing import TYPE_CHECKING

from paca.integrations._cli.registry import Handler, discover

if TYPE_CHECKING:
    from collections.abc import Awaitable, Sequence

__all__ = ["build_parser", "main"]


def _version() -> str:
    try:
        return metadata.version("paca-integrations")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a bare source tree
        return "unknown"


def build_parser() -> tuple[argparse.ArgumentParser, dict[str, Handler], list[str]]:
    """Build the parser with every discovered subcommand.

    Returns:
        The parser, the handler of each subcommand, and loading warnings.
    """
    parser = argparse.ArgumentParser(
        prog="paca",
        description="PACA integrations: APIs and databases for asyncio, production-ready.",
    )
    parser.add_argument("--version", action="version", version=f"paca-integrations {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    handlers: dict[str, Handler] = {}
    subcommands, warnings = discover()
    for command in subcommands:
        doc = inspect.getdoc(command.register) or ""
        summary = doc.splitlines()[0] if doc else f"(from {command.distribution})"
        child = sub.add_parser(command.name, help=summary, description=doc or None)
        try:
            handlers[command.name] = command.register(child)
        except Exception as exc:
            warnings.append(f"subcommand {command.name!r} failed to register: {exc!r}")
    return parser, handlers, warnings


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``paca`` and return its exit code."""
    parser, handlers, warnings = build_parser()
    for warning in warnings:
        print(f"paca: warning: {warning}", file=sys.stderr)
    args = parser.parse_args(argv)
    handler = handlers.get(args.command)
    if args.command is None:
        parser.print_help()
        return 0
    if handler is None:
        print(f"paca: {args.command} is unavailable (see the warning above)", file=sys.stderr)
        return 2
    outcome = handler(args)
    if isinstance(outcome, int):
        return outcome
    return asyncio.run(_drive(outcome))


async def _drive(awaitable: Awaitable[int]) -> int:
    return await awaitable


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
