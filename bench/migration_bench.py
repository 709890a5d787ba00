"""How long migration 0012 (store/migrations/versions/0012_compact_rows.py) takes: N events
(half of them queued in `inbox`) and N waiting runs stored as migration 0011 left them,
then `upgrade head` timed, on SQLite (a file) and on the local PostgreSQL; with the bytes
of `events` + `runs` (and their indexes) before and after.

    .venv/bin/python bench/migration_bench.py [--rows 200000]

Workers and API processes are stopped during an upgrade (docs/operations.md): the time is
the downtime it needs.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from nurtura.store import migrate
from nurtura.store.sql import Store
from tests.pg import fresh_database

HIST = '[[0,{"n":"enrolled","e":"course.enrolled"},{"n":"wait7","u":604800}]]'
SERIES = {
    "postgresql": "SELECT i FROM generate_series(1, :n) AS s(i)",
    "sqlite": "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < :n) "
              "SELECT i FROM s",
}
RAND = {"postgresql": ("substr(md5('r' || i), 1, 16)", "decode(md5('m' || i), 'hex')"),
        "sqlite": ("lower(hex(randomblob(8)))", "randomblob(16)")}
SIZE = {"postgresql": "SELECT sum(pg_total_relation_size(oid)) FROM pg_class WHERE relname "
                      "IN ('events', 'runs')",
        "sqlite": "SELECT sum(pgsize) FROM dbstat WHERE name IN (SELECT name FROM "
                  "sqlite_master WHERE tbl_name IN ('events', 'runs'))"}


def fill(store: Store, n: int) -> None:
    d = store.engine.dialect.name
    rid, mid = RAND[d]
    with store.engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO events (contact_id, name, ts, props, message_id, input) "
            f"SELECT 'c' || i, 'course.enrolled', 1000 + i, '{{\"course\":\"python-101\"}}', "
            f"{mid}, i % 2 = 0 FROM ({SERIES[d]}) AS s"), {"n": n})
        conn.execute(text("INSERT INTO inbox (contact_id, event_id, ts) SELECT contact_id, "
                          "id, ts FROM events WHERE input"))
        conn.execute(text(
            "INSERT INTO runs (id, contact_id, process_id, status, node, wake_at, node_since, "
            "started_at, seq, hist) "
            f"SELECT {rid}, 'c' || i, 1, 'active', 'wait7', 605000000 + i, 1000 + i, "
            f"1000 + i, 1, :hist FROM ({SERIES[d]}) AS s"), {"n": n, "hist": HIST})


def measure(url: str, n: int) -> tuple[float, int, int]:
    store = Store(url, upgrade=False)
    try:
        migrate.upgrade(store.engine, "0011")
        fill(store, n)
        size = SIZE[store.engine.dialect.name]
        if store.engine.dialect.name == "postgresql":
            with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                c.execute(text("VACUUM ANALYZE"))
        with store.engine.connect() as conn:
            before = int(conn.execute(text(size)).scalar() or 0)
        t0 = time.perf_counter()
        migrate.upgrade(store.engine, "head")
        took = time.perf_counter() - t0
        if store.engine.dialect.name == "postgresql":
            with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                c.execute(text("VACUUM"))
        with store.engine.connect() as conn:
            after = int(conn.execute(text(size)).scalar() or 0)
        return took, before, after
    finally:
        store.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=200_000)
    n = ap.parse_args().rows
    print(f"migration 0011 -> 0012 with {n:,} events and {n:,} waiting runs")
    with tempfile.TemporaryDirectory() as tmp:
        results = [("SQLite", measure(f"sqlite:///{tmp}/m.db", n))]
    with fresh_database() as url:
        results.append(("PostgreSQL", measure(url, n)))
    for name, (took, before, after) in results:
        print(f"{name:10s} {took:6.1f} s ({took / n * 1e6:.0f} s per million of each); "
              f"events + runs {before / n:.0f} -> {after / n:.0f} bytes per row pair")


if __name__ == "__main__":
    main()
