"""What produced each answer, for the operators' console: per-stage timings, extracted fields, passages used.

All three are nullable JSON: answers stored before this revision simply have none.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None

_COLUMNS = ("timings", "fields", "passages")


def upgrade() -> None:
    # batch_alter_table: SQLite rebuilds the table (env.py turns batch mode on there); PostgreSQL alters in place.
    with op.batch_alter_table("messages") as batch:
        for name in _COLUMNS:
            batch.add_column(sa.Column(name, sa.JSON(), nullable=True))
    # The console lists and charts by time over every conversation; without these it scans the tables.
    op.create_index(op.f("ix_messages_created_at"), "messages", ["created_at"])
    op.create_index(op.f("ix_conversations_updated_at"), "conversations", ["updated_at"])
    op.create_index(op.f("ix_feedback_created_at"), "feedback", ["created_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_feedback_created_at"), table_name="feedback")
    op.drop_index(op.f("ix_conversations_updated_at"), table_name="conversations")
    op.drop_index(op.f("ix_messages_created_at"), table_name="messages")
    # Not batch mode: on SQLite it rebuilds the table, and with foreign keys on, dropping the old messages table
    # cascades to feedback and hand-overs. ALTER TABLE ... DROP COLUMN (SQLite 3.35+) drops in place.
    for name in reversed(_COLUMNS):
        op.drop_column("messages", name)
