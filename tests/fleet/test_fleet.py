"""PostgreSQL with many workers: the same result as `nurtura simulate`, nothing lost or
sent twice when workers are killed, when PostgreSQL restarts, when a message comes twice.

Each test has its own database (tests/pg.py) and its own worker processes.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from nurtura.simulate import parse_events
from nurtura.store.sql import Store
from tests.fleet.harness import (
    END,
    START,
    Fleet,
    feed_in_groups,
    reference,
    setup,
    simulate_cli,
    state,
    stats,
    traffic,
)
from tests.pg import fresh_database
from tests.waiting import wait_http

pytestmark = [pytest.mark.pg, pytest.mark.slow]

UNTIL = "40d"


def sends(lines: list[dict[str, Any]]) -> Counter[tuple[str, str, str, str]]:
    return Counter((x["at"], x["contact"], x["process"], x["node"]) for x in lines
                   if x.get("action") in ("send_email", "send_sms", "webhook"))


def outbox_sends(snapshot: dict[str, Any]) -> Counter[tuple[str, str, str, str]]:
    from datetime import UTC, datetime

    return Counter(
        (datetime.fromtimestamp(o[6] / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), o[1], o[3],
         o[4]) for o in snapshot["outbox"])


@pytest.mark.parametrize("contacts", [int(__import__("os").environ.get("FLEET_CONTACTS", "20000"))])
def test_four_workers_do_what_simulate_does(tmp_path: Path, contacts: int) -> None:
    messages = traffic(contacts)
    expected = simulate_cli(tmp_path, messages, UNTIL)
    with fresh_database() as url:
        store = setup(url)
        store.ingest(parse_events([json.dumps(m) for m in messages]))
        with Fleet(url, tmp_path, size=4) as fleet:
            fleet.advance(store, END)
            assert fleet.alive()
        got = state(store)
        assert outbox_sends(got) == sends(expected[:-1])
        assert len(got["outbox"]) == len({o[0] for o in got["outbox"]})
        assert stats(store) == expected[-1]["stats"]
        store.close()


def test_kill_9_of_workers_loses_nothing_and_doubles_nothing(tmp_path: Path) -> None:
    messages = traffic(3000)
    expected = reference(tmp_path, messages)
    rnd = random.Random(7)
    with fresh_database() as url:
        store = setup(url)
        with Fleet(url, tmp_path, size=4, batch=50) as fleet:
            done = threading.Event()

            def killer() -> None:  # a kill every 0.2–0.8 s: 20 to 30 in all
                while fleet.kills < 30 and (not done.is_set() or fleet.kills < 20):
                    time.sleep(rnd.uniform(0.2, 0.8))
                    fleet.kill_one(rnd)

            t = threading.Thread(target=killer)
            t.start()
            try:
                feed_in_groups(fleet, store, messages, groups=12)
            finally:
                done.set()
                t.join()
            fleet.advance(store, END)  # work left due by the last kills
        assert fleet.kills >= 20
        assert state(store) == expected["state"]
        assert stats(store) == expected["stats"]
        store.close()


def test_postgresql_restart_mid_run(tmp_path: Path) -> None:
    from tests.pg import private_cluster

    messages = traffic(2000)
    expected = reference(tmp_path, messages)
    with private_cluster(55433) as pg:
        store = setup(pg.url)
        with Fleet(pg.url, tmp_path, size=2, batch=50) as fleet:
            store.ingest(parse_events([json.dumps(m) for m in messages]))
            fleet.notify()
            fleet.advance(store, START + timedelta(hours=5))
            restarter = threading.Timer(0.3, pg.ctl, ("restart", "-m", "immediate"))
            restarter.start()  # while the next steps run: a crash-restart of the server
            fleet.advance(store, START + timedelta(days=4))
            restarter.join()
            fleet.advance(store, END)
            assert fleet.alive()
        assert state(store) == expected["state"]
        assert stats(store) == expected["stats"]
        logs = "".join(p.read_text() for p in tmp_path.glob("worker-*.log"))
        store.close()
    assert "batch failed" in logs, "the restart did not hit a worker mid-run"


def test_the_same_messages_sent_to_two_api_processes_at_once_are_stored_once(
        tmp_path: Path) -> None:
    import subprocess
    from concurrent.futures import ThreadPoolExecutor

    import httpx

    from nurtura.store import tokens
    from tests.fleet.harness import NURTURA
    from tests.mail import free_port

    with fresh_database() as url:
        store = Store(url)
        token = tokens.create(store.engine, "fleet", {"write"}, START)
        ports = [free_port(), free_port()]
        logs = [tmp_path / f"api-{p}.log" for p in ports]
        apis = []
        for p, log in zip(ports, logs, strict=True):
            with log.open("wb") as out:  # the child keeps its own copy of the descriptor
                apis.append(subprocess.Popen([NURTURA, "serve", "--db", url, "--no-worker",
                                              "--port", str(p)], stdout=out,
                                             stderr=subprocess.STDOUT))
        try:
            for p in ports:
                wait_http(f"http://127.0.0.1:{p}/health")
            messages = traffic(400)
            batches = [messages[i:i + 50] for i in range(0, len(messages), 50)]
            auth = {"Authorization": f"Bearer {token}"}

            def send(job: tuple[int, list[dict[str, Any]]]) -> int:
                port, batch = job
                r = httpx.post(f"http://127.0.0.1:{port}/v1/batch", json={"batch": batch},
                               headers=auth, timeout=30)
                return r.status_code

            jobs = [(p, b) for b in batches for p in ports]  # every batch to both, at once
            with ThreadPoolExecutor(8) as pool:
                codes = list(pool.map(send, jobs))
            errors = [line for log in logs for line in log.read_text().splitlines()
                      if "Error" in line or "error" in line]
            assert set(codes) == {200}, (Counter(codes), errors[-20:])
            counts = store.table_counts()
            assert counts["events"] == len(messages)
        finally:
            for a in apis:
                a.terminate()
                a.wait(timeout=30)
            store.close()


def test_smtp_down_for_a_while_messages_wait_then_go_out_once(tmp_path: Path) -> None:
    from aiosmtpd.controller import Controller

    from nurtura.store import templates as store_templates
    from tests.mail import SmtpSink, free_port

    messages = traffic(240)
    port = free_port()  # nothing listens there yet: the SMTP server is down
    env = {"NURTURA_SMTP_HOST": "127.0.0.1", "NURTURA_SMTP_PORT": str(port),
           "NURTURA_SMTP_TLS": "none", "NURTURA_FROM": "Shop <news@shop.test>",
           "NURTURA_BASE_URL": "http://127.0.0.1:9", "NURTURA_SECRET": "fleet",
           "NURTURA_RETRY_BASE": "1s", "NURTURA_RETRY_MAX": "4s",
           "NURTURA_MAX_ATTEMPTS": "1000"}
    with fresh_database() as url:
        store = setup(url)
        store_templates.import_library(store, START)
        store.ingest(parse_events([json.dumps(m) for m in messages]))
        with Fleet(url, tmp_path / "a", size=2) as fleet:  # two days of processes: mail queued
            fleet.advance(store, START + timedelta(days=2))
        queued = _outbox_status(store)
        sink = SmtpSink()
        server = Controller(sink, hostname="127.0.0.1", port=port)
        with Fleet(url, tmp_path / "b", size=2, deliver=True, env=env) as fleet:
            fleet.clock.set(START + timedelta(days=2))

            def tick(seconds: int) -> None:  # time moves on in small steps, well within leases
                for _ in range(seconds):
                    fleet.clock.set(fleet.clock.now() + timedelta(seconds=1))
                    time.sleep(0.1)

            deadline = time.monotonic() + 120
            while _min_attempts(store) < 2:  # SMTP down: every message refused twice or more
                assert time.monotonic() < deadline, _outbox_status(store)
                tick(1)
            down = _outbox_status(store)
            assert down.get("sent", 0) == 0, down
            server.start()  # the server is back
            try:
                deadline = time.monotonic() + 120
                while set(_outbox_status(store)) - {"sent"}:
                    assert time.monotonic() < deadline, _outbox_status(store)
                    tick(1)
            finally:
                server.stop()
        after = _outbox_status(store)
        assert after == {"sent": queued["pending"]}, (queued, after)
        ids = [r.message["Message-ID"] for r in sink.received]
        assert len(ids) == after["sent"] == len(set(ids))  # every message, once
        store.close()


def _outbox_status(store: Store) -> dict[str, int]:
    from sqlalchemy import func, select

    from nurtura.store.schema import outbox

    with store.engine.connect() as conn:
        return dict(conn.execute(select(outbox.c.status, func.count())
                                 .group_by(outbox.c.status)).all())


def _min_attempts(store: Store) -> int:
    from sqlalchemy import func, select

    from nurtura.store.schema import outbox

    with store.engine.connect() as conn:
        return int(conn.execute(select(func.min(outbox.c.attempts))).scalar() or 0)


def test_sigterm_finishes_the_batch_and_metrics_count_the_work(tmp_path: Path) -> None:
    import httpx
    from prometheus_client.parser import text_string_to_metric_families

    from tests.mail import free_port

    messages = traffic(2000)
    expected = reference(tmp_path, messages)
    port = free_port()
    with fresh_database() as url:
        store = setup(url)
        store.ingest(parse_events([json.dumps(m) for m in messages]))
        fleet = Fleet(url, tmp_path / "a", size=1, batch=100,
                      args=["--metrics", f"127.0.0.1:{port}"])
        fleet.clock.set(END)
        with fleet:
            fleet.ready(0)
            deadline = time.monotonic() + 60
            while _handled(store) < 1000:  # mid-run: SIGTERM while batches are going
                assert time.monotonic() < deadline
                time.sleep(0.05)
            text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
            worker = {s.name: s.value for fam in text_string_to_metric_families(text)
                      for s in fam.samples}
            assert worker["nurtura_worker_contacts_total"] > 0
            assert worker["nurtura_worker_steps_total"] > 0
            assert worker["nurtura_worker_batch_seconds_count"] > 0
            started = time.monotonic()
        # Fleet.stop sent SIGTERM and checked the exit code is 0 (batch finished, no error)
        assert time.monotonic() - started < 30
        assert store.due_contacts(END, 1)  # it stopped with work left…
        with Fleet(url, tmp_path / "b", size=1) as rest:  # …which another worker finishes
            rest.clock.set(END)
            rest.notify()
            rest.settle(store)
        assert state(store) == expected["state"]
        store.close()


def _handled(store: Store) -> int:
    """Stored events that are not waiting in the worker's queue (handled, or emitted)."""
    from sqlalchemy import func, select

    from nurtura.store.schema import events, inbox

    with store.engine.connect() as conn:
        stored = conn.execute(select(func.count()).select_from(events)).scalar() or 0
        waiting = conn.execute(select(func.count()).select_from(inbox)).scalar() or 0
    return int(stored) - int(waiting)
