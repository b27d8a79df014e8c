#!/usr/bin/env python3
"""List the packages a change affects: the changed ones plus everything that depends on them.

    python tools/affected.py origin/main          # JSON list of package short names
    python tools/affected.py origin/main --names  # one name per line

A change outside ``packages/`` (hatch.toml, tools/, tests/, shared configuration) affects every
package. Dependencies are read from each package's ``pyproject.toml``, so the answer follows the
real graph. CI tests only the affected packages on pull requests and all of them on main.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
_REQ = re.compile(r"^\s*paca-([a-z]+)")


def dependents_graph(root: Path = ROOT) -> dict[str, set[str]]:
    """Map each package to the packages that declare it as a dependency."""
    graph: dict[str, set[str]] = {}
    for pyproject in sorted((root / "packages").glob("paca-*/pyproject.toml")):
        name = pyproject.parent.name.removeprefix("paca-")
        graph.setdefault(name, set())
        project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
        for requirement in project.get("dependencies", []):
            match = _REQ.match(requirement)
            if match:
                graph.setdefault(match[1], set()).add(name)
    return graph


def affected(changed_files: list[str], graph: dict[str, set[str]]) -> list[str]:
    """Return the sorted short names of the packages ``changed_files`` affect."""
    todo: set[str] = set()
    for path in changed_files:
        parts = Path(path).parts
        if len(parts) >= 2 and parts[0] == "packages" and parts[1].startswith("paca-"):
            todo.add(parts[1].removeprefix("paca-"))
        elif parts and parts[0] not in {"packages"} and not path.endswith(".md"):
            return sorted(graph)
    seen: set[str] = set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        todo |= graph.get(name, set())
    return sorted(seen & set(graph))


def main(argv: list[str]) -> int:
    """Print the packages affected since the base ref ``argv[0]``."""
    if not argv:
        print(__doc__)
        return 2
    diff = subprocess.run(
        ["git", "diff", "--name-only", f"{argv[0]}...HEAD"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    names = affected(diff.stdout.split(), dependents_graph())
    print("\n".join(names) if "--names" in argv else json.dumps(names))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
