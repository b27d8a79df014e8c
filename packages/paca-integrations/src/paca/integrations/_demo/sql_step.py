"""Demo step: ``paca-sql`` on an embedded SQLite database, through the connector and the builder."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from paca.integrations._demo._expect import expect
from paca.result import ErrorKind
from paca.sql import QueryBuilder, SQLConnector, col, create_sqlite_config, func

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["run"]

USERS = [
    {"id": 1, "name": "ada", "age": 36},
    {"id": 2, "name": "alan", "age": 41},
    {"id": 3, "name": "grace", "age": 17},
    {"id": 4, "name": "o'brien; DROP TABLE users; --", "age": 29},
]


async def run(say: Callable[[str], None]) -> None:
    """Create a database, write, read back with the builder, roll back, stream."""
    with tempfile.TemporaryDirectory(prefix="paca-demo-") as tmp:
        path = Path(tmp) / "app.db"
        async with SQLConnector(create_sqlite_config(str(path))) as db:
            await db.execute(
                "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, age INTEGER)"
            )
            inserted = await db.execute_many(
                "INSERT INTO users (id, name, age) VALUES (:id, :name, :age)", USERS
            )
            say(f"created {path.name}, inserted {inserted.data} users (one executemany)")
            expect(inserted.data == len(USERS), "execute_many reports every row")

            adults = (
                QueryBuilder("users", dialect="sqlite")
                .select("name", "age")
                .where(col("age") >= 18, col("name").startswith("a"))
                .order_by("age")
                .limit(10)
            )
            sql, params = adults.build()
            say(f"builder: {sql}  params={params}")
            found = await db.execute_query(adults)
            say(f"adults named a*: {found.data}")
            expect(
                found.data == [{"name": "ada", "age": 36}, {"name": "alan", "age": 41}],
                "the builder's query runs through the connector",
            )

            hostile = await db.fetch_value("SELECT name FROM users WHERE id = :id", {"id": 4})
            expect(hostile.data == USERS[3]["name"], "a hostile value is bound, never run")
            say(f"a hostile name stays data: {hostile.data!r}")

            duplicate = await db.execute(
                "INSERT INTO users (id, name, age) VALUES (:id, :name, :age)", USERS[0]
            )
            say(f"duplicate key: {duplicate!r}")
            expect(duplicate.kind is ErrorKind.INTEGRITY, "a unique violation is INTEGRITY")

            try:
                async with db.transaction() as tx:
                    await tx.execute("DELETE FROM users")
                    raise _UndoError
            except _UndoError:
                pass
            count = await db.fetch_value(
                QueryBuilder("users", dialect="sqlite").select(func.count("*"))
            )
            say(f"after a rolled-back DELETE, {count.data} users remain")
            expect(count.data == len(USERS), "a transaction rolls back on error")

            names = [row["name"] async for row in db.stream("SELECT name FROM users", batch_size=2)]
            expect(len(names) == len(USERS), "stream() reads every row in batches")
            stats = db.stats()
            say(f"pool: {stats.opened} opened, efficiency {stats.efficiency:.0%}")


class _UndoError(Exception):
    """Raised inside the demo transaction to show the rollback."""
