"""Segment-compatible ingestion: the real Segment client, batches, limits, idempotency."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import segment.analytics.request as seg_request
from segment.analytics.client import Client

from tests.api.conftest import Server


def test_the_real_segment_client_sends_to_nurtura_unchanged(server: Server) -> None:
    errors: list[object] = []
    client = Client(write_key=server.write, host=server.url, sync_mode=True,
                    on_error=lambda e, batch: errors.append(e))
    client.identify("c1", {"email": "ann@example.com", "first_name": "Ann"})
    client.track("c1", "Order Created", {"order_id": "o1", "product": "Course A"})
    client.page("c1", "Docs", "Pricing", {"url": "https://example.com/pricing"})
    client.flush()
    seg_request._session.close()  # the library keeps one requests session per process
    assert errors == []
    # the Segment library stamps messages with the real time: bring the server's clock there
    server.clock.jump(datetime.now(UTC) + timedelta(minutes=1))
    server.work()
    with server.client() as http:
        contact = http.get("/api/contacts/c1").json()
    assert contact["email"] == "ann@example.com"
    assert contact["fields"]["first_name"] == "Ann"
    assert [o["order_id"] for o in contact["orders"]] == ["o1"]
    names = {e.name for e in server.store.load_batch(["c1"], server.clock.now(),
                                                     {"order.created", "page.visited"}
                                                     ).history["c1"]}
    assert names == {"order.created", "page.visited"}


def test_a_batch_keeps_good_items_and_names_bad_ones(server: Server) -> None:
    with server.client(server.write) as http:
        reply = http.post("/v1/batch", json={"batch": [
            {"type": "track", "userId": "c1", "event": "go", "messageId": "a"},
            {"type": "track", "event": "go"},
            {"type": "identify", "userId": "c2", "traits": {"timezone": "Mars/Base"}},
            {"type": "track", "userId": "c3", "event": "go", "timestamp": "soon"},
            {"type": "alias", "userId": "c4"},
        ]})
    assert reply.status_code == 200
    body = reply.json()
    assert body["accepted"] == 1
    assert [(e["index"], e["field"]) for e in body["errors"]] == [
        (1, "userId"), (2, "traits.timezone"), (3, "timestamp"), (4, "type")]
    assert server.store.table_counts()["events"] == 1


def test_nothing_valid_in_a_batch_is_a_400(server: Server) -> None:
    with server.client(server.write) as http:
        reply = http.post("/v1/batch", json={"batch": [{"type": "track"}]})
        assert reply.status_code == 400 and reply.json()["accepted"] == 0
        assert http.post("/v1/batch", json={"items": []}).status_code == 400
        bad = http.post("/v1/track", content=b"{not json", headers={
            "content-type": "application/json"})
        assert bad.status_code == 400
        assert bad.headers["content-type"] == "application/problem+json"


def test_payload_limits_as_segment_with_a_clear_413(server: Server) -> None:
    big = {"userId": "c1", "event": "go", "properties": {"blob": "x" * 33_000}}
    with server.client(server.write) as http:
        reply = http.post("/v1/track", json=big)
        assert reply.status_code == 413 and "32768 bytes" in reply.json()["detail"]
        batch = {"batch": [{"type": "track", "userId": f"c{i}", "event": "go",
                            "properties": {"blob": "y" * 20_000}} for i in range(30)]}
        assert http.post("/v1/batch", json=batch).status_code == 413
    assert server.store.table_counts()["events"] == 0


def test_a_repeated_message_id_is_one_event(server: Server) -> None:
    msg = {"userId": "c1", "event": "go", "messageId": "same"}
    with server.client(server.write) as http:
        for _ in range(3):
            assert http.post("/v1/track", json=msg).status_code == 200
        http.post("/v1/batch", json={"batch": [{**msg, "type": "track"}] * 2})
    assert server.store.table_counts()["events"] == 1


def test_write_key_as_basic_user_and_scopes(server: Server) -> None:
    msg = {"userId": "c1", "event": "go"}
    assert httpx.post(f"{server.url}/v1/track", json=msg).status_code == 401
    assert httpx.post(f"{server.url}/v1/track", json=msg,
                      auth=(server.write, "")).status_code == 200
    assert httpx.post(f"{server.url}/v1/track", json=msg,
                      auth=("nrt_wrong", "")).status_code == 401
    with server.client(server.write) as http:
        assert http.get("/api/processes").status_code == 403
    with server.client() as http:
        assert http.post("/v1/track", json=msg).status_code == 200  # admin may ingest
    assert httpx.get(f"{server.url}/health").json()["status"] == "ok"


def test_tokens_are_stored_hashed(server: Server) -> None:
    with server.store.engine.connect() as conn:
        dump = json.dumps([list(r) for r in conn.exec_driver_sql("select * from tokens")])
    assert server.admin not in dump and server.write not in dump


def test_tokens_never_appear_in_logs(server: Server, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    msg = {"userId": "c1", "event": "go"}
    httpx.post(f"{server.url}/v1/track", json=msg, auth=(server.write, ""))
    httpx.post(f"{server.url}/v1/track", json=msg, headers={
        "Authorization": f"Bearer {server.write}"})
    with server.client() as http:
        http.get("/api/processes/12345")
        http.post("/v1/batch", json={"batch": [{"type": "track"}]})
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "POST /v1/track" in text  # the access log did record the requests
    assert server.write not in text and server.admin not in text
