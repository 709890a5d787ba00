"""PostgreSQL benchmark: W1 and W2 (as in bench/engine_bench.py) with 1, 2 and 4 `nurtura
worker` processes on one PostgreSQL database, beside a raw PostgreSQL floor (COPY of the
same rows) measured in the same run.

    .venv/bin/python bench/pg_bench.py [--sizes 100000 1000000] [--workers 1 2 4]

For each workload, size and worker count: a fresh database; the contacts loaded (not
timed); the workers started and idle; then, timed: the events ingested (one process, API-
sized batches of 1,000) and handled by the workers, until nothing is due. W2 is timed in two
phases: start (runs parked on their 7-day delay) and fire (time moved 7 days on, all N runs
due AT ONCE; the lag of the last one is the phase's duration, and none may fire before its
instant: checked just before the first one is due). The workers share simulated time through
a clock file (NURTURA_CLOCK_FILE), woken by NOTIFY.

The floor: the rows the phase wrote (`SELECT * FROM t EXCEPT SELECT * FROM <t before>`) are
COPYed into tables of the same columns with no index, primary key or constraint, in a
second database; best of three. Size: the bytes of Nurtura's tables with their indexes and
TOAST (pg_total_relation_size) after a plain VACUUM: what the phase added, divided by N —
bytes per waiting run (W2 start) and per finished run (W1) — and all of it (contacts
included) divided by N. See docs/benchmarks-postgresql.md.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.engine_bench import (
    T0,
    W1_PROCESS,
    W2_PROCESS,
    contacts,
    enrolled,
    events,
    order_paid,
)
from nurtura.clock import FileClock
from nurtura.model.validate import load_process
from nurtura.store.sql import Store

ADMIN = os.environ.get("NURTURA_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/test")
TABLES = ("contacts", "events", "runs", "outbox", "stats")
NURTURA = str(Path(sys.executable).parent / "nurtura")
FLOOR_TRIES = 3
RATIO_TARGET = 0.15
WAITING_TARGET = 500  # bytes per waiting run


TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds of processes (from /proc; gone ones count 0)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / TICK


def postgres_pids() -> list[int]:
    out = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                if (d / "comm").read_text().strip() in ("postgres", "postmaster"):
                    out.append(int(d.name))
            except OSError:
                pass
    return out


def database(name: str) -> str:
    with psycopg.connect(ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return ADMIN.rsplit("/", 1)[0] + "/" + name


def drop(name: str) -> None:
    with psycopg.connect(ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Vacuumer:
    """`VACUUM inbox` every `every` seconds in a thread (0: never) — what autovacuum does to
    a queue table on a server where it runs; the test server has it off."""

    def __init__(self, libpq: str, every: float) -> None:
        self.done = threading.Event()
        self.runs = 0
        self.thread = threading.Thread(target=self._loop, args=(libpq, every), daemon=True)
        if every > 0:
            self.thread.start()

    def _loop(self, libpq: str, every: float) -> None:
        with psycopg.connect(libpq, autocommit=True) as conn:
            while not self.done.wait(every):
                conn.execute("VACUUM inbox")
                self.runs += 1

    def stop(self) -> None:
        self.done.set()
        if self.thread.is_alive():
            self.thread.join()


class Run:
    def __init__(self, workload: str, n: int, workers: int, batch: int, tmp: Path,
                 vacuum_every: float = 0, explain_ms: float = 0) -> None:
        self.workload, self.n, self.k, self.batch, self.tmp = workload, n, workers, batch, tmp
        self.vacuum_every, self.explain_ms = vacuum_every, explain_ms
        self.name = f"nurtura_bench_{uuid.uuid4().hex[:8]}"
        self.url = database(self.name)
        self.store = Store(self.url)
        self.clock = FileClock(str(tmp / "clock"))
        self.clock.set(T0)
        self.procs: list[subprocess.Popen[bytes]] = []
        self.out: dict[str, Any] = {"workload": workload, "n": n, "workers": workers,
                                    "batch": batch, "phases": {}}

    # -- set-up -------------------------------------------------------------------------

    def setup(self, doc: dict[str, Any], tagged: Any) -> None:
        process = load_process(doc)
        self.store.save_process(process, T0)
        self.store.set_enabled(process.name, True, T0)
        for part in contacts(self.n, tagged):
            self.store.put_contacts(part)
        self.sql("VACUUM ANALYZE")
        if self.explain_ms:  # plans of slower statements to the server's log
            self.sql(f"ALTER DATABASE {self.name} SET session_preload_libraries = "
                     "'auto_explain'")
            self.sql(f"ALTER DATABASE {self.name} SET auto_explain.log_min_duration = "
                     f"'{float(self.explain_ms)}ms'")
        self.last_bytes = sum(self.sizes().values())
        self.snapshot()

    def sizes(self) -> dict[str, int]:
        """Bytes of each of Nurtura's tables with its indexes and TOAST."""
        return dict(self.sql(
            "SELECT relname::text, pg_total_relation_size(oid) FROM pg_class "
            f"WHERE relname IN ({', '.join(repr(t) for t in TABLES)})"))

    def sql(self, text: str) -> list[tuple[Any, ...]]:
        with psycopg.connect(self.libpq, autocommit=True) as conn:
            cur = conn.execute(text)  # fixed statements of this file, no input
            return cur.fetchall() if cur.description else []

    @property
    def libpq(self) -> str:
        return ADMIN.rsplit("/", 1)[0] + "/" + self.name

    def snapshot(self) -> None:
        """Copy every table as it is now: the floor writes what changed after this."""
        for t in TABLES:
            self.sql(f"DROP TABLE IF EXISTS before_{t}")
            self.sql(f"CREATE UNLOGGED TABLE before_{t} AS SELECT * FROM {t}")

    def start_workers(self) -> None:
        env = {**os.environ, "NURTURA_CLOCK_FILE": self.clock.path}
        for i in range(self.k):
            log = open(self.tmp / f"worker-{i}.log", "wb")  # noqa: SIM115
            self.procs.append(subprocess.Popen(
                [NURTURA, "worker", "--db", self.url, "--no-deliver", "--batch",
                 str(self.batch), "--poll", "0.2"], env=env, stdout=log,
                stderr=subprocess.STDOUT))
            log.close()
        deadline = time.monotonic() + 60
        for i in range(self.k):
            while "Ctrl-C to stop" not in (self.tmp / f"worker-{i}.log").read_text():
                if time.monotonic() > deadline:
                    raise SystemExit(f"worker {i} did not start")
                time.sleep(0.05)

    def stop_workers(self) -> None:
        for p in self.procs:
            p.terminate()
        for p in self.procs:
            p.wait(timeout=120)

    def wake(self) -> None:
        self.sql("NOTIFY nurtura_work")

    def settle(self, now: datetime) -> None:
        while self.store.due_contacts(now, 1):
            time.sleep(0.01)

    # -- phases -------------------------------------------------------------------------

    def phase(self, name: str, now: datetime, make: Any) -> None:
        ingest = 0.0
        pg = postgres_pids()
        cpu0 = (cpu_seconds([p.pid for p in self.procs]), cpu_seconds(pg), time.process_time())
        t0 = time.perf_counter()
        vacuumer = Vacuumer(self.libpq, self.vacuum_every)
        self.clock.set(now)
        if make is not None:
            for part in events(self.n, make):
                t = time.perf_counter()
                self.store.ingest(part)  # NOTIFYs the workers: they start meanwhile
                ingest += time.perf_counter() - t
        else:
            self.wake()
        self.settle(now)
        total = time.perf_counter() - t0
        vacuumer.stop()
        self.sql("ANALYZE")  # autovacuum is off on the test server: do what it would do
        cpu = {"workers": cpu_seconds([p.pid for p in self.procs]) - cpu0[0],
               "postgres": cpu_seconds(postgres_pids()) - cpu0[1],
               "ingest": time.process_time() - cpu0[2]}
        self.sql("VACUUM")
        sizes = self.sizes()
        total_bytes = sum(sizes.values())
        growth, self.last_bytes = total_bytes - self.last_bytes, total_bytes
        # every heap and index of those tables on its own (TOAST with its table)
        parts = dict(self.sql(
            "SELECT c.relname::text, pg_relation_size(c.oid) + COALESCE(pg_total_relation_size("
            "NULLIF(c.reltoastrelid, 0)), 0) FROM pg_class c LEFT JOIN pg_index i ON "
            "i.indexrelid = c.oid LEFT JOIN pg_class t ON t.oid = i.indrelid WHERE "
            f"COALESCE(t.relname, c.relname) IN ({', '.join(repr(t) for t in TABLES)})"))
        self.out["phases"][name] = {"s": total, "ingest_s": ingest, "cpu": cpu,
                                    "bytes": total_bytes, "growth_bytes": growth,
                                    "tables": sizes,
                                    "parts": parts,
                                    "counts": self.store.table_counts(),
                                    "floor": self.floor()}
        self.snapshot()

    def floor(self) -> dict[str, Any]:
        """COPY the rows this phase wrote into index-free tables of a second database."""
        data: dict[str, tuple[str, bytes]] = {}
        with psycopg.connect(self.libpq) as conn:
            for t in TABLES:
                cols = conn.execute(
                    "SELECT string_agg(quote_ident(attname) || ' ' || "
                    "format_type(atttypid, atttypmod), ', ' ORDER BY attnum) FROM pg_attribute "
                    "WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped",
                    (t,)).fetchone()
                buf = io.BytesIO()
                with conn.cursor().copy(
                        f"COPY (SELECT * FROM {t} EXCEPT ALL SELECT * FROM before_{t}) "
                        "TO STDOUT") as copy:
                    for chunk in copy:
                        buf.write(chunk)
                assert cols is not None
                data[t] = (cols[0], buf.getvalue())
        rows = {t: d.count(b"\n") for t, (_, d) in data.items()}
        name = f"{self.name}_floor"
        times = []
        for _ in range(FLOOR_TRIES):
            url = database(name)
            with psycopg.connect(url, autocommit=True) as conn:
                for t, (cols, _) in data.items():
                    conn.execute(f"CREATE TABLE {t} ({cols})")
                t0 = time.perf_counter()
                for t, (_, payload) in data.items():
                    with conn.cursor().copy(f"COPY {t} FROM STDIN") as copy:
                        for lo in range(0, len(payload), 1 << 20):
                            copy.write(payload[lo:lo + (1 << 20)])
                times.append(time.perf_counter() - t0)
            drop(name)
        return {"s": min(times), "tries": times, "rows": rows}

    def no_early_fire(self, first_due: datetime) -> int:
        """Just before the first wake-up is due: let the workers look; nothing may fire."""
        before = first_due - timedelta(milliseconds=1)
        self.clock.set(before)
        self.wake()
        time.sleep(1.0)
        self.settle(before)
        return self.store.table_counts()["outbox"]

    def run(self) -> dict[str, Any]:
        # events are 10 ms apart (bench/engine_bench.py `at`): N of them span N/100 seconds
        after = timedelta(milliseconds=10 * self.n, hours=1)
        try:
            if self.workload == "W1":
                self.setup(W1_PROCESS, lambda i: False)
                self.start_workers()
                self.phase("order", T0 + after, order_paid)
                self.check(done=self.n, outbox=self.n)
            else:
                self.setup(W2_PROCESS, lambda i: i % 2 == 1)
                self.start_workers()
                self.phase("start", T0 + after, enrolled)
                self.check(done=0, outbox=0)
                first = T0 + timedelta(days=7, milliseconds=1)
                self.out["early"] = self.no_early_fire(first)
                self.snapshot()
                # every run due at once: the lag of the last one is the phase's duration
                self.phase("fire", T0 + timedelta(days=7) + after, None)
                self.check(done=self.n, outbox=self.n // 2)
            return self.out
        finally:
            if self.procs:
                self.stop_workers()
            self.store.close()
            drop(self.name)

    def check(self, done: int, outbox: int) -> None:
        info = self.store.list_processes()[0]
        stats = self.store.stats(info.id)
        got = (stats["entered"], sum(stats["completed"].values()),
               self.store.table_counts()["outbox"])
        if got != (self.n, done, outbox):
            raise SystemExit(f"{self.workload} k={self.k}: unexpected result {stats}")


LABELS = {"order": "W1 order", "start": "W2 start", "fire": "W2 fire (all due at once)"}


def report(results: list[dict[str, Any]]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="Nurtura on PostgreSQL: contacts/s through ingest + k workers; ratio "
                        "= Nurtura ÷ COPY floor, same run (target ≥ 15% with 1 worker)")
    for col in ("workload", "N", "workers", "Nurtura/s", "floor/s", "ratio", "lag of last s",
                "bytes/run", "all/N"):
        table.add_column(col, justify="left" if col == "workload" else "right")
    for r in results:
        n = r["n"]
        for name, ph in r["phases"].items():
            ratio = ph["floor"]["s"] / ph["s"]
            per = ph["growth_bytes"] / n
            size = f"{per:,.0f}"
            if name == "start":
                size += " ✓" if per <= WAITING_TARGET else " ✗"
            table.add_row(LABELS[name], f"{n:,}", str(r["workers"]), f"{n / ph['s']:,.0f}",
                          f"{n / ph['floor']['s']:,.0f}",
                          f"{ratio:.1%}" + (" ✓" if ratio >= RATIO_TARGET else " ✗"),
                          f"{ph['s']:.1f}" if name == "fire" else "—", size,
                          f"{ph['bytes'] / n:,.0f}")
    console = Console(width=130)
    console.print(table)
    with psycopg.connect(ADMIN) as conn:
        version = conn.execute("SHOW server_version").fetchone()
    console.print(f"machine: {os.cpu_count()} CPUs; PostgreSQL {version[0] if version else '?'}"
                  f"; worker batch {results[0]['batch']}; floor best of {FLOOR_TRIES}. bytes/run: "
                  "what the phase added to Nurtura's tables and indexes (after a plain VACUUM) ÷ "
                  "N, not the contacts loaded before; all/N: every byte of them ÷ N")
    for r in results:
        if "early" in r:
            console.print(f"W2 N={r['n']:,} k={r['workers']}: messages before the first "
                          f"instant was due: {r['early']} (must be 0)")
        for name, ph in r["phases"].items():
            per = ", ".join(f"{t} {v / r['n']:,.0f}" for t, v in sorted(
                ph["parts"].items(), key=lambda kv: -kv[1]) if v >= 5 * r["n"])
            us = {k: v / r["n"] * 1e6 for k, v in ph["cpu"].items()}
            console.print(f"  {LABELS[name]} N={r['n']:,} k={r['workers']}: CPU µs per contact: "
                          f"workers {us['workers']:,.0f}, PostgreSQL {us['postgres']:,.0f}, "
                          f"ingest {us['ingest']:,.0f}; bytes per contact: {per}; "
                          f"floor rows {ph['floor']['rows']}")


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000])
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    ap.add_argument("--workloads", nargs="+", default=["W1", "W2"], choices=["W1", "W2"])
    ap.add_argument("--batch", type=int, default=500)
    ap.add_argument("--json", type=Path, help="Also write the raw results here.")
    ap.add_argument("--vacuum-every", type=float, default=0, metavar="S",
                    help="during timed phases, VACUUM the input queue (inbox) every S seconds, "
                         "as autovacuum would (it is off on the test server); 0: never")
    ap.add_argument("--explain-slower", type=float, default=0, metavar="MS",
                    help="log the plan of every statement slower than MS milliseconds "
                         "(auto_explain, to PostgreSQL's server log); 0: none")
    args = ap.parse_args()
    results = []
    for n in args.sizes:
        for w in args.workloads:
            for k in args.workers:
                with tempfile.TemporaryDirectory(prefix="nurtura-pgbench-") as tmp:
                    t = time.perf_counter()
                    results.append(Run(w, n, k, args.batch, Path(tmp), args.vacuum_every,
                                       args.explain_slower).run())
                    print(f"{w} N={n:,} workers={k}: {time.perf_counter() - t:.0f} s",
                          file=sys.stderr, flush=True)
                if args.json:  # after every run: a long session keeps what it measured
                    args.json.write_text(json.dumps(results, indent=1))
    report(results)


if __name__ == "__main__":
    main()
