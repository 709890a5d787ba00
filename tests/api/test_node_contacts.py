"""GET /api/processes/{id}/nodes/{node}/contacts: the runs waiting at a node, failed there or
that reached it (from each run's history), a page at a time — over a real server on SQLite
and on the real PostgreSQL."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
import uvicorn

from nurtura.api.app import create_app
from nurtura.clock import SimClock
from nurtura.runtime.worker import Worker
from nurtura.store import tokens
from nurtura.store.sql import Store
from tests.api.conftest import T0, free_port

MAIN = {"nurtura": 1, "name": "Main", "reentry": "always", "nodes": {
    "t": {"type": "trigger", "event": "go", "next": "w"},
    "w": {"type": "wait", "for": [{"event": "pay", "next": "a_b"}],
          "timeout": "1d", "on_timeout": "axb"},
    "a_b": {"type": "action", "do": "add_tag", "tag": "paid", "next": "done"},
    "axb": {"type": "action", "do": "add_tag", "tag": "late", "next": "late"},
    "done": {"type": "end", "outcome": "paid"},
    "late": {"type": "end", "outcome": "late"}}}
STARTER = {"nurtura": 1, "name": "Starter", "nodes": {
    "k": {"type": "trigger", "event": "kick", "next": "s"},
    "s": {"type": "action", "do": "start_process", "process": "Main", "next": "e"},
    "e": {"type": "end"}}}


@pytest.fixture
def http(store: Store) -> Iterator[tuple[httpx.Client, SimClock, Store]]:
    """A real server over the parametrised store (SQLite, PostgreSQL)."""
    clock = SimClock(T0)
    config = uvicorn.Config(create_app(store, clock, static_dir=None), host="127.0.0.1",
                            port=free_port(), log_level="warning", log_config=None)
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    while not srv.started:
        assert thread.is_alive()
        time.sleep(0.02)
    token = tokens.create(store.engine, "admin", {"admin"}, T0)
    with httpx.Client(base_url=f"http://127.0.0.1:{config.port}", timeout=10,
                      headers={"Authorization": f"Bearer {token}"}) as client:
        yield client, clock, store
    srv.should_exit = True
    thread.join(timeout=10)


def send(client: httpx.Client, clock: SimClock, store: Store, who: str, event: str) -> None:
    assert client.post("/v1/track", json={"userId": who, "event": event}).status_code < 300
    Worker(store, clock).drain(clock.now())


def every(client: httpx.Client, url: str, limit: int) -> list[list[dict[str, Any]]]:
    """All pages of `url` (`…?what=…`), following `next`."""
    path, _, query = url.partition("?")
    pages, cursor = [], None
    while True:
        params: dict[str, Any] = dict(httpx.QueryParams(query))
        params.update({"limit": limit, **({"cursor": cursor} if cursor else {})})
        got = client.get(path, params=params)
        assert got.status_code == 200, got.text
        body = got.json()
        pages.append(body["items"])
        cursor = body["next"]
        if cursor is None:
            return pages


def test_reached_lists_every_run_through_a_node_newest_first_a_page_at_a_time(
        http: tuple[httpx.Client, SimClock, Store]) -> None:
    client, clock, store = http
    pid = client.post("/api/processes", json=MAIN).json()["id"]
    starter = client.post("/api/processes", json=STARTER).json()["id"]
    for p in (pid, starter):
        assert client.post(f"/api/processes/{p}/enable").status_code == 200
    for i, who in enumerate(("c1", "c2", "c3", "c4", "c5")):
        clock.jump(T0 + timedelta(minutes=i))
        send(client, clock, store, who, "go")
    clock.jump(T0 + timedelta(hours=1))
    for who in ("c1", "c2"):
        send(client, clock, store, who, "pay")
    clock.jump(T0 + timedelta(hours=2))
    send(client, clock, store, "c6", "kick")  # enters Main by start_process, after "t"
    clock.jump(T0 + timedelta(days=1, minutes=5))  # c3, c4 and c5 time out; c6 waits on
    Worker(store, clock).drain(clock.now())
    base = f"/api/processes/{pid}/nodes"

    pages = every(client, f"{base}/w/contacts?what=reached", limit=2)
    assert [len(p) for p in pages] == [2, 2, 2]
    rows = [r for p in pages for r in p]
    assert [r["contact"] for r in rows] == ["c6", "c5", "c4", "c3", "c2", "c1"]
    assert {r["contact"]: r["status"] for r in rows} == {
        "c1": "completed", "c2": "completed", "c3": "completed", "c4": "completed",
        "c5": "completed", "c6": "active"}
    assert rows[-1]["since"].startswith("2026-11-23T10:15:00")  # when c1 got to the wait

    def reached(node: str) -> list[str]:
        (page,) = every(client, f"{base}/{node}/contacts?what=reached", limit=100)
        return sorted(r["contact"] for r in page)

    assert reached("a_b") == reached("done") == ["c1", "c2"]
    assert reached("axb") == ["c3", "c4", "c5"]  # "_" is no LIKE wildcard here
    assert reached("late") == ["c3", "c4", "c5"]
    assert reached("t") == ["c1", "c2", "c3", "c4", "c5", "c6"]  # c6 via start_process
    assert reached("nowhere") == []
    (late,) = [r for r in every(client, f"{base}/late/contacts?what=reached", 5)[0]
               if r["contact"] == "c3"]
    assert (late["reason"], late["since"][:16]) == ("late", "2026-11-24T10:17")

    (waiting,) = every(client, f"{base}/w/contacts", limit=10)
    assert [(r["contact"], r["status"]) for r in waiting] == [("c6", "active")]
    assert waiting[0]["wake_at"].startswith("2026-11-24T12:15")
    assert every(client, f"{base}/w/contacts?what=failed", limit=10) == [[]]

    assert client.get(f"{base}/w/contacts?what=sent").status_code == 422
    assert client.get(f"{base}/w/contacts?what=reached&cursor=nonsense").status_code == 400
    assert client.get("/api/processes/99/nodes/w/contacts").status_code == 404
    spec = client.get("/openapi.json").json()
    answer = spec["paths"]["/api/processes/{process_id}/nodes/{node}/contacts"]["get"]
    schema = answer["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema["$ref"].endswith("/NodeContactsPage")
