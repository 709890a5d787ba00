"""The delivery side of the outbox: claim due rows, record each send, recover after a crash.

Row states: pending → claimed (a deliverer holds it until its lease, stored in `next_at`,
runs out) → sending (the send has begun: attempts + 1) → sent | bounced | failed | skipped,
or back to pending (a retry, or held by a sending rule). A row found `sending` after its
lease is `unknown` (it may have gone out): it is not sent again unless the channel is
delivered at least once (webhooks; email and SMS with NURTURA_DELIVERY=at-least-once).
The claim is written in ONE place (`claim`): on PostgreSQL it takes rows FOR UPDATE SKIP
LOCKED, so several deliverers share the work; on SQLite the single writer serialises it.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    BigInteger,
    Integer,
    and_,
    bindparam,
    func,
    literal_column,
    select,
    tuple_,
    update,
)
from sqlalchemy.engine import Connection

from nurtura.engine.actions import event_json
from nurtura.engine.state import Contact, Event
from nurtura.store import codec, dialect
from nurtura.store.schema import contacts, deliveries, events, meta, outbox, processes, stats
from nurtura.store.sql import Store

PENDING, CLAIMED, SENDING, SENT = "pending", "claimed", "sending", "sent"
BOUNCED, FAILED, SKIPPED, UNKNOWN = "bounced", "failed", "skipped", "unknown"
_PENDING: Any = literal_column("'pending'")  # a literal, so SQLite uses the partial index
_INFLIGHT: tuple[Any, ...] = (literal_column("'claimed'"), literal_column("'sending'"))
DELIVERY_COLS = ("key", "contact_id", "run_id", "process_id", "process", "node", "channel",
                 "template", "category", "message_id", "status", "sent_at", "opened_at",
                 "opens", "clicked_at", "clicks", "unsubscribed_at", "error")


@dataclass
class Claimed:
    """An outbox row a deliverer holds."""

    key: str
    contact_id: str
    run_id: str
    process_id: int
    node: str
    channel: str
    created_at: datetime
    payload: dict[str, Any]
    attempts: int


@dataclass
class Change:
    """What became of one row: its new outbox state, its deliveries row (`delivery` is
    inserted whole when `insert`, else its fields are updated), counters and events."""

    contact_id: str
    key: str
    status: str
    next_at: datetime | None = None
    attempts: int | None = None
    delivery: dict[str, Any] | None = None
    insert: bool = False
    stats: list[tuple[int, str, str, int]] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)


class _Raw:
    """A statement compiled once for the engine's dialect, run on a DBAPI cursor with rows
    given as tuples in `cols` order (the statement's bound parameter names)."""

    def __init__(self, engine: Any, stmt: Any, cols: Sequence[str]) -> None:
        compiled = stmt.compile(dialect=engine.dialect, column_keys=list(cols))
        self.sql = str(compiled)
        self.cols = tuple(cols)
        self.named = not compiled.positional
        order = tuple(compiled.positiontup or ()) if compiled.positional else self.cols
        if sorted(order) != sorted(self.cols):
            raise ValueError(f"statement binds {order}, rows give {self.cols}")
        self.perm = [self.cols.index(k) for k in order]

    def run(self, cur: Any, rows: Sequence[Sequence[Any]]) -> None:
        if self.named:
            cur.executemany(self.sql, [dict(zip(self.cols, r, strict=True)) for r in rows])
        else:
            cur.executemany(self.sql, [tuple(r[i] for i in self.perm) for r in rows])


def _keyed(table: Any, keys: Sequence[tuple[str, str]]) -> Any:
    """`(contact_id, key) IN (…)`: rows by their primary key."""
    return tuple_(table.c.contact_id, table.c.key).in_(keys)


def _merge(counts: Iterable[tuple[int, str, str, int]]) -> list[tuple[int, str, str, int]]:
    merged: dict[tuple[int, str, str], int] = {}
    for pid, node, key, n in counts:
        merged[(pid, node, key)] = merged.get((pid, node, key), 0) + n
    return [(*k, n) for k, n in sorted(merged.items())]  # key order: no deadlocks


def _row(r: Any) -> Claimed:
    return Claimed(r.key, r.contact_id, r.run_id, r.process_id, r.node, r.channel,
                   codec.dt(r.created_at), json.loads(r.payload), r.attempts)


class Outbox:
    """The statements of delivery, on a Store's engine."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.engine = store.engine
        self.pg = self.engine.dialect.name == "postgresql"
        self._stats = dialect.increment(self.engine, stats, ["process_id", "node", "key"], "n")
        self._deliveries = dialect.upsert(self.engine, deliveries, ["contact_id", "key"],
                                          [c for c in DELIVERY_COLS
                                           if c not in ("contact_id", "key")])
        e = self.engine
        self._mark = _Raw(e, update(outbox).where(
            outbox.c.contact_id == bindparam("c"), outbox.c.key == bindparam("k")).values(
            status=bindparam("s"), next_at=bindparam("n"),
            attempts=func.coalesce(bindparam("a", type_=Integer), outbox.c.attempts)),
            ("s", "n", "a", "c", "k"))
        self._put_delivery = _Raw(e, self._deliveries, DELIVERY_COLS)
        self._set_delivery = _Raw(e, update(deliveries).where(
            deliveries.c.contact_id == bindparam("c"), deliveries.c.key == bindparam("k")).values(
            status=bindparam("s"), error=bindparam("e"),
            sent_at=func.coalesce(bindparam("t", type_=BigInteger), deliveries.c.sent_at)),
            ("s", "t", "e", "c", "k"))
        self._count = _Raw(e, self._stats, ("process_id", "node", "key", "n"))

    # -- claiming -------------------------------------------------------------------------

    def claim(self, channel: str, now: datetime, limit: int, lease: timedelta) -> list[Claimed]:
        """Take up to `limit` due pending rows of `channel`, oldest first, until now + lease."""
        if limit <= 0:
            return []
        due = (select(outbox.c.contact_id, outbox.c.key)
               .where(outbox.c.status == _PENDING, outbox.c.next_at <= codec.ms(now),
                      outbox.c.channel == channel)
               .order_by(outbox.c.next_at).limit(limit))
        if self.pg:
            due = due.with_for_update(skip_locked=True)
        stmt = (update(outbox).where(tuple_(outbox.c.contact_id, outbox.c.key).in_(due))
                .values(status=CLAIMED, next_at=codec.ms(now + lease))
                .returning(outbox.c.key, outbox.c.contact_id, outbox.c.run_id,
                           outbox.c.process_id, outbox.c.node, outbox.c.channel,
                           outbox.c.created_at, outbox.c.payload, outbox.c.attempts))
        with self.engine.begin() as conn:
            rows = [_row(r) for r in conn.execute(stmt)]
        rows.sort(key=lambda c: (c.created_at, c.key))
        return rows

    def release(self, rows: Iterable[Claimed], now: datetime) -> None:
        """Give back claimed rows untouched (a deliverer stopping mid-batch)."""
        keys = [(r.contact_id, r.key) for r in rows]
        if keys:
            with self.engine.begin() as conn:
                conn.execute(update(outbox).where(_keyed(outbox, keys),
                                                  outbox.c.status == CLAIMED)
                             .values(status=PENDING, next_at=codec.ms(now)))

    def recover(self, now: datetime, resend: set[str]) -> tuple[int, int]:
        """Rows whose lease ran out: claimed → pending; sending → pending for channels in
        `resend`, else unknown (counted `undelivered`). Returns (requeued, unknown)."""
        at = codec.ms(now)
        with self.engine.begin() as conn:
            rows = conn.execute(
                select(outbox.c.contact_id, outbox.c.key, outbox.c.status, outbox.c.channel,
                       outbox.c.process_id, outbox.c.node)
                .where(outbox.c.status.in_(_INFLIGHT), outbox.c.next_at <= at)
            ).all()
            back = [(r.contact_id, r.key) for r in rows
                    if r.status == CLAIMED or r.channel in resend]
            lost = [r for r in rows if r.status == SENDING and r.channel not in resend]
            if back:
                conn.execute(update(outbox).where(_keyed(outbox, back))
                             .values(status=PENDING, next_at=at))
            if lost:
                keys = [(r.contact_id, r.key) for r in lost]
                conn.execute(update(outbox).where(_keyed(outbox, keys))
                             .values(status=UNKNOWN, next_at=None))
                conn.execute(update(deliveries).where(_keyed(deliveries, keys)).values(
                    status=UNKNOWN, error="interrupted during the send: may or may not have "
                                          "gone out; not sent again (at most once)"))
                self._add(conn, [(r.process_id, r.node, "undelivered", 1) for r in lost])
        return len(back), len(lost)

    def next_due(self) -> datetime | None:
        """When the earliest pending row falls due."""
        with self.engine.connect() as conn:
            at = conn.execute(select(func.min(outbox.c.next_at))
                              .where(outbox.c.status == _PENDING)).scalar()
        return codec.dt(at) if at is not None else None

    # -- recording ------------------------------------------------------------------------

    def write(self, changes: Sequence[Change]) -> None:
        """Apply changes in ONE transaction (a send's start rides with earlier results).

        The statements are compiled once and run on the driver's cursor: this runs once per
        message, and SQLAlchemy's per-statement work cost more than SQLite's."""
        if not changes:
            return
        marks, inserts, updates = [], [], []
        for ch in changes:
            marks.append((ch.status, codec.ms_or_none(ch.next_at), ch.attempts, ch.contact_id,
                          ch.key))
            d = ch.delivery
            if d is None:
                continue
            if ch.insert:
                row = [d.get(c) for c in DELIVERY_COLS]
                row[13] = row[13] or 0  # opens
                row[15] = row[15] or 0  # clicks
                inserts.append(tuple(row))
            else:
                updates.append((d["status"], d.get("sent_at"), d.get("error"), ch.contact_id,
                                ch.key))
        counts = _merge([s for ch in changes for s in ch.stats])
        evs = [codec.event_values(e, True) for ch in changes for e in ch.events]
        with self.engine.begin() as conn:
            cur = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
            try:
                self._mark.run(cur, marks)
                if inserts:
                    self._put_delivery.run(cur, inserts)
                if updates:
                    self._set_delivery.run(cur, updates)
                if counts:
                    self._count.run(cur, counts)
            finally:
                cur.close()
            if evs:  # inputs of the worker, queued with them (store/bulk.py)
                self.store.q.ingest.many(conn, evs)

    def _add(self, conn: Connection, counts: list[tuple[int, str, str, int]]) -> None:
        merged = _merge(counts)
        if merged:
            conn.execute(self._stats, [{"process_id": p, "node": nd, "key": k, "n": n}
                                       for p, nd, k, n in merged])

    def add_stats(self, conn: Connection, counts: list[tuple[int, str, str, int]]) -> None:
        self._add(conn, counts)

    def insert_events(self, conn: Connection, evs: Sequence[Event]) -> None:
        """Store input events, queued for the worker; a repeated message_id is ignored."""
        if evs:
            self.store.q.ingest.many(conn, [codec.event_values(e, True) for e in evs])

    # -- what a batch needs ---------------------------------------------------------------

    def contacts(self, ids: Sequence[str]) -> dict[str, Contact]:
        wanted = sorted(set(ids))
        out: dict[str, Contact] = {}
        with self.engine.connect() as conn:
            for i in range(0, len(wanted), 500):
                for row in conn.execute(select(contacts)
                                        .where(contacts.c.id.in_(wanted[i:i + 500]))):
                    out[row.id] = codec.contact_from_row(row)
        return out

    def events_for(self, rows: Sequence[Claimed]) -> None:
        """Put into each row's payload the event its step referenced by message id
        (`event_id`, see engine/actions.py), as templates see it. An event erased since
        (GDPR) leaves `event` out, as for a step that no event caused."""
        wanted = sorted({(r.contact_id, codec.mid_bytes(str(r.payload["event_id"])))
                         for r in rows if "event_id" in r.payload})
        if not wanted:
            return
        found: dict[tuple[str, str], dict[str, Any]] = {}
        with self.engine.connect() as conn:
            for i in range(0, len(wanted), 500):
                for row in conn.execute(
                    select(events.c.message_id, events.c.contact_id, events.c.name, events.c.ts,
                           events.c.props)
                    .where(tuple_(events.c.contact_id, events.c.message_id)
                           .in_(wanted[i:i + 500]))
                ):
                    event = codec.event_from_row(row)
                    found[(row.contact_id, event.message_id)] = event_json(event)
        for r in rows:
            ref = r.payload.pop("event_id", None)
            if ref is not None and (r.contact_id, str(ref)) in found:
                r.payload["event"] = found[(r.contact_id, str(ref))]

    def process_names(self) -> dict[int, str]:
        with self.engine.connect() as conn:
            return {r.id: r.name for r in conn.execute(select(processes.c.id, processes.c.name))}

    # -- sending rules --------------------------------------------------------------------

    def sent_since(self, contact_ids: Sequence[str], since: datetime) -> dict[str, list[int]]:
        """Send times (epoch ms, ascending) of marketing emails per contact since `since`."""
        out: dict[str, list[int]] = {}
        if not contact_ids:
            return out
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(deliveries.c.contact_id, deliveries.c.sent_at).where(
                    deliveries.c.contact_id.in_(list(set(contact_ids))),
                    deliveries.c.sent_at > codec.ms(since),
                    and_(deliveries.c.channel == "email", deliveries.c.category == "marketing",
                         deliveries.c.status == SENT),
                ).order_by(deliveries.c.sent_at)
            ).all()
        for cid, at in rows:
            out.setdefault(cid, []).append(at)
        return out


def secret(store: Store) -> str:
    """The HMAC secret kept in `meta` (made once, at random, by the first to ask)."""
    with store.engine.begin() as conn:
        conn.execute(dialect.insert_ignore(store.engine, meta, ["key"]),
                     [{"key": "secret", "value": secrets.token_urlsafe(32)}])
        value: str = conn.execute(select(meta.c.value).where(meta.c.key == "secret")).scalar_one()
    return value
