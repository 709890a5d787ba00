"""The worker loop: claim due contacts in batches, run the engine, apply in one transaction.

Per contact, inputs are handled in time order: pending events and runs' wake-ups, an event
first when both fall on the same instant (an event at a timeout instant arrives in time).
"""

from __future__ import annotations

import gc
import logging
import time
from collections import deque
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection
from sqlalchemy.exc import InterfaceError, OperationalError, SQLAlchemyError

from nurtura.clock import Clock
from nurtura.engine.core import World, handle_event, handle_wake
from nurtura.engine.state import ActionLine, Contact, Run, Step
from nurtura.runtime import metrics
from nurtura.runtime.polling import PollingThread
from nurtura.store.dialect import Part
from nurtura.store.sql import Store

OnActions = Callable[[list[ActionLine]], None]
log = logging.getLogger("nurtura.worker")
QUARANTINE = 600  # seconds a contact whose batch keeps failing is set aside
STATISTICS_EVERY = 2.0  # seconds between looks at the batch tables' statistics (a catalog query)
# Failures that say nothing about the batch (the database went away): retried as they are
TRANSIENT = (OperationalError, InterfaceError)


class Worker:
    def __init__(
        self, store: Store, clock: Clock, batch_size: int = 500,
        on_actions: OnActions | None = None, part: Part | None = None,
    ) -> None:
        self.store = store
        self.part = part  # SQLite: this worker process's share of the contacts (pool.py)
        if part is not None:
            store.take_turns()
        self.clock = clock
        self.batch_size = batch_size
        self.on_actions = on_actions
        self.size = batch_size  # smaller while a failing batch is being narrowed down
        self.held: dict[str, float] = {}  # contact → monotonic time its quarantine ends
        self._claimed: list[str] = []

    def run_once(self, now: datetime | None = None) -> int:
        """Handle one batch of due contacts; returns how many contacts were handled."""
        # A batch allocates many short-lived, acyclic objects; the cyclic garbage collector
        # scanning them cost ~15% of a batch. It runs again as soon as the batch is done.
        enabled = gc.isenabled()
        gc.disable()
        started = time.perf_counter()
        try:
            n = self._batch(now or self.clock.now())
        except Exception as exc:
            metrics.WORKER_ERRORS.inc()
            if not isinstance(exc, TRANSIENT):
                self._narrow(exc)
            raise
        finally:
            if enabled:
                gc.enable()
        if n and self.size < self.batch_size:
            self.size = min(self.batch_size, self.size * 2)
        if n:
            metrics.WORKER_BATCH_SECONDS.observe(time.perf_counter() - started)
            metrics.WORKER_CONTACTS.inc(n)
        return n

    def _narrow(self, exc: Exception) -> None:
        """A batch failed for a reason that retrying will not cure (a bug, bad data): halve
        the batch until the failing contact is alone at the head of the queue, then set it
        aside for QUARANTINE seconds so every other contact keeps moving. Its inputs stay
        pending (nothing is lost); it is tried again when the quarantine ends."""
        if self.size > 1:
            self.size = max(1, self.size // 2)
            return
        if self._claimed:
            cid = self._claimed[0]
            self.held[cid] = time.monotonic() + QUARANTINE
            metrics.WORKER_QUARANTINED.inc()
            log.error("contact %r set aside for %d s: its batch fails (%s: %s)", cid,
                      QUARANTINE, type(exc).__name__, exc)

    def _batch(self, now: datetime) -> int:
        self._claimed = []
        if self.held:
            clock = time.monotonic()
            self.held = {c: t for c, t in self.held.items() if t > clock}
        with self.store.claim(now, self.size, skip=set(self.held), part=self.part) as claim:
            self._claimed = claim.ids
            if not claim.ids:
                return 0
            total = self._advance(claim.ids, now, claim.conn)
        metrics.WORKER_STEPS.inc(len(total.history))
        if self.on_actions is not None and total.actions:
            self.on_actions(total.actions)
        return len(claim.ids)

    def _advance(self, ids: list[str], now: datetime, conn: Connection | None) -> Step:
        """Load the claimed contacts, run the engine over each one's inputs in time order,
        apply everything in the claim's transaction."""
        world = self.store.world()
        wanted = set().union(*(d.process.history_events for d in world.processes.values()))
        batch = self.store.load_batch(ids, now, wanted, conn)
        total: Step = Step()
        handled: list[tuple[str, int]] = list(batch.orphans)
        touched: set[str] = set()
        for cid in ids:
            pending = deque(batch.pending.get(cid, ()))
            contact = batch.contacts.get(cid)
            if contact is None:
                first = pending[0][1].timestamp if pending else now
                contact = batch.contacts[cid] = Contact(cid, first, is_new=True)
            active = batch.runs[cid]
            history = batch.history[cid]
            total.contact_changed = False
            while True:
                wake = _next_wake(world, active, now)
                if pending and (wake is None or wake.wake_at is None
                                or pending[0][1].timestamp <= wake.wake_at):
                    row_id, event = pending.popleft()
                    handle_event(world, contact, active, history, event, into=total)
                    handled.append((cid, row_id))
                elif wake is not None:
                    handle_wake(world, contact, active, history, wake.id, into=total)
                else:
                    break
            if total.contact_changed:
                touched.add(cid)
        total.contact_changed = bool(touched)
        self.store.apply(batch, total, handled, touched, conn)
        return total

    def drain(self, now: datetime | None = None) -> int:
        """Run batches until nothing is due at `now`; returns contacts handled."""
        n = 0
        while handled := self.run_once(now):
            n += handled
        return n


class WorkerThread(PollingThread):
    """The worker's loop (`nurtura worker`, `nurtura serve`): batches while there is work;
    when idle, sleeps until woken (new events: NOTIFY or the API), the next due instant,
    or the poll interval, whichever comes first. `stop` finishes the batch in hand."""

    def __init__(self, url: str, clock: Clock, poll: float = 0.5, wakeup: Any = None,
                 batch_size: int = 500, part: Part | None = None) -> None:
        super().__init__("nurtura-worker", poll, wakeup)
        self.store = Store(url, upgrade=False)
        self.worker = Worker(self.store, clock, batch_size=batch_size, part=part)
        self.statistics_at = 0.0  # monotonic time of the next look (now: at the start)

    def batch(self) -> int:
        if time.monotonic() >= self.statistics_at:
            self.statistics_at = time.monotonic() + STATISTICS_EVERY
            try:
                analyzed = self.store.refresh_statistics()
            except SQLAlchemyError as exc:  # a help to the planner: never stops the work
                log.warning("statistics not refreshed: %s", type(exc).__name__)
                analyzed = []
            if analyzed:
                log.info("statistics refreshed (ANALYZE) for %s: their rows had doubled "
                         "since the last", ", ".join(analyzed))
        return self.worker.run_once()

    def idle_wait(self) -> float:
        due = self.store.next_due(self.worker.part)
        if due is None:
            return self.poll
        left = (due - self.worker.clock.now()).total_seconds()
        return min(self.poll, max(0.005, left))

    def close(self) -> None:
        self.store.close()


def _next_wake(world: World, active: dict[str, Run], now: datetime) -> Run | None:
    best: Run | None = None
    for run in active.values():
        if run.wake_at is None or run.wake_at > now:
            continue
        dep = world.processes.get(run.process_id)
        if dep is None or not dep.enabled:
            continue
        if best is None or _order(run) < _order(best):
            best = run
    return best


def _order(run: Run) -> tuple[datetime, datetime, int, str]:
    """Wake-ups due at the same instant go oldest run first, then by process, so what a
    contact receives never depends on a run id's hash."""
    assert run.wake_at is not None
    return (run.wake_at, run.started_at, run.process_id, run.id)
