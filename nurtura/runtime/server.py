"""`nurtura serve`: the API (uvicorn) in this process; the worker and the delivery loop in a
child process, so their batches never hold the GIL the API needs (measured: with them as
threads a tracked event cost the API 2.4× the CPU). The API wakes the child on new work."""

from __future__ import annotations

import logging
import multiprocessing as mp
import os
import signal
from typing import Any

import uvicorn

from nurtura.api.app import create_app
from nurtura.clock import clock_from_env
from nurtura.errors import NurturaError
from nurtura.runtime import loops, pool
from nurtura.store.sql import Store

log = logging.getLogger("nurtura.serve")


def background(url: str, wakeups: list[Any], stop: Any, processes: int = 1) -> None:
    """The child process: the worker and the delivery loop until `stop` is set (with
    `processes` > 1: that many worker processes forked from this one, pool.py), each
    woken by its own of `wakeups`."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when to stop
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    logging.basicConfig(level=logging.INFO, format="%(levelname)s: %(name)s: %(message)s")
    parent = os.getppid()

    def wait() -> bool:
        if stop.wait(1.0):
            return False
        if os.getppid() != parent:  # the API process died without telling us: stop too
            log.warning("the API process is gone; stopping the worker")
            return False
        return True

    try:
        if processes > 1:
            pool.run_processes(url, processes, deliver=True, poll=0.5, batch=500,
                               wait=wait, wakeups=wakeups)
        else:
            loops.run(loops.worker_loops(url, clock_from_env(), wakeup=wakeups[0]), wait)
    except NurturaError as exc:  # SQLite: another worker runs on this file
        log.error("no worker in this process: %s", exc)


def serve(url: str, host: str = "127.0.0.1", port: int = 8000, worker: bool = True,
          processes: int = 1) -> None:
    ctx = mp.get_context("spawn")
    wakeups = [ctx.Event() for _ in range(max(1, processes))]  # one per worker process
    stop = ctx.Event()
    child = ctx.Process(target=background, args=(url, wakeups, stop, processes),
                        name="nurtura-worker", daemon=False)
    store = Store(url)
    if worker:
        child.start()

    def wake() -> None:
        for w in wakeups:
            w.set()

    app = create_app(store, clock_from_env(), wake=wake)
    # uvicorn shuts down gracefully on SIGTERM, then restores the handler it found and
    # raises the signal again: with Python's default one the process would die right there,
    # before the worker child is told to stop (it would only notice its parent gone) and
    # with exit status -15. This handler turns that second SIGTERM into a normal exit.
    signal.signal(signal.SIGTERM, _exit_normally)
    try:
        uvicorn.run(app, host=host, port=port, log_level="info", access_log=True)
    finally:
        stop.set()
        if worker:
            child.join(timeout=60)
            if child.is_alive():
                child.terminate()
        store.close()


def _exit_normally(signum: int, frame: Any) -> None:
    raise SystemExit(0)
