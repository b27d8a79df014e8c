"""Demo step: what ``paca info`` reports about this installation."""

from __future__ import annotations

from typing import TYPE_CHECKING

from paca.integrations._cli.info import render
from paca.integrations._demo._expect import expect
from paca.integrations._inventory import distributions

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["run"]


async def run(say: Callable[[str], None]) -> None:
    """Print the inventory of installed distributions and drivers."""
    for line in render().splitlines():
        say(line)
    names = {d.name for d in distributions()}
    expect({"paca-result", "paca-integrations"} <= names, "paca info sees the distributions")
