"""A group's consent prompts wait in the database, so a restart does not lose the reminder.

Revision ID: 0010_pending_shares
Revises: 0008_nudge_message_id, 0009_guided_day_of_month
Create Date: 2026-12-05

One row per unanswered "may I show this reminder here?" prompt, whose buttons carry its id: what
the reminder would store (rule, start, zone, for whom, follow-up) and who asked. Before,
the request lived in memory and a restart turned the Yes button into "no longer here". Joins
the carers' and the guided branches into one head.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_pending_shares"
down_revision: str | Sequence[str] | None = ("0008_nudge_message_id", "0009_guided_day_of_month")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pending_shares",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("creator_id", sa.BigInteger(), nullable=False),
        sa.Column("for_whom", sa.String(length=40), nullable=True),
        sa.Column("rule", sa.String(length=32), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("followup_minutes", sa.Integer(), nullable=True),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["chat_id"],
            ["chats.chat_id"],
            name=op.f("fk_pending_shares_chat_id_chats"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pending_shares")),
    )
    with op.batch_alter_table("pending_shares") as table:
        table.create_index(table.f("ix_pending_shares_creator_id"), ["creator_id"], unique=False)
        table.create_index(table.f("ix_pending_shares_chat_id"), ["chat_id"], unique=False)


def downgrade() -> None:
    op.drop_table("pending_shares")
