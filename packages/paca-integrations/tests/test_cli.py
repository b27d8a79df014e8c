import json
import sys
import types
from importlib import metadata

import pytest

from paca.integrations._cli import registry
from paca.integrations._cli.main import main


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert (
        capsys.readouterr().out.strip()
        == f"paca-integrations {metadata.version('paca-integrations')}"
    )


def test_no_command_prints_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 0
    out = capsys.readouterr().out
    assert "info" in out
    assert "demo" in out


def test_info_lists_distributions_and_drivers(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["info"]) == 0
    out = capsys.readouterr().out
    assert f"paca-result        {metadata.version('paca-result')}" in out
    assert "paca-integrations" in out
    assert "optional drivers" in out
    assert "aiosqlite" in out


def test_info_json_says_which_drivers_import(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["info", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    names = {d["name"] for d in report["distributions"]}
    assert {"paca-result", "paca-integrations"} <= names
    drivers = {d["module"]: d for d in report["drivers"]}
    assert drivers["tenacity"]["available"] is True  # a hard dependency of paca-resilience
    for driver in drivers.values():
        importable = __import__("importlib.util").util.find_spec(driver["module"]) is not None
        assert driver["available"] is importable


def test_demo_runs_offline_and_passes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert "demo: " in out
    assert " 0 failed" in out


def test_demo_only_one_step_and_unknown_step(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--only", "result"]) == 0
    assert "demo: 1 passed, 0 failed" in capsys.readouterr().out
    assert main(["demo", "--only", "nope"]) == 2
    assert "unknown demo step(s): nope" in capsys.readouterr().out


def _plugin_module(monkeypatch: pytest.MonkeyPatch) -> None:
    module = types.ModuleType("paca_test_plugin")

    def register(parser):  # type: ignore[no-untyped-def]
        """Say hello from a plugin."""
        parser.add_argument("--name", default="world")

        async def run(args):  # type: ignore[no-untyped-def]
            print(f"hello {args.name}")
            return 3

        return run

    def broken_register(parser):  # type: ignore[no-untyped-def]
        raise RuntimeError("cannot register")

    module.register = register  # type: ignore[attr-defined]
    module.broken_register = broken_register  # type: ignore[attr-defined]
    module.not_callable = 42  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "paca_test_plugin", module)


def test_subcommands_come_from_the_entry_point_group(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _plugin_module(monkeypatch)
    real = registry.metadata.entry_points

    def entry_points(*, group: str) -> list[metadata.EntryPoint]:
        extra = [
            metadata.EntryPoint("hello", "paca_test_plugin:register", group),
            metadata.EntryPoint("info", "paca_test_plugin:register", group),  # duplicate name
            metadata.EntryPoint("missing", "paca_no_such_module:register", group),
            metadata.EntryPoint("odd", "paca_test_plugin:not_callable", group),
            metadata.EntryPoint("broken", "paca_test_plugin:broken_register", group),
        ]
        return [*real(group=group), *extra]

    monkeypatch.setattr(registry.metadata, "entry_points", entry_points)
    assert main(["hello", "--name", "paca"]) == 3
    captured = capsys.readouterr()
    assert "hello paca" in captured.out
    assert "'info' of ? ignored" in captured.err
    assert "'missing' of ? could not be loaded" in captured.err
    assert "'odd' of ? is not callable" in captured.err
    assert "'broken' failed to register" in captured.err
    # the built-in info survived the duplicate
    assert main(["info"]) == 0
    # a subcommand that failed to register is not runnable but does not break the others
    assert main(["broken"]) == 2
    assert "broken is unavailable" in capsys.readouterr().err
