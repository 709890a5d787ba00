"""Run history format 2 (store/history.py): stored shorter, read back exactly as the engine
noted it; migration 0008 rewrites older histories both ways."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from alembic import command
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import column, insert, select, table

from nurtura.clock import SimClock
from nurtura.engine import timing
from nurtura.engine.state import Event
from nurtura.model.validate import load_process
from nurtura.runtime.worker import Worker
from nurtura.store import history, migrate
from nurtura.store.schema import runs
from nurtura.store.sql import Store

T0 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
START = int(T0.timestamp())

ENGINE_KEYS = ["event", "timeout", "result", "wait", "delay", "branch", "completed", "exited",
               "failed", "action", "template"]
values = st.one_of(st.text(max_size=8), st.integers(-5, 5), st.booleans(),
                   st.lists(st.text(max_size=4), max_size=3))
entries = st.builds(
    lambda node, body, until: {"node": node, **body,
                               **({"until": until} if until is not None else {})},
    st.text(min_size=1, max_size=10),
    # the engine's keys, and open-ended action parameters: some are one letter, like the
    # short names themselves
    st.dictionaries(st.sampled_from(ENGINE_KEYS) | st.text(min_size=1, max_size=3), values,
                    max_size=3).filter(lambda d: "node" not in d and "until" not in d),
    st.none() | st.integers(0, 400 * 86400).map(
        lambda s: timing.iso(datetime.fromtimestamp(START + s, UTC))),
)
items = st.lists(st.tuples(st.integers(START - 86400, START + 400 * 86400),
                           st.lists(entries, min_size=1, max_size=3)), max_size=5)


@given(items)
def test_stored_history_reads_back_as_noted(pairs: list[tuple[int, list[dict[str, Any]]]]
                                            ) -> None:
    stored = history.encode_items(pairs, START)
    text = json.dumps(stored)
    assert history.decode(json.loads(text), START) == [[at, *es] for at, es in pairs]
    # and what format 1 stored (the read form) upgrades to the same
    assert history.upgrade_items([[at, *es] for at, es in pairs], START) == stored


def test_a_waiting_run_stores_its_history_in_format_2(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 't.db'}")
    store.save_process(load_process({"nurtura": 1, "name": "P", "nodes": {
        "enrolled": {"type": "trigger", "event": "course.enrolled", "next": "wait7"},
        "wait7": {"type": "delay", "for": "7d", "next": "done"},
        "done": {"type": "end"}}}), T0)
    store.set_enabled("P", True, T0)
    store.ingest([Event("course.enrolled", "c1", T0, "m1", {})])
    Worker(store, SimClock(T0)).drain(T0 + timedelta(minutes=1))
    with store.engine.connect() as conn:
        stored = conn.execute(select(runs.c.hist)).scalar_one()
    assert stored == '[[0,{"n":"enrolled","e":"course.enrolled"},{"n":"wait7","u":604800}]]'
    ((_, read),) = store.runs_of("c1")
    assert read == [[START, {"node": "enrolled", "event": "course.enrolled"},
                     {"node": "wait7", "until": "2026-11-30T10:00:00Z"}]]
    store.close()


OLD = [
    [START, {"node": "t", "event": "go"}, {"node": "w", "wait": ["done"]}],
    [START + 300, {"node": "w", "event": "done"},
     {"node": "m", "action": "webhook", "url": "http://x", "n": 1},  # a one-letter parameter
     {"node": "d", "until": "2026-11-30T10:05:00Z"}],
]


R1 = f"{1:016x}"


def test_migration_0008_rewrites_older_histories_both_ways(db_url: str) -> None:
    store = Store(db_url, upgrade=False)
    migrate.upgrade(store.engine, "0007")
    old_text = json.dumps(OLD, separators=(",", ":"))
    row = {"id": R1, "contact_id": "c1", "process_id": 1, "status": "active", "node": "d",
           "wake_at": None, "node_since": START * 1000, "started_at": START * 1000 + 250,
           "seq": 4, "hist": old_text}
    with store.engine.begin() as conn:
        # as the runs table was then (its ids text), not as schema.py says now
        old_runs = table("runs", *(column(k) for k in row))
        conn.execute(insert(old_runs), [row, {**row, "id": f"{2:016x}", "hist": None}])
    migrate.upgrade(store.engine, "head")
    with store.engine.connect() as conn:
        new_text = conn.execute(select(runs.c.hist).where(runs.c.id == R1)).scalar_one()
    assert len(new_text) < len(old_text)
    assert [h for _, h in store.runs_of("c1")] == [OLD, []]
    with store.engine.begin() as conn:
        cfg = migrate.alembic_config(store.engine)
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0007")
    with store.engine.connect() as conn:
        assert conn.execute(select(old_runs.c.hist).where(old_runs.c.id == R1)
                            ).scalar_one() == old_text
    store.close()
