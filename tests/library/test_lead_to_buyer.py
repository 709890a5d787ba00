"""Process 4, lead to buyer (systeme.io): form → Campaign 1; a buyer tagged "Customer 1"
leaves Campaign 1 and starts Campaign 2.

"Lead to buyer" checks the tag 12h after the form and then every day (half a day after each
Campaign 1 email), while the contact is still in Campaign 1. The rule "Customer 1 tag"
tags whoever orders "Offer 1" and pays. Simulation starts 2026-11-23T00:00Z.
"""

from __future__ import annotations

from pathlib import Path

from tests.library.sim import Line, Msg, assert_ordered, by_contact, line, run, run_cli, track

FILES = ["lead-to-buyer.json", "campaign-1.json", "campaign-2.json", "customer-1-tag.json"]
L2B, C1, C2, TAG = "Lead to buyer", "Campaign 1", "Campaign 2", "Customer 1 tag"


def form(who: str, at: str, name: str = "Opt-in") -> Msg:
    return track(who, "form.submitted", at, form=name)


def buys(who: str, ordered: str, paid: str) -> list[Msg]:
    return [track(who, "order.created", ordered, order_id=f"{who}-1", product="Offer 1",
                  amount=4900, pay_url="https://pay.example.com/x"),
            track(who, "order.paid", paid, order_id=f"{who}-1")]


def c1(at: str, who: str, node: str, **extra: object) -> Line:
    template = "campaign-1-" + node.replace("_", "-")
    return line(at, who, C1, node, "send_email", template=template, **extra)


def c2(at: str, who: str, node: str, **extra: object) -> Line:
    template = "campaign-2-" + node.replace("_", "-")
    return line(at, who, C2, node, "send_email", template=template, **extra)


def start(at: str, who: str, n: int) -> Line:
    return line(at, who, L2B, f"start_campaign_{n}", "start_process", target=f"Campaign {n}")


def stop(at: str, who: str) -> Line:
    return line(at, who, L2B, "stop_campaign_1", "stop_process", target=C1)


def tag(at: str, who: str) -> Line:
    return line(at, who, TAG, "tag", "add_tag", tag="Customer 1")


CONTACTS: list[Msg] = [
    {"id": "buyer", "email": "buyer@example.com"},
    {"id": "lead", "email": "lead@example.com"},
    {"id": "newsletter", "email": "newsletter@example.com"},
    {"id": "direct", "email": "direct@example.com"},
    {"id": "unsub", "email": "unsub@example.com", "subscribed": {"email": False}},
]
MESSAGES: list[Msg] = [
    form("buyer", "2026-11-23T08:00"),
    *buys("buyer", "2026-11-24T10:00", "2026-11-24T11:00"),
    form("lead", "2026-11-23T09:00"),  # never buys
    form("newsletter", "2026-11-23T09:00", name="Newsletter"),  # another form: nothing
    form("noaddr", "2026-11-23T10:00"),  # no email address
    form("unsub", "2026-11-23T11:00"),  # unsubscribed, buys within hours
    *buys("unsub", "2026-11-23T12:00", "2026-11-23T13:00"),
    track("direct", "campaign.subscribed", "2026-11-23T12:00", campaign="Campaign 2"),
]
EXPECTED: dict[str, list[Line]] = {
    "buyer": [
        c1("2026-11-23T08:00", "buyer", "welcome"),
        start("2026-11-23T08:00", "buyer", 1),
        # check at 11-23T20:00: no tag yet; Campaign 1 goes on
        c1("2026-11-24T08:00", "buyer", "story"),
        tag("2026-11-24T11:00", "buyer"),
        # check at 11-24T20:00: tagged → out of Campaign 1 (no "offer" at 11-25T08:00)
        c2("2026-11-24T20:00", "buyer", "welcome"),
        start("2026-11-24T20:00", "buyer", 2),
        stop("2026-11-24T20:00", "buyer"),
        c2("2026-11-25T20:00", "buyer", "offer"),
        c2("2026-11-26T20:00", "buyer", "last_call"),
    ],
    "lead": [
        c1("2026-11-23T09:00", "lead", "welcome"),
        start("2026-11-23T09:00", "lead", 1),
        c1("2026-11-24T09:00", "lead", "story"),
        c1("2026-11-25T09:00", "lead", "offer"),
        c1("2026-11-26T09:00", "lead", "last_call"),
    ],
    "noaddr": [
        c1("2026-11-23T10:00", "noaddr", "welcome", skipped="no_address"),
        start("2026-11-23T10:00", "noaddr", 1),
        c1("2026-11-24T10:00", "noaddr", "story", skipped="no_address"),
        c1("2026-11-25T10:00", "noaddr", "offer", skipped="no_address"),
        c1("2026-11-26T10:00", "noaddr", "last_call", skipped="no_address"),
    ],
    "unsub": [
        c1("2026-11-23T11:00", "unsub", "welcome", skipped="unsubscribed"),
        start("2026-11-23T11:00", "unsub", 1),
        tag("2026-11-23T13:00", "unsub"),
        c2("2026-11-23T23:00", "unsub", "welcome", skipped="unsubscribed"),
        start("2026-11-23T23:00", "unsub", 2),
        stop("2026-11-23T23:00", "unsub"),
        c2("2026-11-24T23:00", "unsub", "offer", skipped="unsubscribed"),
        c2("2026-11-25T23:00", "unsub", "last_call", skipped="unsubscribed"),
    ],
    "direct": [
        c2("2026-11-23T12:00", "direct", "welcome"),
        c2("2026-11-24T12:00", "direct", "offer"),
        c2("2026-11-25T12:00", "direct", "last_call"),
    ],
}


def test_lead_to_buyer_moves_buyers_from_campaign_1_to_campaign_2() -> None:
    result = run(FILES, MESSAGES, CONTACTS)
    assert by_contact(result.lines) == EXPECTED
    assert_ordered(result.lines)


def test_lead_to_buyer_stats() -> None:
    stats = run(FILES, MESSAGES, CONTACTS).stats
    assert stats[L2B]["entered"] == 4
    assert stats[L2B]["completed"] == {"converted": 2, "lost": 2}
    assert stats[L2B]["nodes"]["is_customer"] == {"reached": 2 + 4 + 4 + 1}
    assert (stats[C1]["entered"], stats[C1]["exited"]) == (4, 2)
    assert stats[C1]["completed"] == {"none": 2}
    assert stats[C2]["entered"] == 3
    assert stats[C2]["completed"] == {"none": 3}
    assert stats[TAG]["completed"] == {"converted": 2}


def test_lead_to_buyer_last_check_after_campaign_1_ends_the_run() -> None:
    # lead: Campaign 1 ends at 11-26T09:00; the check at 11-26T21:00 finds it gone → lost.
    before = run(FILES, MESSAGES, CONTACTS, until="2026-11-26T20:59:59Z").stats[L2B]
    assert before["nodes"]["next_check"]["waiting"] == 2  # lead and noaddr
    after = run(FILES, MESSAGES, CONTACTS, until="2026-11-26T21:00:00Z").stats[L2B]
    assert after["completed"]["lost"] == 1
    assert after["nodes"]["not_bought"] == {"reached": 1}


def test_lead_to_buyer_cli(tmp_path: Path) -> None:
    out = run_cli(tmp_path, FILES, MESSAGES, CONTACTS)
    assert by_contact(out[:-1]) == EXPECTED
    assert out[-1]["stats"][L2B]["completed"] == {"converted": 2, "lost": 2}
