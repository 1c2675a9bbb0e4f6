"""Run the store's Alembic migrations from code: `upgrade(url)`, `current_revision(url)`, `head_revision()`.

The migration scripts live inside the package (next to this file) so they ship in the wheel; the Alembic
config is built in memory, so a deployment needs no alembic.ini and no working-directory conventions.
"""

from __future__ import annotations

import threading
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, pool

from snapdesk.store.db import migration_engine

MIGRATIONS_DIR = Path(__file__).parent / "migrations"

# Alembic keeps the running migration in module globals (alembic.context), so two threads of one process must
# not migrate at once. Across processes the database's own lock takes over (db.migration_engine, env.py).
_upgrade_lock = threading.Lock()


def alembic_config(url: str | None = None) -> Config:
    """An Alembic config pointing at the bundled scripts (and at `url`, when given)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url is not None:
        # The config is a ConfigParser: a literal "%" (URL-escaped passwords, options=-c...%3D...) must be doubled.
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str) -> None:
    """Bring the database at `url` to the newest revision; a no-op when it is there already."""
    cfg = alembic_config(url)
    with _upgrade_lock:
        engine = migration_engine(url)
        try:
            # One outer transaction: on SQLite it holds the write lock, on PostgreSQL the advisory lock (env.py)
            # until the new revision is committed, so a second process waits and then finds nothing to do.
            with engine.begin() as connection:
                cfg.attributes["connection"] = connection
                command.upgrade(cfg, "head")
        finally:
            engine.dispose()


def current_revision(url: str | Engine) -> str | None:
    """The revision the database is at; None before the first upgrade."""
    engine = create_engine(url, poolclass=pool.NullPool) if isinstance(url, str) else url
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        if isinstance(url, str):
            engine.dispose()


def head_revision() -> str | None:
    """The newest revision the bundled scripts define."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()
