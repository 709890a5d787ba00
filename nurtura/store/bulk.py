"""The hot statements of ingestion and the worker, compiled once and run in bulk.

A worker batch writes thousands of rows; SQLAlchemy's per-row parameter handling cost more
than SQLite's own work. So these Core statements (bound parameters, nothing built from
input) are compiled once per Store for its dialect and fed tuples through the DBAPI cursor.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import Any

from sqlalchemy import and_, bindparam, delete, func, insert, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.dml import Insert

from nurtura.store import codec, dialect
from nurtura.store.schema import contacts, events, inbox, outbox, runs, stats

CHUNK = 500  # contact ids per IN (…) of the batch queries


class Bulk:
    """A Core statement compiled once for the engine's dialect, run on the DBAPI cursor.

    Rows are tuples in `cols` order (the statement's bound parameter names, reordered for
    positional paramstyles, zipped into dicts for named ones); driver errors still arrive
    as SQLAlchemy's exceptions (IntegrityError, …), and the caller's transaction holds.
    """

    def __init__(self, engine: Engine, stmt: Any, cols: Sequence[str],
                 arrays: str | None = None) -> None:
        compiled = stmt.compile(dialect=engine.dialect, column_keys=list(cols))
        self.sql = str(compiled)
        self.cols = tuple(cols)
        # PostgreSQL: the whole batch as ONE statement over arrays (`unnest`), instead of
        # one execution per row — per-row executions cost the server more than the rows
        self.arrays = arrays
        self.floats: set[int] = set()  # an array holds one type: 1 and 1.5 both as floats
        if arrays is None and engine.dialect.name == "postgresql" and isinstance(stmt, Insert):
            self.arrays = _unnest_insert(self.sql, stmt.table, self.cols)
            self.floats = {i for i, c in enumerate(self.cols)
                           if _pg_array(stmt.table.c[c]) == "float8[]"}
        self.error: type[Exception] = engine.dialect.loaded_dbapi.Error
        self.named = not compiled.positional
        order = tuple(compiled.positiontup or ()) if compiled.positional else self.cols
        # every name of `cols` bound, nothing else; a name may be bound more than once
        # (the due query's `lim` and `at`, in each of its scans)
        if set(order) != set(self.cols) or len(set(self.cols)) != len(self.cols):
            raise ValueError(f"statement binds {order}, rows give {self.cols}")
        self.perm = None if order == self.cols else [self.cols.index(k) for k in order]

    def _params(self, rows: Sequence[Sequence[Any]]) -> Sequence[Any]:
        if self.named:
            return [dict(zip(self.cols, r, strict=True)) for r in rows]
        if self.perm is not None:
            return [tuple(r[i] for i in self.perm) for r in rows]
        return rows

    def many(self, conn: Connection, rows: Sequence[Sequence[Any]]) -> int:
        """All rows at once (executemany, or one statement over arrays on PostgreSQL);
        returns the rows changed."""
        cur = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            if self.arrays is not None:
                cur.execute(self.arrays, {
                    c: [r[i] for r in rows] if i not in self.floats
                    else [None if r[i] is None else float(r[i]) for r in rows]
                    for i, c in enumerate(self.cols)})
            else:
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


_ARRAY_TYPES = {"VARCHAR": "text", "TEXT": "text", "BIGINT": "bigint", "INTEGER": "int4",
                "BOOLEAN": "bool", "FLOAT": "float8", "DOUBLE PRECISION": "float8",
                "BYTEA": "bytea"}


_PG: Any = postgresql.dialect()  # type: ignore[no-untyped-call]


def _pg_array(col: Any) -> str:
    name = str(col.type.compile(dialect=_PG)).split("(")[0]
    return _ARRAY_TYPES[name] + "[]"


def _unnest_insert(sql: str, table: Any, cols: Sequence[str]) -> str:
    """`INSERT INTO t (a, b) VALUES (%(a)s, %(b)s) …` → `INSERT INTO t (a, b) SELECT * FROM
    unnest(%(a)s::type[], %(b)s::type[]) …`: the same statement for a batch of rows."""
    head, sep, tail = sql.partition(" VALUES (")
    if not sep:
        raise ValueError(f"not a single-row INSERT: {sql}")
    names = [c.strip() for c in head[head.index("(") + 1: head.rindex(")")].split(",")]
    if sorted(names) != sorted(cols):
        raise ValueError(f"statement inserts {names}, rows give {cols}")
    depth, end = 1, 0
    while depth:  # to the parenthesis that closes VALUES (
        depth += (tail[end] == "(") - (tail[end] == ")")
        end += 1
    rest = tail[end:].split(" RETURNING ")[0]  # the new ids are not read
    arrays = ", ".join(f"%({c})s::{_pg_array(table.c[c])}" for c in names)
    return f"{head} SELECT * FROM unnest({arrays}){rest}"


class Ingest:
    """Input events stored (a repeated message id ignored) and queued in `inbox` for the
    worker, in the caller's transaction; `many` returns how many were new.

    PostgreSQL: one statement (the insert's new rows feed the queue's insert). SQLite: the
    batch's insert, then one statement queueing its new rows: while the transaction holds
    the database's one write lock, each row the insert stored took the next rowid (the
    largest + 1: no AUTOINCREMENT, and nothing else writes meanwhile), so its `n` new rows
    are the table's last `n`. Every writer of inputs comes through here.
    """

    def __init__(self, engine: Engine) -> None:
        store_inputs = dialect.insert_ignore(
            engine, events, ["contact_id", "message_id"],
            where=events.c.message_id.isnot(None))
        self.queue: Any = None
        arrays = None
        if engine.dialect.name == "postgresql":
            sql = str(store_inputs.compile(dialect=engine.dialect,
                                           column_keys=list(codec.EVENT_COLS)))
            arrays = (f"WITH stored AS ({_unnest_insert(sql, events, codec.EVENT_COLS)} "
                      "RETURNING contact_id, id, ts, name) INSERT INTO inbox (contact_id, "
                      "event_id, ts, name) SELECT contact_id, id, ts, name FROM stored")
        else:
            newest = select(func.max(events.c.id)).scalar_subquery()
            self.queue = insert(inbox).from_select(
                ["contact_id", "event_id", "ts", "name"],
                select(events.c.contact_id, events.c.id, events.c.ts, events.c.name).where(
                    events.c.id > newest - bindparam("n"), events.c.input.is_(True)))
        self.store = Bulk(engine, store_inputs, codec.EVENT_COLS, arrays=arrays)

    def many(self, conn: Connection, rows: Sequence[Sequence[Any]]) -> int:
        n = self.store.many(conn, rows)
        if n and self.queue is not None:
            conn.execute(self.queue, {"n": n})
        return n


def _keys(n: int = CHUNK) -> list[Any]:
    return [bindparam(f"k{i}") for i in range(n)]


def padded(ids: Sequence[str], n: int = CHUNK) -> list[str]:
    """`ids` filled up to `n` by repeating the last one (a repeat in IN (…) changes nothing)."""
    return [*ids, *([ids[-1]] * (n - len(ids)))]


class Queries:
    """The hot statements of ingestion and the worker, compiled once per Store."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._cache: dict[Hashable, Bulk] = {}
        keys = [f"k{i}" for i in range(CHUNK)]
        self.ingest = Ingest(engine)  # rows in EVENT_COLS order
        self.put_contacts = Bulk(engine, dialect.upsert(
            engine, contacts, ["id"], ["email", "paid_total", "paid_count", "last_paid_at", "doc"]
        ), codec.CONTACT_COLS)
        self.put_runs = Bulk(engine, dialect.upsert(
            engine, runs, ["contact_id", "id"],
            [c for c in codec.RUN_COLS if c not in ("id", "contact_id", "started_at",
                                                     "process_id")],
        ), codec.RUN_COLS)
        self.handled = Bulk(engine, delete(inbox).where(
            inbox.c.contact_id == bindparam("cid"), inbox.c.event_id == bindparam("eid")),
            ["cid", "eid"], arrays=(
                "DELETE FROM inbox USING unnest(%(cid)s::text[], %(eid)s::bigint[]) AS "
                "h(cid, eid) WHERE inbox.contact_id = h.cid AND inbox.event_id = h.eid"
            ) if engine.dialect.name == "postgresql" else None)
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
        # A queue row whose event is gone (never by Nurtura: erasure deletes both) comes
        # back with a null name, so the worker drops it instead of finding the contact due
        # for ever with nothing to load. The event is found by its primary key on
        # PostgreSQL, (contact_id, name, ts, id), by its id on SQLite.
        self.pending = Bulk(
            engine,
            select(inbox.c.event_id, inbox.c.contact_id,
                   *[events.c[c] for c in codec.EVENT_READ_COLS[2:]])
            .select_from(inbox.outerjoin(events, and_(
                events.c.contact_id == inbox.c.contact_id, events.c.name == inbox.c.name,
                events.c.ts == inbox.c.ts, events.c.id == inbox.c.event_id)))
            .where(inbox.c.contact_id.in_(_keys()), inbox.c.ts <= bindparam("at"))
            .order_by(inbox.c.ts, inbox.c.event_id),
            [*keys, "at"],
        )

    def cached(self, key: Hashable, build: Callable[[], tuple[Any, Sequence[str]]]) -> Bulk:
        """A statement that takes one shape per `key` (how many ids it binds, …): `build`
        gives it and its parameter names, once per key."""
        found = self._cache.get(key)
        if found is None:
            stmt, cols = build()
            found = self._cache[key] = Bulk(self.engine, stmt, cols)
        return found
