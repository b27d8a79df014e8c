"""Subcommands of ``paca``, discovered through the ``paca.cli`` entry-point group.

A distribution adds ``paca NAME`` by declaring, in its ``pyproject.toml``::

    [project.entry-points."paca.cli"]
    NAME = "paca.mypkg._cli:register"

``register(parser)`` receives the subcommand's ``argparse.ArgumentParser``, adds its
arguments, and returns the handler: a callable taking the parsed ``argparse.Namespace`` and
returning an exit code, or an awaitable of one (run with ``asyncio.run``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from importlib import metadata
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import argparse

__all__ = ["GROUP", "Handler", "Register", "Subcommand", "discover"]

GROUP = "paca.cli"
Handler = Callable[["argparse.Namespace"], int | Awaitable[int]]
Register = Callable[["argparse.ArgumentParser"], Handler]


@dataclass(frozen=True)
class Subcommand:
    """A subcommand found in the entry-point group."""

    name: str
    distribution: str
    register: Register


def discover(group: str = GROUP) -> tuple[list[Subcommand], list[str]]:
    """Load every subcommand of ``group``.

    Returns:
        The subcommands sorted by name, and one warning per entry point that could not be
        loaded or that repeats a name already taken (the first one found wins).
    """
    found: dict[str, Subcommand] = {}
    warnings: list[str] = []
    for entry in metadata.entry_points(group=group):
        dist = entry.dist.name if entry.dist is not None else "?"
        if entry.name in found:
            warnings.append(
                f"subcommand {entry.name!r} of {dist} ignored: "
                f"{found[entry.name].distribution} already provides it"
            )
            continue
        try:
            register = entry.load()
        except Exception as exc:
            warnings.append(f"subcommand {entry.name!r} of {dist} could not be loaded: {exc!r}")
            continue
        if not callable(register):
            warnings.append(f"subcommand {entry.name!r} of {dist} is not callable")
            continue
        found[entry.name] = Subcommand(entry.name, dist, register)
    return sorted(found.values(), key=lambda s: s.name), warnings
