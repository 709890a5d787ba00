"""Prometheus metrics.

Two sources, so that a scrape of any one API process describes the whole installation:
- `DatabaseCollector`, read at scrape time from the database every worker writes to: the
  due backlog and the lag of the oldest due input, outbox depth, and the counters of the
  `stats` table (steps = nodes reached, runs entered/completed/exited/failed, messages),
  which count what every worker on every machine did — `rate(nurtura_steps_total[1m])` is
  the installation's steps per second.
- the counters of the worker loop in this process (`nurtura worker --metrics-port`):
  batches, contacts, steps, errors and batch durations of that one worker.
"""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, literal_column, select

from nurtura.clock import Clock
from nurtura.store import codec
from nurtura.store.schema import inbox, outbox, processes, runs, stats
from nurtura.store.sql import Store

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

WORKER = CollectorRegistry()
WORKER_BATCH_SECONDS = Histogram("nurtura_worker_batch_seconds",
                           "Time to claim, load, advance and commit one batch.",
                           registry=WORKER)
WORKER_CONTACTS = Counter("nurtura_worker_contacts", "Contacts advanced by this worker.",
                          registry=WORKER)
WORKER_STEPS = Counter("nurtura_worker_steps", "Steps (nodes reached) taken by this worker.",
                       registry=WORKER)
WORKER_ERRORS = Counter("nurtura_worker_errors", "Batches that failed and were retried.",
                        registry=WORKER)
WORKER_QUARANTINED = Counter("nurtura_worker_quarantined",
                             "Contacts set aside because their batch kept failing.",
                             registry=WORKER)

_RUN_KEYS = {"entered": "entered", "completed": "completed", "exited": "exited",
             "failed": "failed"}
_NODE_KEYS = {"sent", "delivered", "bounced", "undelivered", "opened", "clicked", "failed"}
_WAITING = ("pending", "claimed", "sending")


class DatabaseCollector(Collector):
    """Installation-wide figures, read from the database at each scrape."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    def collect(self) -> Iterable[Metric]:
        now = codec.ms(self.clock.now())
        with self.store.engine.connect() as conn:
            procs = conn.execute(
                select(processes.c.id, processes.c.name, processes.c.enabled)).all()
            enabled = [p.id for p in procs if p.enabled]
            names = {p.id: p.name for p in procs}
            ev_n, ev_min = conn.execute(
                select(func.count(), func.min(inbox.c.ts)).where(inbox.c.ts <= now)).one()
            run_n, run_min = conn.execute(
                select(func.count(), func.min(runs.c.wake_at))
                .where(runs.c.wake_at.isnot(None), runs.c.wake_at <= now,
                       runs.c.process_id.in_(enabled))).one() if enabled else (0, None)
            depth = conn.execute(
                select(outbox.c.channel, outbox.c.status, func.count())
                .where(outbox.c.status.in_([literal_column(f"'{s}'") for s in _WAITING]))
                .group_by(outbox.c.channel, outbox.c.status)).all()
            counters = conn.execute(
                select(stats.c.process_id, stats.c.node, stats.c.key, stats.c.n)).all()
        backlog = GaugeMetricFamily("nurtura_due_backlog",
                                    "Inputs due now and not yet handled.", labels=["kind"])
        backlog.add_metric(["event"], ev_n)
        backlog.add_metric(["wakeup"], run_n)
        yield backlog
        oldest = [v for v in (ev_min, run_min) if v is not None]
        yield GaugeMetricFamily(
            "nurtura_oldest_due_lag_seconds",
            "How long the oldest due input (pending event or run wake-up) has been waiting.",
            value=(now - min(oldest)) / 1000 if oldest else 0.0)
        out = GaugeMetricFamily("nurtura_outbox_depth", "Messages waiting to be sent.",
                                labels=["channel", "status"])
        for channel, status, n in depth:
            out.add_metric([channel, status], n)
        yield out
        steps = CounterMetricFamily("nurtura_steps", "Steps taken (nodes reached), all workers.")
        total_steps = 0
        run_counts = CounterMetricFamily("nurtura_runs", "Runs by what happened to them.",
                                         labels=["process", "event"])
        node_counts = CounterMetricFamily("nurtura_messages", "Message outcomes per node.",
                                          labels=["process", "node", "outcome"])
        failures = CounterMetricFamily("nurtura_failures",
                                       "Runs stopped by a failure, per process.",
                                       labels=["process"])
        for pid, node, key, n in counters:
            name = names.get(pid, str(pid))
            if node and key == "reached":
                total_steps += n
            elif not node and key in _RUN_KEYS:
                run_counts.add_metric([name, _RUN_KEYS[key]], n)
                if key == "failed":
                    failures.add_metric([name], n)
            elif node and key in _NODE_KEYS and key != "failed":
                node_counts.add_metric([name, node, key], n)
        steps.add_metric([], total_steps)
        yield steps
        yield run_counts
        yield node_counts
        yield failures


def database_metrics(store: Store, clock: Clock) -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(DatabaseCollector(store, clock))
    return generate_latest(registry)
