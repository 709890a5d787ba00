"""Evaluate a filter AST against a contact, the current event, the run and the history."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from nurtura.engine import timing
from nurtura.engine.state import Contact, Event, Run
from nurtura.model import filters as F


@dataclass
class Scope:
    """Everything a filter may read, at one instant."""

    contact: Contact
    now: datetime
    tz: ZoneInfo
    event: Event | None = None
    run: Run | None = None
    active_processes: set[str] = field(default_factory=set)
    history: Sequence[Event] = ()


def compare(cmp: F.Cmp, value: Any) -> bool:
    """`value <op> cmp.value`; mismatched types never match (and never raise)."""
    op, ref = cmp.op, cmp.value
    if op == "exists":
        return (value is not None) is bool(ref)
    if op == "eq":
        return bool(_norm(value) == _norm(ref))
    if op == "ne":
        return bool(_norm(value) != _norm(ref))
    if op == "in":
        return _norm(value) in [_norm(r) for r in ref]
    if op == "contains":
        if isinstance(value, str) and isinstance(ref, str):
            return ref.lower() in value.lower()
        if isinstance(value, list | set | tuple):
            return ref in value
        return False
    a, b = _orderable(value, ref)
    if a is None or b is None:
        return False
    if op == "gt":
        return bool(a > b)
    if op == "gte":
        return bool(a >= b)
    if op == "lt":
        return bool(a < b)
    return bool(a <= b)  # lte


def _norm(v: Any) -> Any:
    """Numbers compare as numbers whether given as 5 or 5.0; other values as they are."""
    if isinstance(v, bool) or not isinstance(v, int | float):
        return v
    return float(v)


def _orderable(a: Any, b: Any) -> tuple[Any, Any]:
    if isinstance(a, bool) or isinstance(b, bool):
        return None, None
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a, b
    if isinstance(a, str) and isinstance(b, int | float):
        try:
            return float(a), b
        except ValueError:
            return None, None
    if isinstance(a, str) and isinstance(b, str):
        return a, b
    return None, None


def field_value(contact: Contact, name: str) -> Any:
    if name in contact.fields:
        return contact.fields[name]
    if name in ("email", "phone", "timezone", "owner", "score", "rfm"):
        return getattr(contact, name)
    if name == "total_paid":
        return contact.total_paid
    if name == "created_at":
        return timing.iso(contact.created_at)
    return None


def _prop(event: Event | None, name: str) -> Any:
    if event is None:
        return None
    value: Any = event.properties
    for part in name.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def matches(f: F.Filter, s: Scope) -> bool:
    """Whether the filter holds for the scope."""
    c = s.contact
    match f:
        case F.All(items):
            return all(matches(i, s) for i in items)
        case F.Any_(items):
            return any(matches(i, s) for i in items)
        case F.Not(item):
            return not matches(item, s)
        case F.Tag(tag):
            return tag in c.tags
        case F.InList(name):
            return name in c.lists
        case F.Field(name, cmp):
            return compare(cmp, field_value(c, name))
        case F.Prop(name, cmp):
            return compare(cmp, _prop(s.event, name))
        case F.Var(name, cmp):
            return compare(cmp, s.run.vars.get(name) if s.run is not None else None)
        case F.Number(what, cmps):
            value = c.total_paid if what == "total_paid" else c.score
            return all(compare(cmp, value) for cmp in cmps)
        case F.EventHistory():
            return _history(f, s)
        case F.Subscribed(channel):
            return c.subscribed.get(channel, True) and not (channel == "email" and c.bounced)
        case F.Has(what):
            return bool(getattr(c, what))
        case F.InProcess(name):
            return name in s.active_processes
        case F.Stage(funnel, cmp):
            return compare(cmp, c.stages.get(funnel))
        case F.Rfm(segments):
            return c.rfm in segments
        case F.Owner(owner):
            return c.owner == owner
        case F.Note(text):
            return any(text.lower() in n.lower() for n in c.notes)
        case F.LocalTime(start, end):
            return timing.between(s.now, s.tz, start, end)
        case F.Weekday(days):
            return timing.weekday(s.now, s.tz) in days
    raise TypeError(f"unknown filter {f!r}")  # pragma: no cover


def _history(f: F.EventHistory, s: Scope) -> bool:
    lo = None
    if f.within is not None:
        lo = s.now - f.within
    if f.since_run and s.run is not None:
        lo = max(lo, s.run.started_at) if lo is not None else s.run.started_at
    n = 0
    for ev in s.history:
        if ev.name != f.name or ev.timestamp > s.now or (lo is not None and ev.timestamp < lo):
            continue
        if f.where is not None and not matches(f.where, _with_event(s, ev)):
            continue
        n += 1
    return all(compare(cmp, n) for cmp in f.count)


def _with_event(s: Scope, ev: Event) -> Scope:
    return Scope(s.contact, s.now, s.tz, ev, s.run, s.active_processes, s.history)
