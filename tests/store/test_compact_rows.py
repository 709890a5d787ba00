"""Migration 0012: run ids stored as integers and statuses as letters, events and runs laid
out again (PostgreSQL), the events' primary key folded with their by-contact index
(PostgreSQL) and the queue carrying each event's name. Nothing already stored changes
meaning, on the way up or back down."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from alembic import command
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import text

from nurtura.clock import SimClock
from nurtura.engine.core import run_id_for
from nurtura.engine.state import Event
from nurtura.model.validate import load_process
from nurtura.runtime.worker import Worker
from nurtura.store import admin, codec, migrate
from nurtura.store.sql import Store

T0 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
HIGH = "ffffffffffffff01"  # above 2**63: stored negative
LOW = "0000000000000a01"


@given(st.integers(min_value=0, max_value=(1 << 64) - 1))
def test_a_run_id_survives_its_integer_form(n: int) -> None:
    rid = f"{n:016x}"
    stored = codec.rid_int(rid)
    assert -(1 << 63) <= stored < 1 << 63
    assert codec.rid_hex(stored) == rid


def test_only_run_ids_are_taken_for_run_ids() -> None:
    for bad in ("", "r1", "FFFFFFFFFFFFFFFF", "0" * 15, "0" * 17, "g" * 16):
        assert not codec.is_rid(bad)
    assert codec.is_rid(run_id_for("x"))


def _reopen(store: Store, revision: str) -> None:
    with store.engine.begin() as conn:
        cfg = migrate.alembic_config(store.engine)
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


def test_migration_0012_keeps_runs_events_and_the_queue_both_ways(db_url: str) -> None:
    store = Store(db_url, upgrade=False)
    migrate.upgrade(store.engine, "0011")
    with store.engine.begin() as conn:  # as 0011 stored them
        conn.execute(text(
            "INSERT INTO events (contact_id, name, ts, input) VALUES "
            "('c1', 'go', 1000, true), ('c1', 'seen', 2000, NULL), ('c2', 'go', 3000, true)"))
        conn.execute(text(
            "INSERT INTO inbox (contact_id, event_id, ts) SELECT contact_id, id, ts "
            "FROM events WHERE input"))
        conn.execute(text(
            "INSERT INTO inbox (contact_id, event_id, ts) VALUES ('c3', 99, 4000)"))  # orphan
        conn.execute(text(
            "INSERT INTO runs (id, contact_id, process_id, status, node, wake_at, node_since, "
            "started_at, ended_at, seq, reason, vars, hist) VALUES "
            f"('{HIGH}', 'c1', 1, 'active', 'w', 5000, 1000, 1000, NULL, 2, NULL, :vars, "
            "'[[0]]'), "
            f"('{LOW}', 'c2', 1, 'failed', 'm', NULL, 2000, 1000, 2000, 3, 'boom', NULL, "
            "NULL)"), {"vars": '{"k":1}'})
    migrate.upgrade(store.engine, "head")
    with store.engine.connect() as conn:
        queue = conn.execute(text(
            "SELECT contact_id, event_id, ts, name FROM inbox ORDER BY ts")).all()
        stored = conn.execute(text("SELECT id, status FROM runs ORDER BY contact_id")).all()
    assert [tuple(r) for r in queue] == [("c1", 1, 1000, "go"), ("c2", 3, 3000, "go"),
                                         ("c3", 99, 4000, "")]
    assert [tuple(r) for r in stored] == [(codec.rid_int(HIGH), "a"), (codec.rid_int(LOW), "f")]
    (high, _), (low, _) = store.runs_of("c1") + store.runs_of("c2")
    assert (high.id, high.status, high.node, high.vars, high.seq) == (HIGH, "active", "w",
                                                                       {"k": 1}, 2)
    assert (low.id, low.status, low.reason) == (LOW, "failed", "boom")
    assert admin.run_contact(store, HIGH) == ("c1", "active")
    assert admin.run_contact(store, "not-a-run") is None
    # new events number on from the old ones; queued ones are found by the new key
    store.ingest([Event("go", "c4", T0, "m4")])
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT max(id) FROM events")).scalar() == 4
    worker = Worker(store, SimClock(T0))
    assert worker.drain(T0 + timedelta(seconds=1)) >= 3  # c1, c2, c4 (and c3's orphan)
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM inbox")).scalar() == 0
    _reopen(store, "0011")
    with store.engine.connect() as conn:
        back = conn.execute(text(
            "SELECT id, status, node, vars FROM runs ORDER BY contact_id")).all()
        cols = conn.execute(text("SELECT * FROM inbox")).keys()
    assert [tuple(r) for r in back] == [(HIGH, "active", "w", '{"k":1}'),
                                        (LOW, "failed", "m", None)]
    assert list(cols) == ["contact_id", "event_id", "ts"]
    store.close()


def test_a_contacts_runs_are_stored_and_read_back_by_the_worker(db_url: str) -> None:
    """A run made by the engine goes through the bulk statements (which bypass the column
    types) and through Core (which uses them): the same id and status both ways."""
    store = Store(db_url)
    process = load_process({"nurtura": 1, "name": "P", "nodes": {
        "t": {"type": "trigger", "event": "go", "next": "d"},
        "d": {"type": "delay", "for": "1d", "next": "e"}, "e": {"type": "end"}}})
    store.save_process(process, T0)
    store.set_enabled("P", True, T0)
    store.ingest([Event("go", f"c{i}", T0, f"m{i}") for i in range(20)])
    worker = Worker(store, SimClock(T0))
    worker.drain(T0)
    ids = {r.id for i in range(20) for r, _ in store.runs_of(f"c{i}")}
    assert len(ids) == 20 and all(codec.is_rid(i) for i in ids)
    assert any(codec.rid_int(i) < 0 for i in ids) and any(codec.rid_int(i) > 0 for i in ids)
    worker.drain(T0 + timedelta(days=1))
    assert {r.id for i in range(20) for r, _ in store.runs_of(f"c{i}")} == ids
    assert {r.status for i in range(20) for r, _ in store.runs_of(f"c{i}")} == {"completed"}
    store.close()
