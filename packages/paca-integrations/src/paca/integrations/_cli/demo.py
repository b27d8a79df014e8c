"""``paca demo``: the main job, run offline on embedded defaults."""

from __future__ import annotations

from typing import TYPE_CHECKING

from paca.integrations._demo import run_demo

if TYPE_CHECKING:
    import argparse

    from paca.integrations._cli.registry import Handler

__all__ = ["register"]


def register(parser: argparse.ArgumentParser) -> Handler:
    """Run the demo of everything implemented so far (offline: SQLite, in-process servers)."""
    parser.add_argument(
        "--only", action="append", metavar="STEP", help="run only this step (repeatable)"
    )

    async def run(args: argparse.Namespace) -> int:
        return await run_demo(only=args.only)

    return run
