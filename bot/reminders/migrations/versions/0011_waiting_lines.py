"""A /remind line waiting for the chat's time zone is kept in the database, not in memory.

Revision ID: 0011_waiting_lines
Revises: 0010_pending_shares
Create Date: 2026-12-05

One row per chat: the newest /remind line said before the chat had a zone, who said it and when.
Before, it lived in memory, and a restart before the zone was set lost it.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_waiting_lines"
down_revision: str | Sequence[str] | None = "0010_pending_shares"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "waiting_lines",
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("line", sa.String(length=400), nullable=False),
        sa.Column("said_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["chat_id"],
            ["chats.chat_id"],
            name=op.f("fk_waiting_lines_chat_id_chats"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("chat_id", name=op.f("pk_waiting_lines")),
    )
    with op.batch_alter_table("waiting_lines") as table:
        table.create_index(table.f("ix_waiting_lines_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    op.drop_table("waiting_lines")
