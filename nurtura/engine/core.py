"""advance(): how one contact's runs move on one input. Pure: `now` comes with the input.

An input is an event of the contact or a run's wake-up time falling due. Handling it may
emit further events (tag.added, email.sent, process.completed, …); those are handled right
after, in order, within the same Step, so one Step is one transaction for the store.
"""

from __future__ import annotations

import hashlib
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from nurtura.engine import timing
from nurtura.engine.actions import perform
from nurtura.engine.contact_updates import apply_event
from nurtura.engine.filters import Scope, matches
from nurtura.engine.state import (
    ACTIVE,
    COMPLETED,
    EXITED,
    FAILED,
    Contact,
    Event,
    HistoryEntry,
    Run,
    Step,
)
from nurtura.model.process import (
    ActionNode,
    ConditionNode,
    DelayNode,
    EndNode,
    SplitNode,
    TriggerNode,
    WaitNode,
)
from nurtura.model.validate import Process, var_ref

MAX_INSTANT_STEPS = 1000
MAX_CASCADE = 1000
MAX_NESTING = 20  # start_process inside start_process …


@dataclass
class Deployed:
    """A process as the engine sees it: its id, definition and whether it is running."""

    id: int
    process: Process
    enabled: bool = True
    activated_at: datetime | None = None
    # Built once from `process`: its triggers by event name (file order), and the event
    # names of its `exit_on` goals, so handling an event skips processes that ignore it.
    triggers: dict[str, list[tuple[str, TriggerNode]]] = field(init=False, repr=False)
    goals: frozenset[str] = field(init=False, repr=False)
    name: str = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.name = self.process.name
        self.triggers = {}
        for nid, trig in self.process.triggers():
            self.triggers.setdefault(trig.event, []).append((nid, trig))
        self.goals = frozenset(ex.event for ex in self.process.file.exit_on)

    def listens(self) -> set[str]:
        """Every event name this process reacts to: triggers, waits, goals, the events a
        split's winner is judged by, and the names its filters count in the history."""
        out = set(self.triggers) | self.goals | self.process.history_events
        for node in self.process.nodes.values():
            if isinstance(node, WaitNode):
                out.update(w.event for w in node.for_)
            elif isinstance(node, SplitNode) and node.winner is not None:
                out.add(node.winner.by)
        return out


@dataclass
class SplitTally:
    """Runs sent down each branch of a split and how many of them won."""

    runs: list[int]
    wins: list[int]


# Nurtura's own run lifecycle events. They are handled like any event (triggers, waits,
# goals), but stored in the contact's history only when a deployed process's filter reads
# them there: the runs table already records each run's start, end, outcome and reason
# (docs/semantics.md, "Events").
LIFECYCLE = frozenset({"process.entered", "process.completed", "process.exited"})


@dataclass
class World:
    """The processes and split tallies the engine reads; nothing here is I/O.

    Built once per set of deployed versions (the store rebuilds it when one changes);
    `processes` is kept in id order, the order in which an event reaches them."""

    processes: dict[int, Deployed]
    splits: dict[tuple[int, str], SplitTally] = field(default_factory=dict)
    emit_sent: bool = True  # email.sent/sms.sent at the step (simulate); else on delivery

    def __post_init__(self) -> None:
        if list(self.processes) != sorted(self.processes):
            self.processes = dict(sorted(self.processes.items()))
        self.by_name = {d.name: d for d in self.processes.values()}
        read = set().union(*(d.process.history_events for d in self.processes.values()))
        self.unstored = LIFECYCLE - read  # emitted, handled, but not kept as history
        # An emitted event whose name no process reacts to changes the contact (if it
        # does) and moves nothing: the engine skips looking at runs and triggers for it.
        self.listened = frozenset({"run.exit"}.union(
            *(d.listens() for d in self.processes.values())))


def run_id_for(*parts: str) -> str:
    """A run id derived from what caused it, so replaying an input makes the same run."""
    return hashlib.blake2b("\x1f".join(parts).encode(), digest_size=8).hexdigest()


class RunFailed(Exception):
    pass


class Advance:
    """Handles one input for one contact; collects everything that changed in `step`."""

    def __init__(
        self, world: World, contact: Contact, runs: dict[str, Run], history: list[Event],
        into: Step | None = None,
    ) -> None:
        self.world = world
        self.contact = contact
        self.runs = runs  # the contact's active runs, by id; kept current
        self.history = history
        self.step = Step() if into is None else into
        self.noted = len(self.step.history)  # entries before this input's are not merged
        self.ended: set[str] = set()  # runs of the contact that ended while handling this input
        self.queue: deque[Event] = deque()
        self.current: Event | None = None
        self.input: Event | None = None  # the stored event this Advance handles, if any
        self.cascade = 0
        self.nesting = 0

    # -- inputs ---------------------------------------------------------------------------

    def on_event(self, event: Event) -> Step:
        self.input = event
        self.queue.append(event)
        self._drain()
        return self.step

    def on_wake(self, run_id: str) -> Step:
        run = self.runs.get(run_id)
        if run is None or run.wake_at is None:
            return self.step
        dep = self.world.processes.get(run.process_id)
        if dep is None or not dep.enabled:
            return self.step
        at = run.wake_at
        run.wake_at = None
        node = dep.process.nodes.get(run.node)
        self._touch(run)
        if node is None:
            self._exit(run, dep, at, "node_removed")
        elif isinstance(node, WaitNode) and node.on_timeout is not None:
            self._note(run, at, {"node": run.node, "timeout": True})
            self._go(run, dep, node.on_timeout, at)
        elif isinstance(node, DelayNode):
            self._go(run, dep, node.next, at)
        else:  # the node changed type in a new version: carry on from it
            self._go(run, dep, run.node, at)
        self._drain()
        return self.step

    # -- events ---------------------------------------------------------------------------

    def emit(self, name: str, at: datetime, key: str, **props: Any) -> None:
        ev = Event(name, self.contact.id, at, key, props)
        if name not in self.world.unstored:
            self.step.events.append(ev)
        self.queue.append(ev)

    def _drain(self) -> None:
        listened = self.world.listened
        while self.queue:
            ev = self.queue.popleft()
            self.cascade += 1
            if self.cascade > MAX_CASCADE:
                continue  # kept as history, but no longer moves runs: a loop of events
            if ev.name in listened or self.contact.is_new:
                self._handle(ev)
            else:  # no process reacts to it (a run at a removed node waits for its next
                # input: the store exits those when the version is published)
                self._follow(ev)

    def _follow(self, ev: Event) -> None:
        """The event's effect on the contact (SPEC: state first), and what that emits."""
        for i, (name, props) in enumerate(apply_event(self.contact, ev, self.step)):
            self.emit(name, ev.timestamp, f"{ev.message_id}:{i}:{name}", **props)

    def _handle(self, ev: Event) -> None:
        c = self.contact
        if c.is_new:
            c.is_new = False
            self.step.contact_changed = True
            created = Event("contact.created", c.id, ev.timestamp, ev.message_id + ":created")
            self.step.events.append(created)
            self._handle(created)
        self._follow(ev)
        self.history.append(ev)
        self.current = ev
        at = ev.timestamp
        runs = self.runs
        order = list(runs.values()) if len(runs) < 2 else sorted(
            runs.values(), key=lambda r: (r.process_id, r.id))
        for run in order:
            if run.status != ACTIVE:
                continue
            dep = self.world.processes.get(run.process_id)
            if dep is None or not dep.enabled:
                continue
            self._credit_split(run, dep, ev.name)
            if ev.name == "run.exit" and ev.properties.get("run_id") == run.id:
                self._touch(run)
                self._exit(run, dep, at, str(ev.properties.get("reason") or "manual"))
                continue
            if self._exit_goal(run, dep, ev):
                continue
            node = dep.process.nodes.get(run.node)
            if node is None:
                self._touch(run)
                self._exit(run, dep, at, "node_removed")
            elif isinstance(node, WaitNode) and at >= run.node_since and (
                run.wake_at is None or at <= run.wake_at
            ):
                for i, w in enumerate(node.for_):
                    flt = dep.process.filters.get(f"{run.node}.for[{i}]")
                    if w.event == ev.name and (flt is None or matches(flt, self.scope(dep, run))):
                        self._touch(run)
                        run.wake_at = None
                        self._note(run, at, {"node": run.node, "event": ev.name})
                        self._go(run, dep, w.next, at)
                        break
        name = ev.name
        for dep in self.world.processes.values():
            if (name in dep.triggers and dep.enabled and dep.activated_at is not None
                    and at >= dep.activated_at):
                self._trigger(dep, ev)
        self.current = None

    def _exit_goal(self, run: Run, dep: Deployed, ev: Event) -> bool:
        if ev.name not in dep.goals:
            return False
        for i, ex in enumerate(dep.process.file.exit_on):
            flt = dep.process.filters.get(f"exit_on[{i}]")
            if ex.event == ev.name and (flt is None or matches(flt, self.scope(dep, run))):
                self._touch(run)
                self._exit(run, dep, ev.timestamp, f"goal:{ev.name}")
                return True
        return False

    def _trigger(self, dep: Deployed, ev: Event) -> None:
        for nid, trig in dep.triggers.get(ev.name, ()):
            flt = dep.process.filters.get(nid)
            if flt is not None and not matches(flt, self.scope(dep, None)):
                continue
            if self._may_enter(dep):
                run = self.start(dep, ev.timestamp, ("event", ev.message_id), via=nid)
                self._note(run, ev.timestamp, {"node": nid, "event": ev.name})
                self._go(run, dep, trig.next, ev.timestamp)
            return

    def _may_enter(self, dep: Deployed) -> bool:
        reentry = dep.process.file.reentry
        if reentry == "once":
            return dep.id not in self.contact.entered
        if reentry == "if_not_active":
            return not any(
                r.process_id == dep.id and r.status == ACTIVE for r in self.runs.values()
            )
        return True

    # -- runs -----------------------------------------------------------------------------

    def start(self, dep: Deployed, at: datetime, cause: tuple[str, ...], via: str) -> Run:
        rid = run_id_for(str(dep.id), self.contact.id, *cause)
        # not the id of a run that is active or ended within this input: the same whether
        # the step is this input's alone or a whole batch's (`into`)
        while rid in self.runs or rid in self.ended:
            rid = run_id_for(rid, "again")
        run = Run(rid, dep.id, self.contact.id, via, at, at, is_new=True)
        self.runs[rid] = run
        self.step.runs[rid] = run
        if dep.process.file.reentry == "once":  # the only reader of `entered`
            self.contact.entered.add(dep.id)
            self.step.contact_changed = True
        self.step.count(dep.id, "", "entered")
        self.step.count(dep.id, via, "reached")
        self.emit("process.entered", at, f"{rid}:entered", process=dep.name)
        return run

    def scope(self, dep: Deployed, run: Run | None, at: datetime | None = None) -> Scope:
        now = at or (self.current.timestamp if self.current else (run.node_since if run else
                     self.contact.created_at))
        return Scope(
            self.contact, now, timing.zone(dep.process.file.timezone), self.current, run,
            self._active_names(), self.history,
        )

    def _active_names(self) -> set[str]:
        out = set()
        for r in self.runs.values():
            d = self.world.processes.get(r.process_id)
            if r.status == ACTIVE and d is not None:
                out.add(d.name)
        return out

    def _touch(self, run: Run) -> None:
        self.step.runs[run.id] = run

    def _note(self, run: Run, at: datetime, entry: dict[str, Any]) -> None:
        hist = self.step.history
        if len(hist) > self.noted and hist[-1].run_id == run.id and hist[-1].at == at:
            hist[-1].entries.append(entry)
        else:
            hist.append(HistoryEntry(run.id, at, [entry]))

    def _go(self, run: Run, dep: Deployed, target: str | None, at: datetime) -> None:
        """Move through instant nodes from `target` until the run waits or ends."""
        steps = 0
        while run.status == ACTIVE:
            if target is None:
                self._finish(run, dep, at, None)
                return
            steps += 1
            if steps > MAX_INSTANT_STEPS:
                self._fail(run, dep, at, "more than 1000 instant steps without a wait or delay")
                return
            node = dep.process.nodes.get(target)
            if node is None:
                self._exit(run, dep, at, "node_removed")
                return
            run.node, run.node_since = target, at
            run.seq += 1
            self.step.count(dep.id, target, "reached")
            try:
                target = self._visit(run, dep, target, node, at)
            except RunFailed as exc:
                self._fail(run, dep, at, str(exc))
                return
            if target == "":
                return  # parked or ended

    def _visit(self, run: Run, dep: Deployed, nid: str, node: Any, at: datetime) -> str | None:
        """Do what `node` does; return the next node, None to end, "" to stop here."""
        if isinstance(node, ActionNode):
            line = perform(self, run, dep, nid, node, at)
            self._note(run, at, {"node": nid, **line})
            return node.next
        if isinstance(node, ConditionNode):
            ok = matches(dep.process.filters[nid], self.scope(dep, run, at))
            self._note(run, at, {"node": nid, "result": "yes" if ok else "no"})
            return node.yes if ok else node.no
        if isinstance(node, WaitNode):
            timeout = dep.process.durations.get(nid)
            run.wake_at = at + timeout if timeout is not None else None
            self._note(run, at, {"node": nid, "wait": [w.event for w in node.for_]})
            return ""
        if isinstance(node, DelayNode):
            due = self._due(run, dep, nid, node, at)
            if due <= at:
                self._note(run, at, {"node": nid, "delay": "passed"})
                return node.next
            run.wake_at = due
            self._note(run, at, {"node": nid, "until": due})  # read as ISO text
            return ""
        if isinstance(node, SplitNode):
            branch = self._branch(run, dep, nid, node, at)
            self._note(run, at, {"node": nid, "branch": branch})
            return node.branches[branch].next
        if isinstance(node, EndNode):
            self._finish(run, dep, at, node.outcome)
            return ""
        if isinstance(node, TriggerNode):
            return node.next
        raise RunFailed(f"node {nid!r} has an unknown type")  # pragma: no cover

    def _due(self, run: Run, dep: Deployed, nid: str, node: DelayNode, at: datetime) -> datetime:
        if node.for_ is not None:
            return at + dep.process.durations[nid]
        if node.until_time is not None:
            tz = self.contact_zone(dep) if node.timezone == "contact" else timing.zone(
                node.timezone or dep.process.file.timezone
            )
            return timing.next_time_of_day(at, node.until_time, tz, node.days)
        assert node.until is not None
        text = node.until
        name = var_ref(text)
        if name is not None:
            value = run.vars.get(name)
            if not isinstance(value, str):
                raise RunFailed(f"delay {nid!r}: variable {name!r} holds no time ({value!r})")
            text = value
        try:
            due = timing.parse_instant(text)
        except ValueError as exc:
            raise RunFailed(f"delay {nid!r}: {text!r} is not an ISO time") from exc
        return due + dep.process.durations.get(nid + ".offset", due - due)

    def contact_zone(self, dep: Deployed) -> Any:
        """Contact trait timezone, else Segment context.timezone, else the process's."""
        for name in (self.contact.timezone, self.contact.context_timezone):
            if name:
                try:
                    return timing.zone(name)
                except Exception:
                    continue
        return timing.zone(dep.process.file.timezone)

    def _branch(self, run: Run, dep: Deployed, nid: str, node: SplitNode, at: datetime) -> int:
        n = len(node.branches)
        tally = self.world.splits.setdefault((dep.id, nid), SplitTally([0] * n, [0] * n))
        if len(tally.runs) != n:
            tally.runs, tally.wins = [0] * n, [0] * n
        choice = None
        if node.winner is not None and self._test_over(dep, nid, node, tally, at):
            rates = [w / r if r else 0.0 for w, r in zip(tally.wins, tally.runs, strict=True)]
            choice = rates.index(max(rates))
        if choice is None:
            digest = hashlib.blake2b(f"{run.id}:{nid}".encode(), digest_size=8).digest()
            point = int.from_bytes(digest, "big") / 2**64 * sum(b.weight for b in node.branches)
            acc = 0.0
            choice = n - 1
            for i, b in enumerate(node.branches):
                acc += b.weight
                if point < acc:
                    choice = i
                    break
        tally.runs[choice] += 1
        self.step.count(dep.id, nid, f"branch:{choice}:runs")
        if node.winner is not None:
            run.vars.setdefault("_split", {})[nid] = choice
        return choice

    def _test_over(
        self, dep: Deployed, nid: str, node: SplitNode, tally: SplitTally, at: datetime
    ) -> bool:
        assert node.winner is not None
        if isinstance(node.winner.after, int):
            return sum(tally.runs) >= node.winner.after
        start = dep.activated_at or at
        return at >= start + dep.process.durations[nid]

    def _credit_split(self, run: Run, dep: Deployed, what: str) -> None:
        """Count a win for the branch this run took, once per run and split."""
        chosen = run.vars.get("_split")
        if not chosen:
            return
        credited = run.vars.setdefault("_won", [])
        for nid, branch in chosen.items():
            node = dep.process.nodes.get(nid)
            if not isinstance(node, SplitNode) or node.winner is None:
                continue
            if node.winner.by == what and nid not in credited:
                credited.append(nid)
                self._touch(run)
                tally = self.world.splits.get((dep.id, nid))
                if tally is not None and branch < len(tally.wins):
                    tally.wins[branch] += 1
                self.step.count(dep.id, nid, f"branch:{branch}:wins")

    def _end(self, run: Run, dep: Deployed, at: datetime, status: str, reason: str | None) -> None:
        run.status, run.reason, run.ended_at, run.wake_at = status, reason, at, None
        self.runs.pop(run.id, None)
        self.ended.add(run.id)
        self._touch(run)

    def _finish(self, run: Run, dep: Deployed, at: datetime, outcome: str | None) -> None:
        if outcome is not None:
            self._credit_split(run, dep, f"outcome:{outcome}")
        self._end(run, dep, at, COMPLETED, outcome)
        self.step.count(dep.id, "", "completed")
        self.step.count(dep.id, "", f"outcome:{outcome or 'none'}")
        self._note(run, at, {"node": run.node, "completed": outcome})
        self.emit("process.completed", at, f"{run.id}:completed", process=dep.name,
                  outcome=outcome)

    def _exit(self, run: Run, dep: Deployed, at: datetime, reason: str) -> None:
        self._end(run, dep, at, EXITED, reason)
        self.step.count(dep.id, "", "exited")
        self._note(run, at, {"node": run.node, "exited": reason})
        self.emit("process.exited", at, f"{run.id}:exited", process=dep.name, reason=reason)

    def _fail(self, run: Run, dep: Deployed, at: datetime, reason: str) -> None:
        self._end(run, dep, at, FAILED, reason)
        self.step.count(dep.id, "", "failed")
        self.step.count(dep.id, run.node, "failed")
        self._note(run, at, {"node": run.node, "failed": reason})

    def stop(self, dep: Deployed, at: datetime, by: str) -> int:
        """Take the contact out of `dep` (stop_process); returns how many runs ended."""
        n = 0
        for run in list(self.runs.values()):
            if run.process_id == dep.id and run.status == ACTIVE:
                self._touch(run)
                self._exit(run, dep, at, f"stopped_by:{by}")
                n += 1
        return n

    def enter(self, dep: Deployed, at: datetime, cause: tuple[str, ...]) -> bool:
        """Put the contact into `dep` at its entry (start_process); False when not allowed."""
        if not dep.enabled or not self._may_enter(dep):
            return False
        if self.nesting >= MAX_NESTING:
            raise RunFailed(f"start_process nested more than {MAX_NESTING} deep")
        entry_trigger = dep.process.triggers()[0][0]
        run = self.start(dep, at, cause, via=entry_trigger)
        self.nesting += 1
        try:
            self._go(run, dep, dep.process.entry_node(), at)
        finally:
            self.nesting -= 1
        return True


def handle_event(
    world: World, contact: Contact, runs: dict[str, Run], history: list[Event], event: Event,
    into: Step | None = None,
) -> Step:
    """Apply one event of `contact` to its state and runs, and start runs it triggers.
    Returns the Step: a new one, or `into` with this input's changes added (a worker's
    batch collects all of its inputs' changes in one Step, as `Step.merge` would)."""
    return Advance(world, contact, runs, history, into).on_event(event)


def handle_wake(
    world: World, contact: Contact, runs: dict[str, Run], history: list[Event], run_id: str,
    into: Step | None = None,
) -> Step:
    """The run's wake-up time fell due: time out its wait or end its delay (`into`: as
    for `handle_event`)."""
    return Advance(world, contact, runs, history, into).on_wake(run_id)
