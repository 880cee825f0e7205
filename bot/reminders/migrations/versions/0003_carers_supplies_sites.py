"""Carer links, supplies left, and where each injection went.

Revision ID: 0003_carers_supplies_sites
Revises: 0002
Create Date: 2026-12-04

- carer_invites: one-time links (only the token's SHA-256), carer_links: who is told when a
  patient's private reminder goes unmarked, carer_alerts: each alert sent (at most once).
- reminders.supplies_left / supplies_alert_at: optional ampoule count, counted down by Taken.
- doses.site and reminders.last_site: where an injection went, if someone said.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_carers_supplies_sites"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SITES = ("left arm", "right arm", "left thigh", "right thigh", "left buttock", "right buttock")


def _utc(name: str, *, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _chat_id(name: str) -> sa.Column:
    return sa.Column(name, sa.BigInteger(), nullable=False)


def upgrade() -> None:
    with op.batch_alter_table("reminders") as reminders:
        reminders.add_column(sa.Column("supplies_left", sa.Integer(), nullable=True))
        reminders.add_column(sa.Column("supplies_alert_at", sa.Integer(), nullable=True))
        reminders.add_column(sa.Column("last_site", sa.String(length=16), nullable=True))
    sites = ", ".join(f"'{site}'" for site in _SITES)
    with op.batch_alter_table("doses") as doses:
        doses.add_column(sa.Column("site", sa.String(length=16), nullable=True))
        doses.create_check_constraint(op.f("ck_doses_site"), f"site IS NULL OR site IN ({sites})")

    op.create_table(
        "carer_invites",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        _chat_id("patient_id"),
        sa.Column("patient_name", sa.String(length=40), nullable=False),
        _utc("created_at"),
        _utc("expires_at"),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["chats.chat_id"],
            name=op.f("fk_carer_invites_patient_id_chats"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_carer_invites")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_carer_invites_token_hash")),
    )
    op.create_index(op.f("ix_carer_invites_patient_id"), "carer_invites", ["patient_id"])
    op.create_index(op.f("ix_carer_invites_expires_at"), "carer_invites", ["expires_at"])

    op.create_table(
        "carer_links",
        sa.Column("id", sa.Integer(), nullable=False),
        _chat_id("patient_id"),
        _chat_id("carer_id"),
        sa.Column("patient_name", sa.String(length=40), nullable=False),
        sa.Column("carer_name", sa.String(length=64), nullable=False),
        _utc("created_at"),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["chats.chat_id"],
            name=op.f("fk_carer_links_patient_id_chats"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["carer_id"],
            ["chats.chat_id"],
            name=op.f("fk_carer_links_carer_id_chats"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_carer_links")),
        sa.UniqueConstraint(
            "patient_id", "carer_id", name=op.f("uq_carer_links_patient_id_carer_id")
        ),
    )
    op.create_index(op.f("ix_carer_links_carer_id"), "carer_links", ["carer_id"])

    op.create_table(
        "carer_alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dose_id", sa.Integer(), nullable=False),
        sa.Column("link_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        _utc("nudged_at", nullable=True),
        _utc("created_at"),
        sa.CheckConstraint(
            "status IN ('sending', 'sent', 'failed')", name=op.f("ck_carer_alerts_status")
        ),
        sa.ForeignKeyConstraint(
            ["dose_id"],
            ["doses.id"],
            name=op.f("fk_carer_alerts_dose_id_doses"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["link_id"],
            ["carer_links.id"],
            name=op.f("fk_carer_alerts_link_id_carer_links"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_carer_alerts")),
        sa.UniqueConstraint("dose_id", "link_id", name=op.f("uq_carer_alerts_dose_id_link_id")),
    )
    op.create_index(op.f("ix_carer_alerts_link_id"), "carer_alerts", ["link_id"])


def downgrade() -> None:
    op.drop_table("carer_alerts")
    op.drop_table("carer_links")
    op.drop_table("carer_invites")
    with op.batch_alter_table("doses") as doses:
        doses.drop_constraint(op.f("ck_doses_site"), type_="check")
        doses.drop_column("site")
    with op.batch_alter_table("reminders") as reminders:
        reminders.drop_column("last_site")
        reminders.drop_column("supplies_alert_at")
        reminders.drop_column("supplies_left")
