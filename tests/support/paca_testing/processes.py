"""Servers run in a child process, so a load generator and its target never share a loop."""

from __future__ import annotations

import contextlib
import subprocess
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = ["server_process"]


@contextlib.contextmanager
def server_process(source: str, *args: str) -> Iterator[int]:
    """Run ``python -c source *args`` (a server printing its port first); yield the port.

    The load generator and the server then live in two processes, as the benchmarks
    require; the server is stopped on exit.
    """
    process = subprocess.Popen(
        [sys.executable, "-c", source, *args], stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        yield int(process.stdout.readline())
    finally:
        process.kill()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()
