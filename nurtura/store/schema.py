"""The tables, as SQLAlchemy Core metadata. Times are integer epoch milliseconds (UTC).

Every per-contact table carries `contact_id`, the distribution key for a sharded PostgreSQL.
Migrations in store/migrations create exactly this (a test compares the two).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    TypeDecorator,
    text,
)

from nurtura.store.codec import STATUS_CODE, STATUS_NAME, rid_hex, rid_int

metadata = MetaData()


class RunId(TypeDecorator[str]):
    """A run id (16 hex digits) stored as a signed 64-bit integer (`codec.rid_int`,
    migration 0012). Core statements convert both ways; the worker's bulk statements,
    which bypass SQLAlchemy's types, call codec themselves."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Any) -> int | None:
        return None if value is None else rid_int(value)

    def process_result_value(self, value: int | None, dialect: Any) -> str | None:
        return None if value is None else rid_hex(value)


class RunStatus(TypeDecorator[str]):
    """A run's status (`active`, …) stored as one letter (`codec.STATUS_CODE`, migration
    0012); like RunId, converted by Core and by codec for the bulk statements."""

    impl = String(1)
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Any) -> str | None:
        return None if value is None else STATUS_CODE[value]

    def process_result_value(self, value: str | None, dialect: Any) -> str | None:
        return None if value is None else STATUS_NAME[value]


processes = Table(
    "processes", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("enabled", Boolean, nullable=False, default=False),
    Column("activated_at", BigInteger, nullable=True),
    Column("version", Integer, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
)

process_versions = Table(
    "process_versions", metadata,
    Column("process_id", Integer, primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("doc", Text, nullable=False),
    Column("created_at", BigInteger, nullable=False),
)

# Contacts are found by id only: WITHOUT ROWID stores each row once, in its key's b-tree.
contacts = Table(
    "contacts", metadata,
    Column("id", String(200), primary_key=True),
    Column("created_at", BigInteger, nullable=False),
    Column("email", String(320), nullable=True),
    Column("paid_total", Float, nullable=False, default=0.0),
    Column("paid_count", Integer, nullable=False, default=0),
    Column("last_paid_at", BigInteger, nullable=True),
    Column("doc", Text, nullable=False),
    sqlite_with_rowid=False,
)

# Columns in the order PostgreSQL lays them out (migration 0012): fixed-width ones first,
# widest first, so no byte is spent aligning them (SQLite's rows have no alignment).
events = Table(
    "events", metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
           autoincrement=True),
    Column("ts", BigInteger, nullable=False),
    Column("contact_id", String(200), nullable=False),
    Column("name", String(200), nullable=False),
    Column("props", Text, nullable=True),
    Column("message_id", LargeBinary, nullable=True),  # codec.mid_bytes (migration 0009)
    # true for an event stored as an input of the worker (queued in `inbox` as it is
    # inserted), null for one emitted by a step; written once, never updated (0010)
    Column("input", Boolean, nullable=True),
)
# Every per-contact table is keyed by contact id (a sharded PostgreSQL distributes them by
# it, docs/operations.md): message ids are unique per contact. The primary key: on SQLite
# `id` alone, the rowid that numbers events, with `events_contact` for a contact's events
# by name and time; on PostgreSQL (contact_id, name, ts, id), which is that index and the
# key in one (migration 0012; before, (contact_id, id) and the index: 100 bytes an event
# where the one index takes 60).
Index("events_message_id", events.c.contact_id, events.c.message_id, unique=True,
      sqlite_where=text("message_id IS NOT NULL"),
      postgresql_where=text("message_id IS NOT NULL"))
Index("events_contact", events.c.contact_id, events.c.name, events.c.ts)  # SQLite only

# The worker's queue of input events not yet handled (migration 0010): a row per pending
# event, made with the event (`bulk.Ingest`: on PostgreSQL by the statement that stores
# it, on SQLite by one more statement in its transaction, migration 0011) and deleted in the
# transaction that handles it. An event row is written once: marking it handled in place
# rewrote it with all its index entries (on PostgreSQL a second version of each, kept
# until VACUUM). By contact for loading a batch; by time for picking due contacts.
inbox = Table(
    "inbox", metadata,
    Column("contact_id", String(200), nullable=False),
    Column("event_id", BigInteger().with_variant(Integer, "sqlite"), nullable=False),
    Column("ts", BigInteger, nullable=False),
    # the event's name: with contact_id, ts and event_id, its primary key on PostgreSQL
    Column("name", String(200), nullable=False),
    PrimaryKeyConstraint("contact_id", "event_id"),
    sqlite_with_rowid=False,
)
Index("inbox_due", inbox.c.ts)

# Runs and outbox rows have random keys (hashes): as rowid tables their rows are appended in
# the order they were made, so a batch of wake-ups (which come in about that order) rewrites
# a few neighbouring pages, not one random page per run; the key's own index stays small.
# The id is stored as an integer, the status as a letter and the columns in PostgreSQL's
# layout order (migration 0012: a waiting run's row and key about 32 bytes smaller).
runs = Table(
    "runs", metadata,
    Column("id", RunId, nullable=False),
    Column("wake_at", BigInteger, nullable=True),
    Column("node_since", BigInteger, nullable=False),
    Column("started_at", BigInteger, nullable=False),
    Column("ended_at", BigInteger, nullable=True),
    Column("process_id", Integer, nullable=False),
    Column("seq", Integer, nullable=False),
    Column("contact_id", String(200), nullable=False),
    Column("status", RunStatus, nullable=False),
    Column("node", String(200), nullable=False),
    Column("reason", String(200), nullable=True),
    Column("vars", Text, nullable=True),
    Column("hist", Text, nullable=True),
    PrimaryKeyConstraint("contact_id", "id"),  # keyed by contact: see migration 0006
)
# by process, then time: one ordered range scan per enabled process (migration 0007)
Index("runs_wake", runs.c.process_id, runs.c.wake_at, sqlite_where=text("wake_at IS NOT NULL"),
      postgresql_where=text("wake_at IS NOT NULL"))
Index("runs_process", runs.c.process_id, runs.c.status)

outbox = Table(
    "outbox", metadata,
    Column("key", String(80), nullable=False),
    Column("contact_id", String(200), nullable=False),
    Column("run_id", String(16), nullable=False),
    Column("process_id", Integer, nullable=False),
    Column("node", String(200), nullable=False),
    Column("channel", String(10), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("payload", Text, nullable=False),
    Column("status", String(10), nullable=False, default="pending"),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_at", BigInteger, nullable=True),
    PrimaryKeyConstraint("contact_id", "key"),
)
Index("outbox_due", outbox.c.next_at, sqlite_where=text("status = 'pending'"),
      postgresql_where=text("status = 'pending'"))

stats = Table(
    "stats", metadata,
    Column("process_id", Integer, primary_key=True),
    Column("node", String(200), primary_key=True),
    Column("key", String(100), primary_key=True),
    Column("n", BigInteger, nullable=False),
    sqlite_with_rowid=False,
)

meta = Table(
    "meta", metadata,
    Column("key", String(100), primary_key=True),
    Column("value", Text, nullable=False),
)

# -- added by migration 0002: API tokens -----------------------------------------------------

tokens = Table(
    "tokens", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False),
    Column("hash", String(64), nullable=False, unique=True),
    Column("scopes", String(200), nullable=False),
    Column("created_at", BigInteger, nullable=False),
)
# (migration 0002 also indexed contacts by email; 0005 dropped it: no query used it)

# -- added by migration 0003: message templates; deliveries (tracking, analytics, caps) ----

templates = Table(
    "templates", metadata,
    Column("name", String(200), primary_key=True),
    Column("channel", String(10), nullable=False),
    Column("category", String(20), nullable=False),
    Column("subject", Text, nullable=True),
    Column("html", Text, nullable=True),
    Column("text", Text, nullable=True),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
)

# One row per outbox row that delivery started on: what went out, and what came back.
deliveries = Table(
    "deliveries", metadata,
    Column("key", String(300), nullable=False),
    Column("contact_id", String(200), nullable=False),
    Column("run_id", String(16), nullable=False),
    Column("process_id", Integer, nullable=False),
    Column("process", String(200), nullable=False),
    Column("node", String(200), nullable=False),
    Column("channel", String(10), nullable=False),
    Column("template", String(200), nullable=True),
    Column("category", String(20), nullable=True),
    Column("message_id", String(300), nullable=True),
    Column("status", String(12), nullable=False),
    Column("sent_at", BigInteger, nullable=True),
    Column("opened_at", BigInteger, nullable=True),
    Column("opens", Integer, nullable=False, default=0),
    Column("clicked_at", BigInteger, nullable=True),
    Column("clicks", Integer, nullable=False, default=0),
    Column("unsubscribed_at", BigInteger, nullable=True),
    Column("error", Text, nullable=True),
    PrimaryKeyConstraint("contact_id", "key"),
)
Index("deliveries_key", deliveries.c.key)  # tracking links carry the key alone
Index("deliveries_contact", deliveries.c.contact_id, deliveries.c.sent_at)
# Outbox rows a deliverer holds (claimed or in the middle of a send), by lease expiry.
Index("outbox_inflight", outbox.c.next_at,
      sqlite_where=text("status IN ('claimed', 'sending')"),
      postgresql_where=text("status IN ('claimed', 'sending')"))

# -- added by migration 0004: people who sign in to the editor, and their sessions ---------

users = Table(
    "users", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(200), nullable=False, unique=True),
    Column("password_hash", String(200), nullable=False),
    Column("role", String(10), nullable=False),
    Column("created_at", BigInteger, nullable=False),
)

sessions = Table(
    "sessions", metadata,
    Column("hash", String(64), primary_key=True),
    Column("user_id", Integer, nullable=False),
    Column("csrf", String(64), nullable=False),
    Column("expires_at", BigInteger, nullable=False),
)
Index("sessions_user", sessions.c.user_id)
