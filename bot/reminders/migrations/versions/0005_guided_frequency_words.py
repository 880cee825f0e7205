"""A guided /remind's "how often" can name weekdays: widen it from 24 to 80 characters.

Revision ID: 0005_guided_frequency_words
Revises: 0004_guided_state
Create Date: 2026-12-04

A typed "every tue and thu" is kept as the rule's own words, "every Tuesday and Thursday", and
all seven days come to 71 characters. Batch mode, so SQLite (which cannot alter a column) copies
the table instead.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_guided_frequency_words"
down_revision: str | Sequence[str] | None = "0004_guided_state"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("guided_reminders") as table:
        table.alter_column(
            "frequency", existing_type=sa.String(length=24), type_=sa.String(length=80)
        )


def downgrade() -> None:
    with op.batch_alter_table("guided_reminders") as table:
        table.alter_column(
            "frequency", existing_type=sa.String(length=80), type_=sa.String(length=24)
        )
