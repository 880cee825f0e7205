"""What is in the test database, table by table: for checking that /forget left nothing behind."""

from __future__ import annotations

from sqlalchemy import select

from bot.reminders.store import Base, make_engine

Tables = dict[str, list[dict[str, object]]]
NOTHING = {table.name: 0 for table in Base.metadata.sorted_tables}  # every table, empty


async def table_rows(database_url: str) -> Tables:
    """Every row of every table the models define, by table name (alembic's own aside).

    Read from the models' metadata, so an erasure test that compares what is left table by table
    also covers a table added later: the new table shows up and the comparison fails until the
    test says what /forget should leave in it.
    """
    engine = make_engine(database_url)
    try:
        async with engine.connect() as connection:
            return {
                table.name: [dict(row._mapping) for row in await connection.execute(select(table))]
                for table in Base.metadata.sorted_tables
            }
    finally:
        await engine.dispose()


def counts(tables: Tables) -> dict[str, int]:
    return {name: len(rows) for name, rows in tables.items()}


def naming(tables: Tables, value: int) -> list[tuple[str, dict[str, object]]]:
    """The rows in which some column holds `value` (a person's id), with their table's name."""
    return [(name, row) for name, rows in tables.items() for row in rows if value in row.values()]
