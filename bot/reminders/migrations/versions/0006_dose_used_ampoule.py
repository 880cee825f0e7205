"""Whether a Taken took an ampoule from the count, so Undo gives back only what it took.

Revision ID: 0006_dose_used_ampoule
Revises: 0003_carers_supplies_sites
Create Date: 2026-12-06

A Taken at 0 left does not count down, yet Undo gave one back. Each dose now says whether it
used one. Rows from before say no: an Undo of one of them leaves the count alone, which is the
honest mistake to make. Follows 0003, which brought the count; beside the guided /remind's
0004-0005 (migrations upgrade to every head).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_dose_used_ampoule"
down_revision: str | Sequence[str] | None = "0003_carers_supplies_sites"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("doses") as doses:
        doses.add_column(
            sa.Column("used_ampoule", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("doses") as doses:
        doses.drop_column("used_ampoule")
