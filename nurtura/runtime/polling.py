"""A background loop shared by the worker and the delivery loop: run batches while there is
work, sleep until woken or a short poll, and stop after the batch in hand."""

from __future__ import annotations

import logging
import threading
from typing import Any

log = logging.getLogger("nurtura.runtime")


class PollingThread(threading.Thread):
    """Subclasses say what one batch is (`batch`, returning how much it did) and what to
    release on stop (`close`)."""

    join_timeout = 30.0

    def __init__(self, name: str, poll: float, wakeup: Any = None) -> None:
        super().__init__(name=name, daemon=True)
        self.poll = poll
        self.wakeup = wakeup if wakeup is not None else threading.Event()
        self.stopping = threading.Event()

    def batch(self) -> int:
        raise NotImplementedError

    def close(self) -> None:
        """Release what the loop holds, after it has stopped."""

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                busy = self.batch()
            except Exception:
                log.exception("%s: batch failed; retrying", self.name)
                busy = 0
            if not busy:
                self.wakeup.wait(self.poll)
                self.wakeup.clear()

    def stop(self) -> None:
        self.stopping.set()
        self.wakeup.set()
        self.join(timeout=self.join_timeout)
        self.close()
