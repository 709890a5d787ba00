"""Rows ↔ domain objects. Times are epoch milliseconds; JSON is compact."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from nurtura.engine.state import Contact, Event, Order, Run


def ms(dt: datetime) -> int:
    return int(dt.timestamp() * 1000)


def ms_or_none(dt: datetime | None) -> int | None:
    return None if dt is None else ms(dt)


def dt(value: int) -> datetime:
    return datetime.fromtimestamp(value / 1000, UTC)


def dt_or_none(value: int | None) -> datetime | None:
    return None if value is None else dt(value)


def dumps(obj: Any) -> str:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False, default=str)


def contact_doc(c: Contact) -> str:
    """Everything but the indexed columns, leaving out what is empty or default."""
    doc: dict[str, Any] = {}
    for key in ("phone", "timezone", "context_timezone", "owner", "rfm"):
        value = getattr(c, key)
        if value is not None:
            doc[key] = value
    if c.fields:
        doc["fields"] = c.fields
    if c.tags:
        doc["tags"] = sorted(c.tags)
    if c.lists:
        doc["lists"] = sorted(c.lists)
    unsubscribed = sorted(k for k, v in c.subscribed.items() if not v)
    if unsubscribed:
        doc["unsub"] = unsubscribed
    if c.bounced:
        doc["bounced"] = True
    if c.score:
        doc["score"] = c.score
    if c.stages:
        doc["stages"] = c.stages
    if c.notes:
        doc["notes"] = c.notes
    if c.orders:
        doc["orders"] = [
            [o.order_id, o.status, o.amount, o.product, o.pay_url, ms_or_none(o.created_at),
             ms_or_none(o.paid_at)]
            for o in c.orders.values()
        ]
    if c.entered:
        doc["entered"] = sorted(c.entered)
    return dumps(doc)


def contact_row(c: Contact) -> dict[str, Any]:
    paid = [o for o in c.orders.values() if o.status == "paid"]
    return {
        "id": c.id,
        "created_at": ms(c.created_at),
        "email": c.email,
        "paid_total": sum(o.amount for o in paid),
        "paid_count": len(paid),
        "last_paid_at": max((ms(o.paid_at) for o in paid if o.paid_at), default=None),
        "doc": contact_doc(c),
    }


def contact_from_row(row: Any) -> Contact:
    doc = json.loads(row.doc)
    c = Contact(
        id=row.id,
        created_at=dt(row.created_at),
        email=row.email,
        phone=doc.get("phone"),
        timezone=doc.get("timezone"),
        context_timezone=doc.get("context_timezone"),
        fields=doc.get("fields", {}),
        tags=set(doc.get("tags", ())),
        lists=set(doc.get("lists", ())),
        bounced=doc.get("bounced", False),
        score=doc.get("score", 0),
        owner=doc.get("owner"),
        stages=doc.get("stages", {}),
        notes=doc.get("notes", []),
        rfm=doc.get("rfm"),
        entered=set(doc.get("entered", ())),
    )
    for channel in doc.get("unsub", ()):
        c.subscribed[channel] = False
    for oid, status, amount, product, pay_url, created, paid in doc.get("orders", ()):
        c.orders[oid] = Order(oid, status, amount, product, pay_url, dt_or_none(created),
                              dt_or_none(paid))
    return c


def run_row(r: Run) -> dict[str, Any]:
    return {
        "id": r.id,
        "contact_id": r.contact_id,
        "process_id": r.process_id,
        "status": r.status,
        "node": r.node,
        "wake_at": ms_or_none(r.wake_at),
        "node_since": ms(r.node_since),
        "started_at": ms(r.started_at),
        "ended_at": ms_or_none(r.ended_at),
        "seq": r.seq,
        "reason": r.reason,
        "vars": dumps(r.vars) if r.vars else None,
    }


def run_from_row(row: Any) -> Run:
    return Run(
        id=row.id,
        process_id=row.process_id,
        contact_id=row.contact_id,
        node=row.node,
        started_at=dt(row.started_at),
        node_since=dt(row.node_since),
        status=row.status,
        wake_at=dt_or_none(row.wake_at),
        vars=json.loads(row.vars) if row.vars else {},
        seq=row.seq,
        reason=row.reason,
        ended_at=dt_or_none(row.ended_at),
    )


def event_from_row(row: Any) -> Event:
    return Event(row.name, row.contact_id, dt(row.ts), row.message_id or "",
                 json.loads(row.props) if row.props else {})


def event_row(e: Event, pending: bool | None, keep_id: bool = True) -> dict[str, Any]:
    return {
        "contact_id": e.contact_id,
        "name": e.name,
        "ts": ms(e.timestamp),
        "props": dumps(e.properties) if e.properties else None,
        "message_id": e.message_id if keep_id else None,
        "pending": pending,
    }
