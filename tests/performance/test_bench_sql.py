"""SQLConnector against the raw driver pools and SQLAlchemy 2 async core, side by side.

Run: ``python tools/bench -k bench_sql`` (or ``pytest tests/performance/test_bench_sql.py
--benchmark-only``). One group per driver and scenario; the raw driver's default pool
(asyncpg ``create_pool``, aiomysql ``create_pool``, one aiosqlite connection) is the
``baseline``; it returns records/tuples, so ``test_sql_ours_tuples`` (``as_tuples=True``) is
the like-for-like row, ``test_sql_ours`` the default dict rows. Scenarios: ``SELECT 1``
and a 100-row fetch at concurrency 1 and 16, and a 10,000-row ``execute_many``. Needs the
PostgreSQL and MariaDB test servers (skipped otherwise).

On a machine whose load swings (a shared CI or development box), run it paired instead::

    hatch run bench:python tests/performance/test_bench_sql.py [--reps N] [--scenarios a,b]
        [sqlite|postgresql|mysql ...]

It runs every contender of a scenario in turn, in one process, ``N`` times (in a rotating
order) and prints the median of the per-repetition ratios to the raw driver: the wall-clock
ratio, and the ratio of process CPU time (both threads of SQLite included; the servers'
own work not), which other processes' load hardly moves.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
import uuid
from functools import partial
from typing import TYPE_CHECKING, Any

import pytest

from paca.sql._config import SQLConfig
from paca.sql._connector import SQLConnector

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    RunBatches = Callable[..., None]
    Fetch = Callable[[str], Awaitable[Any]]
    Many = Callable[[str, list[tuple[Any, ...]]], Awaitable[Any]]

CALLS = 320
ROWS_100 = (
    "WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < 100) "
    "SELECT n, 'some name' AS name FROM s"
)
SCENARIOS = ["select1-c1", "select1-c16", "fetch100-c1", "fetch100-c16", "execute_many-10k"]
DRIVERS = [
    pytest.param("postgresql", marks=pytest.mark.postgres),
    pytest.param("mysql", marks=pytest.mark.mysql),
    "sqlite",
]


def _url(driver: str, request: pytest.FixtureRequest, tmp: str) -> str:
    if driver == "sqlite":
        return f"sqlite:///{tmp}/bench.db"
    return str(request.getfixturevalue("postgres_url" if driver == "postgresql" else "mysql_url"))


class Contender:
    """What a benchmark needs: a fetch, an execute_many and a close."""

    def __init__(
        self, fetch: Fetch, many: Many, close: Callable[[], Awaitable[Any]], mark: str
    ) -> None:
        self.fetch, self.many, self.close, self.mark = fetch, many, close, mark


async def ours(url: str, *, as_tuples: bool = False) -> Contender:
    db = SQLConnector(SQLConfig.from_url(url))  # the default pool, SQLite included
    (await db.connect()).unwrap()

    async def fetch(sql: str) -> Any:
        return (await db.execute_query(sql, as_tuples=as_tuples)).unwrap()

    async def many(sql: str, rows: list[tuple[Any, ...]]) -> Any:
        return (await db.execute_many(sql, rows)).unwrap()

    return Contender(fetch, many, db.disconnect, "?")


async def ours_tuples(url: str) -> Contender:
    return await ours(url, as_tuples=True)


async def raw(url: str) -> Contender:
    cfg = SQLConfig.from_url(url)
    if cfg.dialect == "postgresql":
        import asyncpg

        pool = await asyncpg.create_pool(url)

        async def many_pg(sql: str, rows: list[tuple[Any, ...]]) -> Any:
            return await pool.executemany(sql, rows)

        return Contender(pool.fetch, many_pg, pool.close, "$")
    if cfg.dialect == "mysql":
        import aiomysql

        mysql_pool = await aiomysql.create_pool(
            host=cfg.host,
            port=cfg.effective_port or 3306,
            user=cfg.user,
            db=cfg.database,
            autocommit=True,
        )

        async def fetch_my(sql: str) -> Any:
            async with mysql_pool.acquire() as conn, conn.cursor(aiomysql.DictCursor) as cur:
                await cur.execute(sql)
                return await cur.fetchall()

        async def many_my(sql: str, rows: list[tuple[Any, ...]]) -> Any:
            async with mysql_pool.acquire() as conn, conn.cursor() as cur:
                await conn.begin()
                await cur.executemany(sql, rows)
                await conn.commit()

        async def close_my() -> None:
            mysql_pool.close()
            await mysql_pool.wait_closed()

        return Contender(fetch_my, many_my, close_my, "%s")
    import aiosqlite

    conn = await aiosqlite.connect(cfg.database)

    async def many_lite(sql: str, rows: list[tuple[Any, ...]]) -> Any:
        await conn.executemany(sql, rows)
        await conn.commit()

    return Contender(conn.execute_fetchall, many_lite, conn.close, "?")


async def raw_dicts(url: str) -> Contender:
    """The raw driver with dict rows, the way its documentation gets them (paired mode only).

    aiosqlite: ``row_factory = aiosqlite.Row``, then ``dict(row)``; asyncpg: ``dict(record)``;
    aiomysql: ``DictCursor``, as the raw baseline already does.
    """
    contender = await raw(url)
    cfg = SQLConfig.from_url(url)
    if cfg.dialect == "mysql":
        return contender
    if cfg.dialect == "postgresql":
        fetch_records = contender.fetch

        async def fetch_pg(sql: str) -> Any:
            return [dict(record) for record in await fetch_records(sql)]

        return Contender(fetch_pg, contender.many, contender.close, contender.mark)
    import aiosqlite

    await contender.close()
    conn = await aiosqlite.connect(cfg.database)
    conn.row_factory = aiosqlite.Row

    async def fetch_lite(sql: str) -> Any:
        return [dict(row) for row in await conn.execute_fetchall(sql)]

    async def many_lite(sql: str, rows: list[tuple[Any, ...]]) -> Any:
        await conn.executemany(sql, rows)
        await conn.commit()

    return Contender(fetch_lite, many_lite, conn.close, "?")


async def sqlalchemy(url: str) -> Contender:
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    driver = {
        "postgresql": "postgresql+asyncpg",
        "mysql": "mysql+aiomysql",
        "sqlite": "sqlite+aiosqlite",
    }
    rest = url.split("://", 1)[1]
    dialect = SQLConfig.from_url(url).dialect
    engine = create_async_engine(f"{driver[dialect]}://{rest}")

    async def fetch(sql: str) -> Any:
        async with engine.connect() as conn:
            return (await conn.execute(text(sql))).mappings().all()

    async def many(sql: str, rows: list[tuple[Any, ...]]) -> Any:
        async with engine.begin() as conn:
            await conn.execute(
                text(sql.replace("?", ":a", 1).replace("?", ":b", 1)),
                [{"a": a, "b": b} for a, b in rows],
            )

    return Contender(fetch, many, engine.dispose, ":")


def bench(
    make: Callable[[str], Awaitable[Contender]],
    driver: str,
    scenario: str,
    request: pytest.FixtureRequest,
    benchmark: Any,
    run: RunBatches,
    loop: asyncio.AbstractEventLoop,
    tmp_path: Any,
) -> None:
    benchmark.group = f"sql-{driver}-{scenario}"
    url = _url(driver, request, str(tmp_path))
    if driver == "sqlite":
        setup = SQLConnector(url)
        loop.run_until_complete(setup.connect())
        loop.run_until_complete(setup.disconnect())  # creates the file in WAL mode
    contender = loop.run_until_complete(make(url))
    try:
        if scenario == "execute_many-10k":
            table = f"bench_{uuid.uuid4().hex[:10]}"
            admin = SQLConnector(url)
            loop.run_until_complete(admin.connect())
            loop.run_until_complete(
                admin.execute(f"CREATE TABLE {table} (a INTEGER, b VARCHAR(20))")
            )
            marks = {"$": "($1, $2)", "%s": "(%s, %s)", "?": "(?, ?)", ":": "(?, ?)"}[
                contender.mark
            ]
            sql = f"INSERT INTO {table} (a, b) VALUES {marks}"  # noqa: S608 - generated name
            rows = [(i, f"row {i}") for i in range(10_000)]

            async def many_batch() -> None:
                await contender.many(sql, rows)

            try:
                run(many_batch, 10_000)
            finally:
                loop.run_until_complete(admin.execute(f"DROP TABLE {table}"))
                loop.run_until_complete(admin.disconnect())
            return
        sql = "SELECT 1" if scenario.startswith("select1") else ROWS_100
        tasks = 16 if scenario.endswith("c16") else 1
        fetch = contender.fetch

        async def worker() -> None:
            for _ in range(CALLS // tasks):
                await fetch(sql)

        async def batch() -> None:
            await asyncio.gather(*(worker() for _ in range(tasks)))

        run(batch, CALLS)
    finally:
        loop.run_until_complete(contender.close())


def _bench_test(make: Callable[[str], Awaitable[Contender]], scenarios: list[str]) -> Any:
    """One benchmark test: ``make``'s contender in every driver and scenario."""

    @pytest.mark.parametrize("scenario", scenarios)
    @pytest.mark.parametrize("driver", DRIVERS)
    def test(
        driver: str,
        scenario: str,
        request: pytest.FixtureRequest,
        benchmark: Any,
        run: RunBatches,
        loop: asyncio.AbstractEventLoop,
        tmp_path: Any,
    ) -> None:
        bench(make, driver, scenario, request, benchmark, run, loop, tmp_path)

    return test


test_sql_ours = _bench_test(ours, SCENARIOS)
test_sql_ours_tuples = _bench_test(
    ours_tuples, [s for s in SCENARIOS if not s.startswith("execute_many")]
)
test_sql_raw_pool_baseline = _bench_test(raw, SCENARIOS)
test_sql_sqlalchemy_core = _bench_test(sqlalchemy, SCENARIOS)


# -- paired mode: python tests/performance/test_bench_sql.py ---------------------------------

CONTENDERS: dict[str, Callable[[str], Awaitable[Contender]]] = {
    "raw": raw,
    "raw_dicts": raw_dicts,
    "ours": ours,
    "ours_tuples": ours_tuples,
    "sqlalchemy": sqlalchemy,
}


def _contender_names(url: str, scenario: str) -> list[str]:
    names = list(CONTENDERS)
    if scenario.startswith("execute_many"):  # no rows to shape: one row per contender
        names = [n for n in names if n not in ("ours_tuples", "raw_dicts")]
    if SQLConfig.from_url(url).dialect == "mysql" and "raw_dicts" in names:
        names.remove("raw_dicts")  # aiomysql's raw baseline has dict rows already
    return names


async def _batches(
    contenders: dict[str, Contender], scenario: str, admin: SQLConnector, table: str
) -> tuple[dict[str, Callable[[], Awaitable[Any]]], int]:
    """One batch per contender (``CALLS`` fetches, or one 10,000-row ``execute_many``)."""
    batches: dict[str, Callable[[], Awaitable[Any]]] = {}
    if scenario == "execute_many-10k":
        (await admin.execute(f"CREATE TABLE {table} (a INTEGER, b VARCHAR(20))")).unwrap()
        rows = [(i, f"row {i}") for i in range(10_000)]
        for n, c in contenders.items():
            marks = {"$": "($1, $2)", "%s": "(%s, %s)", "?": "(?, ?)", ":": "(?, ?)"}[c.mark]
            sql = f"INSERT INTO {table} (a, b) VALUES {marks}"  # noqa: S608 - generated
            batches[n] = partial(c.many, sql, rows)
        return batches, len(rows)
    sql = "SELECT 1" if scenario.startswith("select1") else ROWS_100
    tasks = 16 if scenario.endswith("c16") else 1

    async def batch(fetch: Fetch) -> None:
        async def worker() -> None:
            for _ in range(CALLS // tasks):
                await fetch(sql)

        await asyncio.gather(*(worker() for _ in range(tasks)))

    for n, c in contenders.items():
        batches[n] = partial(batch, c.fetch)
    return batches, CALLS


async def _paired_scenario(url: str, scenario: str, reps: int) -> dict[str, tuple[float, ...]]:
    """``{contender: (us per call, wall ratio, cpu ratio)}`` for one scenario, paired."""
    names = _contender_names(url, scenario)
    contenders = {n: await CONTENDERS[n](url) for n in names}
    admin = SQLConnector(url)
    (await admin.connect()).unwrap()
    table = f"bench_{uuid.uuid4().hex[:10]}"
    try:
        batches, calls = await _batches(contenders, scenario, admin, table)
        for batch in batches.values():  # warm-up
            await batch()
        wall: dict[str, list[float]] = {n: [] for n in names}
        cpu: dict[str, list[float]] = {n: [] for n in names}
        for rep in range(reps):
            for n in names[rep % len(names) :] + names[: rep % len(names)]:
                if scenario == "execute_many-10k":
                    (await admin.execute(f"DELETE FROM {table}")).unwrap()  # noqa: S608 - untimed
                started, started_cpu = time.perf_counter(), time.process_time()
                await batches[n]()
                wall[n].append(time.perf_counter() - started)
                cpu[n].append(time.process_time() - started_cpu)
        result = {}
        for n in names:
            wall_ratio = statistics.median(w / r for w, r in zip(wall[n], wall["raw"], strict=True))
            cpu_ratio = statistics.median(cpu[n]) / statistics.median(cpu["raw"])
            result[n] = (statistics.median(wall[n]) / calls * 1e6, wall_ratio, cpu_ratio)
        return result
    finally:
        if scenario == "execute_many-10k":
            await admin.execute(f"DROP TABLE IF EXISTS {table}")
        await admin.disconnect()
        for c in contenders.values():
            await c.close()


async def _create_sqlite(url: str) -> None:
    db = SQLConnector(url)
    (await db.connect()).unwrap()  # creates the file in WAL mode
    await db.disconnect()


def main(argv: list[str]) -> int:
    """Print paired ratios for the drivers named in ``argv`` (all three by default)."""
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
    from paca_testing.services import SERVICES

    parser = argparse.ArgumentParser(
        prog="test_bench_sql.py",
        description="Paired per-call ratios of the SQL connector beside the raw driver and "
        "SQLAlchemy async core, contenders alternating in one process.",
    )
    parser.add_argument("drivers", nargs="*", help="sqlite, postgresql, mysql (all by default)")
    parser.add_argument("--reps", type=int, default=25, help="paired repetitions (25)")
    parser.add_argument("--scenarios", default=",".join(SCENARIOS), help="comma-separated")
    args = parser.parse_args(argv)
    reps: int = args.reps
    scenarios: list[str] = args.scenarios.split(",")
    unknown = sorted(set(scenarios) - set(SCENARIOS))
    if unknown:
        parser.error(f"unknown scenarios {unknown}; known: {', '.join(SCENARIOS)}")
    drivers: list[str] = args.drivers or ["sqlite", "postgresql", "mysql"]
    if set(drivers) - {"sqlite", "postgresql", "mysql"}:
        parser.error(f"unknown drivers {drivers}; known: sqlite, postgresql, mysql")
    print(f"{'scenario':<30} {'contender':<12} {'per call':>11} {'wall':>7} {'cpu':>7}")
    for driver in drivers:
        if driver == "sqlite":
            url = f"sqlite:///{tempfile.mkdtemp()}/bench.db"
            asyncio.run(_create_sqlite(url))
        else:
            url = str(SERVICES["postgres" if driver == "postgresql" else "mysql"].url)
        for scenario in scenarios:
            rows = asyncio.run(_paired_scenario(url, scenario, reps))
            for n, (per_call, wall_ratio, cpu_ratio) in rows.items():
                label = f"{driver} {scenario}"
                print(
                    f"{label:<30} {n:<12} {per_call:8.2f} us {wall_ratio:6.2f}x {cpu_ratio:6.2f}x"
                )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
