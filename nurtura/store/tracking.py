"""What recipients do with a message: opens, clicks, unsubscribes. Each is recorded on its
deliveries row, counted per node (unique and total) and emitted as an event for the worker,
in one transaction. Analytics per message node read the counters back."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from nurtura.engine.state import Event
from nurtura.store import codec
from nurtura.store.outbox import Outbox
from nurtura.store.schema import deliveries
from nurtura.store.sql import Store

# Counters per message node (table `stats`); "unique" counts messages, "total" every hit.
METRICS = ("sent", "delivered", "opened", "clicked", "unsubscribed", "bounced")


@dataclass
class Delivery:
    key: str
    contact_id: str
    run_id: str
    process_id: int
    process: str
    node: str
    channel: str
    template: str | None
    opened: bool
    clicked: bool
    unsubscribed: bool

    def props(self) -> dict[str, Any]:
        """The properties every tracking event carries (the seeds' "opened?" checks)."""
        return {"template": self.template, "process": self.process, "node": self.node,
                "run": self.run_id, "message": self.key}


def find(store: Store, key: str) -> Delivery | None:
    with store.engine.connect() as conn:
        r = conn.execute(select(deliveries).where(deliveries.c.key == key)).first()
    if r is None:
        return None
    return Delivery(r.key, r.contact_id, r.run_id, r.process_id, r.process, r.node, r.channel,
                    r.template, r.opened_at is not None, r.clicked_at is not None,
                    r.unsubscribed_at is not None)


def _mid(kind: str, key: str) -> str:
    return f"{kind}:{key}:{secrets.token_hex(6)}"


def record_open(store: Store, d: Delivery, now: datetime) -> bool:
    """Count an open (first one: unique); emit `email.opened`. True if it was the first."""
    ob = Outbox(store)
    at = codec.ms(now)
    with store.engine.begin() as conn:
        first = _first(conn, d.key, "opened_at", at)
        conn.execute(update(deliveries).where(deliveries.c.key == d.key)
                     .values(opens=deliveries.c.opens + 1))
        counts = [(d.process_id, d.node, "opened_total", 1)]
        if first:
            counts.append((d.process_id, d.node, "opened", 1))
        ob.add_stats(conn, counts)
        ob.insert_events(conn, [Event("email.opened", d.contact_id, now,
                                      _mid("email.opened", d.key), d.props())])
    return first


def record_click(store: Store, d: Delivery, url: str, now: datetime) -> None:
    """Count a click and emit `email.clicked` (`url`); a click on a message not yet seen
    opened also counts as its first open (images were blocked) and emits `email.opened`."""
    ob = Outbox(store)
    at = codec.ms(now)
    with store.engine.begin() as conn:
        first = _first(conn, d.key, "clicked_at", at)
        first_open = _first(conn, d.key, "opened_at", at)
        values: dict[str, Any] = {"clicks": deliveries.c.clicks + 1}
        if first_open:
            values["opens"] = deliveries.c.opens + 1
        conn.execute(update(deliveries).where(deliveries.c.key == d.key).values(**values))
        counts = [(d.process_id, d.node, "clicked_total", 1)]
        evs = []
        if first:
            counts.append((d.process_id, d.node, "clicked", 1))
        if first_open:
            counts += [(d.process_id, d.node, "opened", 1),
                       (d.process_id, d.node, "opened_total", 1)]
            evs.append(Event("email.opened", d.contact_id, now, _mid("email.opened", d.key),
                             d.props()))
        evs.append(Event("email.clicked", d.contact_id, now, _mid("email.clicked", d.key),
                         {**d.props(), "url": url}))
        ob.add_stats(conn, counts)
        ob.insert_events(conn, evs)


def record_unsubscribe(store: Store, contact_id: str, key: str, d: Delivery | None,
                       channels: list[str], via: str, now: datetime) -> None:
    """Opt the contact out of `channels` (emits `email.unsubscribed` / `sms.unsubscribed`,
    which the worker applies); the message's node counts one unsubscribe."""
    ob = Outbox(store)
    props: dict[str, Any] = {**(d.props() if d else {"message": key}), "via": via}
    with store.engine.begin() as conn:
        if d is not None and _first(conn, d.key, "unsubscribed_at", codec.ms(now)):
            ob.add_stats(conn, [(d.process_id, d.node, "unsubscribed", 1)])
        ob.insert_events(conn, [
            Event(f"{ch}.unsubscribed", contact_id, now, f"{ch}.unsubscribed:{key}",
                  {**props, "channel": ch}) for ch in channels])


def _first(conn: Any, key: str, column: str, at: int) -> bool:
    """Set `column` to `at` if it was empty; True when this call set it."""
    col = deliveries.c[column]
    n = conn.execute(update(deliveries).where(deliveries.c.key == key, col.is_(None))
                     .values({column: at})).rowcount
    return bool(n)


def message_stats(store: Store, process_id: int, nodes: dict[str, dict[str, Any]]
                  ) -> dict[str, dict[str, Any]]:
    """Per message node of the process (`nodes`: its file's nodes): template, channel and
    each metric as {unique, total}. sent = delivered + bounced + undelivered."""
    s = store.stats(process_id)["nodes"]
    out: dict[str, dict[str, Any]] = {}
    for nid, node in sorted(nodes.items()):
        if not isinstance(node, dict) or node.get("do") not in ("send_email", "send_sms"):
            continue
        c = s.get(nid, {})
        delivered, bounced = c.get("delivered", 0), c.get("bounced", 0)
        sent = delivered + bounced + c.get("undelivered", 0)

        def pair(unique: int, total: int | None = None) -> dict[str, int]:
            return {"unique": unique, "total": unique if total is None else total}

        out[nid] = {
            "template": node.get("template"),
            "channel": "email" if node["do"] == "send_email" else "sms",
            "queued": c.get("sent", 0),
            "skipped": c.get("skipped", 0) + c.get("suppressed", 0),
            "sent": pair(sent),
            "delivered": pair(delivered),
            "opened": pair(c.get("opened", 0), c.get("opened_total", 0)),
            "clicked": pair(c.get("clicked", 0), c.get("clicked_total", 0)),
            "unsubscribed": pair(c.get("unsubscribed", 0)),
            "bounced": pair(bounced),
            "undelivered": c.get("undelivered", 0),
        }
    return out
