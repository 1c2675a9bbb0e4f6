"""Alembic environment for SnapDesk's store; run through `snapdesk.store.migrate`, no alembic.ini needed.

`snapdesk.store.migrate.upgrade` hands over an open connection in `config.attributes["connection"]`; with
only `sqlalchemy.url` set (the alembic command line), this opens one the same way.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, text

from snapdesk.store.db import migration_engine
from snapdesk.store.models import Base

config = context.config
target_metadata = Base.metadata

# Any fixed number: every SnapDesk process takes the same lock, so two that start together migrate in turn.
_PG_MIGRATION_LOCK = 0x5D_E5C_0001


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            # Taken before Alembic reads alembic_version: the second process then sees the first one's result.
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK})
        context.run_migrations()
        if connection.dialect.name == "sqlite":
            # Migrations run with foreign keys off (db.migration_engine): what they did is checked before it commits.
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise RuntimeError(f"the migration left rows whose foreign keys point nowhere: {broken[:5]}")


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("set sqlalchemy.url or attributes['connection'] on the Alembic config")
    engine = migration_engine(url)
    try:
        with engine.begin() as conn:
            _run(conn)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
