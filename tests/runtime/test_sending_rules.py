"""Sending rules on simulated time: rate limit per channel, quiet hours in the contact's
timezone (held until the window opens), frequency cap on marketing email."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from nurtura.channels.config import Cap, QuietHours, from_env
from nurtura.channels.templates import Template
from nurtura.errors import BadInput
from nurtura.runtime.rules import RateLimiter, cap_until, quiet_until
from nurtura.store import codec
from nurtura.store.sql import Store
from tests.mail import SmtpSink
from tests.runtime.messaging import HELLO, T0, make_world, one_send, settings

QUIET = QuietHours(start="21:00", end="08:00")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_rate_limiter_is_a_token_bucket_on_the_given_clock() -> None:
    r = RateLimiter({"email": 5})
    assert r.allowance("email", T0, 100) == 5
    r.take("email", T0, 5)
    assert r.allowance("email", T0, 100) == 0
    assert r.next_free("email", T0) == T0 + timedelta(seconds=0.2)
    assert r.allowance("email", T0 + timedelta(seconds=0.4), 100) == 2
    assert r.allowance("email", T0 + timedelta(seconds=10), 100) == 5  # a 1-second burst
    assert r.allowance("sms", T0, 100) == 100  # no limit set


def test_quiet_hours_are_read_in_the_given_timezone() -> None:
    at = utc(2026, 11, 23, 21, 30)  # 22:30 in Amsterdam (UTC+1), 06:30 next day in Tokyo
    assert quiet_until(at, QUIET, "Europe/Amsterdam") == utc(2026, 11, 24, 7, 0)
    assert quiet_until(at, QUIET, "Asia/Tokyo") == utc(2026, 11, 23, 23, 0)
    assert quiet_until(at, QUIET, "America/New_York") is None  # 16:30 there
    assert quiet_until(utc(2026, 11, 24, 7, 0), QUIET, "Europe/Amsterdam") is None  # 08:00
    assert quiet_until(at, None, "UTC") is None


def test_quiet_hours_end_follows_daylight_saving() -> None:
    # The night of 2026-03-29 Amsterdam moves to UTC+2: 08:00 local is 06:00Z.
    assert quiet_until(utc(2026, 3, 28, 23, 0), QUIET, "Europe/Amsterdam") == utc(
        2026, 3, 29, 6, 0)


def test_cap_holds_until_the_oldest_send_in_the_window_leaves_it() -> None:
    cap = Cap(count=2, period=timedelta(days=1))
    sent = [codec.ms(T0 - timedelta(hours=20)), codec.ms(T0 - timedelta(hours=2))]
    assert cap_until(T0, cap, sent) == T0 + timedelta(hours=4)
    assert cap_until(T0 + timedelta(hours=4), cap, sent) is None
    assert cap_until(T0, cap, sent[1:]) is None
    assert cap_until(T0, None, sent) is None


def test_settings_from_the_environment() -> None:
    s = from_env({"NURTURA_SMTP_HOST": "mail.example.com", "NURTURA_SMTP_TLS": "ssl",
                  "NURTURA_EMAIL_RATE": "20", "NURTURA_EMAIL_QUIET_HOURS": "21:00-08:00",
                  "NURTURA_EMAIL_CAP": "3/1d", "NURTURA_BASE_URL": "https://n.example.com/",
                  "NURTURA_RETRY_BASE": "30s", "NURTURA_DELIVERY": "at-least-once"})
    assert (s.smtp_host, s.port, s.rate, s.base_url) == (
        "mail.example.com", 465, {"email": 20.0}, "https://n.example.com")
    assert s.quiet["email"] == QUIET
    assert s.email_cap == Cap(count=3, period=timedelta(days=1))
    assert s.backoff(1) == timedelta(seconds=30) and s.backoff(3) == timedelta(minutes=2)
    assert s.backoff(40) == timedelta(hours=6) and s.at_least_once
    with pytest.raises(BadInput, match="NURTURA_EMAIL_CAP"):
        from_env({"NURTURA_EMAIL_CAP": "three a day"})
    with pytest.raises(BadInput, match="NURTURA_SMTP_TLS"):
        from_env({"NURTURA_SMTP_TLS": "tls13"})


def test_rate_limit_spreads_sends_over_simulated_seconds(store: Store, smtp: SmtpSink) -> None:
    w = make_world(store, settings(smtp.port, rate={"email": 5}))
    for i in range(12):
        w.contact(f"c{i}", email=f"c{i}@example.com")
        w.event("go", f"c{i}")
    w.work()
    assert w.deliver() == 5
    assert w.deliver() == 0
    w.step(timedelta(seconds=1))
    assert w.deliver() == 5
    w.step(timedelta(milliseconds=400))
    assert w.deliver() == 2
    assert len(smtp.received) == 12


def test_quiet_hours_hold_marketing_until_morning_in_the_contacts_timezone(
    store: Store, smtp: SmtpSink
) -> None:
    receipt = Template("receipt", category="transactional", subject="Receipt", text="Thanks")
    w = make_world(store, settings(smtp.port, quiet={"email": QUIET}), one_send(name="A"),
                   one_send("receipt", name="B"), templates=(HELLO, receipt))
    late = utc(2026, 11, 23, 21, 30)  # 22:30 in Amsterdam
    w.step(late)
    w.contact("ann", email="ann@example.com", timezone="Europe/Amsterdam")
    w.contact("bob", email="bob@example.com", timezone="America/New_York")
    w.event("go", "ann")
    w.event("go", "bob")
    w.work()
    w.deliver()
    got = sorted((r.rcpt_tos[0], r.message["Subject"]) for r in smtp.received)
    # the receipt is transactional and goes at once; New York is at 16:30
    assert got == [("ann@example.com", "Receipt"), ("bob@example.com", "Hello there"),
                   ("bob@example.com", "Receipt")]
    held = [r for r in w.rows() if r["status"] == "pending"]
    assert [r["next_at"] for r in held] == [codec.ms(utc(2026, 11, 24, 7, 0))]
    assert held[0]["attempts"] == 0  # holding is not an attempt
    w.step(utc(2026, 11, 24, 6, 59, 59))
    assert w.deliver() == 0
    w.step(utc(2026, 11, 24, 7, 0))
    assert w.deliver() == 1
    assert len(smtp.to("ann@example.com")) == 2


def test_frequency_cap_holds_the_third_marketing_email_of_the_day(
    store: Store, smtp: SmtpSink
) -> None:
    w = make_world(store, settings(smtp.port, email_cap=Cap(count=2, period=timedelta(days=1))))
    w.contact("ann", email="ann@example.com")
    for hours in (0, 1, 2):
        w.step(T0 + timedelta(hours=hours))
        w.event("go", "ann")
        w.work()
        w.deliver()
    assert len(smtp.received) == 2
    held = [r for r in w.rows() if r["status"] == "pending"]
    assert [r["next_at"] for r in held] == [codec.ms(T0 + timedelta(days=1))]
    w.step(T0 + timedelta(days=1))
    assert w.deliver() == 1
    assert len(smtp.received) == 3
