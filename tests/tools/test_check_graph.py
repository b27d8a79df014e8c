"""The dependency-graph check fails on every kind of forbidden edge, and passes on the repo."""

import shutil
from pathlib import Path

import pytest

from paca_testing.tools import load_tool

check_graph = load_tool("check_graph.py")
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A copy of the real packages' metadata and sources, to break on purpose."""
    for package in (ROOT / "packages").glob("paca-*"):
        target = tmp_path / "packages" / package.name
        shutil.copytree(package / "src", target / "src")
        shutil.copy(package / "pyproject.toml", target / "pyproject.toml")
    return tmp_path


def test_the_repository_follows_the_graph() -> None:
    assert check_graph.check(ROOT) == []
    assert check_graph.main([str(ROOT)]) == 0


def test_a_forbidden_import_fails(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = repo / "packages/paca-result/src/paca/result/_bad.py"
    bad.write_text("def f():\n    from paca.http import x\n    return x\n")
    assert check_graph.main([str(repo)]) == 1
    out = capsys.readouterr().out
    assert "_bad.py:2: paca-result may not import paca.http" in out
    assert "1 violation(s)" in out


@pytest.mark.parametrize(
    "statement",
    [
        "import paca.sql",
        "import paca.sql.pool as p",
        "from paca import sql",
        "from paca.sql import SQLConnector",
    ],
)
def test_every_import_form_is_seen(repo: Path, statement: str) -> None:
    (repo / "packages/paca-monitor/src/paca/monitor/_x.py").write_text(statement + "\n")
    problems = check_graph.check(repo)
    assert len(problems) == 1
    assert "paca-monitor may not import paca.sql" in problems[0]


def test_sideways_import_between_siblings_fails(repo: Path) -> None:
    (repo / "packages/paca-nosql/src/paca/nosql/_x.py").write_text("import paca.sql\n")
    assert any("paca-nosql may not import paca.sql" in p for p in check_graph.check(repo))


def test_undeclared_or_extra_dependency_fails(repo: Path) -> None:
    pyproject = repo / "packages/paca-monitor/pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace('"psutil>=5.9"', '"psutil>=5.9", "paca-sql>=0.1,<0.2"')
    )
    problems = check_graph.check(repo)
    assert problems == [
        "paca-monitor/pyproject.toml: declares paca-{result, sql} but the graph gives paca-{result}"
    ]


def test_a_namespace_init_fails(repo: Path) -> None:
    (repo / "packages/paca-sql/src/paca/__init__.py").write_text("")
    assert check_graph.check(repo) == ["paca-sql: src/paca/__init__.py breaks the paca namespace"]


def test_an_unknown_package_fails(repo: Path) -> None:
    shutil.copytree(repo / "packages/paca-monitor", repo / "packages/paca-extra")
    assert "paca-extra: not in the dependency graph" in check_graph.check(repo)[0]


def test_a_siblings_private_module_is_forbidden(repo: Path) -> None:
    (repo / "packages/paca-sql/src/paca/sql/_x.py").write_text(
        "from paca.resilience._clock import FakeClock\nfrom paca.resilience import Clock\n"
    )
    problems = check_graph.check(repo)
    assert len(problems) == 1
    assert "_x.py:1: paca-sql imports the private module paca.resilience._clock" in problems[0]
