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
from sqlalchemy.sql.elements import ColumnElement

from nurtura.engine.state import ACTIVE, Contact
from nurtura.errors import BadInput, Conflict
from nurtura.store import codec, dialect
from nurtura.store import history as hist_codec
from nurtura.store.schema import (
    contacts,
    deliveries,
    events,
    inbox,
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


NODE_CONTACTS = ("waiting", "failed", "reached")
_SCAN = 200  # runs read per query while looking for a page of contacts that reached a node


def node_contacts(store: Store, process_id: int, node: str, what: str, *,
                  cursor: str | None = None, limit: int = 100
                  ) -> tuple[list[dict[str, Any]], str | None]:
    """A page of the runs (with their contact) at a node: `waiting` there now, `failed`
    there, or that `reached` it at some time (its history names the node). Waiting and
    failed runs come longest there first, reached ones newest run first; pass the returned
    cursor back for the next page (None: no more)."""
    if what not in NODE_CONTACTS:
        raise BadInput(f"'what' is one of {', '.join(NODE_CONTACTS)}", field="what")
    if what == "reached":
        return _reached(store, process_id, node, cursor, limit)
    status = ACTIVE if what == "waiting" else "failed"
    q = (select(*_PAGE_COLS).where(runs.c.process_id == process_id, runs.c.node == node,
                                   runs.c.status == status)
         .order_by(runs.c.node_since, runs.c.id).limit(limit + 1))
    if cursor is not None:
        at, rid = _cursor(cursor)
        q = q.where(or_(runs.c.node_since > at, and_(runs.c.node_since == at, runs.c.id > rid)))
    with store.engine.connect() as conn:
        rows = conn.execute(q).all()
    page = [_node_contact(r, r.node_since) for r in rows[:limit]]
    more = len(rows) > limit
    return page, (f"{rows[limit - 1].node_since}:{rows[limit - 1].id}" if more else None)


_PAGE_COLS = (runs.c.contact_id, runs.c.id, runs.c.status, runs.c.node, runs.c.node_since,
              runs.c.started_at, runs.c.wake_at, runs.c.reason)


def _node_contact(r: Any, since_ms: int) -> dict[str, Any]:
    return {"contact": r.contact_id, "run": r.id, "status": r.status,
            "since": codec.dt(since_ms), "wake_at": codec.dt_or_none(r.wake_at),
            "reason": r.reason}


def _cursor(text: str) -> tuple[int, str]:
    at, sep, rid = text.partition(":")
    if not sep or not codec.is_rid(rid) or not at.lstrip("-").isdigit():
        raise BadInput("'cursor' is not one this endpoint gave", field="cursor")
    return int(at), rid


def _reached(store: Store, process_id: int, node: str, cursor: str | None,
             limit: int) -> tuple[list[dict[str, Any]], str | None]:
    """Runs whose history names `node`, newest first.

    The history column is the run's compact JSON (store/history.py: `[[seconds, {"n": ID,
    …}, …], …]`, every step's entry starting with its node), so SQL narrows the runs of the
    process to those whose text contains `{"n":"ID"` or `{"node":"ID"` (LIKE, the same on
    SQLite and PostgreSQL; a keyset on (started_at, id), never OFFSET) and Python confirms
    each candidate and reads when the run first got there. Also counted: the run standing at
    the node now (its history may be truncated), and, at the process's first trigger, runs
    whose history names no trigger (start_process puts a contact in after the first trigger
    without noting it).
    No index serves the text match: a page reads the process's runs until it has `limit`.
    """
    doc = _current_doc(store, process_id)
    triggers = [k for k, n in doc.get("nodes", {}).items()
                if isinstance(n, dict) and n.get("type") == "trigger"]
    named = _names(node)
    cond = or_(runs.c.node == node, named)
    entry = bool(triggers) and node == triggers[0]
    if entry:
        cond = or_(cond, runs.c.hist.is_(None),
                   ~or_(*(_names(t) for t in triggers)))
    found: list[dict[str, Any]] = []
    after = _cursor(cursor) if cursor is not None else None
    while True:
        q = (select(*_PAGE_COLS, runs.c.hist)
             .where(runs.c.process_id == process_id, cond)
             .order_by(runs.c.started_at.desc(), runs.c.id.desc()).limit(_SCAN))
        if after is not None:
            q = q.where(or_(runs.c.started_at < after[0],
                            and_(runs.c.started_at == after[0], runs.c.id < after[1])))
        with store.engine.connect() as conn:
            rows = conn.execute(q).all()
        for i, r in enumerate(rows):
            after = (r.started_at, r.id)
            items = hist_codec.decode_text(r.hist, r.started_at)
            since = _first_at(items, node)
            if since is None and r.node == node:
                since = r.node_since
            if since is None and entry and all(_first_at(items, t) is None for t in triggers):
                since = r.started_at
            if since is None:
                continue  # the text matched inside something else (a value, another case)
            found.append(_node_contact(r, since))
            if len(found) == limit:
                more = i + 1 < len(rows) or len(rows) == _SCAN
                return found, (f"{after[0]}:{after[1]}" if more else None)
        if len(rows) < _SCAN:
            return found, None


def _names(node: str) -> ColumnElement[bool]:
    """The history text names `node`: in a stored entry's short or long form."""
    return or_(*(runs.c.hist.like(_like(f'{{"{key}":' + codec.dumps(node)), escape="\\")
                 for key in hist_codec.NODE_KEYS))


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _first_at(items: list[Any], node: str) -> int | None:
    """When (ms) a run's history first names `node`."""
    for item in items:
        if not item or not isinstance(item[0], int):
            continue  # ["truncated", n]
        if any(isinstance(e, dict) and e.get("node") == node for e in item[1:]):
            return int(item[0]) * 1000
    return None


def _current_doc(store: Store, process_id: int) -> dict[str, Any]:
    with store.engine.connect() as conn:
        doc = conn.execute(
            select(process_versions.c.doc)
            .join(processes, and_(processes.c.id == process_versions.c.process_id,
                                  processes.c.version == process_versions.c.version))
            .where(processes.c.id == process_id)
        ).scalar()
    return json.loads(doc) if doc else {}


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
    """GDPR erasure: the contact, its events, runs (with history) and messages. Waits for
    the contact's lock, so a worker batch holding the contact cannot write it back."""
    with store.engine.begin() as conn:
        dialect.lock_contact(conn, contact_id)
        n = conn.execute(delete(contacts).where(contacts.c.id == contact_id)).rowcount
        conn.execute(delete(inbox).where(inbox.c.contact_id == contact_id))
        n += conn.execute(delete(events).where(events.c.contact_id == contact_id)).rowcount
        n += conn.execute(delete(runs).where(runs.c.contact_id == contact_id)).rowcount
        n += conn.execute(delete(outbox).where(outbox.c.contact_id == contact_id)).rowcount
        n += conn.execute(delete(deliveries).where(deliveries.c.contact_id == contact_id)
                          ).rowcount
    return n > 0


def run_contact(store: Store, run_id: str) -> tuple[str, str] | None:
    """(contact id, status) of a run."""
    if not codec.is_rid(run_id):
        return None  # no run has that id
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
