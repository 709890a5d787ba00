"""Smaller rows for events and runs, the two tables that grow with every contact.

- Run ids (16 hex digits, `engine.core.run_id_for`) are stored as signed 64-bit integers
  (`codec.rid_int`, `schema.RunId`): 8 bytes where the text took 17, in the row and in
  the primary key. A run's status is stored as one letter (`codec.STATUS_CODE`,
  `schema.RunStatus`: `a` for active, …).
- PostgreSQL aligns each fixed-width column to its width, so a bigint after text of odd
  length wastes up to 7 bytes: `events` and `runs` are laid out again with their
  fixed-width columns first (SQLite's rows have no alignment; there the columns stay).
- PostgreSQL: the primary key of `events` becomes (contact_id, name, ts, id) and the index
  `events_contact` (contact_id, name, ts) goes: the key is that index with the id after
  it, so one index does both jobs. The worker finds a queued event by that key: `inbox`
  gets the event's name (it already had contact_id, ts and the event's id).

A waiting run of the benchmark's W2 (its event, the run, their indexes) goes from 558–565
to 483–498 bytes on PostgreSQL (docs/benchmarks-postgresql.md, session 6).

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

from alembic import op

from nurtura.store.codec import STATUS_CODE, rid_hex, rid_int
from nurtura.store.sqlite_ddl import rebuild_table, sql_function

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_EVENTS = """CREATE TABLE events_new (
    id BIGINT NOT NULL DEFAULT nextval('{seq}'::regclass),
    ts BIGINT NOT NULL,
    contact_id VARCHAR(200) NOT NULL,
    name VARCHAR(200) NOT NULL,
    props TEXT,
    message_id BYTEA,
    input BOOLEAN)"""
_RUNS = """CREATE TABLE runs_new (
    id BIGINT NOT NULL,
    wake_at BIGINT,
    node_since BIGINT NOT NULL,
    started_at BIGINT NOT NULL,
    ended_at BIGINT,
    process_id INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    contact_id VARCHAR(200) NOT NULL,
    status VARCHAR(1) NOT NULL,
    node VARCHAR(200) NOT NULL,
    reason VARCHAR(200),
    vars TEXT,
    hist TEXT)"""
_RUN_COLS = "wake_at, node_since, started_at, ended_at, process_id, seq, contact_id"
_RUN_REST = "node, reason, vars, hist"
_CODE = ("CASE status " + " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in STATUS_CODE.items())
         + " ELSE status END")
_NAME = ("CASE status " + " ".join(f"WHEN '{v}' THEN '{k}'" for k, v in STATUS_CODE.items())
         + " ELSE status END")
_MID = "WHERE message_id IS NOT NULL"
_SQLITE_UP = {"id": "id BIGINT NOT NULL", "status": "status VARCHAR(1) NOT NULL"}
_SQLITE_DOWN = {"id": "id VARCHAR(16) NOT NULL", "status": "status VARCHAR(10) NOT NULL"}


def _postgresql() -> bool:
    return bool(op.get_bind().dialect.name == "postgresql")


def _inbox_names() -> None:
    """The queued events' names (a row whose event is gone keeps '': the worker drops it
    as before, finding no event)."""
    op.execute("ALTER TABLE inbox ADD COLUMN name VARCHAR(200) NOT NULL DEFAULT ''")
    op.execute("UPDATE inbox SET name = COALESCE((SELECT e.name FROM events e WHERE "
               "e.contact_id = inbox.contact_id AND e.id = inbox.event_id), '')")
    if _postgresql():
        op.execute("ALTER TABLE inbox ALTER COLUMN name DROP DEFAULT")


def upgrade() -> None:
    _inbox_names()
    if not _postgresql():
        sql_function(op, "nurtura_rid_int", rid_int)
        rebuild_table(op, "runs", lambda items: [
            _SQLITE_UP.get(p.split()[0].strip('"'), p) for p in items],
            {"id": "nurtura_rid_int(id)", "status": _CODE})
        return
    # events, laid out again; its id sequence is kept (and its next value with it)
    seq = op.get_bind().exec_driver_sql(
        "SELECT pg_get_serial_sequence('events', 'id')").scalar_one()
    op.execute(f"ALTER SEQUENCE {seq} OWNED BY NONE")
    op.execute(_EVENTS.format(seq=seq))
    op.execute("INSERT INTO events_new (id, ts, contact_id, name, props, message_id, input) "
               "SELECT id, ts, contact_id, name, props, message_id, input FROM events")
    op.execute("DROP TABLE events")
    op.execute("ALTER TABLE events_new RENAME TO events")
    op.execute(f"ALTER SEQUENCE {seq} OWNED BY events.id")
    op.execute("ALTER TABLE events ADD CONSTRAINT events_pkey "
               "PRIMARY KEY (contact_id, name, ts, id)")
    op.execute("CREATE UNIQUE INDEX events_message_id ON events (contact_id, message_id) "
               + _MID)
    # runs, laid out again with integer ids
    op.execute(_RUNS)
    op.execute(f"INSERT INTO runs_new (id, {_RUN_COLS}, status, {_RUN_REST}) "
               f"SELECT ('x' || id)::bit(64)::bigint, {_RUN_COLS}, {_CODE}, {_RUN_REST} "
               "FROM runs")
    op.execute("DROP TABLE runs")
    op.execute("ALTER TABLE runs_new RENAME TO runs")
    op.execute("ALTER TABLE runs ADD CONSTRAINT runs_pkey PRIMARY KEY (contact_id, id)")
    op.execute("CREATE INDEX runs_wake ON runs (process_id, wake_at) WHERE wake_at IS NOT NULL")
    op.execute("CREATE INDEX runs_process ON runs (process_id, status)")


def downgrade() -> None:
    if _postgresql():
        op.execute("ALTER TABLE runs ALTER COLUMN id TYPE varchar(16) "
                   "USING lpad(to_hex(id), 16, '0'), "
                   f"ALTER COLUMN status TYPE varchar(10) USING {_NAME}")
        op.execute("ALTER TABLE events DROP CONSTRAINT events_pkey, "
                   "ADD PRIMARY KEY (contact_id, id)")
        op.execute("CREATE INDEX events_contact ON events (contact_id, name, ts)")
    else:
        sql_function(op, "nurtura_rid_hex", rid_hex)
        rebuild_table(op, "runs", lambda items: [
            _SQLITE_DOWN.get(p.split()[0].strip('"'), p) for p in items],
            {"id": "nurtura_rid_hex(id)", "status": _NAME})
    op.execute("ALTER TABLE inbox DROP COLUMN name")
