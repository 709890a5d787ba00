"""Many `nurtura worker` processes on one PostgreSQL database, on simulated time.

The workers share a `FileClock` (NURTURA_CLOCK_FILE): the test moves time forward in steps
and waits until nothing is due at the new instant. A step may span hours: per contact,
the worker handles events and wake-ups in time order at their own instants, so the result
is the one `nurtura simulate` gets by jumping from due instant to due instant.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import psycopg
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from nurtura import library
from nurtura.clock import FileClock
from nurtura.simulate import parse_events
from nurtura.store.schema import outbox, processes, runs
from nurtura.store.sql import Store

START = datetime(2026, 11, 23, tzinfo=UTC)
END = START + timedelta(days=40)  # where the fleet tests stop, as `simulate --until 40d`
NURTURA = str(Path(sys.executable).parent / "nurtura")
FILES = [str(Path(library.__file__).parent / f) for f in library.FILES]


def _at(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def traffic(n: int, start: datetime = START, first: int = 0) -> list[dict[str, Any]]:
    """Segment messages of contacts `first`…`first+n-1` through all shipped processes:
    orders paid, cancelled and left unpaid, course buyers opening lessons or not, opt-in
    forms, webinar registrations — each contact one story, starting on a 1-minute grid over
    the first ten hours."""
    out: list[dict[str, Any]] = []
    for i in range(first, first + n):
        who, t0 = f"c{i}", start + timedelta(minutes=i % 600)
        seq = iter(range(100))

        def msg(event: str, at: datetime, who: str = who, seq: Any = seq, **props: Any) -> None:
            out.append({"type": "track", "userId": who, "event": event, "properties": props,
                        "timestamp": _at(at), "messageId": f"{who}-{next(seq)}"})

        out.append({"type": "identify", "userId": who, "messageId": f"{who}-id",
                    "traits": {"email": f"{who}@example.com", "first_name": f"N{i}"},
                    "timestamp": _at(t0)})
        story = i % 8
        h = timedelta(hours=1)
        if story == 0:  # personal offer, paid within the hour
            msg("order.created", t0 + h, order_id=f"{who}-o", product="Course A", amount=60000,
                pay_url=f"https://pay.example.com/{who}")
            msg("order.paid", t0 + 2 * h, order_id=f"{who}-o")
        elif story == 1:  # personal offer, cancelled next day
            msg("order.created", t0 + h, order_id=f"{who}-o", product="Course A", amount=1000,
                pay_url=f"https://pay.example.com/{who}")
            msg("order.cancelled", t0 + 25 * h, order_id=f"{who}-o")
        elif story == 2:  # unpaid invoice: reminders, opened one, paid on day 3
            msg("order.created", t0 + h, order_id=f"{who}-o", product="Offer 1", amount=15000,
                pay_url=f"https://pay.example.com/{who}")
            msg("email.opened", t0 + 30 * h, template="invoice-reminder-1")
            msg("order.paid", t0 + 70 * h, order_id=f"{who}-o")
        elif story == 3:  # unpaid invoice never paid
            msg("order.created", t0 + h, order_id=f"{who}-o", product="Offer 1", amount=15000,
                pay_url=f"https://pay.example.com/{who}")
        elif story == 4:  # course bought; opens lesson 1 on day 2 (every other one)
            msg("order.paid", t0 + h, order_id=f"{who}-c", amount=19900)
            if i % 16 == 4:
                msg("lesson.opened", t0 + 40 * h, lesson=1)
        elif story == 5:  # lead to buyer
            msg("form.submitted", t0 + h, form="Opt-in")
            if i % 16 == 5:
                msg("order.created", t0 + 50 * h, order_id=f"{who}-l", product="Course A",
                    amount=9900, pay_url=f"https://pay.example.com/{who}")
                msg("order.paid", t0 + 51 * h, order_id=f"{who}-l", amount=9900)
        elif story == 6:  # auto-webinar: registered, attended (or not)
            msg("webinar.registered", t0 + h, webinar="Autowebinar")
            if i % 16 == 6:
                msg("webinar.attended", t0 + 30 * h, webinar="Autowebinar")
        else:  # campaign subscriber
            msg("campaign.subscribed", t0 + h, campaign="Campaign 1")
    return out


def write_jsonl(path: Path, messages: Iterable[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(m) + "\n" for m in messages), encoding="utf-8")
    return path


def simulate_cli(tmp: Path, messages: Sequence[dict[str, Any]], until: str) -> list[dict[str, Any]]:
    """`nurtura simulate` of all shipped processes, as a user would run it."""
    ev = write_jsonl(tmp / "events.jsonl", messages)
    out = tmp / "simulated.jsonl"
    subprocess.run([NURTURA, "simulate", *FILES, "--events", str(ev), "--start", _at(START),
                    "--until", until, "--out", str(out)], check=True)
    return [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines() if x.strip()]


def setup(url: str) -> Store:
    """Import and enable the shipped processes (enabled at START, as simulate does)."""
    from nurtura.simulate import load_process_file

    store = Store(url)
    procs = [load_process_file(Path(f)) for f in FILES]
    for p in procs:
        store.save_process(p, START)
    for p in procs:
        store.set_enabled(p.name, True, START)
    return store


@dataclass
class Fleet:
    """Worker processes on `url`, sharing the simulated clock in `clock_file`."""

    url: str
    tmp: Path
    size: int = 4
    batch: int = 200
    procs: list[subprocess.Popen[bytes] | None] = field(default_factory=list)
    starts: list[int] = field(default_factory=list)
    kills: int = 0
    deliver: bool = False
    env: dict[str, str] = field(default_factory=dict)
    args: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.tmp.mkdir(parents=True, exist_ok=True)
        self.clock = FileClock(str(self.tmp / "clock"))
        self.clock.set(START)
        self.procs = [None] * self.size
        self.starts = [0] * self.size

    def start(self, i: int) -> None:
        env = {**os.environ, **self.env, "NURTURA_CLOCK_FILE": self.clock.path}
        self.starts[i] += 1
        log = open(self._log(i), "wb")  # noqa: SIM115 - the child has its own copy
        self.procs[i] = subprocess.Popen(
            [NURTURA, "worker", "--db", self.url,
             "--deliver" if self.deliver else "--no-deliver", "--batch", str(self.batch),
             "--poll", "0.2", *self.args], env=env, stdout=log, stderr=subprocess.STDOUT)
        log.close()

    def __enter__(self) -> Fleet:
        for i in range(self.size):
            self.start(i)
        return self

    def __exit__(self, kind: object, *exc: object) -> None:
        if kind is None:
            self.stop()
        else:  # the test failed: no graceful stop, just end them
            for p in self.procs:
                if p is not None:
                    p.kill()
                    p.wait()

    def kill_one(self, rnd: random.Random) -> None:
        """SIGKILL a random worker (wherever it is in its batch) and start a new one."""
        i = rnd.randrange(self.size)
        p = self.procs[i]
        if p is not None:
            p.kill()
            p.wait()
            self.kills += 1
        self.start(i)

    def _log(self, i: int) -> Path:
        return self.tmp / f"worker-{i}-{self.starts[i]}.log"

    def ready(self, i: int, timeout: float = 60) -> None:
        """Wait until worker `i` has said it runs (its signal handlers are in place)."""
        log, deadline = self._log(i), time.monotonic() + timeout
        while "Ctrl-C to stop" not in log.read_text(errors="replace"):
            if time.monotonic() > deadline:
                raise AssertionError(f"worker {i} did not start; see {log}")
            time.sleep(0.05)

    def stop(self) -> None:
        """SIGTERM: each worker finishes its batch and exits 0."""
        for i in range(self.size):
            if self.procs[i] is not None:
                self.ready(i)
        for p in self.procs:
            if p is not None and p.poll() is None:
                p.send_signal(signal.SIGTERM)
        codes = [p.wait(timeout=60) for p in self.procs if p is not None]
        self.procs = [None] * self.size
        assert all(c == 0 for c in codes), f"worker exit codes {codes}; see {self.tmp}"

    def alive(self) -> bool:
        return all(p is not None and p.poll() is None for p in self.procs)

    # -- time -----------------------------------------------------------------------------

    def notify(self) -> None:
        if not self.url.startswith("postgresql"):
            return  # SQLite: the workers poll (--poll 0.2)

        def send() -> None:
            with psycopg.connect(_libpq(self.url), autocommit=True) as conn:
                conn.execute("NOTIFY nurtura_work")

        _retrying(send)

    def settle(self, store: Store, timeout: float = 120) -> None:
        """Wait until nothing is due at the clock's instant (every batch committed)."""
        now, deadline = self.clock.now(), time.monotonic() + timeout
        while _retrying(lambda: store.due_contacts(now, 1)):
            if time.monotonic() > deadline:
                raise AssertionError(f"work still due at {now} after {timeout} s; "
                                     f"logs in {self.tmp}")
            time.sleep(0.02)

    def advance(self, store: Store, to: datetime, step: timedelta = timedelta(hours=6)) -> int:
        """Move time to `to`, a step at a time (jumping over quiet spans), settling at each;
        returns the number of steps."""
        n = 0
        while True:
            now = self.clock.now()
            due = _retrying(store.next_due)
            if due is None or due > to:
                if now < to:
                    self.clock.set(to)
                    self.notify()
                    self.settle(store)
                return n
            self.clock.set(min(to, max(due, now) + step))
            self.notify()
            self.settle(store)
            n += 1


def reference(tmp: Path, messages: list[dict[str, Any]]) -> dict[str, Any]:
    """The no-crash result: `simulate` (one process, SQLite), its database kept."""
    from nurtura.simulate import load_process_file, simulate

    db = tmp / "reference.db"
    procs = [load_process_file(Path(f)) for f in FILES]
    simulate(procs, parse_events([json.dumps(m) for m in messages]), [], START, END, db)
    ref = Store(f"sqlite:///{db}")
    try:
        return {"state": state(ref), "stats": stats(ref)}
    finally:
        ref.close()


def feed_in_groups(fleet: Fleet, store: Store, messages: list[dict[str, Any]],
                   groups: int) -> None:
    """Events keep arriving: each group of contacts (all of its events) is ingested, then
    time moves on a few days; then to the end."""
    by_contact: dict[str, list[dict[str, Any]]] = {}
    for m in messages:
        by_contact.setdefault(m["userId"], []).append(m)
    people = list(by_contact)
    size = -(-len(people) // groups)
    for g in range(groups):
        part = [m for who in people[g * size:(g + 1) * size] for m in by_contact[who]]
        store.ingest(parse_events([json.dumps(m) for m in part]))
        fleet.notify()
        fleet.advance(store, START + timedelta(days=3 * (g + 1)))
    fleet.advance(store, END)


T = TypeVar("T")


def _retrying(fn: Callable[[], T], seconds: float = 60) -> T:
    """`fn()`, tried again while the database is unreachable (a test restarting it)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            return fn()
        except (OperationalError, psycopg.OperationalError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def _libpq(url: str) -> str:
    from nurtura.runtime.notify import conninfo

    return conninfo(url)


def state(store: Store) -> dict[str, Any]:
    """Everything a crash could lose or double: every run and every outbox row, exactly."""
    with store.engine.connect() as conn:
        names = dict(conn.execute(select(processes.c.id, processes.c.name)).all())
        run_rows = sorted(
            (r.id, r.contact_id, names[r.process_id], r.status, r.node, r.wake_at, r.node_since,
             r.started_at, r.ended_at, r.seq, r.reason, r.vars)
            for r in conn.execute(select(runs)))
        out_rows = sorted(
            (o.key, o.contact_id, o.run_id, names[o.process_id], o.node, o.channel,
             o.created_at, json.loads(o.payload), o.status)
            for o in conn.execute(select(outbox)))
    return {"runs": run_rows, "outbox": out_rows}


def stats(store: Store) -> dict[str, Any]:
    return {i.name: store.stats(i.id) for i in store.list_processes()}
