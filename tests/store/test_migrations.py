"""The bundled Alembic migrations: they create every table, match the models, and can run again safely."""

from __future__ import annotations

import subprocess
import sys
import threading

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from snapdesk.store import Store, current_revision, head_revision, upgrade
from snapdesk.store.models import Base

TABLES = {
    "api_keys",
    "conversations",
    "messages",
    "feedback",
    "handovers",
    "stored_images",
    "webhook_events",
    "alembic_version",
}


def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_upgrade_creates_every_table_at_head(db_url: str) -> None:
    assert current_revision(db_url) is None
    upgrade(db_url)  # the module-level function, with a URL (PostgreSQL's carries a %-escaped search_path)
    assert _tables(db_url) == TABLES
    assert head_revision() == "0004"
    assert current_revision(db_url) == head_revision()


def test_upgrade_twice_is_a_no_op(store: Store, db_url: str) -> None:
    conversation_id = store.create_conversation(owner="k")
    store.upgrade()
    upgrade(db_url)
    assert current_revision(db_url) == head_revision()
    assert _tables(db_url) == TABLES
    assert store.conversation(conversation_id=conversation_id, owner="k") is not None


def test_migration_matches_the_models(store: Store) -> None:
    # Autogenerate finds nothing to do: the hand-written migration and models.py describe the same schema.
    with store.engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert diffs == []


def test_processes_starting_together_migrate_in_turn(db_url: str) -> None:
    # App processes upgrading one empty database at once: SQLite's write lock or PostgreSQL's advisory lock
    # makes them take turns, and the later ones find nothing to do.
    code = "import sys; from snapdesk.store import upgrade; upgrade(sys.argv[1])"
    procs = [subprocess.Popen([sys.executable, "-c", code, db_url], stderr=subprocess.PIPE) for _ in range(4)]
    errors = [p.communicate(timeout=60)[1].decode() for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0, 0], errors
    assert current_revision(db_url) == head_revision()
    assert _tables(db_url) == TABLES


def test_threads_of_one_process_migrate_in_turn(db_url: str) -> None:
    # Alembic is not thread-safe; upgrade() serialises callers within a process.
    errors: list[BaseException] = []

    def run() -> None:
        try:
            upgrade(db_url)
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert current_revision(db_url) == head_revision()
