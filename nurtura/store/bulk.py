"""The hot statements of ingestion and the worker, compiled once and run in bulk.

A worker batch writes thousands of rows; SQLAlchemy's per-row parameter handling cost more
than SQLite's own work. So these Core statements (bound parameters, nothing built from
input) are compiled once per Store for its dialect and fed tuples through the DBAPI cursor.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import bindparam, null, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

from nurtura.store import codec, dialect
from nurtura.store.schema import contacts, events, outbox, runs, stats

CHUNK = 500  # contact ids per IN (…) of the batch queries


class Bulk:
    """A Core statement compiled once for the engine's dialect, run on the DBAPI cursor.

    Rows are tuples in `cols` order (the statement's bound parameter names, reordered for
    positional paramstyles, zipped into dicts for named ones); driver errors still arrive
    as SQLAlchemy's exceptions (IntegrityError, …), and the caller's transaction holds.
    """

    def __init__(self, engine: Engine, stmt: Any, cols: Sequence[str]) -> None:
        compiled = stmt.compile(dialect=engine.dialect, column_keys=list(cols))
        self.sql = str(compiled)
        self.cols = tuple(cols)
        self.error: type[Exception] = engine.dialect.loaded_dbapi.Error
        self.named = not compiled.positional
        order = tuple(compiled.positiontup or ()) if compiled.positional else self.cols
        if sorted(order) != sorted(self.cols):
            raise ValueError(f"statement binds {order}, rows give {self.cols}")
        self.perm = None if order == self.cols else [self.cols.index(k) for k in order]

    def _params(self, rows: Sequence[Sequence[Any]]) -> Sequence[Any]:
        if self.named:
            return [dict(zip(self.cols, r, strict=True)) for r in rows]
        if self.perm is not None:
            return [tuple(r[i] for i in self.perm) for r in rows]
        return rows

    def many(self, conn: Connection, rows: Sequence[Sequence[Any]]) -> int:
        """executemany; returns the rows changed."""
        cur = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            cur.executemany(self.sql, self._params(rows))
            return int(cur.rowcount)
        except self.error as exc:
            raise DBAPIError.instance(self.sql, None, exc, self.error) from exc
        finally:
            cur.close()

    def all(self, conn: Connection, row: Sequence[Any]) -> list[tuple[Any, ...]]:
        cur = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            cur.execute(self.sql, self._params([row])[0])
            return list(cur.fetchall())
        except self.error as exc:
            raise DBAPIError.instance(self.sql, None, exc, self.error) from exc
        finally:
            cur.close()


def _keys(n: int = CHUNK) -> list[Any]:
    return [bindparam(f"k{i}") for i in range(n)]


def padded(ids: Sequence[str], n: int = CHUNK) -> list[str]:
    """`ids` filled up to `n` by repeating the last one (a repeat in IN (…) changes nothing)."""
    return [*ids, *([ids[-1]] * (n - len(ids)))]


class Queries:
    """The hot statements of ingestion and the worker, compiled once per Store."""

    def __init__(self, engine: Engine) -> None:
        keys = [f"k{i}" for i in range(CHUNK)]
        self.ingest = Bulk(engine, dialect.insert_ignore(
            engine, events, ["contact_id", "message_id"], where=events.c.message_id.isnot(None)
        ), codec.EVENT_COLS)
        self.put_contacts = Bulk(engine, dialect.upsert(
            engine, contacts, ["id"], ["email", "paid_total", "paid_count", "last_paid_at", "doc"]
        ), codec.CONTACT_COLS)
        self.put_runs = Bulk(engine, dialect.upsert(
            engine, runs, ["contact_id", "id"],
            [c for c in codec.RUN_COLS if c not in ("id", "contact_id", "started_at",
                                                     "process_id")],
        ), codec.RUN_COLS)
        self.handled = Bulk(engine, update(events).where(
            events.c.contact_id == bindparam("cid"), events.c.id == bindparam("eid"))
            .values(pending=null()), ["cid", "eid"])
        self.emitted = Bulk(engine, events.insert(), codec.EVENT_COLS)
        self.outbox = Bulk(engine, dialect.insert_ignore(engine, outbox, ["contact_id", "key"]),
                           codec.OUTBOX_COLS)
        self.stats = Bulk(engine, dialect.increment(
            engine, stats, ["process_id", "node", "key"], "n"
        ), ["process_id", "node", "key", "n"])
        self.contacts = Bulk(engine, select(*[contacts.c[c] for c in codec.CONTACT_COLS])
                             .where(contacts.c.id.in_(_keys())), keys)
        self.runs = Bulk(engine, select(*[runs.c[c] for c in codec.RUN_COLS])
                         .where(runs.c.contact_id.in_(_keys()),
                                runs.c.status == bindparam("status")), [*keys, "status"])
        self.pending = Bulk(
            engine,
            select(*[events.c[c] for c in codec.EVENT_READ_COLS])
            .where(events.c.contact_id.in_(_keys()), events.c.pending,
                   events.c.ts <= bindparam("at"))
            .order_by(events.c.ts, events.c.id),
            [*keys, "at"],
        )
