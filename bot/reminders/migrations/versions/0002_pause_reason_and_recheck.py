"""Why a chat is paused, and when to check again whether the bot can write to it.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03

A pause used to be for good: one "chat not found", or a lost unblock update, stopped a chat's
reminders until someone noticed. Now the reason is kept (blocked, restricted, chat not found) and
the dispatcher tries the chat again at `recheck_at`.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("chats") as chats:
        chats.add_column(sa.Column("paused_reason", sa.String(length=16), nullable=True))
        chats.add_column(sa.Column("recheck_at", sa.DateTime(timezone=True), nullable=True))
        chats.create_index(op.f("ix_chats_recheck_at"), ["recheck_at"])


def downgrade() -> None:
    with op.batch_alter_table("chats") as chats:
        chats.drop_index(op.f("ix_chats_recheck_at"))
        chats.drop_column("recheck_at")
        chats.drop_column("paused_reason")
