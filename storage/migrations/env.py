"""Alembic environment: online migrations on the project's Database (batch mode for SQLite)."""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from sqlalchemy import JSON

from storage.db import Database
from storage.models import Base

config = context.config
database = config.attributes.get("database")
if database is None:  # run by the alembic command line
    database = Database(config.get_main_option("sqlalchemy.url") or "")


def render_item(type_: str, obj: Any, autogen_context: Any) -> str | Literal[False]:
    # Render our JSON/JSONB variant by name, so new migrations need no hand edits.
    if type_ == "type" and isinstance(obj, JSON) and getattr(obj, "_variant_mapping", None):
        autogen_context.imports.add("import storage.types")
        return "storage.types.JsonType"
    return False


with database.engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=True,
        compare_type=True,
        render_item=render_item,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
