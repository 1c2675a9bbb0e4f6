"""Fixtures that run each store test on SQLite (in tmp_path) and on a real PostgreSQL.

PostgreSQL comes from SNAPDESK_TEST_DATABASE_URL (default: the local server, trust auth). Each test gets a
fresh schema, named in the URL's search_path, dropped afterwards. Without a server the PostgreSQL variants
skip, unless SNAPDESK_REQUIRE_SERVICES=1 (as in CI), where a missing server must fail the run instead.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.exc import SQLAlchemyError

from snapdesk.store import Store

PG_URL = os.environ.get("SNAPDESK_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@cache
def _pg_unreachable() -> str | None:
    """Why PostgreSQL cannot be used, or None when it answers (asked once per run)."""
    engine = create_engine(PG_URL, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return None
    except (SQLAlchemyError, OSError) as exc:
        return f"PostgreSQL at {make_url(PG_URL).render_as_string()} is not reachable: {type(exc).__name__}"
    finally:
        engine.dispose()


def _require_pg() -> None:
    reason = _pg_unreachable()
    if reason is None:
        return
    if os.environ.get("SNAPDESK_REQUIRE_SERVICES") == "1":
        pytest.fail(f"{reason} (SNAPDESK_REQUIRE_SERVICES=1)")
    pytest.skip(f"{reason}; set SNAPDESK_TEST_DATABASE_URL, or SNAPDESK_REQUIRE_SERVICES=1 to fail instead")


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a fresh, empty schema."""
    _require_pg()
    schema = f"t_{uuid.uuid4().hex}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(PG_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'snapdesk.db'}"
    return request.getfixturevalue("pg_url")


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def make_store(db_url: str, data_dir: Path) -> Iterator[Callable[[], Store]]:
    """Opens more Stores on the same database and folder (a restart, a second process); all disposed after."""
    opened: list[Store] = []

    def make() -> Store:
        store = Store(db_url, data_dir=data_dir)
        store.upgrade()
        opened.append(store)
        return store

    yield make
    for store in opened:  # before pg_url drops the schema: an idle pooled connection would hold it up
        store.dispose()


@pytest.fixture
def store(make_store: Callable[[], Store]) -> Store:
    return make_store()
