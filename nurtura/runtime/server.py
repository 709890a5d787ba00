"""`nurtura serve`: the API (uvicorn), a worker thread and a delivery thread in one process."""

from __future__ import annotations

import logging
import threading

import uvicorn

from nurtura.api.app import create_app
from nurtura.clock import Clock, SystemClock
from nurtura.runtime.delivery import DeliveryThread, send_at_delivery
from nurtura.runtime.worker import Worker
from nurtura.store.sql import Store

log = logging.getLogger("nurtura.serve")


class WorkerThread(threading.Thread):
    """Runs batches while there is work; sleeps until woken (new events) or a short poll."""

    def __init__(self, url: str, clock: Clock, poll: float = 0.5) -> None:
        super().__init__(name="nurtura-worker", daemon=True)
        self.store = Store(url, upgrade=False)
        self.worker = Worker(self.store, clock)
        self.poll = poll
        self.wakeup = threading.Event()
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                busy = self.worker.run_once()
            except Exception:
                log.exception("worker batch failed; retrying")
                busy = 0
            if not busy:
                self.wakeup.wait(self.poll)
                self.wakeup.clear()

    def stop(self) -> None:
        self.stopping.set()
        self.wakeup.set()
        self.join(timeout=30)
        self.store.close()


def serve(url: str, host: str = "127.0.0.1", port: int = 8000) -> None:
    clock = SystemClock()
    store = Store(url)
    worker = WorkerThread(url, clock)
    send_at_delivery(worker.store)
    delivery = DeliveryThread(url, clock, wake=worker.wakeup.set)
    app = create_app(store, clock, wake=worker.wakeup.set)
    worker.start()
    delivery.start()
    try:
        uvicorn.run(app, host=host, port=port, log_level="info", access_log=True)
    finally:
        delivery.stop()
        worker.stop()
        store.close()
