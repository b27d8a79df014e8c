"""``paca info``: the installed distributions and which optional drivers are importable."""

from __future__ import annotations

import json
import platform
from dataclasses import asdict
from typing import TYPE_CHECKING

from paca.integrations._inventory import distributions, drivers

if TYPE_CHECKING:
    import argparse

    from paca.integrations._cli.registry import Handler

__all__ = ["register", "render"]


def render() -> str:
    """Return the report ``paca info`` prints."""
    dists = distributions()
    lines = [f"PACA integrations on Python {platform.python_version()}", "", "distributions"]
    width = max((len(d.name) for d in dists), default=0)
    lines += [f"  {d.name:<{width}}  {d.version}" for d in dists] or ["  (none)"]
    lines += ["", "optional drivers"]
    found = drivers()
    name_width = max(len(d.module) for d in found)
    used_width = max(len(d.used_by) for d in found)
    for driver in found:
        state = driver.version if driver.available else f"not installed ({driver.install_hint})"
        lines.append(f"  {driver.module:<{name_width}}  {driver.used_by:<{used_width}}  {state}")
    return "\n".join(lines)


def _as_json() -> str:
    return json.dumps(
        {
            "python": platform.python_version(),
            "distributions": [asdict(d) for d in distributions()],
            "drivers": [asdict(d) | {"available": d.available} for d in drivers()],
        },
        indent=2,
    )


def register(parser: argparse.ArgumentParser) -> Handler:
    """List installed paca-* distributions and optional drivers."""
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON")

    def run(args: argparse.Namespace) -> int:
        print(_as_json() if args.json else render())
        return 0

    return run
