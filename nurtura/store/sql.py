"""The Store: one SQL implementation for SQLite and PostgreSQL, speaking domain objects.

Queries are SQLAlchemy Core expressions with bound parameters; none is built from input.
"""

from __future__ import annotations

import fcntl
import json
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Integer,
    and_,
    bindparam,
    delete,
    func,
    select,
    text,
    union_all,
    update,
)
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError

from nurtura.engine.core import Deployed, SplitTally, World
from nurtura.engine.state import ACTIVE, EXITED, Contact, Event, HistoryEntry, Run, Step
from nurtura.errors import NurturaError, UnknownProcess
from nurtura.model.process import SplitNode
from nurtura.model.validate import Process, load_process
from nurtura.store import codec, dialect, migrate
from nurtura.store import history as hist_codec
from nurtura.store.bulk import CHUNK, Queries, padded
from nurtura.store.dialect import Part
from nurtura.store.schema import (
    contacts,
    events,
    inbox,
    outbox,
    process_versions,
    processes,
    runs,
    stats,
)

CLAIM_SPARE = 4  # due candidates read per contact wanted, for when other workers hold some
HISTORY_LIMIT = 500  # entries kept in a run's history; older ones are summarised
NOTIFY_WORK = text("SELECT pg_notify('nurtura_work', '')")  # channels of runtime/notify.py
NOTIFY_OUTBOX = text("SELECT pg_notify('nurtura_outbox', '')")
# How a worker's batch is planned, for its transaction only (Store.claim)
BATCH_PLAN = text("SELECT set_config('enable_bitmapscan', 'off', true), "
                  "set_config('random_page_cost', '1.1', true)")
# Statistics of the tables a batch reads (Store.refresh_statistics)
STALE_ROWS = 10_000
STALE_TABLES = text(
    "SELECT s.relname FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid "
    "WHERE s.schemaname = current_schema() "
    "AND s.relname IN ('contacts', 'events', 'inbox', 'runs', 'outbox') "
    "AND s.n_mod_since_analyze > greatest(:rows, c.reltuples) ORDER BY s.relname")
STATISTICS_LOCK = text("SELECT pg_try_advisory_lock(20086, 1)")  # 0x4E76: not a contact's
STATISTICS_UNLOCK = text("SELECT pg_advisory_unlock(20086, 1)")
INGEST_TRIES = 5  # an ingest transaction rolled back by a deadlock is run again this often
ROLLED_BACK = {"40P01", "40001"}  # PostgreSQL: deadlock detected, serialization failure


@dataclass
class ProcessInfo:
    id: int
    name: str
    enabled: bool
    version: int
    activated_at: datetime | None


@dataclass
class Claim:
    """The contacts a worker holds for one batch; `conn` is the batch's transaction on
    PostgreSQL (None on SQLite)."""

    ids: list[str]
    conn: Connection | None


@dataclass
class Batch:
    """What the worker needs for a set of contacts, loaded in a few bulk queries."""

    contacts: dict[str, Contact]
    known: set[str]  # contact ids already stored
    runs: dict[str, dict[str, Run]]  # contact id → active runs by id
    pending: dict[str, list[tuple[int, Event]]]  # contact id → (row id, event), in order
    history: dict[str, list[Event]]
    hist_text: dict[str, str | None] = field(default_factory=dict)  # run id → stored history
    orphans: list[tuple[str, int]] = field(default_factory=list)  # queue rows without event


def _rolled_back(exc: OperationalError) -> bool:
    """PostgreSQL rolled the transaction back to break a deadlock (or a serialization
    conflict): running it again is the remedy."""
    return getattr(exc.orig, "sqlstate", None) in ROLLED_BACK


def _chunks(items: Sequence[Any], n: int = CHUNK) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), n):
        yield items[i : i + n]


def _due_query(n_enabled: int, n_skip: int, part: bool, at: bool
               ) -> tuple[Any, list[str]]:
    """The statement of what is due, for one shape of its parameters; it returns
    (contact id, instant) of the oldest `lim` queued inputs and of the oldest `lim`
    wake-ups of each enabled process, oldest first: one ordered range scan of `inbox_due`
    and one of `runs_wake (process_id, wake_at)` per process, so the cost does not grow
    with the number of runs waiting.

    Bound parameters: `p0`… the enabled process ids; `s0`… contacts a worker set aside
    (left out in SQL, however many inputs they have); `pk`, `pi` a SQLite worker process's
    share (`dialect.contact_part` modulo `pk` is `pi`); `at` the instant (when `at`), and
    `lim` (with `off`, 0). Compiled once per shape (`Queries.cached`): building and
    compiling it cost more than SQLite's scans."""
    def mine(col: Any) -> list[Any]:
        out = []
        if n_skip:
            out.append(col.not_in([bindparam(f"s{j}") for j in range(n_skip)]))
        if part:
            out.append(func.nurtura_part(col, type_=Integer) % bindparam("pk", type_=Integer)
                       == bindparam("pi", type_=Integer))
        return out

    lim = bindparam("lim", type_=Integer)
    off = bindparam("off", type_=Integer)  # always 0: SQLite's LIMIT ? renders an OFFSET ?
    until = bindparam("at", type_=BigInteger)
    queued = select(inbox.c.contact_id, inbox.c.ts.label("t")).where(*mine(inbox.c.contact_id))
    if at:
        queued = queued.where(inbox.c.ts <= until)
    scans = [queued.order_by(inbox.c.ts).limit(lim).offset(off).subquery()]
    for j in range(n_enabled):
        waking = select(runs.c.contact_id, runs.c.wake_at.label("t")).where(
            runs.c.process_id == bindparam(f"p{j}", type_=Integer), runs.c.wake_at.isnot(None),
            *mine(runs.c.contact_id))
        if at:
            waking = waking.where(runs.c.wake_at <= until)
        scans.append(waking.order_by(runs.c.wake_at).limit(lim).offset(off).subquery())
    every = union_all(*[select(q.c.contact_id, q.c.t) for q in scans]).subquery()
    cols = [*(f"p{j}" for j in range(n_enabled)), *(f"s{j}" for j in range(n_skip)), "lim", "off"]
    cols += ["pk", "pi"] if part else []
    cols += ["at"] if at else []
    return select(every.c.contact_id, every.c.t).order_by(every.c.t, every.c.contact_id), cols


class Store:
    """Everything persistent: processes, contacts, events, runs, outbox, statistics."""

    def __init__(self, url: str, *, upgrade: bool = True) -> None:
        self.url = url
        self.engine = dialect.make_engine(url)
        self.shared = self.engine.dialect.name == "postgresql"  # many workers, many machines
        if upgrade:
            migrate.upgrade(self.engine)
        self.q = Queries(self.engine)
        self._world: World | None = None
        self._world_sig: tuple[Any, ...] = ()
        self._turn: Any = None  # SQLite worker processes: the lock file of `take_turns`

    def close(self) -> None:
        self.engine.dispose()
        if self._turn is not None:
            self._turn.close()
            self._turn = None

    def take_turns(self) -> None:
        """SQLite, a worker process of several (runtime/pool.py): from now on the worker's
        write transactions wait for their turn on a lock file beside the database, which
        passes to the next process the moment it is free. Left to SQLite, a process finding
        the database locked sleeps 1, 2, 5, 10, … ms between tries (its busy handler)
        while the others keep taking the lock."""
        path = self._sqlite_file()
        if path and self._turn is None:
            self._turn = open(f"{path}.write-turn", "a+")  # noqa: SIM115 - closed by close()

    def _sqlite_file(self) -> str | None:
        """The SQLite database's file, beside which its lock files go (None: PostgreSQL,
        or SQLite in memory)."""
        path = self.engine.url.database
        return path if not self.shared and path and path != ":memory:" else None

    @contextmanager
    def _my_turn(self) -> Iterator[None]:
        if self._turn is None:
            yield
            return
        fcntl.flock(self._turn, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(self._turn, fcntl.LOCK_UN)

    # -- processes ------------------------------------------------------------------------

    def save_process(self, process: Process, now: datetime) -> tuple[int, int]:
        """Create the process or publish a new version of it; returns (id, version).

        Active runs continue on the new version from their node; a run whose node is gone
        exits with reason `node_removed`.
        """
        doc = process.document()
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

    def process_doc(self, process: str | int, version: int | None = None) -> dict[str, Any]:
        """The file of a process (by name, or by id), at its current or a given version, read
        in one query: a process deleted or renamed by another request meanwhile is an
        UnknownProcess, not a half-read."""
        key = processes.c.id if isinstance(process, int) else processes.c.name
        with self.engine.connect() as conn:
            doc = conn.execute(
                select(process_versions.c.doc)
                .join(processes, processes.c.id == process_versions.c.process_id)
                .where(key == process, process_versions.c.version == (
                    version if version is not None else processes.c.version))
            ).scalar()
        if doc is None:
            what = f"id {process}" if isinstance(process, int) else f"named {process!r}"
            raise UnknownProcess(f"no process {what}" + (
                f" with a version {version}" if version is not None else ""))
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
        """Store input events, queued for the worker; a repeated message_id is ignored.
        Returns how many were new.

        PostgreSQL: two API processes storing the same messages at once, each in its own
        order (group commit joins requests in the order they came), can deadlock on the
        message-id index: each waits for a row the other inserted first. PostgreSQL then
        rolls one transaction back; it is simply run again (nothing of it was kept, and
        what the other stored is skipped as repeated), instead of failing its requests."""
        if not evs:
            return 0
        for attempt in range(1, INGEST_TRIES + 1):
            try:
                return self._ingest(evs)
            except OperationalError as exc:
                if attempt == INGEST_TRIES or not _rolled_back(exc):
                    raise
                time.sleep(0.01 * attempt)
        raise AssertionError("unreachable")  # pragma: no cover

    def _ingest(self, evs: Sequence[Event]) -> int:
        n = 0
        with self.engine.begin() as conn:
            for part in _chunks(evs, 1000):
                n += self.q.ingest.many(conn, [codec.event_values(e, True) for e in part])
            if n and self.shared:  # wake idle workers on every machine, at commit
                conn.execute(NOTIFY_WORK)
        return n

    def put_contacts(self, items: Sequence[Contact]) -> None:
        """Create or replace contacts (the `--contacts` file, imports); a contact given twice
        is the last one given (one statement cannot write a row twice on PostgreSQL).
        Written in id order: two imports of the same contacts at once then lock their rows
        in one order, and cannot deadlock."""
        last = {c.id: c for c in items}
        items = [last[cid] for cid in sorted(last)]
        with self.engine.begin() as conn:
            for part in _chunks(items, 1000):
                self.q.put_contacts.many(conn, [codec.contact_values(c) for c in part])

    def get_contact(self, contact_id: str) -> Contact | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(contacts).where(contacts.c.id == contact_id)).first()
        return codec.contact_from_row(row) if row else None

    # -- the worker's side ----------------------------------------------------------------

    def _enabled_ids(self, conn: Connection) -> list[int]:
        return list(conn.execute(select(processes.c.id).where(processes.c.enabled)).scalars())

    def due_contacts(self, now: datetime, limit: int, skip: Iterable[str] = (),
                     part: Part | None = None) -> list[str]:
        """Contacts with a pending event or a due run (of an enabled process), oldest first;
        none of `skip`; only those of `part` when given (SQLite worker processes)."""
        with self.engine.connect() as conn:
            return self._due(conn, now, limit, skip, part)

    def _due(self, conn: Connection, now: datetime, limit: int,
             skip: Iterable[str] = (), part: Part | None = None) -> list[str]:
        out: dict[str, None] = {}
        for cid, _ in self._due_rows(conn, limit, skip, part, codec.ms(now)):
            out.setdefault(cid, None)
            if len(out) >= limit:
                break
        return list(out)

    def _due_rows(self, conn: Connection, limit: int, skip: Iterable[str], part: Part | None,
                  at: int | None) -> list[tuple[Any, ...]]:
        """(contact id, instant) of what is due at `at` (all that is pending, if None),
        oldest first (`_due_query`)."""
        enabled = self._enabled_ids(conn)
        skip = list(skip)
        shape = ("due", len(enabled), len(skip), part is not None, at is not None)
        query = self.q.cached(shape, lambda: _due_query(*shape[1:]))
        values: list[Any] = [*enabled, *skip, limit, 0]
        values += part[::-1] if part is not None else []  # (pk, pi)
        values += [at] if at is not None else []
        return query.all(conn, values)

    @contextmanager
    def claim(self, now: datetime, limit: int, skip: set[str] | None = None,
              part: Part | None = None) -> Iterator[Claim]:
        """A worker's batch: up to `limit` due contacts that no other worker holds.

        PostgreSQL: one transaction for the whole batch; each contact's advisory lock is
        taken with `pg_try_advisory_xact_lock` (a contact another worker holds is skipped,
        the next due one is taken instead), the batch is loaded and applied on that
        connection, and the locks end at commit — or with the session when the worker
        dies. SQLite has a single writer and a single worker (see `worker_lock`), of one or
        several processes: the batch is read outside the write transaction, so the API can
        keep ingesting meanwhile.
        Contacts in `skip` (set aside by the worker) are not taken. `part`: SQLite's worker
        processes (`nurtura worker --processes K`) each take only their own share of the
        contacts (`dialect.contact_part`), so no contact is ever in two of their batches;
        PostgreSQL's workers need no shares (the locks above), and `part` is ignored there.
        """
        skip = skip or set()
        if not self.shared:
            yield Claim(self.due_contacts(now, limit, skip, part), None)
            return
        with self.engine.begin() as conn:
            # Every query of a batch is an index lookup (due inputs in time order, rows of
            # the batch's contacts); with statistics older than a burst of new runs the
            # planner preferred bitmap scans that read every waiting run (0.2–0.5 s a
            # query at a million runs). Plain index scans are right whatever the stats say.
            # And the rows a batch reads are the ones written lately, in memory (or on an
            # SSD): at the default random_page_cost (4, a spinning disk's) the planner
            # costed 500 lookups of queued events above a hash join over every event,
            # whose cost grows with the table (and see `refresh_statistics`).
            conn.execute(BATCH_PLAN)
            candidates = self._due(conn, now, limit * CLAIM_SPARE, skip)  # no shares here
            ids = dialect.try_lock_contacts(conn, candidates, limit) if candidates else []
            yield Claim(ids, conn)

    @contextmanager
    def worker_lock(self) -> Iterator[None]:
        """Held by a worker. SQLite allows ONE worker per database file (its writes are
        serialised anyway; the worker may run as several processes, runtime/pool.py,
        which inherit this lock); a second one is refused with a clear message.
        PostgreSQL: no-op, workers coordinate per contact (`claim`)."""
        path = self._sqlite_file()
        if path is None:
            yield
            return
        with open(f"{path}.worker-lock", "a+") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise NurturaError(
                    f"another worker is already running on {path}: SQLite takes one worker "
                    "per database (use its --processes for more cores, PostgreSQL to run "
                    "many)") from None
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def refresh_statistics(self) -> list[str]:
        """PostgreSQL: ANALYZE the tables a worker's batches read whose rows changed by more
        than they held when their statistics were taken (and by at least STALE_ROWS);
        returns the tables analyzed. One worker at a time does it (the others skip).

        The batch queries are lookups by contact id, and right plans for them need to
        know that a table holds many contacts: with statistics taken while the tables were
        nearly empty (a new database, then a burst of contacts), the planner read every
        active run through `runs_process` and hash-joined every event for each batch, at a
        million waiting runs 746 µs of PostgreSQL CPU per contact instead of ~100. This is
        what autovacuum's ANALYZE does, for when it is off or behind a burst; with it on
        and keeping up, there is nothing left to do here. Doubling the rows before the next
        ANALYZE keeps the statistics within a factor of two of the truth at the cost of
        one ANALYZE (a sample of 30,000 rows) per doubling."""
        if not self.shared:
            return []
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            if not conn.execute(STATISTICS_LOCK).scalar():
                return []  # another worker is at it
            try:
                stale = [r[0] for r in conn.execute(STALE_TABLES, {"rows": STALE_ROWS})]
                for table in stale:  # names from the fixed list in STALE_TABLES
                    conn.execute(text(f"ANALYZE {table}"))
            finally:
                conn.execute(STATISTICS_UNLOCK)
        return stale

    def next_due(self, part: Part | None = None) -> datetime | None:
        """The earliest instant at which there is work: a pending event or a run's wake-up
        (of `part`'s contacts only, when given)."""
        if self.shared:
            part = None
        with self.engine.connect() as conn:
            first = self._due_rows(conn, 1, (), part, None)
        return codec.dt(first[0][1]) if first else None

    def load_batch(self, ids: Sequence[str], now: datetime, history: set[str],
                   conn: Connection | None = None) -> Batch:
        """Contacts, active runs, pending events and history of `ids` (on `conn`, the
        claim's transaction, when given)."""
        at = codec.ms(now)
        batch = Batch({}, set(), defaultdict(dict), defaultdict(list), defaultdict(list))
        q = self.q
        with self._on(conn, write=False) as conn:
            for part in _chunks(ids):
                keys = padded(part)
                for v in q.contacts.all(conn, keys):
                    batch.contacts[v[0]] = codec.contact_from_values(v)
                    batch.known.add(v[0])
                for v in q.runs.all(conn, [*keys, codec.STATUS_CODE[ACTIVE]]):
                    run = codec.run_from_values(v)
                    batch.runs[v[1]][run.id] = run
                    batch.hist_text[run.id] = v[12]
                for v in q.pending.all(conn, [*keys, at]):
                    if v[2] is None:  # its event is gone: nothing to handle, drop the row
                        batch.orphans.append((v[1], v[0]))
                    else:
                        batch.pending[v[1]].append((v[0], codec.event_from_values(v)))
                if history:
                    queued = select(inbox.c.event_id).where(
                        inbox.c.contact_id == events.c.contact_id,
                        inbox.c.event_id == events.c.id)
                    for row in conn.execute(
                        select(*[events.c[c] for c in codec.EVENT_READ_COLS])
                        .where(events.c.contact_id.in_(part), events.c.name.in_(history),
                               ~queued.exists())  # not those still waiting to be handled
                        .order_by(events.c.ts, events.c.id)
                    ):
                        batch.history[row.contact_id].append(codec.event_from_values(row))
        return batch

    def apply(self, batch: Batch, step: Step, handled: Sequence[tuple[str, int]],
              touched_contacts: Iterable[str], conn: Connection | None = None) -> None:
        """Persist a batch's merged Step in ONE transaction: contacts, runs, events, outbox,
        statistics, and the pending events it handled."""
        contact_rows = [codec.contact_values(batch.contacts[cid]) for cid in touched_contacts]
        hist = _merge_history(batch, step)
        old = batch.hist_text
        run_rows = [codec.run_values(r, hist.get(r.id, old.get(r.id)))
                    for r in step.runs.values()]
        event_rows = [codec.event_values(e, None, keep_id=False) for e in step.events]
        outbox_rows = [codec.outbox_values(o) for o in step.outbox]
        q = self.q
        with self._my_turn(), self._on(conn, write=True) as conn:
            if contact_rows:
                q.put_contacts.many(conn, contact_rows)
            if run_rows:
                q.put_runs.many(conn, run_rows)
            if handled:
                q.handled.many(conn, handled)  # (contact id, event id): the primary key
            if event_rows:
                q.emitted.many(conn, event_rows)
            if outbox_rows:
                q.outbox.many(conn, outbox_rows)
                if self.shared:
                    conn.execute(NOTIFY_OUTBOX)
            self._add_stats(conn, step.stats)

    def _on(self, conn: Connection | None, write: bool) -> AbstractContextManager[Connection]:
        """The claim's connection as it is, else a new one (a transaction if `write`)."""
        if conn is not None:
            return nullcontext(conn)
        return self.engine.begin() if write else self.engine.connect()

    def _add_stats(self, conn: Connection, counts: dict[tuple[int, str, str], int]) -> None:
        if counts:  # in key order: concurrent workers then lock the rows in one order
            self.q.stats.many(conn, [(p, n, k, v) for (p, n, k), v in sorted(counts.items())])

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
                select(runs).where(runs.c.contact_id == contact_id)
                .order_by(runs.c.started_at, runs.c.id)
            ).all()
        return [(codec.run_from_row(r), hist_codec.decode_text(r.hist, r.started_at)) for r in rows]

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
    """Append this batch's history entries to each run's stored history (store/history.py).

    The stored text is our own compact JSON, so appending is text work: only a history that
    might pass HISTORY_LIMIT is parsed and truncated (each stored item, `[seconds, …]`, is at
    least 3 characters plus a comma, which bounds how many items the text can hold).
    """
    new: dict[str, list[HistoryEntry]] = {}
    for h in step.history:
        got = new.get(h.run_id)
        if got is None:
            new[h.run_id] = [h]
        else:
            got.append(h)
    out = {}
    old_texts = batch.hist_text
    for rid, entries in new.items():
        run = step.runs.get(rid) or _find_run(batch, rid)
        items = hist_codec.encode_items(
            [(int(h.at.timestamp()), h.entries) for h in entries], int(run.started_at.timestamp()))
        old = old_texts.get(rid)
        if not old or old == "[]":
            if len(items) <= HISTORY_LIMIT:
                out[rid] = codec.dumps(items)
                continue
        elif (len(old) - 1) // 4 + len(items) <= HISTORY_LIMIT:
            out[rid] = old[:-1] + "," + codec.dumps(items)[1:]
            continue
        merged = (json.loads(old) if old else []) + items
        if len(merged) > HISTORY_LIMIT:
            merged = [["truncated", len(merged) - HISTORY_LIMIT], *merged[-HISTORY_LIMIT:]]
        out[rid] = codec.dumps(merged)
    return out


def _find_run(batch: Batch, rid: str) -> Run:
    for runs_ in batch.runs.values():
        if rid in runs_:
            return runs_[rid]
    raise KeyError(f"history for run {rid}, which is neither in the step nor the batch")
