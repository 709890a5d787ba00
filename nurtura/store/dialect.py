"""The few places where SQLite and PostgreSQL differ: URLs, connect options, upserts."""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table, event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine, create_engine
from sqlalchemy.sql.dml import Insert


def normalize_url(url: str) -> str:
    """`postgresql://` means psycopg 3; a bare path means a SQLite file."""
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    if "://" not in url:
        return f"sqlite:///{url}"
    return url


def make_engine(url: str) -> Engine:
    url = normalize_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA busy_timeout=30000")
            # a worker batch dirties ~1,000 pages, many of them in random-keyed indexes
            # (message ids, run ids): a 16 MB cache keeps them without spilling mid-
            # transaction, and checkpointing every ~40 MB of WAL instead of every 4 MB
            # writes a page touched by several batches once, with fewer fsyncs
            cur.execute("PRAGMA cache_size=-16000")
            cur.execute("PRAGMA wal_autocheckpoint=10000")
            cur.close()
            dbapi_conn.create_function("nurtura_part", 1, contact_part, deterministic=True)

        return engine
    # A worker holds its batch's transaction (and the contacts' locks) while the engine
    # runs; if its process freezes or its machine drops off the network, PostgreSQL ends
    # the session (releasing the locks) after the idle timeout or failed keepalives.
    return create_engine(url, pool_pre_ping=True, connect_args={
        "options": f"-c idle_in_transaction_session_timeout={IDLE_IN_TX_MS}",
        "keepalives": 1, "keepalives_idle": 30, "keepalives_interval": 10,
        "keepalives_count": 3,
    })


Part = tuple[int, int]  # (i, k): the share of worker process i of k (SQLite)


def contact_part(contact_id: str) -> int:
    """A number for a contact id, the same in every process (CRC-32 of its UTF-8): a
    SQLite worker process `i` of `k` advances the contacts whose number is i modulo k."""
    return zlib.crc32(contact_id.encode())


IDLE_IN_TX_MS = 120_000
# Advisory locks of contacts live in their own class (the two-key form's first key), so
# they cannot meet another application's locks on the same database.
LOCK_CLASS = 0x4E75  # "Nu"
_TRY_LOCK = text(
    "SELECT id FROM unnest(CAST(:ids AS text[])) AS t(id) "
    "WHERE pg_try_advisory_xact_lock(:cls, hashtext(id)) LIMIT :n"
)
_LOCK = text("SELECT pg_advisory_xact_lock(:cls, hashtext(:id))")


def try_lock_contacts(conn: Connection, ids: Sequence[str], limit: int) -> list[str]:
    """PostgreSQL: take the transaction-scoped locks of up to `limit` of `ids`, in order,
    skipping contacts another transaction holds; returns those taken. The locks end with
    the transaction, or with the session if the worker dies."""
    got = set(conn.execute(_TRY_LOCK, {"ids": list(ids), "cls": LOCK_CLASS, "n": limit})
              .scalars())
    return [i for i in ids if i in got]


def lock_contact(conn: Connection, contact_id: str) -> None:
    """Wait for a contact's lock (PostgreSQL; a no-op on SQLite, which has one writer)."""
    if conn.dialect.name == "postgresql":
        conn.execute(_LOCK, {"cls": LOCK_CLASS, "id": contact_id})


def insert_ignore(
    engine: Engine, table: Table, keys: Sequence[str], where: Any = None
) -> Insert:
    """INSERT … ON CONFLICT (keys) DO NOTHING; `where` names a partial unique index."""
    ins: Any = (postgresql if engine.dialect.name == "postgresql" else sqlite).insert(table)
    return ins.on_conflict_do_nothing(  # type: ignore[no-any-return]
        index_elements=list(keys), index_where=where
    )


def upsert(engine: Engine, table: Table, keys: Sequence[str], update: Sequence[str]) -> Insert:
    """INSERT … ON CONFLICT (keys) DO UPDATE SET col = excluded.col for `update`."""
    ins: Any = (postgresql if engine.dialect.name == "postgresql" else sqlite).insert(table)
    return ins.on_conflict_do_update(  # type: ignore[no-any-return]
        index_elements=list(keys), set_={c: getattr(ins.excluded, c) for c in update}
    )


def increment(engine: Engine, table: Table, keys: Sequence[str], column: str) -> Insert:
    """INSERT … ON CONFLICT (keys) DO UPDATE SET column = column + excluded.column."""
    ins: Any = (postgresql if engine.dialect.name == "postgresql" else sqlite).insert(table)
    return ins.on_conflict_do_update(  # type: ignore[no-any-return]
        index_elements=list(keys),
        set_={column: table.c[column] + getattr(ins.excluded, column)},
    )
