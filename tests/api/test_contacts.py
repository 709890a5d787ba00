"""Contacts and runs over HTTP: identify-like update, card, search with a cursor, GDPR
erasure, exiting a run by hand."""

from __future__ import annotations

from nurtura import library
from tests.api.conftest import Server


def test_put_get_search_and_erase(server: Server) -> None:
    with server.client() as http:
        for i in range(7):
            assert http.put(f"/api/contacts/c{i}", json={
                "email": f"c{i}@example.com", "city": "Delft" if i % 2 else "Utrecht",
            }).status_code == 202
        server.work()
        card = http.get("/api/contacts/c3").json()
        assert (card["email"], card["fields"]) == ("c3@example.com", {"city": "Delft"})
        page1 = http.get("/api/contacts", params={"field": "city:Delft", "limit": 2}).json()
        page2 = http.get("/api/contacts", params={"field": "city:Delft", "limit": 2,
                                                  "cursor": page1["next"]}).json()
        assert [c["id"] for c in page1["items"] + page2["items"]] == ["c1", "c3", "c5"]
        assert page2["next"] is None
        by_email = http.get("/api/contacts", params={"email": "C4@example.com"}).json()
        assert [c["id"] for c in by_email["items"]] == ["c4"]
        bad = http.get("/api/contacts", params={"field": "city"})
        assert bad.status_code == 400 and bad.json()["errors"][0]["path"] == "$.field"
        assert http.delete("/api/contacts/c3").status_code == 204
        assert http.get("/api/contacts/c3").status_code == 404
        assert http.delete("/api/contacts/c3").status_code == 404


def test_search_by_tag_and_list(server: Server) -> None:
    with server.client() as http:
        http.post("/api/library/course-reminder")
        for p in http.get("/api/processes").json():
            http.post(f"/api/processes/{p['id']}/enable")
        http.post("/v1/track", json={"userId": "s1", "event": "lesson.opened",
                                     "properties": {"lesson": 1}})
        http.post("/v1/track", json={"userId": "s2", "event": "lesson.opened",
                                     "properties": {"lesson": 2}})
        server.work()
        tagged = http.get("/api/contacts", params={"tag": "Lesson1"}).json()
        assert [c["id"] for c in tagged["items"]] == ["s1"]


def test_exit_a_run_by_hand(server: Server) -> None:
    with server.client() as http:
        pid = http.post("/api/processes", json=library.raw("personal-offer.json")).json()["id"]
        http.post(f"/api/processes/{pid}/enable")
        http.post("/v1/track", json={"userId": "c1", "event": "order.created",
                                     "properties": {"order_id": "o", "product": "Course A"}})
        server.work()
        (run,) = http.get("/api/contacts/c1").json()["active_runs"]
        assert run["node"] == "outcome"
        assert http.post(f"/api/runs/{run['run']}/exit").status_code == 202
        server.work()
        (done,) = http.get("/api/contacts/c1/runs").json()
        assert (done["status"], done["reason"]) == ("exited", "manual")
        assert http.post(f"/api/runs/{run['run']}/exit").status_code == 404
        for not_a_run in ("nope", run["run"].upper(), run["run"] + "0"):  # never a 500
            assert http.post(f"/api/runs/{not_a_run}/exit").status_code == 404
