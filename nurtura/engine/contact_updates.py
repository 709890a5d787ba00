"""How an event changes the contact before any step runs: orders, traits, opt-outs.

Returns the events Nurtura emits because of the change (`field.changed`, …).
"""

from __future__ import annotations

from typing import Any

from nurtura.engine.state import Contact, Event, Order, Step

Follow = tuple[str, dict[str, Any]]
STANDARD_TRAITS = ("email", "phone", "timezone")


def _amount(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _order(c: Contact, ev: Event, step: Step) -> None:
    p = ev.properties
    oid = p.get("order_id")
    if oid is None:
        return
    oid = str(oid)
    order = c.orders.get(oid)
    if order is None:
        order = Order(oid, "new", created_at=ev.timestamp)
        c.orders[oid] = order
    amount = _amount(p.get("amount", p.get("total", p.get("revenue"))))
    if amount is not None:
        order.amount = amount
    for key in ("product", "pay_url"):
        if isinstance(p.get(key), str):
            setattr(order, key, p[key])
    if ev.name == "order.paid":
        order.status, order.paid_at = "paid", ev.timestamp
    elif (ev.name == "order.cancelled" and order.status != "paid") or ev.name == "order.refunded":
        order.status = "cancelled"
    step.orders_changed.add(oid)
    step.contact_changed = True


def _set_channel(c: Contact, channel: str, subscribed: bool, step: Step) -> list[Follow]:
    if channel not in ("email", "sms") or c.subscribed.get(channel, True) == subscribed:
        return []
    c.subscribed[channel] = subscribed
    step.contact_changed = True
    return [("subscription.changed", {"channel": channel, "subscribed": subscribed})]


def _traits(c: Contact, traits: dict[str, Any], step: Step) -> list[Follow]:
    out: list[Follow] = []
    for key, value in traits.items():
        if key in STANDARD_TRAITS:
            if value is not None and not isinstance(value, str):
                value = str(value)
            if getattr(c, key) != value:
                setattr(c, key, value)
                step.contact_changed = True
            continue
        if key == "unsubscribed" and isinstance(value, bool):
            out += _set_channel(c, "email", not value, step)
            continue
        old = c.fields.get(key)
        if old != value:
            c.fields[key] = value
            step.contact_changed = True
            out.append(("field.changed", {"field": key, "old": old, "new": value}))
    return out


def _imported(c: Contact, p: dict[str, Any], step: Step) -> None:
    """Merge an imported line: traits replace, fields merge, tags and lists are added."""
    for key in STANDARD_TRAITS:
        if isinstance(p.get(key), str) and getattr(c, key) != p[key]:
            setattr(c, key, p[key])
    if isinstance(p.get("fields"), dict):
        c.fields.update(p["fields"])
    c.tags.update(t for t in p.get("tags", ()) if isinstance(t, str))
    c.lists.update(x for x in p.get("lists", ()) if isinstance(x, str))
    for channel, value in (p.get("subscribed") or {}).items():
        if channel in ("email", "sms") and isinstance(value, bool):
            c.subscribed[channel] = value
    step.contact_changed = True


def apply_event(c: Contact, ev: Event, step: Step) -> list[Follow]:
    """Update `c` for `ev` (SPEC: state first, then steps); return the events that follow."""
    name, p = ev.name, ev.properties
    if name.startswith("order."):
        _order(c, ev, step)
        return []
    if name == "contact.imported":
        _imported(c, p, step)
        return []
    if name == "identify":
        ctz = p.get("_context_timezone")
        if isinstance(ctz, str) and ctz != c.context_timezone:
            c.context_timezone = ctz
            step.contact_changed = True
        return _traits(c, {k: v for k, v in p.items() if not k.startswith("_")}, step)
    if name == "subscription.changed" and isinstance(p.get("subscribed"), bool):
        _set_channel(c, str(p.get("channel", "email")), p["subscribed"], step)
        return []  # the caller's own event already says it
    if name == "email.unsubscribed":
        return _set_channel(c, "email", False, step)
    if name == "sms.unsubscribed":
        return _set_channel(c, "sms", False, step)
    if name == "rfm.changed" and (p.get("new") is None or isinstance(p.get("new"), str)):
        if c.rfm != p.get("new"):
            c.rfm = p.get("new")
            step.contact_changed = True
        return []
    if name == "email.bounced" and not c.bounced:
        c.bounced = True
        step.contact_changed = True
    return []
