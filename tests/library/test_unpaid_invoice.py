"""Process 3, unpaid invoice follow-up (AutoWebOffice).

order.created (Course A) → paid within 1h → thanks; else objection 1 → "opened?" (1d) →
"paid?" (2d) → objection 2 → … → objection 3 → … → lost. order.paid at any wait → thanks;
order.cancelled ends the run. Simulation starts 2026-11-23T00:00Z.

Timing of one round: an email at E; opened at O ≤ E+1d → the "paid?" wait runs O..O+2d;
not opened → E+1d..E+3d. So the next objection is at O+2d, or E+3d without an open.
"""

from __future__ import annotations

from pathlib import Path

from tests.library.sim import Line, Msg, assert_ordered, by_contact, line, run, run_cli, track

FILES = ["unpaid-invoice.json"]
P = "Unpaid invoice follow-up"


def created(who: str, at: str, oid: str = "o1", product: str = "Course A") -> Msg:
    return track(who, "order.created", at, order_id=oid, product=product, amount=15000,
                 pay_url=f"https://pay.example.com/{who}/{oid}")


def paid(who: str, at: str, oid: str = "o1") -> Msg:
    return track(who, "order.paid", at, order_id=oid)


def opened(who: str, at: str, template: str) -> Msg:
    return track(who, "email.opened", at, template=template)


def email(at: str, who: str, node: str, template: str, **extra: object) -> Line:
    return line(at, who, P, node, "send_email", template=template, **extra)


def objection(n: int, at: str, who: str, **extra: object) -> Line:
    return email(at, who, f"objection_{n}", f"invoice-objection-{n}", **extra)


def thanks(at: str, who: str, **extra: object) -> Line:
    return email(at, who, "thanks", "invoice-thanks", **extra)


CONTACTS: list[Msg] = [
    {"id": c, "email": f"{c}@example.com"}
    for c in ("quick", "hour", "second", "never", "opener", "midwait", "cancel", "other",
              "optout")
]
MESSAGES: list[Msg] = [
    created("quick", "2026-11-23T07:00"),
    paid("quick", "2026-11-23T07:30"),  # within the hour
    created("hour", "2026-11-23T08:00"),
    paid("hour", "2026-11-23T09:00"),  # exactly at the 1h timeout: still in time
    # Opens objection 1 after 4h, pays after objection 2 (which it does not open).
    created("second", "2026-11-23T10:00"),
    opened("second", "2026-11-23T15:00", "invoice-objection-1"),
    paid("second", "2026-11-27T12:00"),
    # Never opens (an open of another email does not count), never pays.
    created("never", "2026-11-23T12:00"),
    opened("never", "2026-11-23T20:00", "campaign-1-welcome"),
    # Opens every objection an hour after it arrives, never pays.
    created("opener", "2026-11-23T14:00"),
    opened("opener", "2026-11-23T16:00", "invoice-objection-1"),
    opened("opener", "2026-11-25T17:00", "invoice-objection-2"),
    opened("opener", "2026-11-27T18:00", "invoice-objection-3"),
    # Pays while the run waits for the open of objection 1.
    created("midwait", "2026-11-23T16:00"),
    paid("midwait", "2026-11-23T20:00"),
    created("cancel", "2026-11-23T17:00"),
    track("cancel", "order.cancelled", "2026-11-23T17:30", order_id="o1"),
    created("other", "2026-11-23T17:00", product="Course B"),
    # Unsubscribes after objection 1: objections 2 and 3 are skipped, the run goes on.
    created("optout", "2026-11-23T18:00"),
    track("optout", "email.unsubscribed", "2026-11-24T10:00"),
    # No email address: objection 1 and the thanks are recorded as skipped.
    created("noaddr", "2026-11-23T19:00"),
    paid("noaddr", "2026-11-24T19:00"),
]
EXPECTED: dict[str, list[Line]] = {
    "quick": [thanks("2026-11-23T07:30", "quick")],
    "hour": [thanks("2026-11-23T09:00", "hour")],
    "second": [
        objection(1, "2026-11-23T11:00", "second"),
        objection(2, "2026-11-25T15:00", "second"),  # opened at 15:00 + 2d
        thanks("2026-11-27T12:00", "second"),
    ],
    "never": [
        objection(1, "2026-11-23T13:00", "never"),
        objection(2, "2026-11-26T13:00", "never"),  # +1d not opened, +2d not paid
        objection(3, "2026-11-29T13:00", "never"),
    ],
    "opener": [
        objection(1, "2026-11-23T15:00", "opener"),
        objection(2, "2026-11-25T16:00", "opener"),
        objection(3, "2026-11-27T17:00", "opener"),
    ],
    "midwait": [
        objection(1, "2026-11-23T17:00", "midwait"),
        thanks("2026-11-23T20:00", "midwait"),
    ],
    "optout": [
        objection(1, "2026-11-23T19:00", "optout"),
        objection(2, "2026-11-26T19:00", "optout", skipped="unsubscribed"),
        objection(3, "2026-11-29T19:00", "optout", skipped="unsubscribed"),
    ],
    "noaddr": [
        objection(1, "2026-11-23T20:00", "noaddr", skipped="no_address"),
        thanks("2026-11-24T19:00", "noaddr", skipped="no_address"),
    ],
}


def test_unpaid_invoice_lines_for_every_path() -> None:
    result = run(FILES, MESSAGES, CONTACTS)
    assert by_contact(result.lines) == EXPECTED
    assert_ordered(result.lines)


def test_unpaid_invoice_outcomes() -> None:
    stats = run(FILES, MESSAGES, CONTACTS).stats[P]
    # converted: quick, hour, second, midwait, noaddr; lost: never, opener, optout.
    assert stats["entered"] == 9
    assert stats["completed"] == {"converted": 5, "lost": 3}
    assert stats["exited"] == 1  # cancel: order.cancelled is the process's exit_on
    assert stats["active"] == 0
    assert stats["nodes"]["lost"] == {"reached": 3}
    assert stats["nodes"]["objection_3"] == {"reached": 3, "sent": 2, "skipped": 1}


def test_unpaid_invoice_lost_exactly_three_days_after_the_third_email() -> None:
    # never: objection 3 at 11-29T13:00, no open → 11-30T13:00, no payment → 12-02T13:00.
    # optout: objection 3 at 11-29T19:00 → lost at 12-02T19:00; opener lost at 11-29T18:00.
    before = run(FILES, MESSAGES, CONTACTS, until="2026-12-02T12:59:59Z").stats[P]
    assert before["nodes"]["paid_3"]["waiting"] == 2  # never, optout
    assert before["completed"]["lost"] == 1  # opener
    after = run(FILES, MESSAGES, CONTACTS, until="2026-12-02T13:00:00Z").stats[P]
    assert after["nodes"]["paid_3"]["waiting"] == 1  # optout
    assert after["completed"]["lost"] == 2


def test_unpaid_invoice_cli(tmp_path: Path) -> None:
    out = run_cli(tmp_path, FILES, MESSAGES, CONTACTS)
    assert by_contact(out[:-1]) == EXPECTED
    assert out[-1]["stats"][P]["completed"] == {"converted": 5, "lost": 3}
