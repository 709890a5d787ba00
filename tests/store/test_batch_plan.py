"""PostgreSQL: statistics taken while the tables were empty (a new database, then a burst
of contacts, with autovacuum off or behind) are refreshed by the worker
(`Store.refresh_statistics`), and then a batch's queries find their rows by contact key.
With the stale ones the planner read every active run (`runs_process`) and every event (a
hash join) for each batch of 500 contacts: at a million waiting runs, 746 µs of PostgreSQL
CPU per contact (docs/benchmarks-postgresql.md)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import text

from nurtura.store import codec
from nurtura.store.bulk import Bulk, padded
from nurtura.store.sql import BATCH_PLAN, STALE_ROWS, Store
from tests.pg import fresh_database

N = 100_000


@pytest.fixture(scope="module")
def stale() -> Iterator[Store]:
    with fresh_database() as url:
        store = Store(url)
        with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.execute(text("VACUUM ANALYZE"))  # statistics of empty tables
            c.execute(text(
                "INSERT INTO contacts (id, created_at, paid_total, paid_count, doc) "
                f"SELECT 'c' || i, 0, 0, 0, '{{}}' FROM generate_series(1, {N}) AS s(i)"))
            c.execute(text(
                "INSERT INTO events (contact_id, name, ts, input) SELECT 'c' || i, 'go', i, "
                f"true FROM generate_series(1, {N}) AS s(i)"))
            c.execute(text("INSERT INTO inbox (contact_id, event_id, ts, name) "
                           "SELECT contact_id, id, ts, name FROM events"))
            c.execute(text(
                "INSERT INTO runs (id, contact_id, process_id, status, node, wake_at, "
                "node_since, started_at, seq) SELECT i, 'c' || i, 1, 'a', 'w', i, 1, 1, 1 "
                f"FROM generate_series(1, {N}) AS s(i)"))
            _flush_statistics(c)
        yield store
        store.close()


def _flush_statistics(conn: Any) -> None:
    """This session's row counts to the statistics now (a backend sends them within about
    10 s of going idle; the worker looks every 2 s)."""
    conn.execute(text("SELECT pg_stat_force_next_flush()"))
    conn.execute(text("SELECT 1"))


def _plan(store: Store, stmt: Bulk, row: list[Any]) -> str:
    with store.engine.begin() as conn:
        conn.execute(BATCH_PLAN)  # as Store.claim does
        cur = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        cur.execute("EXPLAIN " + stmt.sql, stmt._params([row])[0])
        return "\n".join(r[0] for r in cur.fetchall())


@pytest.mark.pg
def test_stale_statistics_are_refreshed_and_a_batch_reads_by_contact_key(
        stale: Store) -> None:
    assert stale.refresh_statistics() == ["contacts", "events", "inbox", "runs"]
    assert stale.refresh_statistics() == []  # fresh now: nothing to do until they double
    with stale.engine.connect() as conn:
        counted = dict(conn.execute(text(
            "SELECT relname, reltuples FROM pg_class WHERE relname IN "
            "('contacts', 'events', 'inbox', 'runs')")).all())
    assert counted == dict.fromkeys(("contacts", "events", "inbox", "runs"), N)
    keys = padded([f"c{i}" for i in range(1000, 1500)])
    q = stale.q
    plans = {
        "contacts": _plan(stale, q.contacts, keys),
        "runs": _plan(stale, q.runs, [*keys, codec.STATUS_CODE["active"]]),
        "pending": _plan(stale, q.pending, [*keys, N]),
    }
    for name, plan in plans.items():
        assert "Seq Scan" not in plan and "Hash" not in plan, (name, plan)
    assert "contacts_pkey" in plans["contacts"]
    assert "runs_pkey" in plans["runs"] and "runs_process" not in plans["runs"]
    assert "inbox_pkey" in plans["pending"] and "events_pkey" in plans["pending"]


def test_small_changes_leave_the_statistics_alone(db_url: str) -> None:
    """Fewer than STALE_ROWS changed rows never cost an ANALYZE; SQLite has none to do."""
    store = Store(db_url)
    if store.shared:
        with store.engine.begin() as conn:
            conn.execute(text("INSERT INTO inbox (contact_id, event_id, ts, name) SELECT "
                              f"'c' || i, i, i, 'go' FROM generate_series(1, {STALE_ROWS // 2})"
                              " AS s(i)"))
            _flush_statistics(conn)
    assert store.refresh_statistics() == []
    store.close()


