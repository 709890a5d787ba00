"""Messaging: templates in the database; deliveries (what went out, opens, clicks,
unsubscribes); the index of outbox rows held by a deliverer.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

INFLIGHT = "status IN ('claimed', 'sending')"


def upgrade() -> None:
    op.create_table(
        "templates",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("subject", sa.Text(), nullable=True),
        sa.Column("html", sa.Text(), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "deliveries",
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("contact_id", sa.String(length=200), nullable=False),
        sa.Column("run_id", sa.String(length=16), nullable=False),
        sa.Column("process_id", sa.Integer(), nullable=False),
        sa.Column("process", sa.String(length=200), nullable=False),
        sa.Column("node", sa.String(length=200), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("template", sa.String(length=200), nullable=True),
        sa.Column("category", sa.String(length=20), nullable=True),
        sa.Column("message_id", sa.String(length=300), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("sent_at", sa.BigInteger(), nullable=True),
        sa.Column("opened_at", sa.BigInteger(), nullable=True),
        sa.Column("opens", sa.Integer(), nullable=False),
        sa.Column("clicked_at", sa.BigInteger(), nullable=True),
        sa.Column("clicks", sa.Integer(), nullable=False),
        sa.Column("unsubscribed_at", sa.BigInteger(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_index("deliveries_contact", "deliveries", ["contact_id", "sent_at"], unique=False)
    op.create_index("outbox_inflight", "outbox", ["next_at"], unique=False,
                    sqlite_where=sa.text(INFLIGHT), postgresql_where=sa.text(INFLIGHT))


def downgrade() -> None:
    op.drop_index("outbox_inflight", table_name="outbox",
                  sqlite_where=sa.text(INFLIGHT), postgresql_where=sa.text(INFLIGHT))
    op.drop_index("deliveries_contact", table_name="deliveries")
    op.drop_table("deliveries")
    op.drop_table("templates")
