"""The editor's production build (made when missing or out of date) and a real server that
serves it: uvicorn in a thread on a free loopback port over a fresh SQLite store, on a
simulated clock that the test moves; the test drives the worker itself."""

from __future__ import annotations

import fcntl
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
import uvicorn

from nurtura.api.app import STATIC, create_app
from nurtura.clock import SimClock
from nurtura.runtime.worker import Worker
from nurtura.store import templates as store_templates
from nurtura.store import tokens, users
from nurtura.store.sql import Store
from tests.api.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "web"
T0 = datetime(2026, 11, 23, 10, 15, tzinfo=UTC)
PASSWORD = "correct horse battery"
PEOPLE = {"ada": "admin", "abe": "author", "vic": "viewer"}


def _newest(folder: Path) -> float:
    return max((p.stat().st_mtime for p in folder.rglob("*") if p.is_file()), default=0.0)


def _npm(*args: str) -> None:
    if shutil.which("npm") is None:
        raise RuntimeError("npm is missing: install Node.js 20.19+ (apt: nodejs npm)")
    done = subprocess.run(["npm", *args], cwd=WEB, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"`npm {' '.join(args)}` in web/ failed ({done.returncode}):\n"
                           f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}")


def ensure_build() -> Path:
    """The editor's production build (nurtura/api/static, where web/'s Vite config puts it):
    `npm ci` when web/node_modules is missing or older than package-lock.json, `npm run build`
    when the build is missing or older than web/src. A file lock keeps parallel pytest
    workers from building at the same time. Returns the build's folder."""
    static = STATIC
    with open(Path(tempfile.gettempdir()) / "nurtura-web-build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        stamp = WEB / "node_modules" / ".package-lock.json"
        lock_file = WEB / "package-lock.json"
        if not stamp.exists() or stamp.stat().st_mtime < lock_file.stat().st_mtime:
            _npm("ci", "--no-audit", "--no-fund", "--loglevel=error")
        index = static / "index.html"
        sources = max(_newest(WEB / "src"), *(
            (WEB / f).stat().st_mtime for f in ("index.html", "package.json", "vite.config.ts")))
        if not index.exists() or index.stat().st_mtime < sources:
            _npm("run", "build", "--silent")
        if not index.exists():
            raise RuntimeError(f"`npm run build` made no {index}")
    return static


@dataclass
class Site:
    """The running server: its address, store and clock, API tokens (admin, write), and the
    people who sign in (PEOPLE, all with PASSWORD)."""

    url: str
    store: Store
    clock: SimClock
    admin: str
    write: str
    people: dict[str, str] = field(default_factory=lambda: dict(PEOPLE))

    def api(self, token: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token or self.admin}"}
        return httpx.Client(base_url=self.url, headers=headers, timeout=10)

    def work(self) -> int:
        """Let the worker handle everything due now."""
        return Worker(self.store, self.clock).drain(self.clock.now())


@contextmanager
def running_site(folder: Path, static: Path) -> Iterator[Site]:
    """A server over a fresh store in `folder`, with the shipped message templates and the
    people of PEOPLE."""
    store = Store(f"sqlite:///{folder / 'web.db'}")
    clock = SimClock(T0)
    store_templates.import_library(store, T0)
    for name, role in PEOPLE.items():
        users.create_user(store.engine, name, PASSWORD, role, T0)
    app = create_app(store, clock, static_dir=static)
    config = uvicorn.Config(app, host="127.0.0.1", port=free_port(), log_level="warning",
                            log_config=None, access_log=False)
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not srv.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the server did not start")
        time.sleep(0.02)
    try:
        yield Site(f"http://127.0.0.1:{config.port}", store, clock,
                   tokens.create(store.engine, "admin", {"admin"}, T0),
                   tokens.create(store.engine, "site", {"write"}, T0))
    finally:
        srv.should_exit = True
        thread.join(timeout=10)
        store.close()
