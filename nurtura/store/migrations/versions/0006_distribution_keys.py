"""Key every per-contact table by contact id, so a sharded PostgreSQL (Citus) can
distribute them by contact id with no further schema change (docs/operations.md).

- runs: primary key (contact_id, id); the index on contact_id alone goes (the key's prefix).
- outbox, deliveries: primary key (contact_id, key); deliveries keep an index on key for
  tracking links, which carry the key only.
- events: message ids are unique per contact, (contact_id, message_id); on PostgreSQL the
  primary key becomes (contact_id, id). SQLite keeps `id` alone: there it is the rowid,
  which is what numbers new events.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from nurtura.store.sqlite_ddl import rebuild_table

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_MID = sa.text("message_id IS NOT NULL")


def _rekey_sqlite(table: str, key: list[str]) -> None:
    """SQLite cannot change a primary key in place: a copy with the new key, same rows."""
    rebuild_table(op, table, lambda items: [
        *(p for p in items if not p.upper().startswith("PRIMARY KEY")),
        f"PRIMARY KEY ({', '.join(key)})"])


def _rekey(table: str, key: list[str]) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE {table} DROP CONSTRAINT {table}_pkey, "
                   f"ADD PRIMARY KEY ({', '.join(key)})")
    else:
        _rekey_sqlite(table, key)


def upgrade() -> None:
    op.drop_index("runs_contact", table_name="runs")
    _rekey("runs", ["contact_id", "id"])
    _rekey("outbox", ["contact_id", "key"])
    _rekey("deliveries", ["contact_id", "key"])
    op.create_index("deliveries_key", "deliveries", ["key"], unique=False)
    op.drop_index("events_message_id", table_name="events", sqlite_where=_MID,
                  postgresql_where=_MID)
    op.create_index("events_message_id", "events", ["contact_id", "message_id"], unique=True,
                    sqlite_where=_MID, postgresql_where=_MID)
    if op.get_bind().dialect.name == "postgresql":
        _rekey("events", ["contact_id", "id"])


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _rekey("events", ["id"])
    op.drop_index("events_message_id", table_name="events", sqlite_where=_MID,
                  postgresql_where=_MID)
    op.create_index("events_message_id", "events", ["message_id"], unique=True,
                    sqlite_where=_MID, postgresql_where=_MID)
    op.drop_index("deliveries_key", table_name="deliveries")
    _rekey("deliveries", ["key"])
    _rekey("outbox", ["key"])
    _rekey("runs", ["id"])
    op.create_index("runs_contact", "runs", ["contact_id"], unique=False)
