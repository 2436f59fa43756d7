"""Alembic environment: online migrations on the project's Database (batch mode for SQLite)."""

from __future__ import annotations

from alembic import context

from storage.db import Database
from storage.models import Base

config = context.config
database = config.attributes.get("database")
if database is None:  # run by the alembic command line
    database = Database(config.get_main_option("sqlalchemy.url") or "")

with database.engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
