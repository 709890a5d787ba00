"""`nurtura simulate`: run processes on simulated time against a temporary SQLite store.

The clock jumps from one due instant to the next, so forty days take well under a second.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from nurtura.clock import SimClock
from nurtura.engine import timing
from nurtura.engine.state import ActionLine, Contact, Event
from nurtura.errors import BadInput, ProcessInvalid
from nurtura.model.durations import DurationError, parse_duration
from nurtura.model.validate import Process, load_process
from nurtura.runtime.ingest import parse_contact, parse_message
from nurtura.runtime.worker import Worker
from nurtura.store.sql import Store


@dataclass
class Result:
    lines: list[dict[str, Any]]
    stats: dict[str, Any]


def read_jsonl(lines: Iterable[str], source: str) -> list[tuple[int, Any]]:
    """(line number, parsed JSON) of every non-blank line; BadInput names the bad line."""
    out = []
    for no, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            out.append((no, json.loads(line)))
        except json.JSONDecodeError as exc:
            raise BadInput(f"{source}:{no}: not valid JSON ({exc.msg})") from None
    return out


T = TypeVar("T")


def _parse_lines(lines: Iterable[str], source: str, parse: Callable[[Any], T]) -> list[T]:
    """Parse every JSON line; a bad one raises BadInput naming `source:line`."""
    out = []
    for no, obj in read_jsonl(lines, source):
        try:
            out.append(parse(obj))
        except BadInput as exc:
            raise BadInput(f"{source}:{no}: {exc}") from None
    return out


def parse_events(
    lines: Iterable[str], source: str = "events", received: datetime | None = None
) -> list[Event]:
    """Segment messages, one a line; without `received`, every message needs a timestamp."""
    return _parse_lines(lines, source, lambda obj: parse_message(obj, received))


def parse_contacts(lines: Iterable[str], now: datetime, source: str = "contacts") -> list[Contact]:
    return _parse_lines(lines, source, lambda obj: parse_contact(obj, now))


def line_of(a: ActionLine) -> dict[str, Any]:
    return {"at": timing.iso(a.at), "contact": a.contact, "process": a.process, "node": a.node,
            "action": a.action, **a.params}


def resolve_until(until: str, start: datetime) -> datetime:
    try:
        return start + parse_duration(until)
    except DurationError:
        try:
            return timing.parse_instant(until)
        except ValueError:
            raise BadInput(f"--until: {until!r} is neither an ISO time nor a duration") from None


def simulate(
    processes: Sequence[Process],
    events: Sequence[Event],
    contacts: Sequence[Contact] = (),
    start: datetime | None = None,
    until: str | datetime = "30d",
    db_path: Path | None = None,
) -> Result:
    """Run `processes` on `events` from `start` to `until`; every process is enabled at
    start (default: the first event's time), and earlier events only build history."""
    if start is None:
        if not events:
            raise BadInput("no events and no --start: nothing to simulate")
        start = min(e.timestamp for e in events)
    end = until if isinstance(until, datetime) else resolve_until(until, start)
    with tempfile.TemporaryDirectory(prefix="nurtura-sim-") as tmp:
        store = Store(f"sqlite:///{db_path or Path(tmp) / 'sim.db'}")
        try:
            return _run(store, processes, events, contacts, start, end)
        finally:
            store.close()


def _run(store: Store, processes: Sequence[Process], events: Sequence[Event],
         contacts: Sequence[Contact], start: datetime, end: datetime) -> Result:
    names = [p.name for p in processes]
    if len(set(names)) != len(names):
        raise BadInput(f"two processes share a name: {names}")
    for p in processes:
        store.save_process(p, start)
    for p in processes:
        store.set_enabled(p.name, True, start)
    store.put_contacts(contacts)
    store.ingest(events)
    clock = SimClock(start)
    actions: list[ActionLine] = []
    worker = Worker(store, clock, batch_size=1000, on_actions=actions.extend)
    while True:
        due = store.next_due()
        if due is None or due > end:
            break
        clock.jump(due)
        worker.drain(max(due, clock.now()))
    actions.sort(key=lambda a: (a.at, a.contact, a.process, a.node))
    stats = {info.name: store.stats(info.id) for info in store.list_processes()}
    return Result([line_of(a) for a in actions], stats)


def load_process_file(path: Path, templates: set[str] | None = None) -> Process:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise BadInput(f"{path}:{exc.lineno}: not valid JSON ({exc.msg})") from None
    except OSError as exc:
        raise BadInput(f"{path}: {exc.strerror}") from None
    try:
        return load_process(raw, templates)
    except ProcessInvalid as exc:
        raise ProcessInvalid(
            [type(p)(f"{path}: {p.path}", p.message) for p in exc.problems]
        ) from None
