"""tools/release and tools/affected.py: the pure parts, on real repository files."""

from pathlib import Path

import pytest

from paca_testing.tools import load_tool

release = load_tool("release")
affected = load_tool("affected.py")
ROOT = Path(__file__).resolve().parents[2]

CHANGELOG = """# Changelog

## Unreleased

### Added
- thing

## 0.1.0 - 2026-01-01

### Added
- first
"""


@pytest.mark.parametrize(
    ("how", "expected"),
    [("major", "1.0.0"), ("minor", "0.2.0"), ("patch", "0.1.1"), ("0.5.0", "0.5.0")],
)
def test_bump(how: str, expected: str) -> None:
    assert release.bumped("0.1.0", how) == expected


@pytest.mark.parametrize("how", ["0.1.0", "0.0.9", "banana", "1.0"])
def test_bump_refuses_old_or_malformed_versions(how: str) -> None:
    with pytest.raises(SystemExit):
        release.bumped("0.1.0", how)


def test_changelog_entries_move_under_the_dated_version() -> None:
    dated = release.date_changelog(CHANGELOG, "0.2.0", "2026-11-26")
    assert dated == CHANGELOG.replace(
        "## Unreleased\n\n### Added\n- thing\n",
        "## Unreleased\n\n## 0.2.0 - 2026-11-26\n\n### Added\n- thing\n",
    )


def test_an_empty_unreleased_section_cannot_be_released() -> None:
    with pytest.raises(SystemExit, match="empty"):
        release.date_changelog("# C\n\n## Unreleased\n\n## 0.1.0\n- x\n", "0.2.0", "d")


def test_meta_package_pins_are_updated_with_their_extras() -> None:
    meta = (ROOT / "packages/paca-integrations/pyproject.toml").read_text()
    updated = release.repin(meta, "paca-sql", "0.2.0")
    assert '"paca-sql==0.2.0"' in updated
    assert '"paca-sql[postgres]==0.2.0"' in updated
    assert '"paca-sql[mysql]==0.2.0"' in updated
    assert '"paca-nosql==0.1.0"' in updated
    assert "paca-sql==0.1.0" not in updated


def test_the_meta_package_pins_every_sibling_at_the_tree_version() -> None:
    meta = (ROOT / "packages/paca-integrations/pyproject.toml").read_text()
    for pyproject in (ROOT / "packages").glob("paca-*/pyproject.toml"):
        name = pyproject.parent.name
        if name == "paca-integrations":
            continue
        version = release._VERSION_LINE.search(pyproject.read_text())["v"]
        assert f'"{name}=={version}"' in meta


def test_a_breaking_bump_names_the_dependents_to_update() -> None:
    stale = release.excluding_dependents("paca-sql", "0.2.0")
    assert {line.split(" requires ")[0] for line in stale} == {"paca-migrate"}
    assert any(line.startswith("paca-migrate requires paca-sql>=0.1,<0.2") for line in stale)
    assert any("paca-sql[postgres]>=0.1,<0.2" in line for line in stale)
    assert release.excluding_dependents("paca-sql", "0.1.1") == []


def test_affected_follows_dependents() -> None:
    graph = affected.dependents_graph(ROOT)
    assert affected.affected(["packages/paca-sql/src/paca/sql/x.py"], graph) == [
        "integrations",
        "migrate",
        "sql",
    ]
    assert affected.affected(["packages/paca-monitor/README.md"], graph) == [
        "integrations",
        "monitor",
    ]
    assert affected.affected(["README.md"], graph) == []
    assert affected.affected(["hatch.toml"], graph) == sorted(graph)
    assert len(graph) == 10
