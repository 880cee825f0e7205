"""Where a carer's nudge went, so its Taken/Skip can be taken away once the dose is settled.

Revision ID: 0008_nudge_message_id
Revises: 0007_refused_sends_missed
Create Date: 2026-12-04

A carer's "Remind again" sends the patient a second message with the dose's buttons. Its id was
not kept, so a Taken on the reminder (or the carer's "It's done") left the nudge's buttons live.
Alerts from before have no id: their nudges keep their buttons, and a press on one is answered
as already marked, as before.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_nudge_message_id"
down_revision: str | Sequence[str] | None = "0007_refused_sends_missed"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("carer_alerts") as alerts:
        alerts.add_column(sa.Column("nudge_message_id", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("carer_alerts") as alerts:
        alerts.drop_column("nudge_message_id")
