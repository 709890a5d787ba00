"""Processes over HTTP: create, versions and diff, rename, enable, stats, delete, errors."""

from __future__ import annotations

from datetime import timedelta

import segment.analytics.request as seg_request
from segment.analytics.client import Client

from nurtura import library
from tests.api.conftest import Server

OFFER = library.raw("personal-offer.json")


def test_a_new_process_without_a_name_is_named_by_the_time(server: Server) -> None:
    with server.client() as http:
        made = http.post("/api/processes", json={})
        assert made.status_code == 201
        got = http.get(f"/api/processes/{made.json()['id']}").json()
        assert got["name"] == "Process from 2026-11-23 10:15"
        again = http.post("/api/processes", json={}).json()
        assert http.get(f"/api/processes/{again['id']}").json()["name"] == (
            "Process from 2026-11-23 10:15 (2)")


def test_invalid_save_returns_every_problem_and_keeps_the_old_version(server: Server) -> None:
    with server.client() as http:
        pid = http.post("/api/processes", json=OFFER).json()["id"]
        bad = {**OFFER, "nodes": {**OFFER["nodes"], "cheaper": {
            "type": "action", "do": "send_email", "template": "x", "next": "nowhere"}}}
        bad["nodes"]["outcome"] = {**bad["nodes"]["outcome"], "timeout": "soon"}
        reply = http.put(f"/api/processes/{pid}", json=bad)
        assert reply.status_code == 422
        assert reply.headers["content-type"] == "application/problem+json"
        paths = {e["path"] for e in reply.json()["errors"]}
        # "lost" is no longer reachable once "cheaper" points elsewhere: reported too
        assert paths == {"$.nodes.cheaper.next", "$.nodes.outcome.timeout", "$.nodes.lost"}
        assert http.get(f"/api/processes/{pid}/export").json() == OFFER
        assert http.post("/api/processes/validate", json=bad).status_code == 422
        assert http.post("/api/processes/validate", json=OFFER).json() == {"ok": True}


def test_versions_diff_rename_and_reentry(server: Server) -> None:
    with server.client() as http:
        pid = http.post("/api/processes", json=OFFER).json()["id"]
        v2 = {**OFFER, "nodes": {k: v for k, v in OFFER["nodes"].items() if k != "lost"}}
        v2["nodes"]["cheaper"] = {**v2["nodes"]["cheaper"], "next": "done"}
        assert http.put(f"/api/processes/{pid}", json=v2).json()["version"] == 2
        diff = http.get(f"/api/processes/{pid}/versions/1/diff/2").json()
        assert diff == {"added": [], "removed": ["lost"], "changed": ["cheaper"],
                        "settings": []}
        renamed = http.patch(f"/api/processes/{pid}", json={"name": "Offer", "reentry": "once"})
        assert renamed.json()["version"] == 3
        doc = http.get(f"/api/processes/{pid}/export").json()
        assert (doc["name"], doc["reentry"]) == ("Offer", "once")
        assert [v["version"] for v in http.get(f"/api/processes/{pid}/versions").json()] == [
            1, 2, 3]
        assert http.post("/api/processes", json={**OFFER, "name": "Offer"}).status_code == 409
        assert http.get("/api/processes/999").status_code == 404
        assert http.patch(f"/api/processes/{pid}", json={"reentry": "twice"}).status_code == 422


def test_personal_offer_end_to_end_over_http(server: Server) -> None:
    with server.client() as http:
        slug = http.get("/api/library").json()[0]["slug"]
        (pid,) = http.post(f"/api/library/{slug}").json()["ids"]
        assert http.post(f"/api/processes/{pid}/enable").json()["enabled"] is True
    # the site sends with the real Segment library, stamping the events on the server's clock
    site = Client(write_key=server.write, host=server.url, sync_mode=True)
    now = server.clock.now()
    site.identify("ann", {"email": "ann@example.com"}, timestamp=now)
    site.identify("bob", {"email": "bob@example.com"}, timestamp=now)
    site.track("ann", "order.created", {"order_id": "a1", "product": "Course A",
                                        "amount": 60000}, timestamp=now)
    site.track("bob", "order.created", {"order_id": "b1", "product": "Course A",
                                        "amount": 1000}, timestamp=now)
    server.work()
    server.clock.jump(now + timedelta(hours=2))
    site.track("ann", "Order Paid", {"order_id": "a1"}, timestamp=server.clock.now())
    site.track("bob", "Order Cancelled", {"order_id": "b1"}, timestamp=server.clock.now())
    site.flush()
    seg_request._session.close()
    server.work()
    with server.client() as http:
        stats = http.get(f"/api/processes/{pid}/stats").json()
        assert (stats["entered"], stats["completed"]) == (2, {"converted": 1, "lost": 1})
        assert stats["nodes"]["d50"]["sent"] == 1 and stats["nodes"]["cheaper"]["sent"] == 1
        assert stats["daily"][-1] == {"day": "2026-11-23", "entered": 2, "completed": 2,
                                      "exited": 0}
        (run,) = http.get("/api/contacts/ann/runs").json()
        steps = [s for h in run["history"] for s in h["steps"]]
        assert {"node": "by_total", "result": "yes"} in steps
        assert run["reason"] == "converted"
        listing = http.get("/api/processes").json()[0]
        assert listing["stats"]["entered"] == 2 and listing["last_activity"]
        assert http.post(f"/api/processes/{pid}/reset-stats").status_code == 204
        assert http.get(f"/api/processes/{pid}/stats").json()["entered"] == 0
        assert len(http.get("/api/contacts/ann/runs").json()) == 1  # runs untouched


def test_delete_takes_runs_and_unsent_messages_with_it(server: Server) -> None:
    with server.client() as http:
        pid = http.post("/api/processes", json=OFFER).json()["id"]
        http.post(f"/api/processes/{pid}/enable")
        http.post("/v1/track", json={"userId": "c1", "event": "order.created",
                                     "properties": {"order_id": "o", "product": "Course A"}})
        server.work()
        assert http.get("/api/processes/1/nodes/outcome/contacts").json()["items"][0][
            "contact"] == "c1"
        assert http.delete(f"/api/processes/{pid}").status_code == 204
        assert http.get(f"/api/processes/{pid}").status_code == 404
        assert http.get("/api/contacts/c1/runs").json() == []


def test_failures_show_their_reason_on_the_node_where_they_happened(server: Server) -> None:
    looping = {"nurtura": 1, "name": "Loop", "nodes": {
        "t": {"type": "trigger", "event": "go", "next": "l"},
        "l": {"type": "delay", "until": "2020-01-01T00:00:00Z", "next": "s"},
        "s": {"type": "action", "do": "change_score", "by": 1, "next": "l"}}}
    with server.client() as http:
        pid = http.post("/api/processes", json=looping).json()["id"]
        http.post(f"/api/processes/{pid}/enable")
        http.post("/v1/track", json={"userId": "c1", "event": "go"})
        server.work()
        stats = http.get(f"/api/processes/{pid}/stats").json()
    assert stats["failed"] == 1
    (node,) = [k for k, v in stats["nodes"].items() if "failures" in v]
    assert stats["nodes"][node]["failures"] == {
        "more than 1000 instant steps without a wait or delay": 1}
    assert node in ("l", "s")
