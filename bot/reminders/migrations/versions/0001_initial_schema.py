"""Initial schema: chats, reminders, the dose log, FAQ feedback counts.

Revision ID: 0001
Revises:
Create Date: 2026-11-26

Times are timezone-aware UTC (`timestamptz` on PostgreSQL); chat and user ids are 64-bit.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _utc(name: str, *, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "chats",
        sa.Column("chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=True),
        sa.Column("paused", sa.Boolean(), nullable=False),
        _utc("created_at"),
        sa.CheckConstraint("kind IN ('private', 'group')", name=op.f("ck_chats_kind")),
        sa.PrimaryKeyConstraint("chat_id", name=op.f("pk_chats")),
    )
    op.create_table(
        "feedback",
        sa.Column("topic", sa.String(length=64), nullable=False),
        sa.Column("helpful", sa.Boolean(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("topic", "helpful", name=op.f("pk_feedback")),
    )
    op.create_table(
        "reminders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("creator_id", sa.BigInteger(), nullable=False),
        sa.Column("for_whom", sa.String(length=40), nullable=True),
        sa.Column("rule", sa.String(length=32), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        _utc("next_due_at"),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("followup_minutes", sa.Integer(), nullable=True),
        _utc("created_at"),
        sa.ForeignKeyConstraint(
            ["chat_id"],
            ["chats.chat_id"],
            name=op.f("fk_reminders_chat_id_chats"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminders")),
    )
    op.create_index(op.f("ix_reminders_active_next_due_at"), "reminders", ["active", "next_due_at"])
    op.create_index(op.f("ix_reminders_chat_id"), "reminders", ["chat_id"])
    op.create_index(op.f("ix_reminders_creator_id"), "reminders", ["creator_id"])
    op.create_table(
        "doses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reminder_id", sa.Integer(), nullable=True),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        _utc("due_at"),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.Column("acted_by", sa.BigInteger(), nullable=True),
        _utc("acted_at", nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.String(length=32), nullable=True),
        _utc("retry_at", nullable=True),
        _utc("followup_due_at", nullable=True),
        sa.Column("followup_sent", sa.Boolean(), nullable=False),
        _utc("snoozed_until", nullable=True),
        _utc("created_at"),
        sa.CheckConstraint(
            "status IN ('sending', 'sent', 'late', 'missed', 'taken', 'skipped', 'snoozed', 'failed')",
            name=op.f("ck_doses_status"),
        ),
        sa.ForeignKeyConstraint(
            ["chat_id"], ["chats.chat_id"], name=op.f("fk_doses_chat_id_chats"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["reminder_id"],
            ["reminders.id"],
            name=op.f("fk_doses_reminder_id_reminders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_doses")),
        sa.UniqueConstraint("reminder_id", "due_at", name=op.f("uq_doses_reminder_id_due_at")),
    )
    op.create_index(op.f("ix_doses_acted_by"), "doses", ["acted_by"])
    op.create_index(op.f("ix_doses_chat_id_due_at"), "doses", ["chat_id", "due_at"])
    op.create_index(op.f("ix_doses_followup_due_at"), "doses", ["followup_due_at"])
    op.create_index(op.f("ix_doses_retry_at"), "doses", ["retry_at"])
    op.create_index(op.f("ix_doses_snoozed_until"), "doses", ["snoozed_until"])


def downgrade() -> None:
    op.drop_table("doses")  # its indexes go with it
    op.drop_table("reminders")
    op.drop_table("feedback")
    op.drop_table("chats")
