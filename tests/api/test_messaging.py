"""Messaging end to end over HTTP: a library process sends through a real SMTP server; the
test reads the message, follows its pixel, links and unsubscribe link against the running
API, and watches the waiting run move on ("opened?"), consent change and analytics count."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from nurtura.channels.config import Settings
from nurtura.runtime.delivery import Deliverer, send_at_delivery
from nurtura.runtime.worker import Worker
from tests.api.conftest import Server
from tests.mail import Received, SmtpSink

ANN = "ann@example.com"


@pytest.fixture
def deliverer(server: Server, smtp: SmtpSink) -> Iterator[Deliverer]:
    conf = Settings(smtp_host="127.0.0.1", smtp_port=smtp.port, smtp_tls="none",
                    from_addr="School <hello@school.test>", base_url=server.url)
    d = Deliverer(server.store, server.clock, conf)
    yield d
    d.close()


@pytest.fixture
def anon() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10) as client:
        yield client


@pytest.fixture
def c(server: Server) -> Iterator[httpx.Client]:
    with server.client() as client:
        yield client


def work(server: Server) -> None:
    Worker(send_at_delivery(server.store), server.clock).drain(server.clock.now())


def track(c: httpx.Client, user: str, event: str, at: str, **props: Any) -> None:
    r = c.post("/v1/track", json={"userId": user, "event": event, "properties": props,
                                  "timestamp": at})
    assert r.status_code == 200, r.text


def hrefs(html: str) -> list[str]:
    return [h.replace("&amp;", "&") for h in re.findall(r'href="([^"]+)"', html)]


def pixel(html: str) -> str:
    m = re.search(r'<img src="([^"]+/t/o/[^"]+)"', html)
    assert m is not None
    return m.group(1).replace("&amp;", "&")


def unpaid_invoice(c: httpx.Client, server: Server, deliverer: Deliverer, smtp: SmtpSink
                   ) -> tuple[int, Received]:
    """The library's unpaid-invoice bundle; Ann orders and does not pay: objection 1."""
    assert c.post("/api/library/unpaid-invoice").status_code == 201
    pid = next(p["id"] for p in c.get("/api/processes").json()
               if p["name"] == "Unpaid invoice follow-up")
    assert c.post(f"/api/processes/{pid}/enable").status_code == 200
    assert c.put("/api/contacts/ann", json={"email": ANN, "first_name": "Ann"}
                 ).status_code == 202
    track(c, "ann", "Order Created", server.clock.now().isoformat(), order_id="o1",
          product="Course A", amount=19900, pay_url="https://pay.example.com/o1")
    work(server)
    server.clock.jump(server.clock.now() + timedelta(hours=1))
    work(server)
    assert deliverer.drain(server.clock.now()) == 1
    [got] = smtp.to(ANN)
    return pid, got


def run_node(c: httpx.Client) -> str:
    [run] = [r for r in c.get("/api/contacts/ann/runs").json() if r["status"] == "active"]
    return str(run["node"])


def test_open_pixel_and_click_resume_the_opened_check_and_count_in_analytics(
    server: Server, deliverer: Deliverer, smtp: SmtpSink, c: httpx.Client,
    anon: httpx.Client
) -> None:
    pid, got = unpaid_invoice(c, server, deliverer, smtp)
    assert got.message["Subject"] == "What Course A will do for you"
    html = got.part("html")
    assert "Ann," in html and "Course A" in html
    assert "https://pay.example.com/o1" in got.part("plain")
    work(server)
    assert run_node(c) == "opened_1"
    r = anon.get(pixel(html))
    assert r.status_code == 200 and r.headers["content-type"] == "image/gif"
    assert r.content.startswith(b"GIF89a")
    work(server)
    assert run_node(c) == "paid_1"  # the "opened?" wait saw email.opened of this template
    pay = next(h for h in hrefs(html) if "/t/c/" in h)
    r = anon.get(pay, follow_redirects=False)
    assert r.status_code == 302 and r.headers["location"] == "https://pay.example.com/o1"
    anon.get(pixel(html))  # a second open: total 2, unique 1
    work(server)
    history = c.get("/api/contacts/ann/runs").json()[0]["history"]
    assert any(s.get("event") == "email.opened" for h in history for s in h.get("steps", []))
    stats = c.get(f"/api/processes/{pid}/messages").json()["nodes"]["objection_1"]
    assert stats["template"] == "invoice-objection-1"
    assert stats["sent"] == {"unique": 1, "total": 1}
    assert stats["delivered"] == {"unique": 1, "total": 1}
    assert stats["opened"] == {"unique": 1, "total": 2}
    assert stats["clicked"] == {"unique": 1, "total": 1}
    assert stats["bounced"] == {"unique": 0, "total": 0}
    nodes = c.get(f"/api/processes/{pid}/stats").json()["nodes"]["objection_1"]
    assert (nodes["sent"], nodes["opened"], nodes["clicked"]) == (1, 1, 1)


def test_a_tampered_or_made_up_token_gets_404_never_a_redirect(
    server: Server, deliverer: Deliverer, smtp: SmtpSink, c: httpx.Client,
    anon: httpx.Client
) -> None:
    _, got = unpaid_invoice(c, server, deliverer, smtp)
    link = next(h for h in hrefs(got.part("html")) if "/t/c/" in h)
    token = link.rsplit("/", 1)[1]
    body, mac = token.split(".")
    evil = re.sub(r"[A-Za-z]", "A", body[:10]) + body[10:]
    # the MAC's first character changed (its last ones may be "AA" already: the MAC's key
    # is random, so 1 run in 4,096 "tampered" nothing when the test replaced those)
    bad_mac = ("B" if mac[0] == "A" else "A") + mac[1:]
    for bad in (f"{evil}.{mac}", f"{body}.{bad_mac}", "x", f"{body}.", "a.b.c"):
        r = anon.get(f"{server.url}/t/c/{bad}", follow_redirects=False)
        assert r.status_code == 404 and "location" not in r.headers
    # a valid open token is no click token
    open_token = pixel(got.part("html")).rsplit("/", 1)[1]
    assert anon.get(f"{server.url}/t/c/{open_token}").status_code == 404
    assert anon.get(f"{server.url}/t/o/{token}").status_code == 404
    assert anon.get(f"{server.url}/u/{token}").status_code == 404


def test_one_click_unsubscribe_opts_out_and_the_page_works_without_javascript(
    server: Server, deliverer: Deliverer, smtp: SmtpSink, c: httpx.Client,
    anon: httpx.Client
) -> None:
    pid, got = unpaid_invoice(c, server, deliverer, smtp)
    url = got.message["List-Unsubscribe"].strip("<>")
    assert url in hrefs(got.part("html"))
    page = anon.get(url)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert '<form method="post"' in page.text and "<script" not in page.text
    assert c.get("/api/contacts/ann").json()["subscribed"]["email"] is True  # GET changes nothing
    r = anon.post(url, data={"List-Unsubscribe": "One-Click"})
    assert r.status_code == 200 and "no longer receive emails" in r.text
    work(server)
    assert c.get("/api/contacts/ann").json()["subscribed"] == {"email": False, "sms": True}
    stats = c.get(f"/api/processes/{pid}/messages").json()["nodes"]["objection_1"]
    assert stats["unsubscribed"] == {"unique": 1, "total": 1}
    # the next objection is skipped at its step: nothing more reaches the mailbox
    server.clock.jump(server.clock.now() + timedelta(days=3))
    work(server)
    deliverer.drain(server.clock.now())
    assert len(smtp.to(ANN)) == 1
    assert c.get(f"/api/processes/{pid}/stats").json()["nodes"]["objection_2"]["skipped"] == 1


def test_the_unsubscribe_form_can_also_opt_out_of_sms(
    server: Server, deliverer: Deliverer, smtp: SmtpSink, c: httpx.Client,
    anon: httpx.Client
) -> None:
    _, got = unpaid_invoice(c, server, deliverer, smtp)
    c.put("/api/contacts/ann", json={"phone": "+31611111111"})
    work(server)
    url = got.message["List-Unsubscribe"].strip("<>")
    assert 'value="sms"' in anon.get(url).text
    r = anon.post(url, data={"channel": ["sms"]})
    assert r.status_code == 200 and "text messages" in r.text
    work(server)
    assert c.get("/api/contacts/ann").json()["subscribed"] == {"email": True, "sms": False}
    assert anon.post(url[:-3] + "abc", data={"channel": ["email"]}).status_code == 404


def test_templates_crud_and_preview_with_missing_variables(server: Server, c: httpx.Client
                                                           ) -> None:
    body = {"name": "welcome", "subject": "Welcome {{ contact.fields.first_name }}",
            "html": "<p>Hi {{ contact.fields.first_name | default: 'friend' }}, "
                    "{{ order.pay_url }} {{ vars.webinar_at | date: '%d.%m %H:%M', "
                    "'Europe/Moscow' }}</p>"}
    r = c.post("/api/templates", json=body)
    assert r.status_code == 201, r.text
    assert c.post("/api/templates", json=body).status_code == 409
    bad = c.post("/api/templates", json={**body, "name": "x", "html": "{% if %}"})
    assert bad.status_code == 400 and bad.json()["errors"][0]["path"] == "$.html"
    assert c.post("/api/templates", json={"name": "s", "channel": "sms"}).status_code == 400
    r = c.post("/api/templates/welcome/preview",
               json={"vars": {"webinar_at": "2026-11-24T08:00:00Z"}})
    assert r.status_code == 200
    p = r.json()
    assert p["subject"] == "Welcome"
    assert "Hi friend" in p["html"] and "24.11 11:00" in p["html"]
    assert p["missing"] == ["contact.fields.first_name", "order.pay_url"]
    assert "Hi friend" in p["text"]
    c.put("/api/contacts/ann", json={"email": ANN, "first_name": "Ann"})
    track(c, "ann", "order.created", server.clock.now().isoformat(), order_id="o1",
          pay_url="https://pay.example.com/o1")
    Worker(server.store, server.clock).drain(server.clock.now())
    p = c.post("/api/templates/welcome/preview", json={"contact_id": "ann"}).json()
    assert p["subject"] == "Welcome Ann" and "https://pay.example.com/o1" in p["html"]
    assert c.post("/api/templates/welcome/preview", json={"contact_id": "nobody"}
                  ).status_code == 404
    r = c.put("/api/templates/welcome", json={"channel": "sms", "text": "Hi {{ contact.id }}"})
    assert r.status_code == 200 and r.json()["created"] is False
    assert c.get("/api/templates/welcome").json()["channel"] == "sms"
    assert [t["name"] for t in c.get("/api/templates").json()] == ["welcome"]
    assert c.post("/api/templates/preview", json={"template": {
        "subject": "S", "text": "{{ contact.id }}"}, "contact_id": "ann"}).json()["text"] == "ann"
    assert c.delete("/api/templates/welcome").status_code == 204
    assert c.get("/api/templates/welcome").status_code == 404
    assert c.delete("/api/templates/welcome").status_code == 404


def test_a_template_a_process_sends_cannot_be_deleted_and_bundles_carry_templates(
    server: Server, c: httpx.Client
) -> None:
    assert c.post("/api/library/lead-to-buyer").status_code == 201
    assert c.delete("/api/templates/campaign-1-welcome").status_code == 409
    pid = next(p["id"] for p in c.get("/api/processes").json() if p["name"] == "Lead to buyer")
    bundle = c.get(f"/api/processes/{pid}/bundle").json()
    assert bundle["processes"][0]["name"] == "Lead to buyer"
    assert {"Campaign 1", "Campaign 2"} <= {p["name"] for p in bundle["processes"]}
    assert "campaign-2-offer" in bundle["templates"]
    for p in c.get("/api/processes").json():
        c.delete(f"/api/processes/{p['id']}")
    for name in list(bundle["templates"]):
        assert c.delete(f"/api/templates/{name}").status_code == 204
    r = c.post("/api/bundles", json=bundle)
    assert r.status_code == 201, r.text
    assert len(r.json()["processes"]) == len(bundle["processes"])
    assert c.get("/api/templates/campaign-2-offer").json()["used_by"] == ["Campaign 2"]
    assert c.post("/api/bundles", json={"processes": []}).status_code == 400
