"""The Store: one SQL implementation for SQLite and PostgreSQL, speaking domain objects.

Queries are SQLAlchemy Core expressions with bound parameters; none is built from input.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, delete, func, select, update
from sqlalchemy.engine import Connection

from nurtura.engine.core import Deployed, SplitTally, World
from nurtura.engine.state import ACTIVE, EXITED, Contact, Event, Run, Step
from nurtura.errors import UnknownProcess
from nurtura.model.process import SplitNode
from nurtura.model.validate import Process, load_process
from nurtura.store import codec, dialect, migrate
from nurtura.store.schema import (
    contacts,
    events,
    outbox,
    process_versions,
    processes,
    runs,
    stats,
)

CHUNK = 500
HISTORY_LIMIT = 500  # entries kept in a run's history; older ones are summarised


@dataclass
class ProcessInfo:
    id: int
    name: str
    enabled: bool
    version: int
    activated_at: datetime | None


@dataclass
class Batch:
    """What the worker needs for a set of contacts, loaded in a few bulk queries."""

    contacts: dict[str, Contact]
    known: set[str]  # contact ids already stored
    runs: dict[str, dict[str, Run]]  # contact id → active runs by id
    pending: dict[str, list[tuple[int, Event]]]  # contact id → (row id, event), in order
    history: dict[str, list[Event]]
    hist_text: dict[str, str | None] = field(default_factory=dict)  # run id → stored history


def _chunks(items: Sequence[Any], n: int = CHUNK) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), n):
        yield items[i : i + n]


class Store:
    """Everything persistent: processes, contacts, events, runs, outbox, statistics."""

    def __init__(self, url: str, *, upgrade: bool = True) -> None:
        self.url = url
        self.engine = dialect.make_engine(url)
        if upgrade:
            migrate.upgrade(self.engine)
        self._world: World | None = None
        self._world_sig: tuple[Any, ...] = ()

    def close(self) -> None:
        self.engine.dispose()

    # -- processes ------------------------------------------------------------------------

    def save_process(self, process: Process, now: datetime) -> tuple[int, int]:
        """Create the process or publish a new version of it; returns (id, version).

        Active runs continue on the new version from their node; a run whose node is gone
        exits with reason `node_removed`.
        """
        doc = process.file.to_json()
        with self.engine.begin() as conn:
            row = conn.execute(
                select(processes.c.id, processes.c.version).where(
                    processes.c.name == process.name
                )
            ).first()
            at = codec.ms(now)
            if row is None:
                key = conn.execute(
                    processes.insert().values(
                        name=process.name, enabled=False, version=1, created_at=at,
                        updated_at=at,
                    )
                ).inserted_primary_key
                assert key is not None
                pid = key[0]
                version = 1
            else:
                pid, version = row.id, row.version
                current = conn.execute(
                    select(process_versions.c.doc).where(
                        process_versions.c.process_id == pid,
                        process_versions.c.version == version,
                    )
                ).scalar_one()
                if json.loads(current) == json.loads(doc):
                    return pid, version
                version += 1
                conn.execute(
                    update(processes).where(processes.c.id == pid).values(
                        version=version, updated_at=at
                    )
                )
                self._remove_orphans(conn, pid, set(process.nodes), now)
            conn.execute(
                process_versions.insert().values(
                    process_id=pid, version=version, doc=doc, created_at=at
                )
            )
        return int(pid), int(version)

    def _remove_orphans(self, conn: Connection, pid: int, nodes: set[str], now: datetime) -> None:
        gone = conn.execute(
            update(runs)
            .where(runs.c.process_id == pid, runs.c.status == ACTIVE, runs.c.node.not_in(nodes))
            .values(status=EXITED, reason="node_removed", ended_at=codec.ms(now), wake_at=None)
        ).rowcount
        if gone:
            self._add_stats(conn, {(pid, "", "exited"): gone})

    def process_info(self, name: str) -> ProcessInfo:
        with self.engine.connect() as conn:
            row = conn.execute(select(processes).where(processes.c.name == name)).first()
        if row is None:
            raise UnknownProcess(f"no process named {name!r}")
        return ProcessInfo(row.id, row.name, row.enabled, row.version,
                           codec.dt_or_none(row.activated_at))

    def list_processes(self) -> list[ProcessInfo]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(processes).order_by(processes.c.id)).all()
        return [ProcessInfo(r.id, r.name, r.enabled, r.version,
                            codec.dt_or_none(r.activated_at)) for r in rows]

    def set_enabled(self, name: str, enabled: bool, now: datetime) -> ProcessInfo:
        """Enable (activation time = now) or disable a process; runs pause while disabled."""
        info = self.process_info(name)
        values: dict[str, Any] = {"enabled": enabled, "updated_at": codec.ms(now)}
        if enabled and not info.enabled:
            values["activated_at"] = codec.ms(now)
        with self.engine.begin() as conn:
            conn.execute(update(processes).where(processes.c.id == info.id).values(**values))
        return self.process_info(name)

    def process_doc(self, name: str, version: int | None = None) -> dict[str, Any]:
        info = self.process_info(name)
        with self.engine.connect() as conn:
            doc = conn.execute(
                select(process_versions.c.doc).where(
                    process_versions.c.process_id == info.id,
                    process_versions.c.version == (version or info.version),
                )
            ).scalar_one()
        result: dict[str, Any] = json.loads(doc)
        return result

    def world(self) -> World:
        """The deployed processes, reloaded only when one changed; split tallies fresh."""
        with self.engine.connect() as conn:
            sig_rows = conn.execute(
                select(processes.c.id, processes.c.version, processes.c.enabled,
                       processes.c.activated_at).order_by(processes.c.id)
            ).all()
            sig = tuple(tuple(r) for r in sig_rows)
            if self._world is None or sig != self._world_sig:
                docs = conn.execute(
                    select(process_versions.c.process_id, process_versions.c.doc).join(
                        processes,
                        and_(processes.c.id == process_versions.c.process_id,
                             processes.c.version == process_versions.c.version),
                    )
                ).all()
                by_id = {r.process_id: r.doc for r in docs}
                deployed = {
                    r.id: Deployed(r.id, load_process(json.loads(by_id[r.id])), bool(r.enabled),
                                   codec.dt_or_none(r.activated_at))
                    for r in sig_rows
                }
                self._world = World(deployed)
                self._world_sig = sig
            world = self._world
            self._load_tallies(conn, world)
        return world

    def _load_tallies(self, conn: Connection, world: World) -> None:
        wanted = {
            (d.id, nid): len(n.branches)
            for d in world.processes.values()
            for nid, n in d.process.nodes.items()
            if isinstance(n, SplitNode) and n.winner is not None
        }
        world.splits = {k: SplitTally([0] * n, [0] * n) for k, n in wanted.items()}
        if not wanted:
            return
        rows = conn.execute(
            select(stats.c.process_id, stats.c.node, stats.c.key, stats.c.n).where(
                stats.c.process_id.in_({pid for pid, _ in wanted}),
                stats.c.key.like("branch:%"),
            )
        ).all()
        for r in rows:
            tally = world.splits.get((r.process_id, r.node))
            _, idx, kind = r.key.split(":")
            if tally is not None and int(idx) < len(tally.runs):
                (tally.runs if kind == "runs" else tally.wins)[int(idx)] = r.n

    # -- ingestion ------------------------------------------------------------------------

    def ingest(self, evs: Sequence[Event]) -> int:
        """Store events as pending; a repeated message_id is ignored. Returns how many new."""
        if not evs:
            return 0
        stmt = dialect.insert_ignore(
            self.engine, events, ["message_id"], where=events.c.message_id.isnot(None)
        )
        n = 0
        with self.engine.begin() as conn:
            for part in _chunks(evs, 1000):
                n += conn.execute(stmt, [codec.event_row(e, True) for e in part]).rowcount
        return n

    def put_contacts(self, items: Sequence[Contact]) -> None:
        """Create or replace contacts (the `--contacts` file, imports)."""
        stmt = dialect.upsert(self.engine, contacts, ["id"],
                              ["email", "paid_total", "paid_count", "last_paid_at", "doc"])
        with self.engine.begin() as conn:
            for part in _chunks(items, 1000):
                conn.execute(stmt, [codec.contact_row(c) for c in part])

    def get_contact(self, contact_id: str) -> Contact | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(contacts).where(contacts.c.id == contact_id)).first()
        return codec.contact_from_row(row) if row else None

    # -- the worker's side ----------------------------------------------------------------

    def _enabled_ids(self, conn: Connection) -> list[int]:
        return list(conn.execute(select(processes.c.id).where(processes.c.enabled)).scalars())

    def due_contacts(self, now: datetime, limit: int) -> list[str]:
        """Contacts with a pending event or a due run (of an enabled process), oldest first."""
        at = codec.ms(now)
        with self.engine.connect() as conn:
            enabled = self._enabled_ids(conn)
            ev = conn.execute(
                select(events.c.contact_id, events.c.ts)
                .where(events.c.pending, events.c.ts <= at)
                .order_by(events.c.ts).limit(limit)
            ).all()
            wake = conn.execute(
                select(runs.c.contact_id, runs.c.wake_at)
                .where(runs.c.wake_at.isnot(None), runs.c.wake_at <= at,
                       runs.c.process_id.in_(enabled))
                .order_by(runs.c.wake_at).limit(limit)
            ).all() if enabled else []
        merged = sorted([*ev, *wake], key=lambda r: r[1])
        out: dict[str, None] = {}
        for cid, _ in merged:
            out.setdefault(cid, None)
            if len(out) >= limit:
                break
        return list(out)

    def next_due(self) -> datetime | None:
        """The earliest instant at which there is work: a pending event or a run's wake-up."""
        with self.engine.connect() as conn:
            enabled = self._enabled_ids(conn)
            a = conn.execute(select(func.min(events.c.ts)).where(events.c.pending)).scalar()
            b = conn.execute(
                select(func.min(runs.c.wake_at)).where(
                    runs.c.wake_at.isnot(None), runs.c.process_id.in_(enabled)
                )
            ).scalar() if enabled else None
        values = [v for v in (a, b) if v is not None]
        return codec.dt(min(values)) if values else None

    def load_batch(self, ids: Sequence[str], now: datetime, history: set[str]) -> Batch:
        at = codec.ms(now)
        batch = Batch({}, set(), defaultdict(dict), defaultdict(list), defaultdict(list))
        with self.engine.connect() as conn:
            for part in _chunks(ids):
                for row in conn.execute(select(contacts).where(contacts.c.id.in_(part))):
                    batch.contacts[row.id] = codec.contact_from_row(row)
                    batch.known.add(row.id)
                for row in conn.execute(
                    select(runs).where(runs.c.contact_id.in_(part), runs.c.status == ACTIVE)
                ):
                    batch.runs[row.contact_id][row.id] = codec.run_from_row(row)
                    batch.hist_text[row.id] = row.hist
                for row in conn.execute(
                    select(events)
                    .where(events.c.contact_id.in_(part), events.c.pending, events.c.ts <= at)
                    .order_by(events.c.ts, events.c.id)
                ):
                    batch.pending[row.contact_id].append((row.id, codec.event_from_row(row)))
                if history:
                    for row in conn.execute(
                        select(events)
                        .where(events.c.contact_id.in_(part), events.c.name.in_(history),
                               events.c.pending.is_(None))
                        .order_by(events.c.ts, events.c.id)
                    ):
                        batch.history[row.contact_id].append(codec.event_from_row(row))
        return batch

    def apply(self, batch: Batch, step: Step, handled: Sequence[int],
              touched_contacts: Iterable[str]) -> None:
        """Persist a batch's merged Step in ONE transaction: contacts, runs, events, outbox,
        statistics, and the pending events it handled."""
        contact_rows = [codec.contact_row(batch.contacts[cid]) for cid in touched_contacts]
        hist = _merge_history(batch, step)
        run_rows = []
        for run in step.runs.values():
            row = codec.run_row(run)
            row["hist"] = hist.get(run.id, batch.hist_text.get(run.id))
            run_rows.append(row)
        with self.engine.begin() as conn:
            if contact_rows:
                conn.execute(
                    dialect.upsert(self.engine, contacts, ["id"],
                                   ["email", "paid_total", "paid_count", "last_paid_at", "doc"]),
                    contact_rows,
                )
            if run_rows:
                cols = [c for c in run_rows[0] if c not in ("id", "contact_id", "started_at",
                                                            "process_id")]
                conn.execute(dialect.upsert(self.engine, runs, ["id"], cols), run_rows)
            if handled:
                conn.execute(
                    update(events).where(events.c.id == bindparam("eid")).values(pending=None),
                    [{"eid": i} for i in handled],
                )
            if step.events:
                conn.execute(events.insert(),
                             [codec.event_row(e, None, keep_id=False) for e in step.events])
            if step.outbox:
                conn.execute(
                    dialect.insert_ignore(self.engine, outbox, ["key"]),
                    [
                        {"key": o.key, "contact_id": o.contact_id, "run_id": o.run_id,
                         "process_id": o.process_id, "node": o.node, "channel": o.channel,
                         "created_at": codec.ms(o.created_at), "payload": codec.dumps(o.payload),
                         "status": "pending", "attempts": 0, "next_at": codec.ms(o.created_at)}
                        for o in step.outbox
                    ],
                )
            self._add_stats(conn, step.stats)

    def _add_stats(self, conn: Connection, counts: dict[tuple[int, str, str], int]) -> None:
        if counts:
            conn.execute(
                dialect.increment(self.engine, stats, ["process_id", "node", "key"], "n"),
                [{"process_id": p, "node": n, "key": k, "n": v} for (p, n, k), v in counts.items()],
            )

    # -- reading --------------------------------------------------------------------------

    def stats(self, process_id: int) -> dict[str, Any]:
        """Per process: entered, active, completed (by outcome), exited, failed; per node:
        reached, waiting now, sent and the rest of its counters."""
        with self.engine.connect() as conn:
            counts = conn.execute(
                select(stats.c.node, stats.c.key, stats.c.n).where(stats.c.process_id == process_id)
            ).all()
            waiting = conn.execute(
                select(runs.c.node, func.count())
                .where(runs.c.process_id == process_id, runs.c.status == ACTIVE)
                .group_by(runs.c.node)
            ).all()
        out: dict[str, Any] = {"entered": 0, "active": 0, "completed": {}, "exited": 0,
                               "failed": 0, "nodes": {}}
        nodes: dict[str, dict[str, int]] = defaultdict(dict)
        for node, key, n in counts:
            if node:
                nodes[node][key] = n
            elif key.startswith("outcome:"):
                out["completed"][key.split(":", 1)[1]] = n
            elif key in ("entered", "exited", "failed"):
                out[key] = n
        for node, n in waiting:
            nodes[node]["waiting"] = n
            out["active"] += n
        out["nodes"] = {k: dict(sorted(v.items())) for k, v in sorted(nodes.items())}
        return out

    def reset_stats(self, process_id: int) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(stats).where(stats.c.process_id == process_id))

    def runs_of(self, contact_id: str) -> list[tuple[Run, list[Any]]]:
        """A contact's runs with their history, oldest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(runs).where(runs.c.contact_id == contact_id).order_by(runs.c.started_at)
            ).all()
        return [(codec.run_from_row(r), json.loads(r.hist) if r.hist else []) for r in rows]

    def outbox_items(self) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(outbox).order_by(outbox.c.created_at, outbox.c.key)).all()
        return [dict(r._mapping) for r in rows]

    def table_counts(self) -> dict[str, int]:
        with self.engine.connect() as conn:
            return {
                t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
                for t in (contacts, events, runs, outbox, stats)
            }


def _merge_history(batch: Batch, step: Step) -> dict[str, str]:
    """Append this batch's history entries to each run's stored history (compact JSON)."""
    new: dict[str, list[Any]] = defaultdict(list)
    for h in step.history:
        new[h.run_id].append([codec.ms(h.at) // 1000, *h.entries])
    out = {}
    for rid, items in new.items():
        old = batch.hist_text.get(rid)
        merged = (json.loads(old) if old else []) + items
        if len(merged) > HISTORY_LIMIT:
            merged = [["truncated", len(merged) - HISTORY_LIMIT], *merged[-HISTORY_LIMIT:]]
        out[rid] = codec.dumps(merged)
    return out
