"""Queries behind the HTTP API that the worker does not need: deleting, versions, daily
figures, contact search and erasure. SQL stays in store/; callers get plain data."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, or_, select
from sqlalchemy.exc import IntegrityError

from nurtura.engine.state import ACTIVE, Contact
from nurtura.errors import Conflict
from nurtura.store import codec
from nurtura.store.schema import (
    contacts,
    deliveries,
    events,
    outbox,
    process_versions,
    processes,
    runs,
    stats,
)
from nurtura.store.sql import Store


def delete_process(store: Store, process_id: int) -> None:
    """The process, its versions, runs (with their history), statistics and unsent messages."""
    with store.engine.begin() as conn:
        conn.execute(delete(runs).where(runs.c.process_id == process_id))
        conn.execute(delete(stats).where(stats.c.process_id == process_id))
        conn.execute(delete(outbox).where(outbox.c.process_id == process_id,
                                          outbox.c.status != "sent"))
        conn.execute(delete(process_versions).where(process_versions.c.process_id == process_id))
        conn.execute(delete(processes).where(processes.c.id == process_id))


def rename_process(store: Store, process_id: int, name: str) -> None:
    """Give a process a new name (its next version carries it in the file)."""
    try:
        with store.engine.begin() as conn:
            conn.execute(
                processes.update().where(processes.c.id == process_id).values(name=name))
    except IntegrityError:
        raise Conflict(f"another process is named {name!r}") from None


def versions(store: Store, process_id: int) -> list[dict[str, Any]]:
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(process_versions.c.version, process_versions.c.created_at)
            .where(process_versions.c.process_id == process_id)
            .order_by(process_versions.c.version)
        ).all()
    return [{"version": r.version, "created_at": codec.dt(r.created_at)} for r in rows]


def version_doc(store: Store, process_id: int, version: int) -> dict[str, Any] | None:
    with store.engine.connect() as conn:
        doc = conn.execute(
            select(process_versions.c.doc).where(process_versions.c.process_id == process_id,
                                                 process_versions.c.version == version)
        ).scalar()
    return json.loads(doc) if doc else None


def last_activity(store: Store) -> dict[int, datetime]:
    """Per process, when a run last started or ended."""
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(runs.c.process_id, func.max(runs.c.started_at), func.max(runs.c.ended_at))
            .group_by(runs.c.process_id)
        ).all()
    return {r[0]: codec.dt(max(v for v in (r[1], r[2]) if v is not None)) for r in rows}


def daily(store: Store, process_id: int, now: datetime, days: int = 30) -> list[dict[str, Any]]:
    """Entered / completed / exited per UTC day over the last `days` days."""
    first = (now - timedelta(days=days - 1)).date()
    lo = codec.ms(datetime(first.year, first.month, first.day, tzinfo=now.tzinfo))
    counts: dict[str, dict[str, int]] = defaultdict(lambda: {"entered": 0, "completed": 0,
                                                             "exited": 0})
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(runs.c.started_at, runs.c.ended_at, runs.c.status).where(
                runs.c.process_id == process_id,
                or_(runs.c.started_at >= lo, runs.c.ended_at >= lo),
            )
        ).all()
    for started, ended, status in rows:
        if started >= lo:
            counts[codec.dt(started).date().isoformat()]["entered"] += 1
        if ended is not None and ended >= lo and status in ("completed", "exited"):
            counts[codec.dt(ended).date().isoformat()][status] += 1
    out = []
    for i in range(days):
        day = (first + timedelta(days=i)).isoformat()
        out.append({"day": day, **counts.get(day, {"entered": 0, "completed": 0, "exited": 0})})
    return out


def node_contacts(store: Store, process_id: int, node: str, what: str,
                  limit: int = 100) -> list[dict[str, Any]]:
    """Contacts waiting at a node now, or whose run failed there."""
    status = ACTIVE if what == "waiting" else "failed"
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(runs.c.contact_id, runs.c.id, runs.c.node_since, runs.c.wake_at,
                   runs.c.reason)
            .where(runs.c.process_id == process_id, runs.c.node == node, runs.c.status == status)
            .order_by(runs.c.node_since).limit(limit)
        ).all()
    return [{"contact": r.contact_id, "run": r.id, "since": codec.dt(r.node_since),
             "wake_at": codec.dt_or_none(r.wake_at), "reason": r.reason} for r in rows]


def search_contacts(store: Store, *, email: str | None = None, tag: str | None = None,
                    list_: str | None = None, field: tuple[str, str] | None = None,
                    cursor: str | None = None, limit: int = 50) -> tuple[list[Contact], str | None]:
    """Contacts matching every given criterion, ordered by id, a page at a time."""
    found: list[Contact] = []
    after = cursor
    while len(found) < limit:
        q = select(contacts).order_by(contacts.c.id).limit(500)
        conds = []
        if after is not None:
            conds.append(contacts.c.id > after)
        if email is not None:
            conds.append(func.lower(contacts.c.email) == email.lower())
        for needle in (tag, list_):
            if needle is not None:
                conds.append(contacts.c.doc.contains(json.dumps(needle)))
        if conds:
            q = q.where(and_(*conds))
        with store.engine.connect() as conn:
            rows = conn.execute(q).all()
        if not rows:
            return found, None
        for row in rows:
            after = row.id
            c = codec.contact_from_row(row)
            if tag is not None and tag not in c.tags:
                continue
            if list_ is not None and list_ not in c.lists:
                continue
            if field is not None and str(c.fields.get(field[0])) != field[1]:
                continue
            found.append(c)
            if len(found) == limit:
                return found, after
        if len(rows) < 500:
            return found, None
    return found, after


def erase_contact(store: Store, contact_id: str) -> bool:
    """GDPR erasure: the contact, its events, runs (with history) and messages."""
    with store.engine.begin() as conn:
        n = conn.execute(delete(contacts).where(contacts.c.id == contact_id)).rowcount
        n += conn.execute(delete(events).where(events.c.contact_id == contact_id)).rowcount
        n += conn.execute(delete(runs).where(runs.c.contact_id == contact_id)).rowcount
        n += conn.execute(delete(outbox).where(outbox.c.contact_id == contact_id)).rowcount
        n += conn.execute(delete(deliveries).where(deliveries.c.contact_id == contact_id)
                          ).rowcount
    return n > 0


def run_contact(store: Store, run_id: str) -> tuple[str, str] | None:
    """(contact id, status) of a run."""
    with store.engine.connect() as conn:
        row = conn.execute(select(runs.c.contact_id, runs.c.status).where(runs.c.id == run_id)
                           ).first()
    return (row.contact_id, row.status) if row else None


def known_names(store: Store) -> dict[str, list[str]]:
    """Event names seen (most common first) for the editor's dropdowns."""
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(events.c.name, func.count()).group_by(events.c.name)
            .order_by(func.count().desc()).limit(200)
        ).all()
    return {"events": [r[0] for r in rows]}


def iter_contacts(store: Store, chunk: int = 1000) -> Iterator[Contact]:
    """Every contact, ordered by id, read a chunk at a time."""
    after: str | None = None
    while True:
        q = select(contacts).order_by(contacts.c.id).limit(chunk)
        if after is not None:
            q = q.where(contacts.c.id > after)
        with store.engine.connect() as conn:
            rows = conn.execute(q).all()
        if not rows:
            return
        for row in rows:
            yield codec.contact_from_row(row)
        after = rows[-1].id


def failures(store: Store, process_id: int) -> dict[str, dict[str, int]]:
    """Per node, why runs failed there (the step limit, a bad time …) and how many messages
    could not be delivered from it (bounced, failed, unknown), each reason with its count."""
    out: dict[str, dict[str, int]] = defaultdict(dict)
    with store.engine.connect() as conn:
        for node, reason, n in conn.execute(
            select(runs.c.node, runs.c.reason, func.count())
            .where(runs.c.process_id == process_id, runs.c.status == "failed")
            .group_by(runs.c.node, runs.c.reason)
        ):
            out[node][reason or "failed"] = n
        for node, status, n in conn.execute(
            select(deliveries.c.node, deliveries.c.status, func.count())
            .where(deliveries.c.process_id == process_id,
                   deliveries.c.status.in_(("bounced", "failed", "unknown")))
            .group_by(deliveries.c.node, deliveries.c.status)
        ):
            out[node][f"message {status}"] = n
    return dict(out)
