"""The delivery loop against a real SMTP server (aiosmtpd on loopback): rendering, headers,
`email.sent` at delivery, retries with backoff, bounces, consent, and the crash between the
send and its record."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from nurtura.channels.links import Signer
from nurtura.channels.templates import Template
from nurtura.store.sql import Store
from tests.mail import SmtpSink
from tests.runtime.messaging import T0, deliverer, make_world, one_send, settings

ANN = "ann@example.com"


class Crash(Exception):
    pass


def test_email_is_rendered_sent_with_headers_and_email_sent_comes_from_delivery(
    store: Store, smtp: SmtpSink
) -> None:
    w = make_world(store, settings(smtp.port))
    w.contact("ann", email=ANN, first_name="Ann")
    w.event("go", "ann")
    w.work()
    assert w.events("email.sent") == []  # not at the step: the worker leaves it to delivery
    assert w.deliver() == 1
    [got] = smtp.to(ANN)
    msg = got.message
    assert got.mail_from == "news@shop.test"
    assert msg["Subject"] == "Hello Ann"
    assert msg["From"] == "Shop <news@shop.test>"
    key = w.rows()[0]["key"]
    assert msg["X-Nurtura-Message"] == key
    assert msg["Message-ID"] == w.delivery_rows()[0]["message_id"]
    unsubscribe = msg["List-Unsubscribe"].strip("<>")
    assert unsubscribe.startswith("http://127.0.0.1:9/u/")
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    html, text = got.part("html"), got.part("plain")
    assert "Hi Ann," in html and "Hi Ann," in text
    assert "https://example.com/offer" not in html  # the link goes through the redirect
    assert "http://127.0.0.1:9/t/c/" in html and "http://127.0.0.1:9/t/o/" in html
    assert unsubscribe in html and unsubscribe in text  # the unsubscribe link is not wrapped
    assert "https://example.com/offer" in text  # the text part keeps plain links
    [sent] = w.events("email.sent")
    props = json.loads(sent["props"])
    assert props == {"template": "hello", "process": "P", "node": "m", "run": w.rows()[0][
        "run_id"], "message": key, "message_id": msg["Message-ID"]}
    assert w.rows()[0]["status"] == "sent" and w.rows()[0]["attempts"] == 1
    w.work()
    assert w.node_stats() == {"reached": 1, "sent": 1, "delivered": 1}
    assert w.deliver() == 0  # nothing twice


def test_a_missing_variable_renders_empty_and_the_email_still_goes(
    store: Store, smtp: SmtpSink
) -> None:
    w = make_world(store, settings(smtp.port))
    w.contact("ann", email=ANN)
    w.event("go", "ann")
    w.work()
    w.deliver()
    [got] = smtp.to(ANN)
    assert got.message["Subject"] == "Hello there"  # default: covered
    assert "Hi ," in got.part("plain")


def test_a_crash_between_send_and_record_never_sends_twice(store: Store, smtp: SmtpSink) -> None:
    conf = settings(smtp.port)
    w = make_world(store, conf)
    w.contact("ann", email=ANN)
    w.event("go", "ann")
    w.work()

    def crash(*_: object) -> None:
        raise Crash

    w.deliverer.after_send = crash
    with pytest.raises(Crash):
        w.deliver()
    assert len(smtp.to(ANN)) == 1
    assert w.rows()[0]["status"] == "sending"
    # A new deliverer (after a restart): within the lease the row is left alone …
    again = deliverer(store, w.clock, conf)
    assert again.drain(w.clock.now()) == 0
    # … and once the lease has run out it is settled as unknown, never sent again.
    w.step(conf.lease)
    again.drain(w.clock.now())
    assert len(smtp.to(ANN)) == 1
    assert w.rows()[0]["status"] == "unknown"
    assert w.delivery_rows()[0]["status"] == "unknown"
    assert w.node_stats()["undelivered"] == 1
    w.step(timedelta(days=1))
    again.drain(w.clock.now())
    assert len(smtp.to(ANN)) == 1


def test_at_least_once_resends_an_interrupted_send_with_the_same_message_id(
    store: Store, smtp: SmtpSink
) -> None:
    conf = settings(smtp.port, at_least_once=True)
    w = make_world(store, conf)
    w.contact("ann", email=ANN)
    w.event("go", "ann")
    w.work()

    def crash(*_: object) -> None:
        raise Crash

    w.deliverer.after_send = crash
    with pytest.raises(Crash):
        w.deliver()
    w.step(conf.lease)
    deliverer(store, w.clock, conf).drain(w.clock.now())
    first, second = smtp.to(ANN)
    assert first.message["Message-ID"] == second.message["Message-ID"]
    assert w.rows()[0]["status"] == "sent" and w.rows()[0]["attempts"] == 2


def test_4xx_is_retried_with_exponential_backoff_then_sent(store: Store, smtp: SmtpSink
                                                           ) -> None:
    w = make_world(store, settings(smtp.port))
    smtp.answers[ANN] = ["451 4.7.1 greylisted", "452 4.2.2 mailbox full"]
    w.contact("ann", email=ANN)
    w.event("go", "ann")
    w.work()
    w.deliver()
    row = w.rows()[0]
    assert (row["status"], row["attempts"]) == ("pending", 1)
    assert row["next_at"] == int((T0 + timedelta(minutes=1)).timestamp() * 1000)
    assert "451" in w.delivery_rows()[0]["error"]
    w.step(timedelta(seconds=59))
    assert w.deliver() == 0  # not before its time
    w.step(timedelta(seconds=1))
    w.deliver()
    row = w.rows()[0]
    assert (row["status"], row["attempts"]) == ("pending", 2)
    assert row["next_at"] == int((T0 + timedelta(minutes=3)).timestamp() * 1000)
    w.step(T0 + timedelta(minutes=3))
    w.deliver()
    assert [r["status"] for r in w.rows()] == ["sent"]
    assert len(smtp.to(ANN)) == 1


def test_gives_up_after_the_attempt_limit(store: Store, smtp: SmtpSink) -> None:
    w = make_world(store, settings(smtp.port, max_attempts=3))
    smtp.answers[ANN] = ["421 4.3.0 busy"] * 10
    w.contact("ann", email=ANN)
    w.event("go", "ann")
    w.work()
    for _ in range(5):
        w.deliver()
        w.step(timedelta(hours=1))
    row = w.rows()[0]
    assert (row["status"], row["attempts"]) == ("failed", 3)
    assert "gave up after 3 attempts" in w.delivery_rows()[0]["error"]
    assert w.node_stats()["undelivered"] == 1
    assert smtp.to(ANN) == []


def test_5xx_bounces_emits_email_bounced_and_the_address_is_not_mailed_again(
    store: Store, smtp: SmtpSink
) -> None:
    w = make_world(store, settings(smtp.port))
    smtp.answers[ANN] = ["550 5.1.1 no such user"]
    w.contact("ann", email=ANN)
    w.event("go", "ann")
    w.work()
    w.deliver()
    assert w.rows()[0]["status"] == "bounced"
    [bounce] = w.events("email.bounced")
    assert json.loads(bounce["props"])["code"] == 550
    w.work()
    contact = store.get_contact("ann")
    assert contact is not None and contact.bounced
    w.step(timedelta(hours=1))
    w.event("go", "ann")
    w.work()
    assert len(w.rows()) == 1  # the engine skips the second send at its step
    assert w.node_stats()["skipped"] == 1 and w.node_stats()["bounced"] == 1


def test_an_opt_out_after_the_step_stops_the_send(store: Store, smtp: SmtpSink) -> None:
    w = make_world(store, settings(smtp.port))
    w.contact("ann", email=ANN)
    w.event("go", "ann")
    w.work()
    w.event("email.unsubscribed", "ann")
    w.work()
    w.deliver()
    assert smtp.received == []
    assert w.rows()[0]["status"] == "skipped"
    assert w.delivery_rows()[0]["error"] == "unsubscribed"
    assert w.node_stats()["suppressed"] == 1


def test_an_unknown_template_fails_that_message_only(store: Store, smtp: SmtpSink) -> None:
    w = make_world(store, settings(smtp.port), one_send("gone", name="A"), one_send(name="B"))
    w.contact("ann", email=ANN)
    w.event("go", "ann")
    w.work()
    assert w.deliver() == 2
    assert sorted(r["status"] for r in w.rows()) == ["failed", "sent"]
    failed = next(d for d in w.delivery_rows() if d["status"] == "failed")
    assert "'gone': no such template" in failed["error"]
    assert len(smtp.to(ANN)) == 1


def test_mjml_and_style_blocks_become_inlined_responsive_html(store: Store, smtp: SmtpSink
                                                              ) -> None:
    news = Template("news", subject="News", html=(
        "<mjml><mj-head><mj-style inline=\"inline\">.big { color: #ff0000 }</mj-style>"
        "</mj-head><mj-body><mj-section><mj-column><mj-text css-class=\"big\">"
        "Hi {{ contact.fields.first_name }}</mj-text><mj-button href=\"https://example.com/b\">"
        "Buy</mj-button></mj-column></mj-section></mj-body></mjml>"))
    w = make_world(store, settings(smtp.port), one_send("news"), templates=(news,))
    w.contact("ann", email=ANN, first_name="Ann")
    w.event("go", "ann")
    w.work()
    w.deliver()
    [got] = smtp.to(ANN)
    html = got.part("html")
    assert "<mjml" not in html and "Hi Ann" in html
    assert "color: #ff0000" in html.split("<body")[1]  # inlined on the element
    assert "Hi Ann" in got.part("plain")  # made from the HTML when the template has no text


def test_tracking_tokens_verify_with_the_configured_secret(store: Store, smtp: SmtpSink) -> None:
    w = make_world(store, settings(smtp.port))
    w.contact("ann", email=ANN)
    w.event("go", "ann")
    w.work()
    w.deliver()
    html = smtp.to(ANN)[0].part("html")
    token = html.split("/t/c/")[1].split('"')[0]
    payload = Signer("test-secret").verify("c", token)
    assert payload == {"k": w.rows()[0]["key"], "u": "https://example.com/offer"}
    assert Signer("other").verify("c", token) is None


@pytest.mark.parametrize("group", [1, 10])
def test_a_crash_loses_at_most_the_group_in_flight_and_repeats_nothing(
    store: Store, smtp: SmtpSink, group: int
) -> None:
    conf = settings(smtp.port, group=group)
    w = make_world(store, conf)
    for who in ("a", "b", "c"):
        w.contact(who, email=f"{who}@example.com")
        w.event("go", who)
    w.work()

    def crash(*_: object) -> None:
        raise Crash

    w.deliverer.after_send = crash
    with pytest.raises(Crash):
        w.deliver()
    assert len(smtp.received) == 1
    w.step(conf.lease)
    deliverer(store, w.clock, conf).drain(w.clock.now())
    statuses = sorted(r["status"] for r in w.rows())
    if group == 1:  # only the message in flight is in doubt; the others go out
        assert statuses == ["sent", "sent", "unknown"] and len(smtp.received) == 3
    else:  # the whole group was marked sending: none of it is sent again
        assert statuses == ["unknown"] * 3 and len(smtp.received) == 1
    assert len({r.rcpt_tos[0] for r in smtp.received}) == len(smtp.received)


def test_erasing_a_contact_erases_its_message_records(store: Store, smtp: SmtpSink) -> None:
    from nurtura.store import admin

    w = make_world(store, settings(smtp.port))
    w.contact("ann", email=ANN)
    w.event("go", "ann")
    w.work()
    w.deliver()
    assert len(w.delivery_rows()) == 1
    assert admin.erase_contact(store, "ann")
    assert w.delivery_rows() == [] and w.rows() == []
