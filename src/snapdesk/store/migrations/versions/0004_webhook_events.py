"""Revision 0004, after 0003: the webhook's outbox. What happens to a case after its hand-over (a person replied, it
was resolved) is written to `webhook_events` in the same transaction as the change, and delivered from there.

A new table and nothing else: no existing row changes, so a database at 0003 keeps everything it has. Events did
not exist before this revision; none are made up for replies and resolutions written before it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

_TS = sa.DateTime(timezone=True)

# Alembic's identifiers.
revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None


def upgrade() -> None:
    # CREATE TABLE and CREATE INDEX need no batch mode: SQLite runs them as PostgreSQL does, rebuilding nothing, so
    # no table with foreign keys pointing at it is copied (see 0003) and env.py's foreign key check finds nothing.
    op.create_table(
        "webhook_events",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("event", sa.String(40), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("delivered", sa.Boolean(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_events")),
    )
    op.create_index(op.f("ix_webhook_events_delivered"), "webhook_events", ["delivered"])


def downgrade() -> None:
    # Events not yet delivered are lost with the table: 0003's code has nothing that would send them.
    op.drop_index(op.f("ix_webhook_events_delivered"), table_name="webhook_events")
    op.drop_table("webhook_events")
