"""Process 5, auto-webinar (GetCourse): sessions at 11:00 and 20:00 Moscow (UTC+3, so
08:00Z and 17:00Z), at least 1 hour ahead; reminders 1h and 15m before; the after-session
check runs 2h after the start. Simulation starts 2026-11-23T00:00Z (a Monday).

After the session: attended and bought → converted; attended, not bought → one-day discount,
then a test drive (2 days), then the list "Not interested" (lost); absent → the next session
is picked again, one invitation and a 15-minute reminder, and a second check (no_show).
"""

from __future__ import annotations

from pathlib import Path

from tests.library.sim import Line, Msg, assert_ordered, by_contact, line, run, run_cli, track

FILES = ["auto-webinar.json"]
P = "Auto-webinar"


def registered(who: str, at: str) -> Msg:
    return track(who, "webinar.registered", at, webinar="Autowebinar")


def attended(who: str, at: str) -> Msg:
    return track(who, "webinar.attended", at, webinar="Autowebinar")


def paid(who: str, at: str) -> Msg:
    return track(who, "order.paid", at, order_id=f"{who}-1", amount=19900)


def email(at: str, who: str, node: str, template: str, skip: str | None) -> Line:
    extra = {"skipped": skip} if skip else {}
    return line(at, who, P, node, "send_email", template=template, **extra)


def signup(at: str, who: str, session: str, skip: str | None = None) -> list[Line]:
    """The three lines of a registration (sorted by node name, as at one instant)."""
    return [
        line(at, who, P, "add_to_registered", "add_to_list", list="Registered for autowebinar"),
        email(at, who, "confirm", "webinar-confirmation", skip),
        line(at, who, P, "pick_session", "set_var", name="webinar_at", value=session + ":00Z"),
    ]


def remind_1h(at: str, who: str, skip: str | None = None) -> Line:
    return email(at, who, "remind_1h", "webinar-reminder-1h", skip)


def remind_15m(at: str, who: str, skip: str | None = None, node: str = "remind_15m") -> Msg:
    return email(at, who, node, "webinar-reminder-15m", skip)


def sms_15m(at: str, who: str, node: str = "sms_15m") -> Msg:
    """The SMS reminder 15 minutes before, for contacts with a phone number."""
    return line(at, who, P, node, "send_sms", template="webinar-reminder-sms")


def invite_again(at: str, who: str, session: str, skip: str | None = None) -> list[Msg]:
    return [
        email(at, who, "invite_again", "webinar-invitation", skip),
        line(at, who, P, "pick_second_session", "set_var", name="webinar_at",
             value=session + ":00Z"),
    ]


CONTACTS: list[Msg] = [
    {"id": c, "email": f"{c}@example.com"}
    for c in ("evening", "morning", "discount", "second")
] + [{"id": "ten", "email": "ten@example.com", "phone": "+79160000010"},
     {"id": "unsub", "email": "unsub@example.com", "subscribed": {"email": False}}]
MESSAGES: list[Msg] = [
    # 19:30 MSK: 20:00 is less than 1h ahead → tomorrow 11:00 MSK. Attends and buys.
    registered("evening", "2026-11-23T16:30"),
    attended("evening", "2026-11-24T08:10"),
    paid("evening", "2026-11-24T09:00"),
    # 09:00 MSK → 11:00 MSK today. Attends, never buys.
    registered("morning", "2026-11-23T06:00"),
    attended("morning", "2026-11-23T08:05"),
    # Exactly 10:00 MSK: 11:00 is exactly min_lead ahead and counts; the 1h reminder's
    # target (10:00) is now, so it goes at once. Does not attend, nor the second session.
    registered("ten", "2026-11-23T07:00"),
    # 09:30 MSK → 11:00 MSK. Attends, buys during the one-day discount.
    registered("discount", "2026-11-23T06:30"),
    attended("discount", "2026-11-23T08:20"),
    paid("discount", "2026-11-23T20:00"),
    # 12:00 MSK (Tuesday) → 20:00 MSK. Misses it; the after-check at 22:00 MSK picks
    # Wednesday 11:00 MSK; attends that one and buys.
    registered("second", "2026-11-24T09:00"),
    attended("second", "2026-11-25T08:02"),
    paid("second", "2026-11-25T09:30"),
    # 15:00 MSK → 20:00 MSK; unsubscribed: every email is skipped. Attends and buys.
    registered("unsub", "2026-11-23T12:00"),
    attended("unsub", "2026-11-23T17:10"),
    paid("unsub", "2026-11-23T18:00"),
    # 16:00 MSK → 20:00 MSK; no email address. Misses both sessions.
    registered("noaddr", "2026-11-23T13:00"),
]
EXPECTED: dict[str, list[Line]] = {
    "evening": [
        *signup("2026-11-23T16:30", "evening", "2026-11-24T08:00"),
        remind_1h("2026-11-24T07:00", "evening"),
        remind_15m("2026-11-24T07:45", "evening"),
        # 11-24T10:00: attended and bought → converted, nothing more to send
    ],
    "morning": [
        *signup("2026-11-23T06:00", "morning", "2026-11-23T08:00"),
        remind_1h("2026-11-23T07:00", "morning"),
        remind_15m("2026-11-23T07:45", "morning"),
        email("2026-11-23T10:00", "morning", "discount", "webinar-discount", None),
        email("2026-11-24T10:00", "morning", "test_drive", "webinar-test-drive", None),
        line("2026-11-26T10:00", "morning", P, "not_interested", "add_to_list",
             list="Not interested"),
    ],
    "ten": [
        *signup("2026-11-23T07:00", "ten", "2026-11-23T08:00"),
        remind_1h("2026-11-23T07:00", "ten"),
        remind_15m("2026-11-23T07:45", "ten"),
        sms_15m("2026-11-23T07:45", "ten"),
        *invite_again("2026-11-23T10:00", "ten", "2026-11-23T17:00"),
        remind_15m("2026-11-23T16:45", "ten", node="remind_15m_2"),
        sms_15m("2026-11-23T16:45", "ten", node="sms_15m_2"),
        # 11-23T19:00: absent again → no_show
    ],
    "discount": [
        *signup("2026-11-23T06:30", "discount", "2026-11-23T08:00"),
        remind_1h("2026-11-23T07:00", "discount"),
        remind_15m("2026-11-23T07:45", "discount"),
        email("2026-11-23T10:00", "discount", "discount", "webinar-discount", None),
    ],
    "second": [
        *signup("2026-11-24T09:00", "second", "2026-11-24T17:00"),
        remind_1h("2026-11-24T16:00", "second"),
        remind_15m("2026-11-24T16:45", "second"),
        *invite_again("2026-11-24T19:00", "second", "2026-11-25T08:00"),
        remind_15m("2026-11-25T07:45", "second", node="remind_15m_2"),
    ],
    "unsub": [
        *signup("2026-11-23T12:00", "unsub", "2026-11-23T17:00", "unsubscribed"),
        remind_1h("2026-11-23T16:00", "unsub", "unsubscribed"),
        remind_15m("2026-11-23T16:45", "unsub", "unsubscribed"),
    ],
    "noaddr": [
        *signup("2026-11-23T13:00", "noaddr", "2026-11-23T17:00", "no_address"),
        remind_1h("2026-11-23T16:00", "noaddr", "no_address"),
        remind_15m("2026-11-23T16:45", "noaddr", "no_address"),
        *invite_again("2026-11-23T19:00", "noaddr", "2026-11-24T08:00", "no_address"),
        remind_15m("2026-11-24T07:45", "noaddr", "no_address", node="remind_15m_2"),
    ],
}
OUTCOMES = {"converted": 4, "lost": 1, "no_show": 2}


def test_auto_webinar_lines_for_every_path() -> None:
    result = run(FILES, MESSAGES, CONTACTS)
    assert by_contact(result.lines) == EXPECTED
    assert_ordered(result.lines)


def test_auto_webinar_outcomes_and_where_runs_end() -> None:
    stats = run(FILES, MESSAGES, CONTACTS).stats[P]
    assert stats["entered"] == 7
    assert stats["completed"] == OUTCOMES
    nodes = stats["nodes"]
    assert nodes["converted"] == {"reached": 4}  # evening, unsub, discount, second
    assert nodes["bought"] == {"reached": 5}  # + morning
    assert nodes["attended"] == {"reached": 7}
    assert nodes["attended_2"] == {"reached": 3}  # ten, second, noaddr
    assert nodes["no_show"] == {"reached": 2}


def test_auto_webinar_waits_for_the_session_time() -> None:
    # One second before 11-24T07:00Z, evening has only been confirmed.
    result = run(FILES, MESSAGES, CONTACTS, until="2026-11-24T06:59:59Z")
    assert [x["node"] for x in by_contact(result.lines)["evening"]] == [
        "add_to_registered", "confirm", "pick_session",
    ]
    assert result.stats[P]["nodes"]["hour_before"]["waiting"] == 1


def test_auto_webinar_cli(tmp_path: Path) -> None:
    out = run_cli(tmp_path, FILES, MESSAGES, CONTACTS)
    assert by_contact(out[:-1]) == EXPECTED
    assert out[-1]["stats"][P]["completed"] == OUTCOMES
