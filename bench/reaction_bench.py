"""Reaction time under a steady load sent over HTTP, on PostgreSQL or SQLite.

    .venv/bin/python bench/reaction_bench.py [--rate 1000] [--seconds 30] [--workers 2]
    .venv/bin/python bench/reaction_bench.py --sqlite [--workers 1|2]

PostgreSQL: a fresh database; `nurtura serve --no-worker` (the API) and N `nurtura worker`
processes on the real clock. SQLite (`--sqlite`): a fresh file in a temporary directory and
`nurtura serve --worker-processes N`, as a single machine runs it (README's start command:
the API, and the worker in a child process, with N worker processes). Then a load
generator in this process sends `--rate` events per second to /v1/batch (batches of 20,
each event stamped with the instant it was sent, each a new contact) for `--seconds`, then
stops. Nine in ten events are `ping` (trigger → end: the
reaction to an event); one in ten is `pong` (trigger → delay 5s → end: the reaction to a
due instant).

Measured, by a watcher polling the database every 20 ms:
- event → step committed: from the send instant (before HTTP; so it includes the request,
  group commit and the wait for a worker) to the moment the watcher first sees the event
  handled (the handling commits with the step in one transaction);
- due instant → step committed: from `ts + 5s` to the moment the watcher first sees the
  delayed run finished.
Poll resolution adds up to 20 ms to each figure. Everything runs on this machine's cores
(API, workers, PostgreSQL, load, watcher); the target is p99 ≤ 1 s for both.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from nurtura.model.validate import load_process
from nurtura.store import tokens
from nurtura.store.sql import Store
from tests.waiting import wait_http

ADMIN = os.environ.get("NURTURA_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/test")
NURTURA = str(Path(sys.executable).parent / "nurtura")
BATCH = 20
DELAY_S = 5.0
PROCESSES = [
    {"nurtura": 1, "name": "Ping", "reentry": "always", "timezone": "UTC",
     "nodes": {"ping": {"type": "trigger", "event": "ping", "next": "done"},
               "done": {"type": "end"}}},
    {"nurtura": 1, "name": "Pong", "reentry": "always", "timezone": "UTC",
     "nodes": {"pong": {"type": "trigger", "event": "pong", "next": "wait"},
               "wait": {"type": "delay", "for": "5s", "next": "done"},
               "done": {"type": "end"}}},
]


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


class Watcher(threading.Thread):
    """Polls the database: handled events (by id range) and finished delayed runs."""

    def __init__(self, url: str, pong_id: int) -> None:
        super().__init__(daemon=True)
        self.url, self.pong_id = url, pong_id
        self.stop = threading.Event()
        self.event_lat: list[float] = []
        self.due_lat: list[float] = []

    def _connect(self) -> Any:
        if self.url.startswith("sqlite:///"):  # a reader beside the writers (WAL)
            return sqlite3.connect(self.url.removeprefix("sqlite:///"), isolation_level=None)
        return psycopg.connect(self.url, autocommit=True)

    def run(self) -> None:
        lo, seen_runs = 1, set()
        conn = self._connect()
        mark = "?" if isinstance(conn, sqlite3.Connection) else "%s"
        try:
            while not self.stop.is_set():
                now = time.time() * 1000
                rows = conn.execute(  # pending: still in the worker's queue (inbox)
                    "SELECT id, ts, EXISTS (SELECT 1 FROM inbox i WHERE i.contact_id = "
                    f"e.contact_id AND i.event_id = e.id) FROM events e WHERE id >= {mark} "
                    f"AND id < {mark} AND message_id IS NOT NULL ORDER BY id",
                    (lo, lo + 20000)).fetchall()
                for eid, ts, pending in rows:
                    if pending:
                        break
                    self.event_lat.append((now - ts) / 1000)
                    lo = eid + 1
                done = conn.execute(
                    f"SELECT id, ended_at FROM runs WHERE process_id = {mark} AND status = "
                    "'completed'", (self.pong_id,)).fetchall()
                for rid, ended in done:
                    if rid not in seen_runs:
                        seen_runs.add(rid)
                        self.due_lat.append((now - ended) / 1000)
                self.stop.wait(0.02)
        finally:
            conn.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--rate", type=int, default=1000, help="events per second")
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--workers", type=int, default=2,
                    help="worker processes (PostgreSQL: `nurtura worker`s; SQLite: "
                         "`serve --worker-processes`)")
    ap.add_argument("--sqlite", action="store_true", help="SQLite and `nurtura serve`")
    args = ap.parse_args()
    name = f"nurtura_react_{uuid.uuid4().hex[:8]}"
    tmp = Path(tempfile.mkdtemp(prefix="nurtura-react-"))
    if args.sqlite:
        url = f"sqlite:///{tmp / 'nurtura.db'}"
    else:
        with psycopg.connect(ADMIN, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        url = ADMIN.rsplit("/", 1)[0] + "/" + name
    procs: list[subprocess.Popen[bytes]] = []
    try:
        store = Store(url)
        now = datetime.now(UTC)
        for doc in PROCESSES:
            p = load_process(doc)
            store.save_process(p, now)
            store.set_enabled(p.name, True, now)
        pong_id = store.process_info("Pong").id
        token = tokens.create(store.engine, "bench", {"write"}, now)
        store.close()
        port = free_port()
        if args.sqlite:
            cmds = [[NURTURA, "serve", "--db", url, "--port", str(port),
                     "--worker-processes", str(args.workers)]]
        else:
            cmds = [[NURTURA, "serve", "--db", url, "--no-worker", "--port", str(port)]]
            cmds += [[NURTURA, "worker", "--db", url, "--no-deliver"]] * args.workers
        for i, cmd in enumerate(cmds):
            log = open(tmp / f"proc-{i}.log", "wb")  # noqa: SIM115
            procs.append(subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT))
            log.close()
        base = f"http://127.0.0.1:{port}"
        wait_http(f"{base}/health", proc=procs[0])
        time.sleep(2)  # the workers' start-up
        watcher = Watcher(url, pong_id)
        watcher.start()
        sent, late = 0, 0
        interval = BATCH / args.rate
        total = int(args.rate * args.seconds)
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"},
                          timeout=10) as http:
            start = time.monotonic()
            while sent < total:
                target = start + (sent / BATCH) * interval
                wait = target - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
                elif wait < -0.1:
                    late += 1
                stamp = datetime.now(UTC).isoformat(timespec="milliseconds")
                batch: list[dict[str, Any]] = [
                    {"type": "track", "userId": f"u{sent + j}", "timestamp": stamp,
                     "event": "pong" if (sent + j) % 10 == 0 else "ping",
                     "messageId": f"m{sent + j}"} for j in range(BATCH)]
                r = http.post("/v1/batch", json={"batch": batch})
                r.raise_for_status()
                sent += BATCH
            elapsed = time.monotonic() - start
        time.sleep(DELAY_S + 3)  # the last delays fall due and are handled
        watcher.stop.set()
        watcher.join()
        ev, due = watcher.event_lat, watcher.due_lat
        print(f"sent {sent:,} events in {elapsed:.1f} s = {sent / elapsed:,.0f}/s over HTTP "
              f"(batches of {BATCH}; {late} batches sent >100 ms behind schedule); "
              f"{'SQLite, serve with ' if args.sqlite else 'PostgreSQL, '}{args.workers} "
              f"worker processes; {os.cpu_count()} CPUs shared by all")
        for label, lat, want in (("event → step committed", ev, sent),
                                 ("due instant → step committed", due, sent // 10)):
            print(f"{label}: n={len(lat):,}/{want:,}  p50 {pct(lat, .5) * 1000:,.0f} ms  "
                  f"p95 {pct(lat, .95) * 1000:,.0f} ms  p99 {pct(lat, .99) * 1000:,.0f} ms  "
                  f"max {max(lat, default=float('nan')) * 1000:,.0f} ms  mean "
                  f"{(statistics.fmean(lat) if lat else float('nan')) * 1000:,.0f} ms")
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(timeout=60)
        if not args.sqlite:
            with psycopg.connect(ADMIN, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
