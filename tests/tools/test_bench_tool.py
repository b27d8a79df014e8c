"""tools/bench: the pure parts (arguments, ratios, order of the runs, aggregation, output).

Everything runs on synthetic pytest-benchmark JSON: no benchmark is timed here.
"""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import pytest

from paca_testing.tools import load_tool

if TYPE_CHECKING:
    from pathlib import Path

bench = load_tool("bench")

MODULE = "tests/performance/test_bench_fake.py"


def entry(
    name: str, median: float, group: str | None = "g", calls: Any = None, module: str = MODULE
) -> dict[str, Any]:
    """One benchmark as pytest-benchmark 5 writes it in --benchmark-json (the fields we read)."""
    extra = {} if calls is None else {"calls": calls}
    return {
        "group": group,
        "name": name,
        "fullname": f"{module}::{name}",
        "params": None,
        "param": None,
        "extra_info": extra,
        "options": {"disable_gc": False, "timer": "perf_counter", "min_rounds": 5},
        "stats": {"min": median * 0.9, "max": median * 1.2, "mean": median, "median": median,
                  "stddev": 0.0, "rounds": 10, "iterations": 1},
    }  # fmt: skip


def report(*benchmarks: dict[str, Any]) -> dict[str, Any]:
    return {
        "machine_info": {"python_version": "3.12.3", "cpu": {"brand_raw": "Test CPU"}},
        "commit_info": {},
        "benchmarks": list(benchmarks),
        "datetime": "2026-01-01T00:00:00",
        "version": "5.1.0",
    }


def fid(name: str) -> str:
    return f"{MODULE}::{name}"


# --- command line ------------------------------------------------------------------------------


def test_default_command_line_passes_everything_to_pytest() -> None:
    options = bench.parse_args(["-k", "graphql", "-x"])
    assert options == bench.Options(repeat=1, json_path=None, pytest_args=("-k", "graphql", "-x"))


def test_own_options_in_both_spellings_and_pytest_arguments_keep_their_order(
    tmp_path: Path,
) -> None:
    out = tmp_path / "r.json"
    options = bench.parse_args(["-k", "sql", "--repeat", "4", f"--json={out}", "-x"])
    assert options.repeat == 4
    assert options.json_path == out
    assert options.pytest_args == ("-k", "sql", "-x")
    assert bench.parse_args(["--repeat=3"]).repeat == 3


def test_after_double_dash_everything_is_pytest_s() -> None:
    options = bench.parse_args(["--repeat", "2", "--", "--repeat", "9", "-h"])
    assert options.repeat == 2
    assert options.pytest_args == ("--repeat", "9", "-h")
    assert not options.help


def test_help() -> None:
    assert bench.parse_args(["-k", "x", "--help"]).help
    assert bench.parse_args(["-h"]).help


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--repeat"], "--repeat needs a value"),
        (["--repeat", "0"], "whole number >= 1, not '0'"),
        (["--repeat", "-2"], "whole number >= 1, not '-2'"),
        (["--repeat", "two"], "whole number >= 1, not 'two'"),
        (["--repeat=1.5"], "whole number >= 1, not '1.5'"),
        (["--json"], "--json needs a value"),
        (["--json", "-k"], "--json takes a file path"),
        (["--json="], "--json takes a file path"),
        (["--json", "/no/such/dir/out.json"], "does not exist"),
        (["--benchmark-json=x.json"], "use --json PATH"),
        (["--benchmark-json", "x.json"], "use --json PATH"),
    ],
)
def test_usage_errors_say_what_is_wrong(argv: list[str], message: str) -> None:
    with pytest.raises(bench.UsageError, match=message.replace(".", r"\.")):
        bench.parse_args(argv)


def test_json_path_must_not_be_a_directory(tmp_path: Path) -> None:
    with pytest.raises(bench.UsageError, match="is a directory"):
        bench.parse_args(["--json", str(tmp_path)])


def test_main_reports_a_usage_error_with_status_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert bench.main(["--repeat", "zero"]) == 2
    err = capsys.readouterr().err
    assert "tools/bench: --repeat takes a whole number" in err
    assert "usage: tools/bench" in err


def test_main_help_exits_0_without_running(capsys: pytest.CaptureFixture[str]) -> None:
    assert bench.main(["--help"]) == 0
    assert "--repeat N" in capsys.readouterr().out


# --- one run: time per call and ratio ------------------------------------------------------------


def test_time_per_call_divides_the_median_round_by_calls() -> None:
    assert bench.per_call_seconds(entry("a", 0.5, calls=1000)) == pytest.approx(0.0005)
    assert bench.per_call_seconds(entry("a", 0.5)) == 0.5  # no calls: one call per round


def test_parse_report_keeps_every_round_statistic_per_call() -> None:
    bench_entry = entry("a", 0.5, calls=10)
    bench_entry["stats"].update(q1=0.48, q3=0.55)
    run = bench.parse_report(report(bench_entry))
    assert run.groups == {"g": {fid("a"): pytest.approx(0.05)}}
    assert run.rounds[fid("a")] == {
        "min": pytest.approx(0.045),
        "q1": pytest.approx(0.048),
        "median": pytest.approx(0.05),
        "q3": pytest.approx(0.055),
        "max": pytest.approx(0.06),
    }


@pytest.mark.parametrize("calls", [0, -3, "many", True, None])
def test_unusable_calls_count_as_one(calls: Any) -> None:
    bench_entry = entry("a", 0.25)
    bench_entry["extra_info"] = {"calls": calls}
    assert bench.per_call_seconds(bench_entry) == 0.25


def test_parse_report_groups_by_group_and_leaves_out_excluded_and_broken_entries() -> None:
    broken = entry("broken", 1.0)
    del broken["stats"]
    run = bench.parse_report(
        report(
            entry("a_baseline", 0.2, calls=100),
            entry("b", 0.3, calls=100),
            entry("failed_one", 0.1),
            entry("solo", 1.0, group=None),
            broken,
        ),
        exclude=[fid("failed_one")],
    )
    assert run.groups == {
        "g": {fid("a_baseline"): pytest.approx(0.002), fid("b"): pytest.approx(0.003)},
        "(no group)": {fid("solo"): 1.0},
    }
    assert run.names[fid("b")] == "b"
    assert run.machine["python_version"] == "3.12.3"


def test_baseline_is_the_member_with_baseline_in_its_name_first_by_name() -> None:
    names = {"m::z_baseline": "z_baseline", "m::a_baseline": "a_baseline", "m::x": "x"}
    assert bench.baseline_of(["m::x", "m::z_baseline", "m::a_baseline"], names) == "m::a_baseline"
    assert bench.baseline_of(["m::x"], names) is None


def test_ratios_to_the_baseline() -> None:
    per_call = {"base": 2.0, "fast": 1.0, "slow": 3.0}
    assert bench.ratios(per_call, "base") == {"base": 1.0, "fast": 0.5, "slow": 1.5}


@pytest.mark.parametrize("baseline", [None, "absent", "zero"])
def test_no_ratio_without_a_usable_baseline(baseline: str | None) -> None:
    per_call = {"zero": 0.0, "other": 1.0}
    assert bench.ratios(per_call, baseline) == {"zero": None, "other": None}


def test_single_run_table_keeps_the_default_format() -> None:
    run = bench.parse_report(
        report(entry("b_client", 0.012, calls=100), entry("a_plain_baseline", 0.010, calls=100))
    )
    text = bench.render_single(run)
    lines = text.splitlines()
    assert lines[1] == "Python 3.12.3 on Test CPU"
    assert lines[3] == "g"
    assert lines[4].split() == ["benchmark", "per", "call", "ratio", "added"]
    assert lines[5].split() == ["a_plain_baseline", "100.000", "µs", "1.00x", "0.000", "µs"]
    assert lines[6].split() == ["b_client", "120.000", "µs", "1.20x", "20.000", "µs"]


# --- several runs: order --------------------------------------------------------------------------


def test_first_order_keeps_collection_order_and_the_next_reverses_it() -> None:
    ids = ["m::a", "m::b", "m::c"]
    assert bench.run_order(ids, {}, 0) == ["m::a", "m::b", "m::c"]
    assert bench.run_order(ids, {}, 1) == ["m::c", "m::b", "m::a"]
    assert bench.run_order(ids, {}, 2) == ["m::a", "m::b", "m::c"]


def test_known_groups_are_made_adjacent_in_order_of_first_appearance() -> None:
    # as test_bench_graphql collects: each client parametrized over two groups
    ids = ["m::gql[c1]", "m::gql[c16]", "m::ours[c1]", "m::ours[c16]", "m::not_a_benchmark"]
    groups = {"m::gql[c1]": "c1", "m::ours[c1]": "c1", "m::gql[c16]": "c16", "m::ours[c16]": "c16"}
    forward = ["m::gql[c1]", "m::ours[c1]", "m::gql[c16]", "m::ours[c16]", "m::not_a_benchmark"]
    assert bench.run_order(ids, groups, 2) == forward
    assert bench.run_order(ids, groups, 3) == forward[::-1]


def test_every_competitor_gets_each_place_in_its_group_equally_often() -> None:
    ids = ["m::a", "m::b", "m::c"]
    groups = dict.fromkeys(ids, "g")
    first_places = [bench.run_order(ids, groups, n)[0] for n in range(4)]
    last_places = [bench.run_order(ids, groups, n)[-1] for n in range(4)]
    assert first_places == ["m::a", "m::c", "m::a", "m::c"]
    assert last_places == ["m::c", "m::a", "m::c", "m::a"]


def test_reorder_follows_the_wanted_order_and_puts_unknown_tests_last() -> None:
    current = ["m::a", "m::new", "m::b", "m::c"]
    order = bench.reorder(current, ["m::c", "m::a", "m::b"])
    assert [current[i] for i in order] == ["m::c", "m::a", "m::b", "m::new"]


# --- several runs: aggregation -----------------------------------------------------------------


def three_runs() -> list[Any]:
    """Baseline drifts from 100 to 200 µs; the client costs 1.1, 1.2, 1.0 times it."""
    per_run = [(0.010, 0.011), (0.020, 0.024), (0.015, 0.015)]
    return [
        bench.parse_report(
            report(entry("raw_baseline", base, calls=100), entry("client", ours, calls=100))
        )
        for base, ours in per_run
    ]


def test_aggregate_pairs_each_ratio_with_the_baseline_of_its_own_run() -> None:
    groups = bench.aggregate(three_runs())
    group = groups["g"]
    assert group.baseline == fid("raw_baseline")
    client = group.competitors[fid("client")]
    assert client.ratios == [pytest.approx(1.1), pytest.approx(1.2), pytest.approx(1.0)]
    assert client.ratio_median == pytest.approx(1.1)
    assert client.ratio_min == pytest.approx(1.0)
    assert client.ratio_max == pytest.approx(1.2)
    # the ratio of the medians would mix runs: 150 µs / 150 µs = 1.0, not the paired 1.1
    assert client.per_call_median == pytest.approx(150e-6)
    assert client.added_median == pytest.approx(10e-6)
    assert client.ok == 3
    baseline = group.competitors[fid("raw_baseline")]
    assert baseline.ratios == [1.0, 1.0, 1.0]
    assert baseline.added_median == 0.0


def test_a_run_without_the_competitor_or_the_baseline_gives_no_ratio_that_run() -> None:
    runs = [
        bench.parse_report(report(entry("raw_baseline", 1.0), entry("client", 1.5))),
        bench.parse_report(report(entry("raw_baseline", 1.0))),  # client failed
        bench.parse_report(report(entry("client", 9.0))),  # baseline failed
        bench.parse_report(report(entry("raw_baseline", 2.0), entry("client", 2.5))),
    ]
    client = bench.aggregate(runs)["g"].competitors[fid("client")]
    assert client.per_call == [1.5, None, 9.0, 2.5]
    assert client.ratios == [1.5, None, None, 1.25]
    assert client.ratio_median == pytest.approx(1.375)
    assert (client.ratio_min, client.ratio_max) == (1.25, 1.5)
    assert client.ok == 3


def test_group_without_baseline_has_times_and_no_ratios() -> None:
    runs = [bench.parse_report(report(entry("x", 1.0, group="lonely"))) for _ in range(2)]
    group = bench.aggregate(runs)["lonely"]
    assert group.baseline is None
    x = group.competitors[fid("x")]
    assert x.per_call_median == 1.0
    assert x.ratio_median is None
    assert x.ratio_min is None
    assert x.added_median is None


def test_repeated_table_shows_median_spread_and_runs() -> None:
    runs = three_runs()
    text = bench.render_repeated(bench.aggregate(runs), len(runs), runs[0].machine)
    rows = {line.split()[0]: line.split() for line in text.splitlines() if line.startswith("  ")}
    # 3 runs: too few for a 95 % interval of the median, hence "-"
    assert rows["client"] == [
        "client", "150.000", "µs", "1.10x", "-", "1.00-1.20x", "10.000", "µs", "3/3"
    ]  # fmt: skip
    assert rows["raw_baseline"][3:6] == ["1.00x", "-", "1.00-1.00x"]
    assert "3 runs in alternating order" in text


def test_repeated_table_shows_the_interval_of_the_median_from_six_runs() -> None:
    runs = [
        bench.parse_report(report(entry("raw_baseline", 1.0), entry("client", ratio)))
        for ratio in (1.3, 1.0, 1.2, 0.9, 1.1, 1.04)
    ]
    text = bench.render_repeated(bench.aggregate(runs), len(runs), runs[0].machine)
    row = next(line.split() for line in text.splitlines() if line.startswith("  client"))
    assert row[3:6] == ["1.07x", "0.90-1.30x", "0.90-1.30x"]


def test_same_short_name_in_one_group_is_shown_by_full_name() -> None:
    runs = [
        bench.parse_report(
            report(entry("t_baseline", 1.0, module="a.py"), entry("t_baseline", 2.0, module="b.py"))
        )
    ]
    text = bench.render_repeated(bench.aggregate(runs), 1, {})
    assert "a.py::t_baseline" in text
    assert "b.py::t_baseline" in text


@pytest.mark.parametrize(
    ("n", "k"),
    # k: the interval is [x(k), x(n+1-k)] (1-based), from the binomial(n, 1/2) tails
    [(5, None), (6, 1), (8, 1), (9, 2), (10, 2), (12, 3), (16, 4), (20, 6), (46, 16)],
)
def test_median_interval_uses_the_binomial_order_statistics(n: int, k: int | None) -> None:
    values = [float(v) for v in range(n, 0, -1)]  # unsorted on purpose: x(i) == i
    interval = bench.median_interval(values)
    if k is None:
        assert interval is None
    else:
        assert interval == (float(k), float(n + 1 - k))


def test_median_interval_is_the_narrowest_with_enough_coverage() -> None:
    from math import comb

    for n in range(6, 40):
        low, _ = bench.median_interval(range(1, n + 1))
        k = int(low)
        below = sum(comb(n, j) for j in range(k)) / 2**n
        assert 1 - 2 * below >= 0.95  # this interval covers the median often enough
        narrower = sum(comb(n, j) for j in range(k + 1)) / 2**n
        assert 1 - 2 * narrower < 0.95  # and the next narrower one would not


def test_median_interval_of_nothing_is_none() -> None:
    assert bench.median_interval([]) is None


# --- problems and JSON -------------------------------------------------------------------------


def test_problems_merge_runs_and_ignore_passes() -> None:
    passed = {"outcome": "passed", "message": ""}
    failed = {"outcome": "failed", "message": "x"}
    skipped = {"outcome": "skipped", "message": "no redis"}
    outcomes = [
        {"m::a": passed, "m::b": failed},
        {"m::b": failed, "m::c": skipped},
        {"m::b": {"outcome": "error", "message": "setup: y"}},
    ]
    found = bench.problems(outcomes)
    assert found == [
        bench.Problem("m::b", "failed", "x", (1, 2)),
        bench.Problem("m::c", "skipped", "no redis", (2,)),
        bench.Problem("m::b", "error", "setup: y", (3,)),
    ]
    text = bench.render_problems(found, 3)
    assert "failed (runs 1-2 of 3): m::b: x" in text
    assert "skipped (run 2 of 3): m::c: no redis" in text
    assert bench.render_problems([], 3) == ""
    assert "failed: m::b: x" in bench.render_problems(found[:1], 1)


@pytest.mark.parametrize(
    ("numbers", "total", "text"),
    [
        ([1, 2, 3], 3, "every run"),
        ([2], 5, "run 2 of 5"),
        ([1, 2, 3, 5, 7, 8], 9, "runs 1-3, 5, 7-8 of 9"),
    ],
)
def test_run_numbers(numbers: list[int], total: int, text: str) -> None:
    assert bench.run_numbers(numbers, total) == text


def test_json_summary_holds_every_run_and_the_medians(tmp_path: Path) -> None:
    runs = three_runs()
    options = bench.parse_args(["--repeat", "3", "--json", str(tmp_path / "o.json"), "-k", "g"])
    orders = [[fid("raw_baseline"), fid("client")], [fid("client"), fid("raw_baseline")]] * 2
    found = [bench.Problem("m::x", "skipped", "why", (1, 2, 3))]
    data = bench.summary_json(
        options, bench.aggregate(runs), orders[:3], found, runs[0].machine, complete=True
    )
    data = json.loads(json.dumps(data))  # plain JSON all the way down
    assert data["format"] == "paca-bench/1"
    assert data["repeat"] == 3
    assert data["runs_completed"] == 3
    assert data["pytest_args"] == ["-k", "g"]
    assert data["machine"] == {"python": "3.12.3", "cpu": "Test CPU"}
    client = data["groups"]["g"]["benchmarks"][fid("client")]
    assert data["groups"]["g"]["baseline"] == fid("raw_baseline")
    assert client["ratio"] == pytest.approx([1.1, 1.2, 1.0])
    assert client["ratio_median"] == pytest.approx(1.1)
    assert (client["ratio_min"], client["ratio_max"]) == (pytest.approx(1.0), pytest.approx(1.2))
    assert client["per_call_s"] == pytest.approx([110e-6, 240e-6, 150e-6])
    assert client["runs_ok"] == 3
    assert client["ratio_median_ci95"] is None  # 3 runs
    assert [r["median"] for r in client["rounds_per_call_s"]] == pytest.approx(
        [110e-6, 240e-6, 150e-6]
    )
    assert data["problems"] == [
        {"nodeid": "m::x", "outcome": "skipped", "message": "why", "runs": [1, 2, 3]}
    ]


@pytest.mark.parametrize(
    ("code", "stops"),
    [(0, False), (1, False), (2, True), (3, True), (4, True), (5, True), (130, True)],
)
def test_which_pytest_exit_status_stops_the_runs(code: int, stops: bool) -> None:
    assert (bench.stopped(code) is not None) is stops


# --- the worker's plugin, fed fake pytest objects -------------------------------------------


def item(nodeid: str, benchmark: bool = True) -> SimpleNamespace:
    return SimpleNamespace(nodeid=nodeid, fixturenames=["benchmark"] if benchmark else ["x"])


def test_recorder_puts_items_in_the_wanted_order_and_remembers_the_benchmarks() -> None:
    recorder = bench.Recorder(["m::c", "m::a"])
    items = [item("m::a"), item("m::b", benchmark=False), item("m::c")]
    recorder.pytest_collection_modifyitems(items)
    assert [i.nodeid for i in items] == ["m::c", "m::a", "m::b"]
    assert recorder.order == ["m::c", "m::a", "m::b"]
    assert recorder.benchmarks == {"m::a", "m::c"}


def test_recorder_without_wanted_order_keeps_pytest_s() -> None:
    recorder = bench.Recorder(None)
    items = [item("m::b"), item("m::a")]
    recorder.pytest_collection_modifyitems(items)
    assert [i.nodeid for i in items] == ["m::b", "m::a"]


def logreport(nodeid: str, when: str, outcome: str, longrepr: Any = None) -> SimpleNamespace:
    crash = SimpleNamespace(message="AssertionError: boom\nassert False")
    return SimpleNamespace(
        nodeid=nodeid,
        when=when,
        failed=outcome == "failed",
        skipped=outcome == "skipped",
        longrepr=longrepr if longrepr is not None else SimpleNamespace(reprcrash=crash),
        longreprtext="AssertionError: boom",
    )


def test_recorder_keeps_the_worst_outcome_with_a_short_message() -> None:
    recorder = bench.Recorder(None)
    names = ["m::ok", "m::fails", "m::setup", "m::skip", "m::down", "m::skipdown"]
    recorder.pytest_collection_modifyitems([*map(item, names), item("m::plain", benchmark=False)])
    reports = [
        ("m::ok", "setup", "passed"), ("m::ok", "call", "passed"), ("m::ok", "teardown", "passed"),
        ("m::fails", "setup", "passed"), ("m::fails", "call", "failed"),
        ("m::fails", "teardown", "passed"),
        ("m::setup", "setup", "failed"), ("m::setup", "teardown", "passed"),
        ("m::down", "call", "passed"), ("m::down", "teardown", "failed"),
        ("m::plain", "call", "failed"),
    ]  # fmt: skip
    for nodeid, when, outcome in reports:
        recorder.pytest_runtest_logreport(logreport(nodeid, when, outcome))
    for nodeid in ("m::skip", "m::skipdown"):
        recorder.pytest_runtest_logreport(
            logreport(nodeid, "setup", "skipped", longrepr=("f.py", 3, "Skipped: no redis"))
        )
    recorder.pytest_runtest_logreport(logreport("m::skipdown", "teardown", "failed"))
    assert recorder.outcomes == {
        "m::ok": {"outcome": "passed", "message": ""},
        "m::fails": {"outcome": "failed", "message": "call: AssertionError: boom"},
        "m::setup": {"outcome": "error", "message": "setup: AssertionError: boom"},
        "m::down": {"outcome": "error", "message": "teardown: AssertionError: boom"},
        "m::skip": {"outcome": "skipped", "message": "no redis"},
        "m::skipdown": {"outcome": "error", "message": "teardown: AssertionError: boom"},
    }
