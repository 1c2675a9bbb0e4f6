"""Revision 0003, after 0002 (2026-12-01): the operator inbox. A hand-over becomes a case (open, claimed, resolved),
people reply in the conversation (messages of role `agent`), and API keys get a role (client, admin, agent) in
place of the admin flag.

Hand-overs stored before this revision become open cases: nobody answered them in SnapDesk. A key keeps what it
could do: admin keys get the role `admin`, the others `client`.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

_TS = sa.DateTime(timezone=True)
_CASE_COLUMNS = ("claimed_by", "claimed_by_name", "claimed_at", "first_reply_at", "resolved_at")
# Lightweight tables for the data steps: the columns they read and write, as they are at that point.
_keys = sa.table("api_keys", sa.column("admin", sa.Boolean()), sa.column("role", sa.String()))
_handovers = sa.table("handovers", sa.column("state", sa.String()))
_messages = sa.table("messages", sa.column("role", sa.String()))

# Alembic's identifiers.
revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None


def upgrade() -> None:
    # Every step in batch mode: SQLite rebuilds the table where it cannot ALTER (env.py turns batch mode on there
    # and migrates with foreign keys off, so rebuilding `messages` cascades to no feedback or hand-over), while
    # PostgreSQL alters in place. A NOT NULL column is added nullable, filled, then made NOT NULL.
    with op.batch_alter_table("api_keys") as batch:
        batch.add_column(sa.Column("role", sa.String(16), nullable=True))
    op.execute(_keys.update().values(role=sa.case((_keys.c.admin.is_(True), "admin"), else_="client")))
    with op.batch_alter_table("api_keys") as batch:
        batch.alter_column("role", existing_type=sa.String(16), nullable=False)
        batch.create_check_constraint(op.f("ck_api_keys_role"), "role IN ('client', 'admin', 'agent')")
        batch.drop_column("admin")

    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("agent_id", sa.String(32), nullable=True))
        batch.add_column(sa.Column("agent_name", sa.String(200), nullable=True))
        batch.drop_constraint(op.f("ck_messages_role"), type_="check")
        batch.create_check_constraint(op.f("ck_messages_role"), "role IN ('user', 'assistant', 'agent')")

    with op.batch_alter_table("handovers") as batch:
        batch.add_column(sa.Column("state", sa.String(16), nullable=True))
        batch.add_column(sa.Column("claimed_by", sa.String(32), nullable=True))
        batch.add_column(sa.Column("claimed_by_name", sa.String(200), nullable=True))
        for name in ("claimed_at", "first_reply_at", "resolved_at"):
            batch.add_column(sa.Column(name, _TS, nullable=True))
    op.execute(_handovers.update().values(state="open"))
    with op.batch_alter_table("handovers") as batch:
        batch.alter_column("state", existing_type=sa.String(16), nullable=False)
        batch.create_check_constraint(op.f("ck_handovers_state"), "state IN ('open', 'claimed', 'resolved')")
        batch.create_index(op.f("ix_handovers_state"), ["state"])


def downgrade() -> None:
    # People's replies have no place before 0003 (the role check would refuse them); the cases' states go.
    op.execute(_messages.delete().where(_messages.c.role == "agent"))
    with op.batch_alter_table("handovers") as batch:
        batch.drop_index(op.f("ix_handovers_state"))
        batch.drop_constraint(op.f("ck_handovers_state"), type_="check")
        for name in ("state", *_CASE_COLUMNS):
            batch.drop_column(name)
    with op.batch_alter_table("messages") as batch:
        batch.drop_constraint(op.f("ck_messages_role"), type_="check")
        batch.create_check_constraint(op.f("ck_messages_role"), "role IN ('user', 'assistant')")
        batch.drop_column("agent_name")
        batch.drop_column("agent_id")
    # An agent key must not become a customer's key: it is revoked (it could not call anything before 0003 but chat).
    with op.batch_alter_table("api_keys") as batch:
        batch.add_column(sa.Column("admin", sa.Boolean(), nullable=True))
    keys = sa.table(
        "api_keys", sa.column("admin", sa.Boolean()), sa.column("role", sa.String()), sa.column("revoked_at", _TS)
    )
    op.execute(keys.update().values(admin=keys.c.role == "admin"))
    op.execute(
        keys.update()
        .where(keys.c.role == "agent", keys.c.revoked_at.is_(None))
        .values(revoked_at=sa.func.current_timestamp())
    )
    with op.batch_alter_table("api_keys") as batch:
        batch.alter_column("admin", existing_type=sa.Boolean(), nullable=False)
        batch.drop_constraint(op.f("ck_api_keys_role"), type_="check")
        batch.drop_column("role")
