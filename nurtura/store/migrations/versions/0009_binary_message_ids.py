"""Message ids stored as bytes (`codec.mid_bytes`): a canonical UUID as its 16 bytes,
any other id as its UTF-8 bytes (0xFF added when those are exactly 16 long).

Segment's server libraries and most backends send UUIDs (36 characters as text): the
row and the unique index `(contact_id, message_id)` each hold 20 bytes less per event, and
the index compares shorter keys. Readers get the same text back (`codec.mid_text`).

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

from typing import Any

from alembic import op

from nurtura.store.codec import mid_bytes, mid_text
from nurtura.store.sqlite_ddl import rebuild_table, sql_function

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_UUID = "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
_TO_BYTES = f"""CASE
    WHEN message_id ~ '{_UUID}' THEN decode(replace(message_id, '-', ''), 'hex')
    WHEN octet_length(message_id) = 16 THEN convert_to(message_id, 'UTF8') || '\\xff'::bytea
    ELSE convert_to(message_id, 'UTF8') END"""
_TO_TEXT = """CASE
    WHEN length(message_id) = 16 THEN regexp_replace(encode(message_id, 'hex'),
        '^(.{8})(.{4})(.{4})(.{4})(.{12})$', '\\1-\\2-\\3-\\4-\\5')
    WHEN get_byte(message_id, length(message_id) - 1) = 255
        THEN convert_from(substring(message_id from 1 for length(message_id) - 1), 'UTF8')
    ELSE convert_from(message_id, 'UTF8') END"""


def _sqlite_rewrite(name: str, fn: Any, decl: str) -> None:
    """SQLite cannot change a column's type in place: a copy of `events` with the column
    declared `decl` and every value converted by `fn`."""
    sql_function(op, name, fn)
    rebuild_table(op, "events", lambda items: [
        f"message_id {decl}" if p.split()[0].strip('"') == "message_id" else p for p in items],
        {"message_id": f"{name}(message_id)"})


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE events ALTER COLUMN message_id TYPE bytea USING {_TO_BYTES}")
    else:
        _sqlite_rewrite("nurtura_mid_bytes", mid_bytes, "BLOB")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE events ALTER COLUMN message_id TYPE varchar(200) "
                   f"USING {_TO_TEXT}")
    else:
        _sqlite_rewrite("nurtura_mid_text", mid_text, "VARCHAR(200)")
