"""The loops of a worker process (`nurtura worker`, and `nurtura serve`'s child): the
worker, the delivery loop beside it, and on PostgreSQL the LISTEN connection that wakes
them; started together, stopped together (each finishing the batch in hand)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

from nurtura.clock import Clock
from nurtura.errors import NurturaError
from nurtura.runtime.delivery import DeliveryThread, send_at_delivery
from nurtura.runtime.notify import OUTBOX, WORK, Listener
from nurtura.runtime.polling import PollingThread
from nurtura.runtime.worker import WorkerThread
from nurtura.store.dialect import Part


def worker_loops(url: str, clock: Clock, *, deliver: bool = True, wakeup: Any = None,
                 poll: float = 0.5, batch_size: int = 500, part: Part | None = None
                 ) -> list[Any]:
    """The worker first, then (if `deliver`) the delivery loop, then (PostgreSQL) the
    listener; `wakeup` is the worker's wake-up event when the caller has one to share;
    `part`, the worker's share of the contacts (SQLite worker processes, pool.py)."""
    worker = WorkerThread(url, clock, poll=poll, wakeup=wakeup, batch_size=batch_size,
                          part=part)
    send_at_delivery(worker.store)
    loops: list[Any] = [worker]
    wake = {WORK: worker.wakeup}
    if deliver:
        delivery = DeliveryThread(url, clock, wake=worker.wakeup.set)
        loops.append(delivery)
        wake[OUTBOX] = delivery.wakeup
    if worker.store.shared:  # events ingested by other processes, other machines
        loops.append(Listener(url, wake))
    return loops


def run(loops: list[Any], wait: Callable[[], bool],
        started: Callable[[], None] = lambda: None, *, lock: bool = True) -> None:
    """Start the loops, call `wait` until it returns False, stop them in reverse order.
    Holds the worker's lock throughout (SQLite: one worker per file; NurturaError, with
    nothing started, if another runs) unless `lock` is False: a worker process of a pool,
    whose parent holds it (pool.py)."""
    worker: WorkerThread = loops[0]
    with ExitStack() as stack:
        try:
            if lock:
                stack.enter_context(worker.store.worker_lock())
        except NurturaError:
            for loop in loops:
                if isinstance(loop, PollingThread):
                    loop.close()
            raise
        for loop in loops:
            loop.start()
        started()
        while wait():
            pass
        # every loop takes no new batch from now on (the worker's would otherwise go on
        # while the others are joined: seconds of new work after SIGTERM), then each is
        # waited for as it finishes the batch in hand
        for loop in loops:
            loop.request_stop()
        for loop in reversed(loops):
            loop.stop()
