"""`nurtura worker --processes K`: on SQLite K processes, each advancing its own share of the
contacts, do what one does, and nothing is lost or done twice when their parent is killed;
on PostgreSQL they are K workers like any others."""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from nurtura.simulate import parse_events
from nurtura.store.sql import Store
from tests.fleet.harness import (
    END,
    NURTURA,
    Fleet,
    feed_in_groups,
    reference,
    setup,
    state,
    stats,
    traffic,
)
from tests.pg import fresh_database

pytestmark = [pytest.mark.slow]


def children(pid: int) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True,
                           check=False).stdout
    return [int(x) for x in found.split()]


def forked(pid: int, n: int = 2, timeout: float = 30) -> list[int]:
    """The `n` worker processes of parent `pid`, once it has forked them all."""
    deadline = time.monotonic() + timeout
    while len(kids := children(pid)) < n:
        assert time.monotonic() < deadline, f"{pid} has {kids}, not {n} worker processes"
        time.sleep(0.05)
    return kids


def running(pid: int) -> bool:
    """The process exists and is not a zombie waiting to be reaped."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _ingested(tmp: Path, contacts: int) -> tuple[str, Store, dict[str, Any]]:
    """A SQLite file with the shipped processes and every event of `contacts` contacts'
    stories ingested; the result `simulate` gives for them."""
    messages = traffic(contacts)
    expected = reference(tmp, messages)
    url = f"sqlite:///{tmp / 'nurtura.db'}"
    store = setup(url)
    store.ingest(parse_events([json.dumps(m) for m in messages]))
    return url, store, expected


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.pg)])
def workers(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, int]]:
    """A database and how many `--processes 2` workers run on it: SQLite takes one (two
    shares); PostgreSQL two (four processes, no shares: each contact's lock)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'nurtura.db'}", 1
        return
    with fresh_database() as url:
        yield url, 2


def test_workers_of_two_processes_do_what_simulate_does(tmp_path: Path,
                                                        workers: tuple[str, int]) -> None:
    url, size = workers
    messages = traffic(2400)
    expected = reference(tmp_path, messages)
    store = setup(url)
    with Fleet(url, tmp_path / "w", size=size, batch=100, deliver=True,
               args=["--processes", "2"]) as fleet:
        for i in range(size):
            fleet.ready(i)
            parent = fleet.procs[i]
            assert parent is not None
            assert len(forked(parent.pid)) == 2
        feed_in_groups(fleet, store, messages, groups=4)
        assert fleet.alive()
    assert state(store) == expected["state"]
    assert stats(store) == expected["stats"]
    store.close()


def test_a_second_worker_is_refused_while_the_processes_run(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'nurtura.db'}"
    setup(url).close()
    with Fleet(url, tmp_path / "w", size=1, args=["--processes", "2"]) as fleet:
        fleet.ready(0)
        other = subprocess.run([NURTURA, "worker", "--once", "--db", url],
                               capture_output=True, text=True, check=False)
        assert other.returncode != 0
        assert "another worker is already running" in other.stdout + other.stderr


def test_kill_9_of_the_parent_stops_its_processes_and_loses_nothing(tmp_path: Path) -> None:
    url, store, expected = _ingested(tmp_path, 3000)
    fleet = Fleet(url, tmp_path / "a", size=1, batch=5, args=["--processes", "2"])
    fleet.clock.set(END)
    with fleet:
        fleet.ready(0)
        parent = fleet.procs[0]
        assert parent is not None
        kids = forked(parent.pid)
        deadline = time.monotonic() + 60
        while not store.runs_of("c0"):  # mid-run
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert store.due_contacts(END, 1)
        parent.kill()
        parent.wait()
        fleet.procs[0] = None
        # each process notices its parent is gone and stops after the batch in hand; until
        # the last has, they hold the worker lock they inherited
        deadline = time.monotonic() + 30
        while any(running(k) for k in kids):
            assert time.monotonic() < deadline, "worker processes outlived their parent"
            time.sleep(0.1)
    left = len(store.due_contacts(END, 10_000))
    with Fleet(url, tmp_path / "b", size=1, args=["--processes", "2"]) as rest:
        rest.clock.set(END)
        rest.settle(store)  # another worker finishes what was left
    print(f"{left} contacts were left due when the processes had stopped")
    assert state(store) == expected["state"]
    assert stats(store) == expected["stats"]
    store.close()


def test_once_with_processes_handles_every_due_contact(tmp_path: Path) -> None:
    url, store, expected = _ingested(tmp_path, 800)
    env = {**os.environ, "NURTURA_CLOCK_FILE": str(tmp_path / "clock")}
    (tmp_path / "clock").write_text(END.isoformat())
    done = subprocess.run([NURTURA, "worker", "--once", "--processes", "2", "--db", url],
                          env=env, capture_output=True, text=True, check=True)
    assert "handled" in done.stdout
    # one drain at END handles each contact's inputs and wake-ups in time order up to END
    assert not store.due_contacts(END, 1)
    assert state(store) == expected["state"]
    assert stats(store) == expected["stats"]
    store.close()


def test_serve_with_two_worker_processes_handles_tracked_events(tmp_path: Path) -> None:
    """`nurtura serve --worker-processes 2`: the API process, its worker child, and that
    child's two worker processes; tracked events are handled, SIGTERM stops them all."""
    import signal
    from datetime import UTC, datetime

    import httpx

    from nurtura.model.validate import load_process
    from nurtura.store import tokens
    from tests.mail import free_port
    from tests.waiting import wait_http

    url = f"sqlite:///{tmp_path / 'nurtura.db'}"
    store = Store(url)
    now = datetime.now(UTC)
    store.save_process(load_process({"nurtura": 1, "name": "Tag", "nodes": {
        "t": {"type": "trigger", "event": "go", "next": "a"},
        "a": {"type": "action", "do": "add_tag", "tag": "went"}}}), now)
    store.set_enabled("Tag", True, now)
    token = tokens.create(store.engine, "t", {"write"}, now)
    store.close()
    port = free_port()
    api = subprocess.Popen([NURTURA, "serve", "--db", url, "--port", str(port),
                            "--worker-processes", "2"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_http(f"http://127.0.0.1:{port}/health", proc=api)
        batch = [{"type": "track", "userId": f"u{i}", "event": "go", "messageId": f"m{i}"}
                 for i in range(40)]
        r = httpx.post(f"http://127.0.0.1:{port}/v1/batch", json={"batch": batch},
                       headers={"Authorization": f"Bearer {token}"}, timeout=30)
        assert r.status_code == 200, r.text
        store = Store(url)
        deadline = time.monotonic() + 30
        while len([i for i in range(40) if (c := store.get_contact(f"u{i}"))
                   and "went" in c.tags]) < 40:
            assert time.monotonic() < deadline, "tracked events not handled"
            time.sleep(0.1)
        store.close()
        # the API's children: the worker (which forked the two) and multiprocessing's
        # resource tracker
        [worker] = [c for c in children(api.pid) if children(c)]
        kids = forked(worker)
        assert len(kids) == 2
    finally:
        api.send_signal(signal.SIGTERM)
        code = api.wait(timeout=60)
    assert code == 0  # a graceful stop, after the worker child was told to stop
    deadline = time.monotonic() + 30
    while any(running(p) for p in (worker, *kids)):
        assert time.monotonic() < deadline, "worker processes outlived `nurtura serve`"
        time.sleep(0.1)
