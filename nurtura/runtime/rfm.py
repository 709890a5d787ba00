"""The RFM job: rescore every buyer against the base when orders changed (at most every few
minutes) and at least daily; each new segment arrives as an `rfm.changed` event."""

from __future__ import annotations

from datetime import datetime, timedelta

from nurtura.engine.state import Event
from nurtura.model.rfm import score_base
from nurtura.store import codec
from nurtura.store import rfm as queries
from nurtura.store.sql import Store

AFTER_ORDERS = timedelta(minutes=5)
AT_LEAST = timedelta(days=1)


class RfmJob:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.dirty = True  # unknown at start: look once

    def maybe_run(self, now: datetime, orders_changed: bool = False) -> int:
        """Rescore if due; returns how many contacts changed segment."""
        self.dirty |= orders_changed
        last = queries.last_run(self.store.engine)
        due = last is None or now - last >= AT_LEAST or (self.dirty and now - last >= AFTER_ORDERS)
        if not due:
            return 0
        self.dirty = False
        return self.run(now)

    def run(self, now: datetime) -> int:
        found = queries.buyers(self.store.engine)
        segments = score_base([b for b, _ in found])
        changes = [
            Event("rfm.changed", b.contact_id, now, f"rfm:{b.contact_id}:{codec.ms(now)}",
                  {"old": old, "new": segments[b.contact_id]})
            for b, old in found
            if segments[b.contact_id] != old
        ]
        self.store.ingest(changes)
        queries.mark_run(self.store.engine, now)
        return len(changes)
