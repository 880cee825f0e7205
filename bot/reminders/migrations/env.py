"""Alembic environment for the reminders database.

b12bot applies migrations itself at start-up: `open_store` passes its open connection in
`config.attributes["connection"]`, inside a transaction it owns. Run from the command line
(see alembic.ini beside this file), the environment connects to DATABASE_URL instead.
"""

import asyncio
import os

from alembic import context
from sqlalchemy import Connection

from bot.config import DEFAULT_DATABASE_URL
from bot.reminders.database import make_engine
from bot.reminders.schema import Base


def run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=True,  # SQLite alters tables by copying them
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_from_environment() -> None:
    engine = make_engine(os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(run_migrations)
    finally:
        await engine.dispose()


given = context.config.attributes.get("connection")
if given is None:
    asyncio.run(run_from_environment())
else:
    run_migrations(given)
