"""The variables a template sees: `contact`, `event`, `order`, `vars`, `unsubscribe_url`.

`event` and `vars` are as they were at the step (the outbox payload carries them); the
contact is as it is now. `order` is the order of the event that caused the step, else the
contact's most recent order.
"""

from __future__ import annotations

from typing import Any

from nurtura.engine import timing
from nurtura.engine.state import Contact, Order

CONTACT_KEYS = ("id", "email", "phone", "timezone", "fields", "tags", "lists", "score",
                "owner", "stages", "rfm", "total_paid", "subscribed", "created_at", "orders")


def _order(o: Order) -> dict[str, Any]:
    out = o.to_json()
    out["id"] = o.order_id
    out["created_at"] = timing.iso(o.created_at) if o.created_at else None
    out["paid_at"] = timing.iso(o.paid_at) if o.paid_at else None
    return out


def contact_vars(c: Contact) -> dict[str, Any]:
    """The contact as templates see it; its fields also at the top level (`contact.city`)
    where they do not shadow one of the contact's own keys."""
    out: dict[str, Any] = {k: v for k, v in c.fields.items() if k not in CONTACT_KEYS}
    out.update({
        "id": c.id, "email": c.email, "phone": c.phone,
        "timezone": c.timezone or c.context_timezone, "fields": dict(c.fields),
        "tags": sorted(c.tags), "lists": sorted(c.lists), "score": c.score, "owner": c.owner,
        "stages": dict(c.stages), "rfm": c.rfm, "total_paid": c.total_paid,
        "subscribed": dict(c.subscribed), "created_at": timing.iso(c.created_at),
        "orders": [_order(o) for o in c.orders.values()],
    })
    return out


def order_vars(c: Contact | None, event: dict[str, Any] | None) -> dict[str, Any]:
    """The order of the event (its properties completed by the ledger), else the contact's
    most recent order, else {}."""
    props = (event or {}).get("properties") or {}
    oid = props.get("order_id")
    if oid is not None:
        known = c.orders.get(str(oid)) if c is not None else None
        base = {k: v for k, v in props.items()}
        if known is not None:
            base.update({k: v for k, v in _order(known).items() if v is not None})
        base.setdefault("id", str(oid))
        return base
    if c is None or not c.orders:
        return {}
    orders = list(c.orders.values())

    def when(i: int) -> tuple[float, int]:
        at = orders[i].created_at
        return (at.timestamp() if at is not None else float("-inf"), i)

    latest = max(range(len(orders)), key=when)
    return _order(orders[latest])


def build(contact: Contact | None, payload: dict[str, Any], unsubscribe_url: str
          ) -> dict[str, Any]:
    event = payload.get("event")
    return {
        "contact": contact_vars(contact) if contact is not None else {"fields": {}},
        "event": event or {},
        "order": order_vars(contact, event),
        "vars": payload.get("vars") or {},
        "unsubscribe_url": unsubscribe_url,
    }


def contact_zone(contact: Contact | None, process_tz: str | None) -> str:
    """SPEC's chain: the contact's timezone trait, else Segment context.timezone, else the
    process's, else UTC."""
    for name in ((contact.timezone, contact.context_timezone) if contact else ()):
        if name:
            try:
                timing.zone(name)
                return name
            except Exception:
                continue
    return process_tz or "UTC"
