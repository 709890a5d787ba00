"""An in-memory twin of the worker for engine tests: the pure engine, no database, no clock."""

from __future__ import annotations

import itertools
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

from nurtura.engine.core import Deployed, World, handle_event, handle_wake
from nurtura.engine.state import Contact, Event, Run, Step
from nurtura.model.validate import load_process
from nurtura.simulate import line_of

T0 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def at(text: str) -> datetime:
    """`"+1d2h"`-style offsets from T0, or an ISO instant."""
    if text.startswith("+"):
        from nurtura.model.durations import parse_duration

        return T0 + parse_duration(text[1:])
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


class Driver:
    def __init__(self, *docs: dict[str, Any], start: datetime = T0) -> None:
        self.world = World(
            {i: Deployed(i, load_process(d), True, start) for i, d in enumerate(docs, 1)}
        )
        self.contacts: dict[str, Contact] = {}
        self.active: dict[str, dict[str, Run]] = defaultdict(dict)
        self.history: dict[str, list[Event]] = defaultdict(list)
        self.all_runs: dict[str, Run] = {}
        self.steps: list[Step] = []
        self.now = start
        self._ids = itertools.count()

    def contact(self, cid: str, **kw: Any) -> Contact:
        c = Contact(cid, kw.pop("created_at", T0 - timedelta(days=1)), **kw)
        self.contacts[cid] = c
        return c

    def _apply(self, step: Step) -> Step:
        self.steps.append(step)
        self.all_runs.update(step.runs)
        return step

    def advance(self, to: datetime) -> None:
        """Fire every wake-up due before `to`, in time order."""
        while True:
            due = [
                (r.wake_at, cid, r.started_at, r.process_id, r.id)
                for cid, runs in self.active.items()
                for r in runs.values()
                if r.wake_at is not None and r.wake_at <= to
                and self.world.processes[r.process_id].enabled
            ]
            if not due:
                break
            when, cid, _, _, rid = min(due)
            self.now = max(self.now, when)
            self._apply(
                handle_wake(self.world, self.contacts[cid], self.active[cid],
                            self.history[cid], rid)
            )
        self.now = max(self.now, to)

    def send(self, name: str, cid: str, when: datetime | str, **props: Any) -> Step:
        ts = at(when) if isinstance(when, str) else when
        self.advance(ts - timedelta(microseconds=1))
        if cid not in self.contacts:
            self.contacts[cid] = Contact(cid, ts, is_new=True)
        ev = Event(name, cid, ts, f"m{next(self._ids)}", props)
        return self._apply(
            handle_event(self.world, self.contacts[cid], self.active[cid], self.history[cid], ev)
        )

    def lines(self) -> list[dict[str, Any]]:
        out = [line_of(a) for s in self.steps for a in s.actions]
        return sorted(out, key=lambda d: (d["at"], d["contact"], d["process"], d["node"]))

    def short(self) -> list[tuple[str, str, str]]:
        """(at, contact, node) of every action line."""
        return [(d["at"], d["contact"], d["node"]) for d in self.lines()]

    def stats(self) -> dict[tuple[int, str, str], int]:
        total = Step()
        for s in self.steps:
            total.merge(s)
        return total.stats

    def emitted(self) -> list[str]:
        return [e.name for s in self.steps for e in s.events]


def proc(name: str = "P", **nodes: Any) -> dict[str, Any]:
    """A process document from keyword nodes; top-level keys go in `_top`."""
    top = nodes.pop("_top", {})
    return {"nurtura": 1, "name": name, **top, "nodes": nodes}
