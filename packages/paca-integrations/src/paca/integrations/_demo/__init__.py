"""The steps of ``paca demo``: one per package, each offline on embedded defaults.

A step is an ``async def step(say) -> None`` that shows its package at work and raises
``AssertionError`` if what it shows did not happen. Add a step to ``STEPS`` when a package
gains something worth showing; the demo must keep working with no network and no servers.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Awaitable, Callable, Sequence

from paca.integrations._demo import (
    http_step,
    info_step,
    resilience_step,
    result_step,
    sql_step,
    webhooks_step,
)

__all__ = ["STEPS", "Say", "run_demo"]

Say = Callable[[str], None]
Step = Callable[[Say], Awaitable[None]]

STEPS: dict[str, Step] = {
    "result": result_step.run,
    "resilience": resilience_step.run,
    "sql": sql_step.run,
    "http": http_step.run,
    "webhooks": webhooks_step.run,
    "info": info_step.run,
}


async def run_demo(only: Sequence[str] | None = None, say: Say = print) -> int:
    """Run the demo steps (all, or ``only`` these) and return an exit code."""
    unknown = sorted(set(only or ()) - set(STEPS))
    if unknown:
        say(f"unknown demo step(s): {', '.join(unknown)}; known: {', '.join(STEPS)}")
        return 2
    chosen = [name for name in STEPS if not only or name in only]
    failed: list[str] = []
    for name in chosen:
        say(f"== {name}")
        started = time.perf_counter()
        try:
            await STEPS[name](lambda line: say(f"   {line}"))
        except Exception:
            failed.append(name)
            say(traceback.format_exc().rstrip())
            say(f"   FAILED {name}")
        else:
            say(f"   ok ({(time.perf_counter() - started) * 1000:.1f} ms)")
    say("")
    say(f"demo: {len(chosen) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0
