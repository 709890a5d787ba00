"""SMS through a configurable HTTP gateway and the webhook action, against a real HTTP
server on loopback: bodies, auth header, signature, retries, final failures."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from nurtura.channels.http import SIGNATURE, verify_signature
from nurtura.channels.templates import Template
from nurtura.errors import ProcessInvalid
from nurtura.model.validate import load_process
from nurtura.store.sql import Store
from tests.mail import HttpSink, SmtpSink
from tests.runtime.messaging import T0, make_world, one_send, settings

REMINDER = Template("reminder-sms", channel="sms",
                    text="{{ contact.fields.first_name }}, the webinar starts at "
                         "{{ vars.at | date: '%H:%M', 'Europe/Moscow' }}. Join: "
                         "https://example.com/room")


def webhook(**node: Any) -> Any:
    return load_process({"nurtura": 1, "name": "H", "reentry": "always", "nodes": {
        "t": {"type": "trigger", "event": "order.created", "next": "h"},
        "h": {"type": "action", "do": "webhook", "next": "e", **node},
        "e": {"type": "end"}}})


def test_sms_goes_to_the_gateway_with_its_auth_header_and_body_template(
    store: Store, smtp: SmtpSink, http_sink: HttpSink
) -> None:
    sms_proc = load_process({"nurtura": 1, "name": "S", "nodes": {
        "t": {"type": "trigger", "event": "go", "next": "v"},
        "v": {"type": "action", "do": "set_var", "name": "at",
              "value": "2026-11-23T17:00:00Z", "next": "m"},
        "m": {"type": "action", "do": "send_sms", "template": "reminder-sms", "next": "e"},
        "e": {"type": "end"}}})
    conf = settings(smtp.port, sms_url=http_sink.url + "/send", sms_auth="X-Api-Key: k-123",
                    sms_body='{"message": {"to": "{{ to }}", "body": "{{ text }}"}, '
                             '"sender": "{{ from }}"}', sms_from="Shop")
    w = make_world(store, conf, sms_proc, templates=(REMINDER,))
    w.contact("ann", phone="+31612345678", first_name="Ann")
    w.event("go", "ann")
    w.work()
    assert w.deliver() == 1
    [req] = http_sink.requests
    assert (req.method, req.path) == ("POST", "/send")
    assert req.headers["x-api-key"] == "k-123"
    assert req.json() == {"message": {"to": "+31612345678", "body": (
        "Ann, the webinar starts at 20:00. Join: https://example.com/room")}, "sender": "Shop"}
    assert req.headers["idempotency-key"] == w.rows()[0]["key"]
    [sent] = w.events("sms.sent")
    assert json.loads(sent["props"])["template"] == "reminder-sms"
    assert smtp.received == []


def test_sms_gateway_5xx_is_retried_and_4xx_is_final(store: Store, smtp: SmtpSink,
                                                     http_sink: HttpSink) -> None:
    conf = settings(smtp.port, sms_url=http_sink.url, sms_auth="Bearer t")
    w = make_world(store, conf, one_send("reminder-sms", do="send_sms"), templates=(REMINDER,))
    w.contact("ann", phone="+100")
    w.contact("bob", phone="+200")
    http_sink.statuses = [503, 400]
    w.event("go", "ann")
    w.work()
    w.deliver()
    w.event("go", "bob")
    w.work()
    w.deliver()
    assert [r["status"] for r in w.rows()] == ["pending", "bounced"]
    assert http_sink.requests[0].headers["authorization"] == "Bearer t"
    w.step(timedelta(minutes=1))
    w.deliver()
    assert [r["status"] for r in w.rows()] == ["sent", "bounced"]


def test_webhook_renders_its_body_signs_it_and_retries_5xx(store: Store, smtp: SmtpSink,
                                                           http_sink: HttpSink) -> None:
    proc = webhook(url=http_sink.url + "/hooks/{{ contact.id }}", method="PUT",
                   body={"contact": "{{ contact.email }}", "pay": "{{ order.pay_url }}",
                         "n": 1, "tags": ["{{ event.name }}"]},
                   headers={"X-Source": "nurtura"}, timeout="5s", retries=2)
    w = make_world(store, settings(smtp.port, webhook_secret="whsec"), proc)
    w.contact("ann", email="ann@example.com")
    http_sink.statuses = [500, 502]
    w.event("order.created", "ann", order_id="o1", pay_url="https://pay.example/o1")
    w.work()
    for _ in range(3):
        w.deliver()
        w.step(timedelta(minutes=5))
    assert len(http_sink.requests) == 3 and w.rows()[0]["status"] == "sent"
    req = http_sink.requests[-1]
    assert (req.method, req.path) == ("PUT", "/hooks/ann")
    assert req.json() == {"contact": "ann@example.com", "pay": "https://pay.example/o1",
                          "n": 1, "tags": ["order.created"]}
    assert req.headers["x-source"] == "nurtura"
    assert req.headers["x-nurtura-delivery"] == w.rows()[0]["key"]
    assert verify_signature(b"whsec", req.body, req.headers[SIGNATURE.lower()], w.clock.now())
    assert not verify_signature(b"whsec", req.body + b" ", req.headers[SIGNATURE.lower()],
                                w.clock.now())
    assert not verify_signature(b"other", req.body, req.headers[SIGNATURE.lower()],
                                w.clock.now())


def test_webhook_gives_up_after_its_retries_and_a_4xx_is_final(
    store: Store, smtp: SmtpSink, http_sink: HttpSink
) -> None:
    w = make_world(store, settings(smtp.port), webhook(url=http_sink.url, retries=1))
    http_sink.statuses = [500, 500, 404]
    w.contact("ann")
    w.event("order.created", "ann", order_id="o1")
    w.work()
    w.deliver()
    w.step(timedelta(minutes=1))
    w.deliver()
    assert w.rows()[0]["status"] == "failed" and len(http_sink.requests) == 2
    w.event("order.created", "ann", order_id="o2")
    w.work()
    w.deliver()
    assert [r["status"] for r in w.rows()] == ["failed", "failed"]
    assert len(http_sink.requests) == 3
    assert w.node_stats("h", "H")["undelivered"] == 2


def test_webhook_to_a_closed_port_is_retried(store: Store, smtp: SmtpSink) -> None:
    w = make_world(store, settings(smtp.port), webhook(url="http://127.0.0.1:9/x"))
    w.contact("ann")
    w.event("order.created", "ann", order_id="o1")
    w.work()
    w.deliver()
    row = w.rows()[0]
    assert (row["status"], row["attempts"]) == ("pending", 1)
    assert row["next_at"] > int(T0.timestamp() * 1000)


def test_webhook_timeout_and_retries_are_checked_with_their_paths() -> None:
    with pytest.raises(ProcessInvalid) as bad:
        webhook(url="https://x.example.com", timeout="soon")
    assert [p.path for p in bad.value.problems] == ["$.nodes.h.timeout"]
    with pytest.raises(ProcessInvalid):
        webhook(url="https://x.example.com", retries=99)
    doc = webhook(url="https://x.example.com", timeout="5s", retries=0).file.to_json_obj()
    assert doc["nodes"]["h"]["timeout"] == "5s" and doc["nodes"]["h"]["retries"] == 0
