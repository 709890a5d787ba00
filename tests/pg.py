"""The real PostgreSQL server on 127.0.0.1:5432 (trust auth): started if it is down, and a
fresh database per test, dropped afterwards."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg

ADMIN = os.environ.get("NURTURA_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


def ensure_server() -> None:
    """Start the local cluster if it does not answer (as the test command promises)."""
    for attempt in range(40):
        try:
            with psycopg.connect(ADMIN, connect_timeout=2):
                return
        except psycopg.OperationalError:
            if attempt == 0:
                versions = sorted(glob.glob("/etc/postgresql/*"))
                if versions:
                    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect",
                                    os.path.basename(versions[-1]), "main", "start"],
                                   check=False, capture_output=True)
            time.sleep(0.5)
    raise RuntimeError(f"PostgreSQL does not answer at {ADMIN}")


@contextmanager
def fresh_database() -> Iterator[str]:
    """A new empty database; yields its URL; drops it (and its connections) afterwards."""
    ensure_server()
    name = f"nurtura_t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield ADMIN.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def private_cluster(port: int) -> Iterator[Cluster]:
    """A PostgreSQL server of our own (initdb into a new folder under /tmp, which the
    `postgres` user can reach; trust auth; 127.0.0.1:`port`), for the tests that restart
    the server — the shared one stays up for the tests running beside them."""
    bindir = sorted(glob.glob("/usr/lib/postgresql/*/bin"))[-1]
    tmp = tempfile.mkdtemp(prefix="nurtura-pg-")
    cluster = Cluster(bindir, os.path.join(tmp, "pgdata"), port)
    try:
        cluster.init()
        cluster.ctl("start")
        yield cluster
    finally:
        if os.path.exists(os.path.join(cluster.data, "postmaster.pid")):
            cluster.ctl("stop", "-m", "immediate")
        shutil.rmtree(tmp, ignore_errors=True)


class Cluster:
    def __init__(self, bindir: str, data: str, port: int) -> None:
        self.bindir, self.data, self.port = bindir, data, port
        self.url = f"postgresql://postgres@127.0.0.1:{port}/postgres"

    def _run(self, *args: str) -> None:
        cmd = list(args)
        if os.geteuid() == 0:  # initdb and postgres refuse to run as root
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        subprocess.run(cmd, check=True, capture_output=True)

    def init(self) -> None:
        os.makedirs(self.data)
        if os.geteuid() == 0:
            subprocess.run(["chown", "-R", "postgres", os.path.dirname(self.data)], check=True)
        self._run(f"{self.bindir}/initdb", "-D", self.data, "-A", "trust", "-U", "postgres")

    def ctl(self, action: str, *extra: str) -> None:
        opts = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.data}"
        self._run(f"{self.bindir}/pg_ctl", "-D", self.data, "-o", opts, "-w", "-l",
                  f"{self.data}/server.log", action, *extra)
