"""The worker's queue of input events (`inbox`, migration 0010): an input is queued by the
statement that stores it, leaves the queue when handled, and its event row is never
rewritten; the migration moves pending events into the queue and back."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from alembic import command
from sqlalchemy import func, select, text

from nurtura.clock import SimClock
from nurtura.engine.state import Event
from nurtura.model.validate import load_process
from nurtura.runtime.worker import Worker
from nurtura.store import codec, migrate
from nurtura.store.outbox import Outbox
from nurtura.store.schema import events, inbox
from nurtura.store.sql import Store

T0 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def _queue(store: Store) -> list[tuple[str, int]]:
    with store.engine.connect() as conn:
        return [(r[0], r[1]) for r in conn.execute(
            select(inbox.c.contact_id, inbox.c.ts).order_by(inbox.c.ts))]


def test_an_input_is_queued_once_and_leaves_the_queue_when_handled(store: Store) -> None:
    store.save_process(load_process({"nurtura": 1, "name": "P", "nodes": {
        "t": {"type": "trigger", "event": "go", "next": "a"},
        "a": {"type": "action", "do": "add_tag", "tag": "went"}}}), T0)
    store.set_enabled("P", True, T0)
    evs = [Event("go", "c1", T0, "m1"), Event("go", "c2", T0 + timedelta(seconds=1), "m2")]
    assert store.ingest(evs) == 2
    assert store.ingest(evs) == 0  # a repeated message id: not stored, not queued again
    # delivery's events (opens, clicks, sends) are inputs too, queued the same way
    with store.engine.begin() as conn:
        Outbox(store).insert_events(conn, [Event("email.opened", "c1", T0, "o1"),
                                           Event("email.opened", "c1", T0, "o1")])
    assert _queue(store) == [("c1", _ms(T0)), ("c1", _ms(T0)),
                             ("c2", _ms(T0 + timedelta(seconds=1)))]
    versions = _row_versions(store)
    Worker(store, SimClock(T0)).drain(T0 + timedelta(minutes=1))
    assert _queue(store) == []
    assert store.get_contact("c2").tags == {"went"}  # type: ignore[union-attr]
    with store.engine.connect() as conn:
        inputs = conn.execute(select(func.count()).where(events.c.input.is_(True))).scalar()
    assert inputs == 3
    # handling deleted queue rows and wrote the step's rows; the input rows are as stored
    # (on PostgreSQL: the same row versions, no dead copy left for VACUUM)
    assert {k: v for k, v in _row_versions(store).items() if k in versions} == versions


def _ms(at: datetime) -> int:
    return int(at.timestamp() * 1000)


def _row_versions(store: Store) -> dict[int, str]:
    """Each event row's id → its row version (PostgreSQL's xmin; SQLite: the row as text)."""
    sql = ("SELECT id, xmin::text FROM events" if store.shared else
           "SELECT id, contact_id || name || ts || coalesce(props, '') || "
           "coalesce(hex(message_id), '') || coalesce(input, '') FROM events")
    with store.engine.connect() as conn:
        return {r[0]: r[1] for r in conn.execute(text(sql))}


def test_migration_0010_moves_pending_events_into_the_queue_and_back(db_url: str) -> None:
    store = Store(db_url, upgrade=False)
    migrate.upgrade(store.engine, "0009")
    with store.engine.begin() as conn:
        conn.execute(text("INSERT INTO events (contact_id, name, ts, pending) VALUES "
                          "('c1', 'a', 1, NULL), ('c1', 'b', 2, true), ('c2', 'c', 3, true)"))
    migrate.upgrade(store.engine, "head")
    assert _queue(store) == [("c1", 2), ("c2", 3)]
    assert store.due_contacts(datetime.fromtimestamp(1, UTC), 10) == ["c1", "c2"]
    store.ingest([Event("d", "c3", datetime.fromtimestamp(4, UTC), "m4")])
    assert _queue(store)[-1] == ("c3", 4000)
    with store.engine.begin() as conn:
        cfg = migrate.alembic_config(store.engine)
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0009")
    with store.engine.connect() as conn:
        rows = conn.execute(text("SELECT name, pending FROM events ORDER BY id")).all()
    assert [(n, bool(p)) for n, p in rows] == [("a", False), ("b", True), ("c", True),
                                              ("d", True)]
    store.close()


def test_erasing_a_contact_empties_its_queue_and_a_queue_row_without_event_is_dropped(
        store: Store) -> None:
    from nurtura.store import admin

    store.ingest([Event("go", "c1", T0, "m1"), Event("go", "c2", T0, "m2")])
    assert admin.erase_contact(store, "c1")
    assert _queue(store) == [("c2", _ms(T0))]
    # a queue row whose event is gone (a hand-edited database): the worker drops it, it does
    # not find the contact due for ever with nothing to load
    with store.engine.begin() as conn:
        conn.execute(events.delete().where(events.c.contact_id == "c2"))
    assert store.due_contacts(T0, 10) == ["c2"]
    assert Worker(store, SimClock(T0)).drain(T0) == 1
    assert _queue(store) == [] and store.due_contacts(T0, 10) == []


def test_a_batch_queues_exactly_its_new_inputs(store: Store) -> None:
    """Repeated message ids inside and across batches are stored and queued once; events a
    step emitted (not inputs) in the same transaction are not queued."""
    store.ingest([Event("go", "c1", T0, "m1")])
    at = [T0 + timedelta(seconds=i) for i in range(6)]
    batch = [Event("go", "c1", at[1], "m1"), Event("go", "c2", at[2], "m2"),
             Event("go", "c2", at[3], "m2"), Event("go", "c3", at[4], "m3"),
             Event("go", "c1", at[5], "m1")]
    with store.engine.begin() as conn:
        store.q.emitted.many(conn, [codec.event_values(Event("x", "c9", T0, "e"), None,
                                                       keep_id=False)])
        assert store.q.ingest.many(conn, [codec.event_values(e, True) for e in batch]) == 2
        assert store.q.ingest.many(conn, []) == 0
        store.q.emitted.many(conn, [codec.event_values(Event("x", "c9", T0, "f"), None,
                                                       keep_id=False)])
        assert store.q.ingest.many(conn, [codec.event_values(
            Event("go", "c4", at[0], "m4"), True)]) == 1
    assert _queue(store) == [("c1", _ms(T0)), ("c4", _ms(at[0])), ("c2", _ms(at[2])),
                             ("c3", _ms(at[4]))]


def test_migration_0011_drops_the_queueing_trigger_and_its_downgrade_restores_it(
        tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'test.db'}")
    with store.engine.connect() as conn:
        assert not conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")
                                ).all()
    with store.engine.begin() as conn:
        cfg = migrate.alembic_config(store.engine)
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0010")
    with store.engine.begin() as conn:  # as 0010 queued inputs: by the trigger
        conn.execute(text("INSERT INTO events (contact_id, name, ts, input) VALUES "
                          "('c1', 'a', 5, true), ('c1', 'b', 6, NULL)"))
    assert _queue(store) == [("c1", 5)]
    store.close()


def test_an_ingest_that_postgresql_rolls_back_for_a_deadlock_is_run_again(
        monkeypatch: Any) -> None:
    """Two API processes store the same two messages at once, in opposite orders: each
    waits for a row the other inserted first. PostgreSQL rolls back the one that waited
    first (here: `Store.ingest`), which runs again and finds both stored: no error for its
    requests, each message stored once."""
    import threading

    from tests.pg import fresh_database

    with fresh_database() as url:
        store, other = Store(url), Store(url, upgrade=False)
        try:
            a = Event("go", "c1", T0, "m-a")
            b = Event("go", "c1", T0, "m-b")
            tries: list[int] = []
            once = Store._ingest

            def counted(self: Store, evs: Any) -> int:
                tries.append(len(evs))
                return once(self, evs)

            monkeypatch.setattr(Store, "_ingest", counted)
            result: list[Any] = []
            with other.engine.begin() as conn:  # the other API process's transaction
                other.q.ingest.many(conn, [codec.event_values(b, True)])
                worker = threading.Thread(target=lambda: result.append(store.ingest([a, b])))
                worker.start()  # stores m-a, then waits for the other's m-b
                deadline = time.monotonic() + 10
                while not conn.execute(text(
                        "SELECT count(*) FROM pg_locks WHERE NOT granted")).scalar():
                    assert time.monotonic() < deadline, "the ingest never waited"
                    time.sleep(0.02)
                # now the other stores m-a too: a cycle, which PostgreSQL breaks (after
                # deadlock_timeout) by rolling back the transaction that waited first
                other.q.ingest.many(conn, [codec.event_values(a, True)])
            worker.join(timeout=30)
            assert result == [0]  # run again: both were the other's by then
            assert tries == [2, 2]
            assert store.table_counts()["events"] == 2
            assert len(_queue(store)) == 2
        finally:
            other.close()
            store.close()
