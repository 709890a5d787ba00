"""The worker's queue of input events in a table of its own, `inbox`, instead of a flag
on the event row.

Marking an event handled used to rewrite its row (`pending = NULL`) with every index entry
— on PostgreSQL a whole second version of the row and of its three indexes, dead until
VACUUM: about 270 bytes per event and the most expensive write of a step. Now an event is
written once; the statement that stores an input also queues it (PostgreSQL: one
statement, the insert's new rows feeding the queue's; SQLite: the trigger
`events_to_inbox`), and handling it deletes its small inbox row. The flag, renamed `input`,
says whether a stored event was an input of the worker; only the trigger reads it.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_PENDING: dict[str, Any] = {"sqlite_where": sa.text("pending = 1"),
                            "postgresql_where": sa.text("pending")}
_TRIGGER = """CREATE TRIGGER events_to_inbox AFTER INSERT ON events
FOR EACH ROW WHEN NEW.input
BEGIN
    INSERT INTO inbox (contact_id, event_id, ts) VALUES (NEW.contact_id, NEW.id, NEW.ts);
END"""


def _sqlite() -> bool:
    return bool(op.get_bind().dialect.name == "sqlite")


def upgrade() -> None:
    event_id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    op.create_table(
        "inbox",
        sa.Column("contact_id", sa.String(200), nullable=False),
        sa.Column("event_id", event_id, nullable=False),
        sa.Column("ts", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("contact_id", "event_id"),
        sqlite_with_rowid=False,
    )
    op.execute("INSERT INTO inbox (contact_id, event_id, ts) SELECT contact_id, id, ts "
               f"FROM events WHERE {'pending = 1' if _sqlite() else 'pending'}")
    op.create_index("inbox_due", "inbox", ["ts"], unique=False)
    op.drop_index("events_inbox", table_name="events", **_PENDING)
    op.drop_index("events_pending", table_name="events", **_PENDING)
    op.execute("ALTER TABLE events RENAME COLUMN pending TO input")
    if _sqlite():
        op.execute(_TRIGGER)


def downgrade() -> None:
    if _sqlite():
        op.execute("DROP TRIGGER events_to_inbox")
    op.execute("ALTER TABLE events RENAME COLUMN input TO pending")
    op.execute("UPDATE events SET pending = NULL WHERE pending IS NOT NULL")
    op.execute("UPDATE events SET pending = true WHERE EXISTS (SELECT 1 FROM inbox WHERE "
               "inbox.contact_id = events.contact_id AND inbox.event_id = events.id)")
    op.create_index("events_pending", "events", ["ts"], unique=False, **_PENDING)
    op.create_index("events_inbox", "events", ["contact_id", "ts"], unique=False, **_PENDING)
    op.drop_index("inbox_due", table_name="inbox")
    op.drop_table("inbox")
