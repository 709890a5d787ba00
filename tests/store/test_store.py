"""The SQLite store: migrations, idempotent ingestion, one transaction per step, ordering."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.exc import IntegrityError

from nurtura.clock import SimClock
from nurtura.engine.state import Contact, Event, Order, OutboxItem, Step
from nurtura.errors import UnknownProcess
from nurtura.model.validate import load_process
from nurtura.runtime.worker import Worker
from nurtura.store.schema import metadata
from nurtura.store.sql import Store

T0 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def process(**nodes: Any) -> Any:
    return load_process({"nurtura": 1, "name": "P", "nodes": nodes})


WAITER = process(
    t={"type": "trigger", "event": "go", "next": "w"},
    w={"type": "wait", "for": [{"event": "done", "next": "m"}], "timeout": "1d",
       "on_timeout": "e"},
    m={"type": "action", "do": "send_email", "template": "x", "next": "e"},
    e={"type": "end"},
)


def ev(name: str, cid: str, ts: datetime, mid: str, **props: Any) -> Event:
    return Event(name, cid, ts, mid, props)


def test_migrations_create_exactly_the_schema(store: Store) -> None:
    """What the migrations made is the metadata; where the dialects differ on purpose
    (schema.py, migration 0012), the difference is exactly the one written down: on
    PostgreSQL the primary key of `events` is the index `events_contact` with the id after
    it, and no such index besides."""
    pg = store.engine.dialect.name == "postgresql"

    def same_on_both(obj: Any, name: str | None, kind: str, reflected: bool,
                     other: Any) -> bool:
        return not (pg and kind == "index" and name == "events_contact")

    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(
            conn, opts={"include_object": same_on_both}), metadata)
        key = inspect(conn).get_pk_constraint("events")["constrained_columns"]
        indexes = {i["name"] for i in inspect(conn).get_indexes("events")}
    assert diff == []
    if pg:
        assert (key, indexes) == (["contact_id", "name", "ts", "id"], {"events_message_id"})
    else:
        assert (key, indexes) == (["id"], {"events_message_id", "events_contact"})


def test_a_process_file_is_read_whole_or_reported_unknown(store: Store) -> None:
    """By name or id, current or given version; a process deleted (or renamed) by another
    request meanwhile is UnknownProcess (the API's 404), never a half-read (was a 500)."""
    pid, _ = store.save_process(WAITER, T0)
    store.save_process(process(t={"type": "trigger", "event": "go", "next": "e"},
                               e={"type": "end"}), T0)
    assert store.process_doc("P") == store.process_doc(pid) != store.process_doc(pid, 1)
    assert store.process_doc(pid, 1)["nodes"]["w"]["type"] == "wait"
    for missing, version in (("Q", None), (pid + 1, None), (pid, 3)):
        with pytest.raises(UnknownProcess):
            store.process_doc(missing, version)


def test_repeated_message_id_is_ingested_once(store: Store) -> None:
    first = store.ingest([ev("go", "c1", T0, "m-1"), ev("go", "c1", T0, "m-2")])
    again = store.ingest([ev("go", "c1", T0, "m-1")])
    assert (first, again) == (2, 0)
    assert store.table_counts()["events"] == 2


def _enabled(store: Store, p: Any = WAITER) -> None:
    store.save_process(p, T0)
    store.set_enabled(p.name, True, T0)


def test_a_failing_step_commits_nothing(store: Store) -> None:
    _enabled(store)
    store.ingest([ev("identify", "c1", T0, "m-0", email="a@x.io"), ev("go", "c1", T0, "m-1")])
    batch = store.load_batch(["c1"], T0, set())
    before = store.table_counts()
    bad = Step()
    bad.contact_changed = True
    bad.outbox.append(OutboxItem("k", "r", None, 1, "m", "email", T0, {}))  # type: ignore[arg-type]
    batch.contacts["c1"] = Contact("c1", T0)
    with pytest.raises(IntegrityError):
        store.apply(batch, bad, [("c1", row) for row, _ in batch.pending["c1"]], ["c1"])
    assert store.table_counts() == before
    assert store.due_contacts(T0, 10) == ["c1"]  # its events are still pending


def test_worker_handles_each_contacts_inputs_in_timestamp_order(store: Store) -> None:
    _enabled(store)
    # ingested out of order: the 'done' arrives first but happened after 'go'
    store.ingest([ev("identify", "c1", T0, "m-0", email="a@x.io"),
                  ev("done", "c1", T0 + timedelta(hours=2), "m-2"),
                  ev("go", "c1", T0 + timedelta(hours=1), "m-1")])
    lines: list[Any] = []
    Worker(store, SimClock(T0), on_actions=lines.extend).drain(T0 + timedelta(hours=3))
    assert [(a.node, a.at) for a in lines] == [("m", T0 + timedelta(hours=2))]
    assert len(store.outbox_items()) == 1


def test_replaying_the_same_input_gives_the_same_run_and_outbox_key(tmp_path: Any) -> None:
    keys = []
    for i in range(2):
        s = Store(f"sqlite:///{tmp_path / f'{i}.db'}")
        _enabled(s)
        s.ingest([ev("identify", "c1", T0, "m-0", email="a@x.io"), ev("go", "c1", T0, "m-1"),
                  ev("done", "c1", T0 + timedelta(minutes=5), "m-2")])
        Worker(s, SimClock(T0)).drain(T0 + timedelta(hours=1))
        keys.append([o["key"] for o in s.outbox_items()])
        s.close()
    assert keys[0] == keys[1] and len(keys[0]) == 1


def test_publishing_a_version_without_the_runs_node_exits_them(store: Store) -> None:
    _enabled(store)
    store.ingest([ev("go", "c1", T0, "m-1"), ev("go", "c2", T0, "m-2")])
    Worker(store, SimClock(T0)).drain(T0)
    v2 = process(t={"type": "trigger", "event": "go", "next": "w2"},
                 w2={"type": "wait", "for": [{"event": "done", "next": "e"}]},
                 e={"type": "end"})
    _, version = store.save_process(v2, T0 + timedelta(minutes=1))
    stats = store.stats(store.process_info("P").id)
    assert version == 2
    assert (stats["exited"], stats["active"]) == (2, 0)
    assert {r.reason for r, _ in store.runs_of("c1")} == {"node_removed"}


def test_saving_the_same_document_keeps_the_version(store: Store) -> None:
    assert store.save_process(WAITER, T0) == store.save_process(WAITER, T0)


def test_disabled_process_pauses_and_resumes_with_overdue_timeouts(store: Store) -> None:
    _enabled(store)
    store.ingest([ev("identify", "c1", T0, "m-0", email="a@x.io"), ev("go", "c1", T0, "m-1")])
    worker = Worker(store, SimClock(T0))
    worker.drain(T0)
    store.set_enabled("P", False, T0 + timedelta(hours=1))
    assert store.next_due() is None
    worker.drain(T0 + timedelta(days=3))
    assert store.stats(1)["active"] == 1
    store.set_enabled("P", True, T0 + timedelta(days=3))
    assert store.next_due() == T0 + timedelta(days=1)
    worker.drain(T0 + timedelta(days=3))
    stats = store.stats(1)
    assert (stats["active"], stats["completed"]) == (0, {"none": 1})


def test_run_history_says_what_happened_and_why(store: Store) -> None:
    _enabled(store)
    store.ingest([ev("identify", "c1", T0, "m-0", email="a@x.io"), ev("go", "c1", T0, "m-1"),
                  ev("done", "c1", T0 + timedelta(minutes=5), "m-2")])
    Worker(store, SimClock(T0)).drain(T0 + timedelta(hours=1))
    ((run, history),) = store.runs_of("c1")
    assert run.status == "completed"
    flat = [entry for item in history for entry in item[1:]]
    assert {"node": "t", "event": "go"} in flat
    assert {"node": "w", "event": "done"} in flat
    assert any(e.get("action") == "send_email" for e in flat)


def test_runs_due_at_the_same_instant_wake_oldest_first_not_by_id_hash(store: Store) -> None:
    a = load_process({"nurtura": 1, "name": "A", "nodes": {
        "t": {"type": "trigger", "event": "go", "next": "d"},
        "d": {"type": "delay", "until": "2026-11-24T10:00:00Z", "next": "x"},
        "x": {"type": "action", "do": "add_tag", "tag": "first"}}})
    b = load_process({"nurtura": 1, "name": "B", "nodes": {
        "t": {"type": "trigger", "event": "later", "next": "d"},
        "d": {"type": "delay", "until": "2026-11-24T10:00:00Z", "next": "c"},
        "c": {"type": "condition", "if": {"tag": "first"}, "yes": "y", "no": "n"},
        "y": {"type": "action", "do": "add_tag", "tag": "saw_first"},
        "n": {"type": "action", "do": "add_tag", "tag": "missed_first"}}})
    for p in (a, b):
        store.save_process(p, T0)
        store.set_enabled(p.name, True, T0)
    for i in range(8):  # many contacts: run ids hash every way
        store.ingest([ev("go", f"c{i}", T0, f"g{i}"),
                      ev("later", f"c{i}", T0 + timedelta(minutes=1), f"l{i}")])
    Worker(store, SimClock(T0)).drain(T0 + timedelta(days=2))
    for i in range(8):
        contact = store.get_contact(f"c{i}")
        assert contact is not None and "saw_first" in contact.tags


def test_a_send_loads_the_event_it_references_for_rendering(store: Store) -> None:
    from nurtura.store import admin
    from nurtura.store.outbox import Outbox

    store.save_process(WAITER, T0)
    store.set_enabled("P", True, T0)
    store.put_contacts([Contact("c1", T0, email="c1@x.io"), Contact("c2", T0, email="c2@x.io")])
    store.ingest([ev("go", "c1", T0, "g1"), ev("done", "c1", T0 + timedelta(minutes=1), "d1",
                                                order_id="o7"),
                  ev("go", "c2", T0, "g2"), ev("done", "c2", T0 + timedelta(minutes=1), "d2")])
    Worker(store, SimClock(T0)).drain(T0 + timedelta(minutes=2))
    rows = Outbox(store).claim("email", T0 + timedelta(minutes=2), 10, timedelta(minutes=5))
    rows.sort(key=lambda r: r.contact_id)
    assert [r.payload.get("event_id") for r in rows] == ["d1", "d2"]  # not a copy
    assert admin.erase_contact(store, "c2")
    Outbox(store).events_for(rows)
    assert rows[0].payload["event"] == {"name": "done", "properties": {"order_id": "o7"},
                                        "timestamp": "2026-11-23T10:01:00Z"}
    assert "event" not in rows[1].payload and "event_id" not in rows[1].payload  # erased


def test_a_batch_of_contacts_mixing_whole_and_fractional_totals_is_written(store: Store) -> None:
    """PostgreSQL writes a batch as one statement over arrays: an array holds one type."""
    t = datetime(2026, 11, 23, tzinfo=UTC)
    a = Contact("a", t)
    b = Contact("b", t)
    b.orders = {"o2": Order("o2", "paid", 99.5, paid_at=t)}  # a: no orders, total 0 (int)
    store.put_contacts([Contact("a", t, email="old@x"), a, b])  # "a" twice: the last wins
    got_a, got_b = store.get_contact("a"), store.get_contact("b")
    assert got_a is not None and got_b is not None
    assert got_a.email is None and got_b.total_paid == 99.5


def test_a_contact_whose_batch_keeps_failing_is_set_aside_and_the_rest_move_on(
        store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """Fault injection: the engine raises for one contact (a bug, bad data). The worker
    narrows its batch down to that contact, sets it aside, and handles everyone else; the
    contact's events stay pending and are handled once it is tried again."""
    from nurtura.runtime import worker as worker_module

    _enabled(store)
    people = [f"c{i}" for i in range(20)]
    store.ingest([ev("go", c, T0 + timedelta(seconds=i), f"m-{c}")
                  for i, c in enumerate(["c0", "bad", *people[1:]])])
    # and more inputs than a batch reads, all before everyone else's: it must not starve them
    store.ingest([ev("go", "bad", T0 + timedelta(milliseconds=i), f"m-bad-{i}")
                  for i in range(40)])
    real = worker_module.handle_event

    def broken(world: Any, contact: Contact, *rest: Any, **kw: Any) -> Any:
        if contact.id == "bad":
            raise ValueError("a bug that only this contact meets")
        return real(world, contact, *rest, **kw)

    monkeypatch.setattr(worker_module, "handle_event", broken)
    w = Worker(store, SimClock(T0), batch_size=8)
    failures = 0
    for _ in range(50):
        try:
            if not w.run_once(T0 + timedelta(minutes=1)):
                break
        except ValueError:
            failures += 1
    assert list(w.held) == ["bad"] and 4 <= failures <= 6  # halving: 8, 4, 2, …, 1
    assert store.due_contacts(T0 + timedelta(minutes=1), 50) == ["bad"]
    assert {r.contact_id for r, _ in _all_runs(store)} == set(people)
    monkeypatch.setattr(worker_module, "handle_event", real)  # the bug is fixed
    w.held["bad"] = 0.0  # and its quarantine is over
    assert w.drain(T0 + timedelta(minutes=1)) == 1
    assert store.due_contacts(T0 + timedelta(minutes=1), 50) == []


def _all_runs(store: Store) -> list[Any]:
    return [x for c in ["bad", *[f"c{i}" for i in range(20)]] for x in store.runs_of(c)]
