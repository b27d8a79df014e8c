#!/usr/bin/env python3
"""Check the built distributions in ``dist/`` (run ``hatch build --all`` first).

For every package under ``packages/``:
- its wheel and sdist exist, at the version of its ``pyproject.toml``;
- the wheel holds only ``paca/<name>/...`` (with ``py.typed``) and its ``.dist-info``: no
  ``paca/__init__.py``, nothing of a sibling;
- the sdist holds ``pyproject.toml``, ``README.md``, ``LICENSE`` and the sources;
- with ``--install``: the wheel installs into an empty virtual environment (siblings taken from
  ``dist/``, third-party dependencies from the package index) and ``import paca.<name>`` works.

Usage: ``python tools/check_dists.py [--install]``.
"""

from __future__ import annotations

import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
DIST = ROOT / "dist"


def check_package(package: Path, install: bool) -> list[str]:
    """Return the problems of one package's built distributions."""
    meta = tomllib.loads((package / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    name, version = meta["name"], meta["version"]
    sub = name.removeprefix("paca-")
    stem = f"{name.replace('-', '_')}-{version}"
    wheel, sdist = DIST / f"{stem}-py3-none-any.whl", DIST / f"{stem}.tar.gz"
    if not wheel.exists() or not sdist.exists():
        return [f"{name}: missing {wheel.name} or {sdist.name} in dist/"]
    with zipfile.ZipFile(wheel) as zf:
        files = zf.namelist()
    problems = [
        f"{wheel.name}: unexpected file {file}"
        for file in files
        if not file.startswith((f"paca/{sub}/", f"{stem}.dist-info/"))
    ]
    if f"paca/{sub}/py.typed" not in files:
        problems.append(f"{wheel.name}: no paca/{sub}/py.typed")
    if f"paca/{sub}/__init__.py" not in files:
        problems.append(f"{wheel.name}: no paca/{sub}/__init__.py")
    with tarfile.open(sdist) as tf:
        names = {n.split("/", 1)[1] for n in tf.getnames() if "/" in n}
    required = ("pyproject.toml", "README.md", "LICENSE", f"src/paca/{sub}/__init__.py")
    problems += [f"{sdist.name}: no {item}" for item in required if item not in names]
    if install and not problems:
        problems += install_alone(name, sub)
    return problems


def install_alone(name: str, sub: str) -> list[str]:
    """Install ``name`` into an empty venv from dist/ and import it."""
    with tempfile.TemporaryDirectory(prefix=f"{name}-") as tmp:
        venv = Path(tmp) / "venv"
        python = venv / "bin" / "python"
        steps = [
            ["uv", "venv", "-q", "-p", sys.executable, str(venv)],
            ["uv", "pip", "install", "-q", "-p", str(python), "--find-links", str(DIST), name],
            [str(python), "-c", f"import paca.{sub}; print(paca.{sub}.__name__)"],
        ]
        for step in steps:
            done = subprocess.run(step, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                return [f"{name}: `{' '.join(step[:4])} ...` failed:\n{done.stderr[-2000:]}"]
    return []


def main(argv: list[str]) -> int:
    """Check every package; return 1 if any problem was found."""
    install = "--install" in argv
    problems: list[str] = []
    packages = sorted((ROOT / "packages").glob("paca-*"))
    for package in packages:
        found = check_package(package, install)
        problems += found
        print(f"{package.name}: {'ok' if not found else 'FAILED'}")
    for problem in problems:
        print(problem)
    print(f"distributions: {len(packages)} checked, {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
