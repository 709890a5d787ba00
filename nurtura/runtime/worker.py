"""The worker loop: claim due contacts in batches, run the engine, apply in one transaction.

Per contact, inputs are handled in time order: pending events and runs' wake-ups, an event
first when both fall on the same instant (an event at a timeout instant arrives in time).
"""

from __future__ import annotations

import gc
import time
from collections import deque
from collections.abc import Callable
from datetime import datetime

from nurtura.clock import Clock
from nurtura.engine.core import World, handle_event, handle_wake
from nurtura.engine.state import ActionLine, Contact, Run, Step
from nurtura.store.sql import Store

OnActions = Callable[[list[ActionLine]], None]


class Worker:
    def __init__(
        self, store: Store, clock: Clock, batch_size: int = 500,
        on_actions: OnActions | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.batch_size = batch_size
        self.on_actions = on_actions
        self.stopping = False

    def run_once(self, now: datetime | None = None) -> int:
        """Handle one batch of due contacts; returns how many contacts were handled."""
        # A batch allocates many short-lived, acyclic objects; the cyclic garbage collector
        # scanning them cost ~15% of a batch. It runs again as soon as the batch is done.
        enabled = gc.isenabled()
        gc.disable()
        try:
            return self._batch(now or self.clock.now())
        finally:
            if enabled:
                gc.enable()

    def _batch(self, now: datetime) -> int:
        ids = self.store.due_contacts(now, self.batch_size)
        if not ids:
            return 0
        world = self.store.world()
        wanted = set().union(*(d.process.history_events for d in world.processes.values()))
        batch = self.store.load_batch(ids, now, wanted)
        total, handled, touched = Step(), [], set()
        for cid in ids:
            pending = deque(batch.pending.get(cid, ()))
            contact = batch.contacts.get(cid)
            if contact is None:
                first = pending[0][1].timestamp if pending else now
                contact = batch.contacts[cid] = Contact(cid, first, is_new=True)
            active = batch.runs[cid]
            history = batch.history[cid]
            while True:
                wake = _next_wake(world, active, now)
                if pending and (wake is None or wake.wake_at is None
                                or pending[0][1].timestamp <= wake.wake_at):
                    row_id, event = pending.popleft()
                    step = handle_event(world, contact, active, history, event)
                    handled.append(row_id)
                elif wake is not None:
                    step = handle_wake(world, contact, active, history, wake.id)
                else:
                    break
                if step.contact_changed:
                    touched.add(cid)
                total.merge(step)
        self.store.apply(batch, total, handled, touched)
        if self.on_actions is not None and total.actions:
            self.on_actions(total.actions)
        return len(ids)

    def drain(self, now: datetime | None = None) -> int:
        """Run batches until nothing is due at `now`; returns contacts handled."""
        n = 0
        while handled := self.run_once(now):
            n += handled
        return n

    def run_forever(self, idle_sleep: float = 0.2) -> None:
        """The `nurtura worker` loop; stops after the current batch when `stopping` is set."""
        while not self.stopping:
            if not self.run_once():
                time.sleep(idle_sleep)


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
