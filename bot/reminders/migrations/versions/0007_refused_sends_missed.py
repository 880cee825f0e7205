"""Doses left 'failed' with no retry time become 'missed', as such sends are recorded now.

Revision ID: 0007_refused_sends_missed
Revises: 0006_dose_used_ampoule
Create Date: 2026-12-04

A send Telegram refused for good used to stay 'failed' with no retry time: never final, never
counted as missed by the next reminder, "not delivered" in /history. The dispatcher now records
such a send as missed, keeping its error code; this brings rows written before into line, so a
database that ran the old code tells its people the same. Nothing to undo: 'missed' with an
error code says what 'failed' without a retry did.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007_refused_sends_missed"
down_revision: str | Sequence[str] | None = "0006_dose_used_ampoule"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("UPDATE doses SET status = 'missed' WHERE status = 'failed' AND retry_at IS NULL")


def downgrade() -> None:
    """The rows cannot be told from doses missed for other reasons; they stay missed."""
