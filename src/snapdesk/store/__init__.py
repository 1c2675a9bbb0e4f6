"""Durable state for the HTTP service: SQLAlchemy models, bundled Alembic migrations, and the Store."""

from __future__ import annotations

from snapdesk.store.migrate import current_revision, head_revision, upgrade
from snapdesk.store.store import Store

__all__ = ["Store", "current_revision", "head_revision", "upgrade"]
