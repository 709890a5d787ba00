"""A real server on a free loopback port (uvicorn in a thread) over a fresh SQLite store,
on a simulated clock the test moves; the test drives the worker itself."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import uvicorn

from nurtura.api.app import create_app
from nurtura.clock import SimClock
from nurtura.runtime.worker import Worker
from nurtura.store import tokens
from nurtura.store.sql import Store
from tests.mail import smtp  # noqa: F401 - the SMTP server fixture (messaging tests)

T0 = datetime(2026, 11, 23, 10, 15, tzinfo=UTC)


@dataclass
class Server:
    url: str
    store: Store
    clock: SimClock
    admin: str
    write: str

    def client(self, token: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token or self.admin}"}
        return httpx.Client(base_url=self.url, headers=headers, timeout=10)

    def work(self) -> int:
        """Let the worker handle everything due now."""
        return Worker(self.store, self.clock).drain(self.clock.now())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    store = Store(f"sqlite:///{tmp_path / 'api.db'}")
    clock = SimClock(T0)
    app = create_app(store, clock, static_dir=None)
    port = free_port()
    # log_config=None: uvicorn's loggers (access log included) propagate to pytest's caplog
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="info",
                            log_config=None, access_log=True)
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not srv.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the server did not start")
        time.sleep(0.02)
    admin = tokens.create(store.engine, "admin", {"admin"}, T0)
    write = tokens.create(store.engine, "site", {"write"}, T0)
    yield Server(f"http://127.0.0.1:{port}", store, clock, admin, write)
    srv.should_exit = True
    thread.join(timeout=10)
    store.close()
