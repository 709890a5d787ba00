"""Wake idle loops on other processes and machines: PostgreSQL LISTEN/NOTIFY.

The store sends `NOTIFY nurtura_work` in the transaction that ingests events and
`NOTIFY nurtura_outbox` in a worker batch that queues messages; PostgreSQL delivers them at
commit. A `Listener` (one connection per process) sets the matching wake-up event, so an
idle worker or deliverer starts at once instead of at its next poll. Notifications are
only a hint: every loop still polls, so a missed one (listener reconnecting) costs at most
one poll interval. SQLite has no such thing; there is one worker per file and the API wakes
it directly (`nurtura serve`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping

import psycopg
from sqlalchemy.engine import make_url

from nurtura.store import dialect

log = logging.getLogger("nurtura.notify")

WORK = "nurtura_work"
OUTBOX = "nurtura_outbox"


def conninfo(url: str) -> str:
    """A SQLAlchemy database URL as a libpq connection string for psycopg."""
    u = make_url(dialect.normalize_url(url)).set(drivername="postgresql")
    return u.render_as_string(hide_password=False)


class Listener(threading.Thread):
    """LISTENs on the channels of `wake` and sets the event of each notified channel."""

    def __init__(self, url: str, wake: Mapping[str, threading.Event]) -> None:
        super().__init__(name="nurtura-listener", daemon=True)
        self.url = conninfo(url)
        self.wake = dict(wake)
        self.stopping = threading.Event()

    def run(self) -> None:
        failures = 0
        while not self.stopping.is_set():
            try:
                with psycopg.connect(self.url, autocommit=True) as conn:
                    for channel in self.wake:  # fixed names, not input
                        conn.execute(f"LISTEN {channel}")
                    if failures:
                        log.warning("listening again after %d failed connections", failures)
                    failures = 0
                    for ev in self.wake.values():  # anything sent while away: look now
                        ev.set()
                    while not self.stopping.is_set():
                        for note in conn.notifies(timeout=1.0):
                            self.wake[note.channel].set()
            except psycopg.Error as exc:
                failures += 1
                if failures == 1:
                    log.warning("LISTEN connection lost (%s); polling until it is back", exc)
                self.stopping.wait(min(5.0, 0.2 * 2 ** failures))

    def request_stop(self) -> None:
        self.stopping.set()

    def stop(self) -> None:
        self.request_stop()
        self.join(timeout=5)
