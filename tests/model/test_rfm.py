"""RFM scoring against the base, and the job that turns changes into rfm.changed events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from nurtura.clock import SimClock
from nurtura.engine.state import Event
from nurtura.model.rfm import SEGMENTS, Buyer, score_base, segment
from nurtura.runtime.rfm import RfmJob
from nurtura.runtime.worker import Worker
from nurtura.store.sql import Store

T0 = datetime(2026, 11, 23, tzinfo=UTC)


def test_grid_names() -> None:
    assert segment(5, 5, 5) == "champions"
    assert segment(5, 1, 1) == "new"
    assert segment(1, 5, 5) == "cant_lose"
    assert segment(2, 5, 1) == "at_risk"
    assert segment(2, 1, 1) == "hibernating"
    assert segment(1, 1, 1) == "lost"
    assert all(segment(r, f, m) in SEGMENTS
               for r in range(1, 6) for f in range(1, 6) for m in range(1, 6))


def test_scores_are_relative_to_the_base() -> None:
    base = [Buyer(f"c{i}", T0 - timedelta(days=100 * i), 10 - 2 * i, 1000.0 * (10 - i))
            for i in range(5)]
    got = score_base(base)
    assert got["c0"] == "champions"  # most recent, most orders
    assert got["c4"] == "lost"  # oldest, fewest


def test_job_emits_rfm_changed_and_the_contact_takes_the_segment(store: Store) -> None:
    store.ingest([Event("order.paid", "c1", T0, "m1", {"order_id": "o1", "amount": 10})])
    Worker(store, SimClock(T0)).drain(T0)
    job = RfmJob(store)
    assert job.maybe_run(T0, orders_changed=True) == 1
    assert job.maybe_run(T0 + timedelta(minutes=1), orders_changed=True) == 0  # too soon
    Worker(store, SimClock(T0)).drain(T0 + timedelta(minutes=1))
    contact = store.get_contact("c1")
    assert contact is not None and contact.rfm == "champions"
    assert job.maybe_run(T0 + timedelta(days=1)) == 0  # daily rerun: nothing changed
