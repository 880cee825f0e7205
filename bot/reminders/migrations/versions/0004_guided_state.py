"""Where each person is in a guided /remind, so a restart does not lose it.

Revision ID: 0004_guided_state
Revises: 0002
Create Date: 2026-12-05

One row per (chat, person) while they answer the guided /remind's questions: the step waited on
and the answers so far, in the grammar's own words. Beside 0003 (both from 0002): migrations
upgrade to every head.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_guided_state"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "guided_reminders",
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("step", sa.String(length=8), nullable=False),
        sa.Column("frequency", sa.String(length=24), nullable=True),
        sa.Column("at", sa.String(length=5), nullable=True),
        sa.Column("start", sa.Date(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["chat_id"],
            ["chats.chat_id"],
            name=op.f("fk_guided_reminders_chat_id_chats"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("chat_id", "user_id", name=op.f("pk_guided_reminders")),
    )


def downgrade() -> None:
    op.drop_table("guided_reminders")
