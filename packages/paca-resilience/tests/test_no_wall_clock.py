"""No decision path of paca.resilience reads the wall clock.

Every module of ``paca/resilience/*.py`` is parsed and searched for
``time.time``, ``time.time_ns``, ``datetime.now``, ``datetime.utcnow``,
``date.today`` (and ``from time import time``). Comments and docstrings do
not count. The only allowed reads are the named functions below, each of
which converts an absolute HTTP date into a *duration*; the test prints them.
"""

from __future__ import annotations

import ast
from pathlib import Path

import paca.resilience

PACKAGE = Path(next(iter(paca.resilience.__path__)))

#: (module, function) -> why it may read the wall clock.
EXEMPTIONS: dict[tuple[str, str], str] = {
    ("_retry_after.py", "_utcnow"): (
        "Retry-After / rate-limit HTTP-date or epoch reset -> seconds (RFC 9110 10.2.3)"
    ),
}

FORBIDDEN_ATTRIBUTES = {
    ("time", "time"),
    ("time", "time_ns"),
    ("datetime", "now"),
    ("datetime", "utcnow"),
    ("datetime", "today"),
    ("date", "today"),
}


def _dotted(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def wall_clock_reads(source: str) -> list[tuple[int, str, str | None]]:
    """Return ``(line, what, enclosing function)`` for each wall-clock read."""
    found: list[tuple[int, str, str | None]] = []

    def visit(node: ast.AST, function: str | None) -> None:
        for child in ast.iter_child_nodes(node):
            inner = function
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                inner = child.name
            if isinstance(child, ast.Attribute):
                owner = _dotted(child.value)
                if (owner, child.attr) in FORBIDDEN_ATTRIBUTES:
                    found.append((child.lineno, f"{owner}.{child.attr}", function))
            if isinstance(child, ast.ImportFrom) and child.module == "time":
                found.extend(
                    (child.lineno, f"from time import {alias.name}", function)
                    for alias in child.names
                    if alias.name in {"time", "time_ns"}
                )
            visit(child, inner)

    visit(ast.parse(source), None)
    return found


def test_detector_sees_reads_and_ignores_comments() -> None:
    source = (
        '"""time.time() in a docstring."""\n'
        "import time\n"
        "from datetime import datetime\n"
        "def f():\n"
        "    # time.time() in a comment\n"
        "    return time.time(), datetime.now(), datetime.datetime.utcnow(), time.monotonic()\n"
    )
    assert [(line, what) for line, what, _ in wall_clock_reads(source)] == [
        (6, "time.time"),
        (6, "datetime.now"),
        (6, "datetime.utcnow"),
    ]


def test_no_wall_clock_in_decision_code() -> None:
    modules = sorted(PACKAGE.glob("*.py"))
    assert modules, PACKAGE
    offenders = []
    used = []
    for path in modules:
        for line, what, function in wall_clock_reads(path.read_text(encoding="utf-8")):
            reason = EXEMPTIONS.get((path.name, function or ""))
            if reason is None:
                offenders.append(f"{path.name}:{line}: {what} (in {function or 'module'})")
            else:
                used.append(f"{path.name}:{line} {function}(): {what} -- {reason}")
    print("wall-clock exemptions in use:")  # shown with -s / -rP
    for entry in used:
        print("  ", entry)
    assert not offenders, "wall-clock reads in decision code:\n" + "\n".join(offenders)
