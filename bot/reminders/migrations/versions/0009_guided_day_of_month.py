"""A guided /remind keeps a start said as a day of the month ("on the 31st") as that day.

Revision ID: 0009_guided_day_of_month
Revises: 0005_guided_frequency_words
Create Date: 2026-12-04

Kept as a date, "on the 31st" said in April became 31 May, and a monthly series lost April's
injection; the one-line /remind starts it on 30 April and keeps the 31st. The day waits here
until the guide's line is read. Guides under way from before have a date and no day. On the
guided branch (after 0005), beside the carers' 0008: migrations upgrade to every head.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_guided_day_of_month"
down_revision: str | Sequence[str] | None = "0005_guided_frequency_words"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("guided_reminders") as table:
        table.add_column(sa.Column("day", sa.SmallInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("guided_reminders") as table:
        table.drop_column("day")
