"""/metrics (Prometheus text, from the database) and the readiness check."""

from __future__ import annotations

from datetime import timedelta

from prometheus_client.parser import text_string_to_metric_families

from nurtura import library
from nurtura.store import tokens
from tests.api.conftest import T0, Server

COURSE = library.raw("course-reminder.json")


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for fam in text_string_to_metric_families(text) for s in fam.samples}


def test_metrics_show_backlog_lag_steps_outbox_and_runs(server: Server) -> None:
    with server.client() as http:
        pid = http.post("/api/processes", json=COURSE).json()["id"]
        assert http.post(f"/api/processes/{pid}/enable").status_code == 200
    server.clock.jump(T0 + timedelta(minutes=10))
    with server.client(server.write) as site:
        for i in range(3):
            assert site.post("/v1/identify", json={
                "userId": f"u{i}", "traits": {"email": f"u{i}@example.com"},
                "messageId": f"id{i}", "timestamp": T0.isoformat()}).status_code == 200
            r = site.post("/v1/track", json={
                "userId": f"u{i}", "event": "order.paid", "messageId": f"m{i}",
                "properties": {"order_id": f"o{i}", "amount": 100},
                "timestamp": (T0 + timedelta(minutes=i)).isoformat()})
            assert r.status_code == 200
    metrics_token = tokens.create(server.store.engine, "prometheus", {"metrics"}, T0)
    with server.client(metrics_token) as prom:
        before = samples(prom.get("/metrics").text)
        assert before[("nurtura_due_backlog", (("kind", "event"),))] == 6
        assert before[("nurtura_oldest_due_lag_seconds", ())] == 600  # the identify at T0
        assert before[("nurtura_steps_total", ())] == 0
        server.work()
        server.clock.jump(T0 + timedelta(days=8))  # the course reminder's week is over
        server.work()
        reply = prom.get("/metrics")
        assert reply.headers["content-type"].startswith("text/plain; version=0.0.4")
        after = samples(reply.text)
    assert after[("nurtura_due_backlog", (("kind", "event"),))] == 0
    assert after[("nurtura_due_backlog", (("kind", "wakeup"),))] == 0
    assert after[("nurtura_oldest_due_lag_seconds", ())] == 0
    assert after[("nurtura_steps_total", ())] > 3
    entered = (("event", "entered"), ("process", "Course reminder"))
    assert after[("nurtura_runs_total", entered)] == 3
    assert after[("nurtura_outbox_depth", (("channel", "email"), ("status", "pending")))] == 3


def test_metrics_need_a_metrics_or_admin_token_and_ready_needs_none(server: Server) -> None:
    with server.client(server.write) as site:
        assert site.get("/metrics").status_code == 403
    with server.client() as admin:
        assert admin.get("/metrics").status_code == 200
        assert admin.get("/health/ready").json()["status"] == "ok"
