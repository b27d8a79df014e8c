"""Load a script of ``tools/`` (not a package) as a module, for its tests."""

from __future__ import annotations

import importlib.machinery
import importlib.util
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from types import ModuleType

TOOLS = Path(__file__).resolve().parents[3] / "tools"


def load_tool(filename: str) -> ModuleType:
    """Import ``tools/<filename>`` under the module name ``tools_<stem>``."""
    path = TOOLS / filename
    name = "tools_" + path.stem.replace("-", "_")
    if name in sys.modules:
        return sys.modules[name]
    loader = importlib.machinery.SourceFileLoader(name, str(path))
    spec = importlib.util.spec_from_loader(name, loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    loader.exec_module(module)
    return module
