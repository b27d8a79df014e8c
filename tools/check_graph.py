#!/usr/bin/env python3
"""Fail when a package imports, or declares, a sibling the dependency graph does not allow.

The graph is the one drawn in the design (arrows point to what is imported)::

    paca-integrations ──► every package
    paca-graphql  ──► paca-http ──► paca-resilience ──► paca-result
    paca-webhooks ──► paca-resilience, paca-result
    paca-migrate  ──► paca-sql ──► paca-resilience, paca-result
    paca-nosql    ──► paca-resilience, paca-result
    paca-monitor  ──► paca-result

Checks, for every distribution under ``packages/``:
- each ``paca.<name>`` import in its ``src/`` (also inside functions and TYPE_CHECKING blocks)
  targets itself or an allowed sibling, and never a sibling's private ``_module`` (a sibling is
  used through its public names only, which its version range protects);
- the ``paca-*`` entries of its ``[project].dependencies`` are exactly its allowed siblings
  (the meta-package pins all of them);
- no ``src/paca/__init__.py`` (``paca`` is a PEP 420 namespace).

Usage: ``python tools/check_graph.py [REPO_ROOT]``; exit code 1 lists every violation.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ALLOWED: dict[str, frozenset[str]] = {
    "result": frozenset(),
    "resilience": frozenset({"result"}),
    "http": frozenset({"resilience", "result"}),
    "graphql": frozenset({"http", "resilience", "result"}),
    "webhooks": frozenset({"resilience", "result"}),
    "sql": frozenset({"resilience", "result"}),
    "nosql": frozenset({"resilience", "result"}),
    "migrate": frozenset({"sql", "result"}),
    "monitor": frozenset({"result"}),
}
ALLOWED["integrations"] = frozenset(ALLOWED)

_REQ_NAME = re.compile(r"^\s*(paca-[a-z]+)")


def imported_modules(source: str) -> set[tuple[str, int]]:
    """Return ``(module, line)`` for every ``paca.*`` module imported in ``source``."""
    found: set[tuple[str, int]] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update((a.name, node.lineno) for a in node.names if a.name.startswith("paca."))
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "paca":  # from paca import http
                found.update((f"paca.{a.name}", node.lineno) for a in node.names)
            elif node.module.startswith("paca."):
                found.add((node.module, node.lineno))
    return found


def imported_siblings(source: str) -> set[tuple[str, int]]:
    """Return ``(sibling, line)`` for every ``paca.<sibling>`` import in ``source``."""
    return {(module.split(".")[1], line) for module, line in imported_modules(source)}


def check(root: Path) -> list[str]:
    """Return every violation found under ``root/packages``."""
    problems: list[str] = []
    packages = sorted(p for p in (root / "packages").glob("paca-*") if p.is_dir())
    if not packages:
        return [f"no packages found under {root / 'packages'}"]
    for package in packages:
        name = package.name.removeprefix("paca-")
        allowed = ALLOWED.get(name)
        if allowed is None:
            problems.append(f"{package.name}: not in the dependency graph (tools/check_graph.py)")
            continue
        if (package / "src/paca/__init__.py").exists():
            problems.append(f"{package.name}: src/paca/__init__.py breaks the paca namespace")
        for path in sorted((package / "src").rglob("*.py")):
            rel = path.relative_to(root)
            for module, line in sorted(imported_modules(path.read_text(encoding="utf-8"))):
                sibling = module.split(".")[1]
                if sibling == name:
                    continue
                if sibling not in allowed:
                    problems.append(
                        f"{rel}:{line}: paca-{name} may not import paca.{sibling} "
                        f"(allowed: {', '.join(sorted(allowed)) or 'nothing'})"
                    )
                elif any(part.startswith("_") for part in module.split(".")[2:]):
                    problems.append(
                        f"{rel}:{line}: paca-{name} imports the private module {module}: "
                        f"use the public names of paca.{sibling}"
                    )
        meta = tomllib.loads((package / "pyproject.toml").read_text(encoding="utf-8"))
        declared = set()
        for requirement in meta["project"].get("dependencies", []):
            match = _REQ_NAME.match(requirement)
            if match:
                declared.add(match[1].removeprefix("paca-"))
        if declared != set(allowed):
            problems.append(
                f"{package.name}/pyproject.toml: declares paca-{{{', '.join(sorted(declared))}}}"
                f" but the graph gives paca-{{{', '.join(sorted(allowed))}}}"
            )
    return problems


def main(argv: list[str]) -> int:
    """Check the repository at ``argv[0]`` (default: this script's repository)."""
    root = Path(argv[0]) if argv else Path(__file__).resolve().parent.parent
    problems = check(root)
    for problem in problems:
        print(problem)
    if problems:
        print(f"dependency graph: {len(problems)} violation(s)")
        return 1
    print("dependency graph: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
