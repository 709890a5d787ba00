"""Shares of the contacts for SQLite's worker processes (`nurtura worker --processes K`):
each process claims only its own contacts, together they claim every due one, and a
contact's share is the same in every process."""

from __future__ import annotations

import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

from nurtura.clock import SimClock
from nurtura.engine.state import Event
from nurtura.model.validate import load_process
from nurtura.runtime.pool import DrainPool, share
from nurtura.runtime.worker import Worker
from nurtura.store.dialect import contact_part
from nurtura.store.sql import Store

T0 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
WAIT = {"nurtura": 1, "name": "P", "nodes": {
    "t": {"type": "trigger", "event": "go", "next": "d"},
    "d": {"type": "delay", "for": "1h", "next": "a"},
    "a": {"type": "action", "do": "add_tag", "tag": "went"}}}


def _store(tmp_path: Path, n: int) -> Store:
    store = Store(f"sqlite:///{tmp_path / 'test.db'}")
    store.save_process(load_process(WAIT), T0)
    store.set_enabled("P", True, T0)
    store.ingest([Event("go", f"c{i}", T0 + timedelta(seconds=i), f"m{i}") for i in range(n)])
    return store


def test_a_contacts_share_is_its_crc32_modulo_the_processes() -> None:
    # pinned: a contact's share must not move between versions
    assert contact_part("c1") == zlib.crc32(b"c1") == 1_591_159_457
    assert contact_part("Ёжик") == zlib.crc32("Ёжик".encode())
    assert share(0, 1, "sqlite:///x.db") is None
    assert share(1, 3, "x.db") == (1, 3)
    assert share(1, 3, "postgresql://127.0.0.1/test") is None  # workers lock contacts there


def test_each_process_claims_its_own_contacts_and_together_every_due_one(tmp_path: Path
                                                                       ) -> None:
    store = _store(tmp_path, 300)
    now = T0 + timedelta(minutes=10)
    claimed = []
    for i in range(3):
        with store.claim(now, 1000, part=(i, 3)) as claim:
            claimed.append(set(claim.ids))
            assert all(contact_part(c) % 3 == i for c in claim.ids)
    assert sum(len(c) for c in claimed) == 300
    assert set().union(*claimed) == {f"c{i}" for i in range(300)}
    # the wake-ups: each process drains its share, after which only the others' are due
    for i in range(3):
        Worker(store, SimClock(now), part=(i, 3)).drain(now)
    later = T0 + timedelta(hours=2)
    assert store.next_due((0, 3)) == min(T0 + timedelta(seconds=i, hours=1) for i in range(300)
                                         if contact_part(f"c{i}") % 3 == 0)
    Worker(store, SimClock(later), part=(0, 3)).drain(later)
    left = set(store.due_contacts(later, 1000))
    assert left == claimed[1] | claimed[2]
    assert not store.due_contacts(later, 1000, part=(0, 3))
    store.close()


def test_a_drain_pool_handles_every_due_contact_once(tmp_path: Path) -> None:
    store = _store(tmp_path, 200)
    url = store.url
    store.close()  # nothing open is forked
    later = T0 + timedelta(hours=2)
    with DrainPool(url, 2, batch=30) as pool:
        assert pool.drain(later) == 200  # every contact: its event, then its wake-up
        assert pool.drain(later) == 0
    store = Store(url)
    assert store.stats(store.process_info("P").id)["completed"] == {"none": 200}
    tagged = {i for i in range(200) if (c := store.get_contact(f"c{i}")) and "went" in c.tags}
    assert len(tagged) == 200
    store.close()
