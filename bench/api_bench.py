"""HTTP ingestion benchmark: `/v1/batch` and `/v1/track` against a do-nothing FastAPI app.

    .venv/bin/python bench/api_bench.py [--seconds 10] [--concurrency 16]

One run starts, one after another, each in its own process on 127.0.0.1 and a free port,
with the same uvicorn settings (those of `nurtura serve`: one process, uvloop + httptools,
log level info, access log on unless `--access-log off`):

* a do-nothing FastAPI app: one `async def` `POST /noop` returning `{"success": true}`;
* Nurtura over a fresh temporary SQLite file (WAL, synchronous=NORMAL), for each mode
  (`worker`: exactly what `nurtura serve` runs, API + worker thread in one process;
  `api`: `create_app` alone, no worker) and each workload (`track`, `batch`): a fresh server
  and database per (mode, workload), so no phase inherits another's rows or backlog.

Against each, a load generator runs in another process: `--concurrency` keep-alive
connections (a minimal HTTP/1.1 client on asyncio/uvloop, so that the client, which shares
the 2 cores with the server, costs as little CPU as possible), each sending its next request
when the previous answer arrived. It stops by itself: after `--warmup` + `--seconds`, or
`--max-requests`, whichever comes first; requests in flight at the deadline are waited for.
Rates count the answers received inside the measured window (after warm-up); latencies are
those answers' (request written → answer read). Every event has a unique messageId; a noop
request carries the same bytes as a track request (one track message, same headers).

Besides the rates, the load generator samples /proc over the measured window: CPU time of
the server process (all threads), of itself, of the rest of the machine, and steal. "CPU
ms/req" (server CPU per answer) hardly depends on how much of the shared machine the server
got, so the summary also gives the track/noop ratio "by CPU" (noop's CPU per request over
track's). `--rounds N` repeats every phase (noop first in each round, so each track phase has
a noop measured minutes apart at most); the verdicts use the medians over rounds.

Durability: after the load, the Nurtura server is killed with SIGKILL (no shutdown, no WAL
checkpoint) and the events with this phase's messageId prefix are counted with sqlite3; the
count must equal the events acknowledged with a 200 during the phase (warm-up included).

Temporary files and every child process are removed on exit, error or SIGTERM included.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.client
import json
import os
import platform
import resource
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

HOST = "127.0.0.1"
BATCH_SIZE = 100  # events per /v1/batch request
CONTACTS = 10_000  # userIds are spread over this many contacts
BATCH_TARGET = 10_000.0  # events/s the issue asks of /v1/batch
TRACK_TARGET = 0.5  # /v1/track requests/s as a share of the noop endpoint's
READY_TIMEOUT = 60.0  # seconds for a server to answer its first request
MODES = ("worker", "api")


# -- servers ---------------------------------------------------------------------------------


def _serve(kind: str, port: int, db: str, access_log: bool) -> None:
    """The server child: `noop`, `worker` (as `nurtura serve`) or `api` (no worker)."""
    import uvicorn
    from fastapi import FastAPI

    settings: dict[str, Any] = {"host": HOST, "port": port, "log_level": "info",
                                "access_log": access_log}
    if kind == "noop":
        app = FastAPI()

        @app.post("/noop")
        async def noop() -> dict[str, bool]:
            return {"success": True}

        uvicorn.run(app, **settings)
        return

    from nurtura.api.app import create_app
    from nurtura.clock import SystemClock
    from nurtura.store.sql import Store

    if kind == "worker" and access_log:
        from nurtura.runtime.server import serve

        serve(db, HOST, port)  # exactly `nurtura serve --db DB --port PORT`
        return
    clock = SystemClock()
    store = Store(db)
    thread = None
    if kind == "worker":  # serve() with the access log off
        from nurtura.runtime.worker import WorkerThread

        thread = WorkerThread(db, clock)
        app = create_app(store, clock, wake=thread.wakeup.set)
        thread.start()
    else:
        app = create_app(store, clock)
    try:
        uvicorn.run(app, **settings)
    finally:
        if thread is not None:
            thread.stop()
        store.close()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a live process (all its threads), from /proc."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return float("nan")
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Children:
    """Every child process of the run, killed on exit whatever happens."""

    def __init__(self) -> None:
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(self, argv: list[str], log: Path | None = None) -> subprocess.Popen[bytes]:
        out: Any = subprocess.PIPE
        if log is not None:
            out = log.open("wb")
        try:
            proc = subprocess.Popen(argv, stdout=out,
                                    stderr=subprocess.STDOUT if log else None)
        finally:
            if log is not None:
                out.close()
        self.procs.append(proc)
        return proc

    @staticmethod
    def stop(proc: subprocess.Popen[bytes], hard: bool = False) -> None:
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL if hard else signal.SIGINT)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def close(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


@dataclass
class Server:
    kind: str
    port: int
    proc: subprocess.Popen[bytes]
    log: Path


def start_server(children: Children, kind: str, db: str, tmp: Path,
                 access_log: bool) -> Server:
    port = _free_port()
    log = tmp / f"server-{kind}-{port}.log"
    argv = [sys.executable, str(Path(__file__).resolve()), "_serve", kind, str(port), db,
            "on" if access_log else "off"]
    proc = children.start(argv, log)
    probe = ("GET", "/noop") if kind == "noop" else ("GET", "/health")
    deadline = time.monotonic() + READY_TIMEOUT
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"the {kind} server exited ({proc.returncode}):\n"
                               + _tail(log))
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=2)
            conn.request(*probe)
            conn.getresponse().read()  # any answer (a 405 for GET /noop) means it is up
            conn.close()
            return Server(kind, port, proc, log)
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"the {kind} server did not answer:\n" + _tail(log)) from None
            time.sleep(0.1)


def _tail(path: Path, n: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-n:])
    except OSError:
        return "(no log)"


# -- the load generator (its own process) ----------------------------------------------------


@dataclass
class LoadSpec:
    port: int
    path: str
    workload: str  # "track", "batch" or "noop" (a noop request carries a track message)
    token: str
    prefix: str  # messageId prefix, unique per phase
    concurrency: int
    seconds: float
    warmup: float
    max_requests: int
    server_pid: int


@dataclass
class LoadResult:
    window: float = 0.0  # seconds measured (after warm-up)
    requests: int = 0  # answers inside the window
    events: int = 0  # events acknowledged (200) inside the window
    p50_ms: float = float("nan")
    p99_ms: float = float("nan")
    max_ms: float = float("nan")
    sent: int = 0  # requests written, warm-up included
    acked_events: int = 0  # events acknowledged with a 200, warm-up included
    statuses: dict[str, int] = field(default_factory=dict)  # all answers, warm-up included
    errors: list[str] = field(default_factory=list)  # connection-level failures
    server_cpu: float = float("nan")  # server CPU seconds inside the window (all threads)
    own_cpu: float = float("nan")  # the load generator's CPU seconds inside the window
    busy_cpu: float = float("nan")  # CPU seconds of the whole machine inside the window
    steal_cpu: float = float("nan")  # CPU seconds taken by the hypervisor inside the window


_MESSAGE = (b'{"type":"track","userId":"u%d","event":"Order Paid","messageId":"%s-%d-%d",'
            b'"timestamp":"%s","properties":{"total":49.9,"currency":"EUR","sku":"SKU-%d"}}')


class Bodies:
    """Request bodies with unique messageIds: `PREFIX-CONNECTION-SEQUENCE`."""

    def __init__(self, spec: LoadSpec, conn: int) -> None:
        self.prefix = spec.prefix.encode()
        self.conn = conn
        self.seq = 0
        self.batch = spec.workload == "batch"
        self.ts = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ").encode()

    def _message(self) -> bytes:
        self.seq += 1
        user = (self.conn * 7919 + self.seq) % CONTACTS
        return _MESSAGE % (user, self.prefix, self.conn, self.seq, self.ts, self.seq % 97)

    def next(self) -> bytes:
        if not self.batch:
            return self._message()
        return b'{"batch":[' + b",".join(self._message() for _ in range(BATCH_SIZE)) + b"]}"


async def _read_answer(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    length = None
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
        elif name.strip().lower() == b"transfer-encoding":
            raise RuntimeError("chunked answers are not supported by this client")
    if length is None:
        raise RuntimeError("an answer without content-length")
    return status, await reader.readexactly(length)


def _acked(workload: str, status: int, body: bytes) -> int:
    """Events the answer acknowledges as stored."""
    if status != 200 or workload == "noop":
        return 0
    if body == b'{"success":true}':
        return BATCH_SIZE if workload == "batch" else 1
    doc = json.loads(body)
    if doc.get("success") is True:
        return BATCH_SIZE if workload == "batch" else 1
    return int(doc.get("accepted", 0))


async def _load(spec: LoadSpec) -> LoadResult:
    res = LoadResult()
    statuses: Counter[int] = Counter()
    latencies: list[float] = []
    begin = time.perf_counter()
    start = begin + spec.warmup
    deadline = start + spec.seconds
    last = [start]  # when the last answer inside the window arrived
    head = (f"POST {spec.path} HTTP/1.1\r\nHost: {HOST}:{spec.port}\r\n"
            f"Authorization: Bearer {spec.token}\r\nContent-Type: application/json\r\n"
            "Content-Length: %d\r\n\r\n").encode()

    async def connection(n: int) -> None:
        bodies = Bodies(spec, n)
        try:
            reader, writer = await asyncio.open_connection(HOST, spec.port)
        except OSError as exc:
            res.errors.append(f"connect: {exc}")
            return
        try:
            while time.perf_counter() < deadline and res.sent < spec.max_requests:
                res.sent += 1
                body = bodies.next()
                t0 = time.perf_counter()
                writer.write(head % len(body) + body)
                status, answer = await _read_answer(reader)
                t1 = time.perf_counter()
                statuses[status] += 1
                acked = _acked(spec.workload, status, answer)
                res.acked_events += acked
                if start <= t1 <= deadline:
                    res.requests += 1
                    res.events += acked
                    latencies.append(t1 - t0)
                    last[0] = max(last[0], t1)
        except (OSError, asyncio.IncompleteReadError, RuntimeError, ValueError) as exc:
            res.errors.append(f"{type(exc).__name__}: {exc}")
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()

    async def sample() -> None:
        """CPU use of the server and of this process over the measured window."""
        await asyncio.sleep(max(0.0, start - time.perf_counter()))
        srv0, own0, (busy0, steal0) = _cpu_seconds(spec.server_pid), _own_cpu(), _machine_cpu()
        await asyncio.sleep(max(0.0, deadline - time.perf_counter()))
        busy1, steal1 = _machine_cpu()
        res.server_cpu = _cpu_seconds(spec.server_pid) - srv0
        res.own_cpu = _own_cpu() - own0
        res.busy_cpu, res.steal_cpu = busy1 - busy0, steal1 - steal0

    sampler = asyncio.ensure_future(sample())
    await asyncio.gather(*(connection(n) for n in range(spec.concurrency)))
    if not sampler.done():  # stopped early (--max-requests or errors): no CPU figures
        sampler.cancel()
    res.window = (deadline if res.sent < spec.max_requests else last[0]) - start
    if latencies:
        latencies.sort()
        res.p50_ms = 1000 * latencies[len(latencies) // 2]
        res.p99_ms = 1000 * latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
        res.max_ms = 1000 * latencies[-1]
    res.statuses = {str(k): v for k, v in sorted(statuses.items())}
    return res


def _machine_cpu() -> tuple[float, float]:
    """CPU seconds of the whole machine, busy (all but idle, iowait, steal) and stolen."""
    try:
        line = Path("/proc/stat").read_text().splitlines()[0].split()
    except OSError:
        return float("nan"), float("nan")
    ticks = [int(v) for v in line[1:9]]  # user nice system idle iowait irq softirq steal
    tck = os.sysconf("SC_CLK_TCK")
    return (sum(ticks) - ticks[3] - ticks[4] - ticks[7]) / tck, ticks[7] / tck


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _loadgen(raw: str) -> None:
    spec = LoadSpec(**json.loads(raw))
    try:
        import uvloop

        result = uvloop.run(_load(spec))
    except ImportError:
        result = asyncio.run(_load(spec))
    sys.stdout.write(json.dumps(asdict(result)))


def run_load(children: Children, spec: LoadSpec) -> LoadResult:
    argv = [sys.executable, str(Path(__file__).resolve()), "_load", json.dumps(asdict(spec))]
    proc = children.start(argv)
    try:
        out, _ = proc.communicate(timeout=spec.warmup + spec.seconds + 120)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise RuntimeError("the load generator did not stop in time") from None
    if proc.returncode != 0:
        raise RuntimeError(f"the load generator failed ({proc.returncode})")
    doc = json.loads(out)
    return LoadResult(**doc)


# -- phases ----------------------------------------------------------------------------------


@dataclass
class Phase:
    round: int
    name: str  # "noop", "track" or "batch"
    mode: str  # "noop", "worker" or "api"
    load: LoadResult
    in_db: int | None = None  # events with this phase's prefix found after SIGKILL
    handled: int | None = None  # of those, already handled by the worker (not in inbox)

    @property
    def rate(self) -> float:
        return self.load.requests / self.load.window if self.load.window > 0 else 0.0

    @property
    def event_rate(self) -> float:
        return self.load.events / self.load.window if self.load.window > 0 else 0.0

    @property
    def cpu_per_request(self) -> float:
        """Server CPU seconds per answer in the window: what a request costs the server,
        whatever share of the machine it got."""
        return self.load.server_cpu / self.load.requests if self.load.requests else float("nan")

    @property
    def other_cpu(self) -> float:
        """CPU seconds used by the rest of the machine in the window (tick rounding: >= 0)."""
        return max(0.0, self.load.busy_cpu - self.load.server_cpu - self.load.own_cpu)

    @property
    def durable(self) -> bool | None:
        return None if self.in_db is None else self.in_db == self.load.acked_events


def _new_db(tmp: Path, name: str) -> tuple[str, str]:
    """A migrated SQLite file and a write token for it."""
    from nurtura.clock import SystemClock
    from nurtura.store import tokens
    from nurtura.store.sql import Store

    path = tmp / f"{name}.db"
    store = Store(f"sqlite:///{path}")
    try:
        token = tokens.create(store.engine, "bench", {"write"}, SystemClock().now())
    finally:
        store.close()
    return str(path), token


def _count(db: str, prefix: str) -> tuple[int, int]:
    conn = sqlite3.connect(db)
    try:
        total, handled = conn.execute(
            "SELECT count(*), count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM inbox i "
            "WHERE i.contact_id = e.contact_id AND i.event_id = e.id)) FROM events e "
            "WHERE message_id >= ? AND message_id < ?",  # stored as UTF-8 bytes (codec.mid_bytes)
            ((prefix + "-").encode(), (prefix + ".").encode())
        ).fetchone()
    finally:
        conn.close()
    return int(total), int(handled)


def run_phase(children: Children, args: argparse.Namespace, tmp: Path, round_: int,
              name: str, mode: str) -> Phase:
    prefix = f"{name}.{mode}.{os.getpid()}.{time.time_ns()}"
    if mode == "noop":
        db, token, path = "", "none", "/noop"
    else:
        db, token = _new_db(tmp, f"{name}-{mode}-{round_}")
        path = f"/v1/{name}"
    server = start_server(children, mode, db, tmp, args.access_log == "on")
    try:
        spec = LoadSpec(port=server.port, path=path, workload=name, token=token,
                        prefix=prefix, concurrency=args.concurrency, seconds=args.seconds,
                        warmup=args.warmup, max_requests=args.max_requests,
                        server_pid=server.proc.pid)
        load = run_load(children, spec)
        if server.proc.poll() is not None:
            raise RuntimeError(f"the {mode} server died during the load:\n" + _tail(server.log))
        phase = Phase(round_, name, mode, load)
        Children.stop(server.proc, hard=mode != "noop")  # SIGKILL: no shutdown, no checkpoint
        if mode != "noop":
            phase.in_db, phase.handled = _count(db, prefix)
        return phase
    finally:
        Children.stop(server.proc, hard=True)


# -- report ----------------------------------------------------------------------------------


def _machine() -> str:
    model = platform.processor() or "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return (f"{os.cpu_count()} CPUs ({model}), Python {platform.python_version()}, "
            f"{platform.system()} {platform.release()}")


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


LABELS = {"noop": "noop FastAPI", "worker": "nurtura serve (API+worker)",
          "api": "nurtura API only (no worker)"}


def _table(rows: Sequence[tuple[str, ...]], left: int) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    out = []
    for i, r in enumerate(rows):
        out.append("  ".join(c.ljust(w) if j < left else c.rjust(w)
                             for j, (c, w) in enumerate(zip(r, widths, strict=True))).rstrip())
        if i == 0:
            out.append("  ".join("-" * w for w in widths))
    return out


def report(phases: list[Phase], args: argparse.Namespace) -> tuple[str, bool]:
    """The table of every phase, the ratios and targets (medians over rounds), durability."""
    rows: list[tuple[str, ...]] = [(
        "round", "workload", "server", "req/s", "events/s", "p50 ms", "p99 ms", "max ms",
        "answers", "CPU ms/req", "server", "loadgen", "other", "steal")]
    for p in phases:
        window = p.load.window or 1.0
        rows.append((
            str(p.round), "POST /noop" if p.name == "noop" else f"POST /v1/{p.name}",
            LABELS[p.mode], f"{p.rate:,.0f}", "-" if p.name == "noop" else f"{p.event_rate:,.0f}",
            f"{p.load.p50_ms:.2f}", f"{p.load.p99_ms:.2f}", f"{p.load.max_ms:.1f}",
            " ".join(f"{k}:{v}" for k, v in p.load.statuses.items()) or "-",
            f"{1000 * p.cpu_per_request:.3f}",
            *(f"{100 * v / window:.0f}%" for v in (
                p.load.server_cpu, p.load.own_cpu, p.other_cpu, p.load.steal_cpu)),
        ))
    lines = [f"machine: {_machine()}",
             f"settings: {args.seconds:g} s measured after {args.warmup:g} s warm-up, "
             f"{args.concurrency} connections, at most {args.max_requests:,} requests per "
             f"phase, {BATCH_SIZE} events per batch, access log {args.access_log}, "
             f"{args.rounds} round(s)",
             "CPU ms/req: server CPU time per answer (all its threads); the last four columns: "
             "CPU seconds per second of the measured window (100% = one core) of the server "
             "process, the load generator, everything else on the machine, and stolen by the "
             "hypervisor", "", *_table(rows, 3), ""]

    noop = {p.round: p for p in phases if p.name == "noop"}
    summary: list[tuple[str, ...]] = [(
        "workload", "server", "median req/s", "median events/s", "median p50 ms",
        "median p99 ms", "CPU ms/req", "track/noop", "by CPU", "target", "met")]
    verdicts: list[bool] = []
    for name, mode in dict.fromkeys((p.name, p.mode) for p in phases):
        group = [p for p in phases if (p.name, p.mode) == (name, mode)]
        ratio, by_cpu, target, met = "-", "-", "-", "-"
        if name == "track":
            value = _median([p.rate / noop[p.round].rate for p in group
                             if p.round in noop and noop[p.round].rate > 0] or [0.0])
            cheap = _median([noop[p.round].cpu_per_request / p.cpu_per_request for p in group
                             if p.round in noop and p.cpu_per_request > 0] or [0.0])
            by_cpu = f"{cheap:.2f}"
            ratio, target = f"{value:.2f}", f">= {TRACK_TARGET:.2f} x noop"
            verdicts.append(value >= TRACK_TARGET)
            met = "yes" if verdicts[-1] else f"no ({value / TRACK_TARGET:.0%} of target)"
        elif name == "batch":
            value = _median([p.event_rate for p in group])
            target = f">= {BATCH_TARGET:,.0f} events/s"
            verdicts.append(value >= BATCH_TARGET)
            met = "yes" if verdicts[-1] else f"no ({value / BATCH_TARGET:.0%} of target)"
        summary.append((
            "POST /noop" if name == "noop" else f"POST /v1/{name}", LABELS[mode],
            f"{_median([p.rate for p in group]):,.0f}",
            "-" if name == "noop" else f"{_median([p.event_rate for p in group]):,.0f}",
            f"{_median([p.load.p50_ms for p in group]):.2f}",
            f"{_median([p.load.p99_ms for p in group]):.2f}",
            f"{1000 * _median([p.cpu_per_request for p in group]):.3f}", ratio, by_cpu, target,
            met))
    lines += _table(summary, 2)
    lines.append("")

    ok = True
    for p in phases:
        if p.in_db is None:
            continue
        ok = ok and bool(p.durable)
        lines.append(f"durability round {p.round} {p.name}/{p.mode}: "
                     f"{p.load.acked_events:,} events acknowledged with 200, {p.in_db:,} in "
                     f"the database after SIGKILL ({p.handled:,} already handled by the "
                     f"worker): {'OK' if p.durable else 'FAILED'}")
    for p in phases:
        bad = {k: v for k, v in p.load.statuses.items() if k != "200"}
        if p.load.errors or bad:
            ok = False
            lines.append(f"errors in round {p.round} {p.name}/{p.mode}: statuses {bad}, "
                         f"{len(p.load.errors)} connection errors {p.load.errors[:3]}")
    busy = [p.other_cpu / (p.load.window or 1.0) for p in phases]
    if busy and max(busy) > 0.2:
        lines.append(f"warning: other processes used up to {max(busy):.0%} of a core during a "
                     "measured window; the figures are disturbed (see the 'other' column)")
    lines.append("targets: " + ("all met" if verdicts and all(verdicts) else "NOT all met"))
    return "\n".join(lines), ok


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "_serve":
        _serve(sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5] == "on")
        return 0
    if len(sys.argv) > 1 and sys.argv[1] == "_load":
        _loadgen(sys.argv[2])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="measured, per phase")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds before measuring")
    parser.add_argument("--concurrency", type=int, default=16, help="connections")
    parser.add_argument("--max-requests", type=int, default=500_000,
                        help="requests per phase at most (warm-up included)")
    parser.add_argument("--modes", nargs="+", choices=MODES, default=list(MODES),
                        help="Nurtura server modes: worker (as `nurtura serve`), api")
    parser.add_argument("--workloads", nargs="+", choices=("track", "batch"),
                        default=["track", "batch"])
    parser.add_argument("--access-log", choices=("on", "off"), default="on",
                        help="uvicorn's access log, for every server (on in `nurtura serve`)")
    parser.add_argument("--rounds", type=int, default=1,
                        help="repeat every phase; the verdicts use the medians")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    if min(args.concurrency, args.max_requests, args.rounds) < 1 or args.seconds <= 0:
        parser.error("--concurrency, --seconds, --max-requests and --rounds must be positive")

    def _terminate(signum: int, _frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, _terminate)
    children = Children()
    tmp = Path(tempfile.mkdtemp(prefix="nurtura-api-bench-"))
    phases: list[Phase] = []
    try:
        plan = [("noop", "noop")]
        plan += [("track", m) for m in args.modes if "track" in args.workloads]
        plan += [("batch", m) for m in args.modes if "batch" in args.workloads]
        for round_ in range(1, args.rounds + 1):
            for name, mode in plan:
                print(f"... round {round_}: {name} on {mode}", file=sys.stderr, flush=True)
                phases.append(run_phase(children, args, tmp, round_, name, mode))
    finally:
        children.close()
        shutil.rmtree(tmp, ignore_errors=True)
    text, ok = report(phases, args)
    print(text)
    if args.json is not None:
        args.json.write_text(json.dumps(
            {"machine": _machine(), "args": {k: str(v) for k, v in vars(args).items()},
             "phases": [{**asdict(p), "rate": p.rate, "event_rate": p.event_rate}
                        for p in phases]}, indent=2))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
