"""The real PostgreSQL server on 127.0.0.1:5432 (trust auth): started if it is down, and a
fresh database per test, dropped afterwards."""

from __future__ import annotations

import glob
import os
import subprocess
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
