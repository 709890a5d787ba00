"""The few places where SQLite and PostgreSQL differ: URLs, connect options, upserts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine, create_engine
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

        return engine
    return create_engine(url, pool_pre_ping=True)


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
