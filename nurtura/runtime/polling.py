"""A background loop shared by the worker and the delivery loop: run batches while there is
work, sleep until woken (NOTIFY, the API) or a short poll, back off while the database is
unreachable, and stop after the batch in hand."""

from __future__ import annotations

import logging
import threading
from typing import Any

log = logging.getLogger("nurtura.runtime")

MAX_BACKOFF = 5.0  # seconds between attempts while the database is down


class PollingThread(threading.Thread):
    """Subclasses say what one batch is (`batch`, returning how much it did), how long to
    sleep when idle (`idle_wait`) and what to release on stop (`close`)."""

    join_timeout = 30.0

    def __init__(self, name: str, poll: float, wakeup: Any = None) -> None:
        super().__init__(name=name, daemon=True)
        self.poll = poll
        self.wakeup = wakeup if wakeup is not None else threading.Event()
        self.stopping = threading.Event()
        self.failures = 0  # consecutive failed batches

    def batch(self) -> int:
        raise NotImplementedError

    def idle_wait(self) -> float:
        """Seconds to sleep when a batch found nothing to do (a wake-up cuts it short)."""
        return self.poll

    def close(self) -> None:
        """Release what the loop holds, after it has stopped."""

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                busy = self.batch()
                if self.failures:
                    log.warning("%s: working again after %d failed batches", self.name,
                                self.failures)
                self.failures = 0
                wait = self.idle_wait() if not busy else 0.0
            except Exception as exc:
                # e.g. PostgreSQL restarting: nothing of the batch was committed, so it is
                # simply tried again; the pool reconnects (pre-ping) once the server is back
                self.failures += 1
                if self.failures == 1:
                    log.exception("%s: batch failed; retrying", self.name)
                else:
                    log.warning("%s: batch failed again (%s); retrying", self.name,
                                type(exc).__name__)
                wait = min(MAX_BACKOFF, 0.1 * 2 ** self.failures)
            if wait > 0:
                self.wakeup.wait(wait)
                self.wakeup.clear()

    def request_stop(self) -> None:
        """Take no new batch: the loop ends after the one in hand (`stop` waits for it)."""
        self.stopping.set()
        self.wakeup.set()

    def stop(self) -> None:
        self.request_stop()
        self.join(timeout=self.join_timeout)
        self.close()
