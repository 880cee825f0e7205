"""When the ampoule count was last given, so a dose given before it takes nothing from it.

Revision ID: 0012_supplies_counted_at
Revises: 0011_waiting_lines
Create Date: 2026-12-06

"/supplies 3" then "/taken 5 weeks ago" said "2 ampoules left": the ampoule of that injection
was used before the 3 were counted (a QA pass). Counts set before this revision have no time,
and every dose counts against them, as before.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_supplies_counted_at"
down_revision: str | Sequence[str] | None = "0011_waiting_lines"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("reminders") as reminders:
        reminders.add_column(sa.Column("supplies_counted_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    with op.batch_alter_table("reminders") as reminders:
        reminders.drop_column("supplies_counted_at")
