"""Process 1, personal offer: cancelled → cheaper offer; paid → 50% or 30% by total paid.

Simulation starts 2026-11-23T07:00Z (the activation time); expected times follow the file:
the offer goes out at the instant of order.cancelled / order.paid, the wait lasts 30 days.
"""

from __future__ import annotations

from pathlib import Path

from tests.library.sim import Line, Msg, assert_ordered, by_contact, line, run, run_cli, track

FILES = ["personal-offer.json"]
P = "Personal offer"
START = "2026-11-23T07:00"


def made_order(at: str, who: str) -> Line:
    return line(at, who, P, "made_order", "add_to_list", list="Made the order")


def email(at: str, who: str, node: str, template: str, **extra: object) -> Line:
    return line(at, who, P, node, "send_email", template=template, **extra)


def order(who: str, oid: str, at: str, amount: float, product: str = "Course A") -> Msg:
    return track(who, "order.created", at, order_id=oid, product=product, amount=amount,
                 pay_url=f"https://pay.example.com/{oid}")


CONTACTS: list[Msg] = [
    {"id": "cancel", "email": "cancel@example.com"},
    {"id": "exact", "email": "exact@example.com"},
    {"id": "below", "email": "below@example.com"},
    {"id": "last", "email": "last@example.com"},
    {"id": "silent", "email": "silent@example.com"},
    {"id": "other", "email": "other@example.com"},
    {"id": "unsub", "email": "unsub@example.com", "subscribed": {"email": False}},
]
MESSAGES: list[Msg] = [
    # Before the start: only history (exact has paid 30,000 already, below 29,999).
    order("exact", "x0", "2026-11-01T10:00", 30000, "Course B"),
    track("exact", "order.paid", "2026-11-02T10:00", order_id="x0"),
    order("below", "b0", "2026-11-01T10:00", 29999, "Course B"),
    track("below", "order.paid", "2026-11-02T10:00", order_id="b0"),
    order("cancel", "c1", "2026-11-23T08:00", 20000),
    track("cancel", "order.cancelled", "2026-11-24T07:00", order_id="c1"),
    order("exact", "x1", "2026-11-23T09:00", 20000),  # 30,000 + 20,000 = 50,000 → 50%
    track("exact", "order.paid", "2026-11-26T07:00", order_id="x1"),
    order("below", "b1", "2026-11-23T09:00", 20000),  # 29,999 + 20,000 = 49,999 → 30%
    track("below", "order.paid", "2026-11-28T07:00", order_id="b1"),
    order("last", "l1", "2026-11-23T07:00", 1000),  # at the activation instant: triggers
    track("last", "order.paid", "2026-12-23T07:00", order_id="l1"),  # exactly at the timeout
    order("silent", "s1", "2026-11-23T11:00", 5000),  # never pays: times out after 30 days
    order("other", "o1", "2026-11-23T08:00", 90000, "Course B"),  # not Course A
    track("other", "order.paid", "2026-11-23T09:00", order_id="o1"),
    order("unsub", "u1", "2026-11-23T12:00", 60000),
    track("unsub", "order.paid", "2026-11-23T13:00", order_id="u1"),
    order("noaddr", "n1", "2026-11-23T14:00", 100),  # no contact line: no email address
    track("noaddr", "order.paid", "2026-11-23T15:00", order_id="n1"),
]
EXPECTED: dict[str, list[Line]] = {
    "cancel": [
        made_order("2026-11-23T08:00", "cancel"),
        email("2026-11-24T07:00", "cancel", "cheaper", "cheaper-offer"),
    ],
    "exact": [
        made_order("2026-11-23T09:00", "exact"),
        email("2026-11-26T07:00", "exact", "d50", "discount-50"),
    ],
    "below": [
        made_order("2026-11-23T09:00", "below"),
        email("2026-11-28T07:00", "below", "d30", "discount-30"),
    ],
    "last": [
        made_order("2026-11-23T07:00", "last"),
        email("2026-12-23T07:00", "last", "d30", "discount-30"),
    ],
    "silent": [made_order("2026-11-23T11:00", "silent")],
    "unsub": [
        made_order("2026-11-23T12:00", "unsub"),
        email("2026-11-23T13:00", "unsub", "d50", "discount-50", skipped="unsubscribed"),
    ],
    "noaddr": [
        made_order("2026-11-23T14:00", "noaddr"),
        email("2026-11-23T15:00", "noaddr", "d30", "discount-30", skipped="no_address"),
    ],
}
STATS = {
    "entered": 7,
    "active": 0,
    "completed": {"converted": 5, "lost": 1, "none": 1},
    "exited": 0,
    "failed": 0,
    "nodes": {
        "by_total": {"reached": 5},
        "cheaper": {"reached": 1, "sent": 1},
        "converted": {"reached": 5},
        "d30": {"reached": 3, "sent": 2, "skipped": 1},
        "d50": {"reached": 2, "sent": 1, "skipped": 1},
        "done": {"reached": 1},
        "lost": {"reached": 1},
        "made_order": {"reached": 7},
        "new_order": {"reached": 7},
        "outcome": {"reached": 7},
    },
}


def test_personal_offer_sends_each_contact_the_offer_its_order_earned() -> None:
    result = run(FILES, MESSAGES, CONTACTS, start=START)
    assert by_contact(result.lines) == EXPECTED
    assert_ordered(result.lines)


def test_personal_offer_stats_count_entries_outcomes_and_sends() -> None:
    result = run(FILES, MESSAGES, CONTACTS, start=START)
    assert result.stats == {P: STATS}


def test_personal_offer_run_still_waits_one_second_before_the_timeout() -> None:
    result = run(FILES, MESSAGES, CONTACTS, start=START, until="2026-12-23T10:59:59Z")
    assert result.stats[P]["active"] == 1  # silent, whose wait ends at 2026-12-23T11:00Z
    assert result.stats[P]["nodes"]["outcome"]["waiting"] == 1


def test_personal_offer_cli_prints_the_same_lines_then_stats(tmp_path: Path) -> None:
    out = run_cli(tmp_path, FILES, MESSAGES, CONTACTS, start=START)
    assert out[-1] == {"stats": {P: STATS}}
    assert by_contact(out[:-1]) == EXPECTED
