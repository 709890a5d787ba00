"""Several worker processes on one database: `nurtura worker --processes K`.

A batch's time is mostly the engine's Python, which one process runs on one core. SQLite
writes one transaction at a time but reads beside it (WAL), so K processes each advance
their own share of the contacts (process i: those whose id's CRC-32 is i modulo K,
`dialect.contact_part`), computing on K cores while their commits take turns
(`Store.take_turns`); no contact is ever in two processes' batches. On
PostgreSQL the K processes are workers like any others (each contact's advisory lock), and
they take no shares.

The processes are forked from the one that holds SQLite's worker lock (`Store.
worker_lock`): they inherit its open lock file, so the lock stays held until the last of
them is gone — a parent killed with SIGKILL does not let a second worker start beside
children still finishing a batch. Each child stops by itself once its parent is gone.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import multiprocessing as mp
import os
import signal
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from multiprocessing.connection import Connection
from typing import Any

from nurtura.clock import SimClock, clock_from_env
from nurtura.runtime import loops
from nurtura.store.dialect import Part, normalize_url
from nurtura.store.sql import Store

log = logging.getLogger("nurtura.pool")
FORK = mp.get_context("fork")
RESTART_AFTER = 1.0  # seconds before a worker process that died is started again


def share(i: int, k: int, url: str) -> Part | None:
    """Worker process i of k: its share of the contacts on SQLite, none on PostgreSQL."""
    return None if k == 1 or normalize_url(url).startswith("postgresql") else (i, k)


def _orphaned(parent: int) -> bool:
    return os.getppid() != parent


def _before_fork() -> None:
    """Close what garbage still holds open (a SQLite connection in a reference cycle is
    closed only when the collector gets to it): SQLite keeps per-process bookkeeping of
    its open files and locks, which a forked child must not inherit from a live one."""
    gc.collect()


def _after_fork() -> None:
    """In the child: whatever it inherited is left alone for good (never finalized here)."""
    gc.freeze()


# -- long-running processes (`nurtura worker --processes K`) ------------------------------


def _serve_share(url: str, i: int, k: int, deliver: bool, poll: float, batch: int,
                 stop: Any, parent: int, wakeup: Any) -> None:
    """A child: the worker loop on its share (and, in the first child only, the delivery
    loop: one per database, as with one process) until `stop` or the parent is gone."""
    _after_fork()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when to stop
    signal.signal(signal.SIGTERM, lambda *_: stop.set())

    def wait() -> bool:
        if stop.wait(1.0):
            return False
        if _orphaned(parent):
            log.warning("worker process %d of %d: the parent is gone; stopping", i + 1, k)
            return False
        return True

    running = loops.worker_loops(url, clock_from_env(), deliver=deliver and i == 0,
                                 poll=poll, batch_size=batch, part=share(i, k, url),
                                 wakeup=wakeup)
    loops.run(running, wait, lock=False)  # the parent holds it; this process inherited it


def run_processes(url: str, k: int, *, deliver: bool, poll: float, batch: int,
                  wait: Callable[[], bool], wakeups: Sequence[Any] | None = None,
                  started: Callable[[], None] = lambda: None) -> None:
    """Take the worker lock (SQLite: NurturaError, nothing started, if another worker
    runs), run K worker processes, call `started`, then `wait` until it returns False;
    then stop them, each finishing the batch in hand. A process that dies (it should not)
    is started again. The caller has no database connection open (it would be forked).
    `wakeups`: K multiprocessing Events the API sets on new work (`nurtura serve`), one per
    process: a process clears its own after waking, so it cannot clear one that another
    process, busy at that moment, has not seen yet."""
    if wakeups is not None and len(wakeups) != k:
        raise ValueError(f"{len(wakeups)} wake-up events for {k} worker processes")
    store = Store(url, upgrade=False)
    with store.worker_lock():  # inherited by the processes: held until the last is gone
        store.close()
        _supervise(url, k, deliver, poll, batch, wait, wakeups, started)


def _supervise(url: str, k: int, deliver: bool, poll: float, batch: int,
               wait: Callable[[], bool], wakeups: Sequence[Any] | None,
               started: Callable[[], None]) -> None:
    stop = FORK.Event()
    parent = os.getpid()

    def start(i: int) -> Any:
        _before_fork()
        p = FORK.Process(target=_serve_share, name=f"nurtura-worker-{i + 1}",
                         args=(url, i, k, deliver, poll, batch, stop, parent,
                               None if wakeups is None else wakeups[i]))
        p.start()
        return p

    procs = [start(i) for i in range(k)]
    started()
    try:
        while wait():
            for i, p in enumerate(procs):
                if not p.is_alive() and not stop.is_set():
                    log.error("worker process %d of %d ended (exit code %s); starting it "
                              "again", i + 1, k, p.exitcode)
                    time.sleep(RESTART_AFTER)
                    procs[i] = start(i)
    finally:
        stop.set()
        for p in procs:
            p.join(timeout=60)
            if p.is_alive():
                p.terminate()
                p.join()


# -- draining on request (`nurtura worker --once --processes K`, the benchmark) -------------


def _drain_share(url: str, i: int, k: int, batch: int, at_delivery: bool,
                 conn: Connection, ends: list[Connection], parent: int) -> None:
    """A child: for each instant received, drain its share of what is due then; replies
    (contacts handled, CPU seconds) or ("error", text). None ends it."""
    from nurtura.runtime.delivery import send_at_delivery
    from nurtura.runtime.worker import Worker

    _after_fork()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for inherited in ends:  # the parent's ends: with them closed, its death is EOF here
        inherited.close()
    store = Store(url, upgrade=False)
    if at_delivery:
        send_at_delivery(store)
    store.world()  # the processes, loaded once before the first instant (a running worker)
    try:
        while not _orphaned(parent):
            if not conn.poll(1.0):
                continue
            try:
                now = conn.recv()
            except EOFError:
                break
            if now is None:
                break
            cpu = time.process_time()
            worker = Worker(store, SimClock(now), batch_size=batch, part=share(i, k, url))
            try:
                n = worker.drain(now)
            except Exception as exc:  # reported to the parent, which raises it
                conn.send(("error", f"worker process {i + 1} of {k}: "
                                    f"{type(exc).__name__}: {exc}"))
                continue
            conn.send(("ok", n, time.process_time() - cpu))
    finally:
        store.close()


class DrainPool:
    """K forked processes that each drain their share of the due work at an instant, on
    request. Make it while this process has no database connection open (`Store.close`,
    `engine.dispose()`): SQLite's per-process lock bookkeeping must not be forked with
    one. A child never touches what it inherited; it opens its own."""

    def __init__(self, url: str, k: int, batch: int = 500, at_delivery: bool = True) -> None:
        self.k = k
        self.cpu = 0.0  # CPU seconds the children spent in drains so far
        self.conns: list[Connection] = []
        self.procs: list[Any] = []
        parent = os.getpid()
        _before_fork()
        for i in range(k):
            mine, theirs = FORK.Pipe()
            # daemon: if this process ends without close(), they are ended with it
            p = FORK.Process(target=_drain_share, name=f"nurtura-drain-{i + 1}", daemon=True,
                             args=(url, i, k, batch, at_delivery, theirs,
                                   [*self.conns, mine], parent))
            p.start()
            theirs.close()
            self.conns.append(mine)
            self.procs.append(p)

    def drain(self, now: datetime) -> int:
        """Every process drains its share at `now`; returns the contacts handled in all."""
        for c in self.conns:
            c.send(now)
        n, errors = 0, []
        for c in self.conns:
            try:
                reply = c.recv()
            except EOFError:
                errors.append("a worker process died")
                continue
            if reply[0] == "ok":
                n += reply[1]
                self.cpu += reply[2]
            else:
                errors.append(reply[1])
        if errors:
            raise RuntimeError("; ".join(errors))
        return n

    def close(self) -> None:
        for c in self.conns:
            with contextlib.suppress(OSError):  # it is gone already
                c.send(None)
        for p in self.procs:
            p.join(timeout=60)
        for c in self.conns:
            c.close()

    def __enter__(self) -> DrainPool:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
