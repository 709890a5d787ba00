"""A worker's results do not depend on how it batches contacts (one per batch, or 500),
and the batch's one Step (`handle_event(..., into=)`) keeps each input's history item
apart, as a Step per input did."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import select

from nurtura.clock import SimClock
from nurtura.model.validate import load_process
from nurtura.runtime.worker import Worker
from nurtura.simulate import parse_events
from nurtura.store.schema import contacts, events, outbox, runs
from nurtura.store.sql import Store
from tests.fleet.harness import END, START, setup, stats, traffic


def _everything(store: Store) -> dict[str, Any]:
    """Every row a step writes, histories included, in a stable order."""
    with store.engine.connect() as conn:
        return {
            "runs": sorted(tuple(r) for r in conn.execute(select(runs))),
            "outbox": sorted(tuple(r) for r in conn.execute(select(outbox))),
            "contacts": sorted(tuple(r) for r in conn.execute(select(contacts))),
            "events": sorted(tuple(r)[1:] for r in conn.execute(select(events))),  # no row id
            "stats": stats(store),
        }


# Two inputs of one contact at one instant moving one run: each input's history item is
# stored apart (a batch's Step must not merge the second into the first's).
SAME_INSTANT = {
    "nurtura": 1, "name": "Knock twice", "nodes": {
        "a": {"type": "trigger", "event": "knock", "next": "w"},
        "w": {"type": "wait", "for": [{"event": "again", "next": "t"}], "timeout": "1d",
              "on_timeout": "done"},
        "t": {"type": "action", "do": "add_tag", "tag": "knocked twice", "next": "done"},
        "done": {"type": "end"},
    },
}


def _knocks() -> list[dict[str, Any]]:
    at = "2026-11-23T10:00:00Z"
    return [{"type": "track", "userId": f"k{i}", "event": name, "timestamp": at,
             "messageId": f"k{i}-{name}"} for i in range(3) for name in ("knock", "again")]


def _run(tmp: Path, batch_size: int) -> dict[str, Any]:
    store = setup(f"sqlite:///{tmp / f'batch{batch_size}.db'}")
    try:
        store.save_process(load_process(SAME_INSTANT), START)
        store.set_enabled("Knock twice", True, START)
        store.ingest(parse_events([json.dumps(m) for m in [*traffic(64), *_knocks()]]))
        clock = SimClock(START)
        worker = Worker(store, clock, batch_size=batch_size)
        steps = 0
        while (due := store.next_due()) is not None and due <= END:
            clock.jump(due)
            steps += worker.drain(max(due, clock.now()))
        assert steps > 64  # every contact handled, most of them more than once
        [(run, history)] = store.runs_of("k0")
        assert run.status == "completed"
        # one item per input, both at the same second
        assert [len(item) for item in history] == [3, 4], history
        assert history[0][0] == history[1][0]
        return _everything(store)
    finally:
        store.close()


def test_one_contact_per_batch_and_whole_batches_store_the_same(tmp_path: Path) -> None:
    alone, together = _run(tmp_path, 1), _run(tmp_path, 500)
    assert alone["runs"] and alone["outbox"]
    for table in alone:
        assert alone[table] == together[table], table
