"""Process 2, course reminder: 7 days after order.paid, no tag Lesson1 → reminder email.

The tag comes from the rule "Lesson 1 opened" (lesson.opened with lesson = 1 → Lesson1).
Simulation starts 2026-11-23T00:00Z; the reminder is due exactly 7 days after payment.
"""

from __future__ import annotations

from pathlib import Path

from tests.library.sim import Line, Msg, assert_ordered, by_contact, line, run, run_cli, track

FILES = ["course-reminder.json", "lesson-opened-tag.json"]
P, RULE = "Course reminder", "Lesson 1 opened"


def paid(who: str, at: str, oid: str = "o1") -> Msg:
    return track(who, "order.paid", at, order_id=oid, amount=9900)


def opened(who: str, at: str, lesson: object = 1) -> Msg:
    return track(who, "lesson.opened", at, lesson=lesson)


def tagged(at: str, who: str) -> Line:
    return line(at, who, RULE, "tag", "add_tag", tag="Lesson1")


def reminder(at: str, who: str, **extra: object) -> Line:
    return line(at, who, P, "reminder", "send_email", template="lesson-reminder", **extra)


CONTACTS: list[Msg] = [
    {"id": c, "email": f"{c}@example.com"}
    for c in ("early", "never", "after", "lesson2", "exact", "twice")
] + [{"id": "unsub", "email": "unsub@example.com", "subscribed": {"email": False}}]
MESSAGES: list[Msg] = [
    paid("early", "2026-11-23T08:00"),
    opened("early", "2026-11-25T08:00"),  # before day 7: no reminder
    paid("never", "2026-11-23T09:00"),  # never opens: reminder at exactly +7d
    paid("after", "2026-11-23T10:00"),
    opened("after", "2026-12-01T06:00", lesson="1"),  # after the reminder ("1" as text)
    paid("lesson2", "2026-11-23T11:00"),
    opened("lesson2", "2026-11-24T11:00", lesson=2),  # another lesson: no tag
    paid("exact", "2026-11-23T12:00"),
    opened("exact", "2026-11-30T12:00"),  # at the very instant of the check: counts
    paid("twice", "2026-11-23T13:00"),
    paid("twice", "2026-12-01T13:00", oid="o2"),  # reentry "once": no second run
    paid("unsub", "2026-11-23T14:00"),
    paid("noaddr", "2026-11-23T15:00"),
]
EXPECTED: dict[str, list[Line]] = {
    "early": [tagged("2026-11-25T08:00", "early")],
    "never": [reminder("2026-11-30T09:00", "never")],
    "after": [reminder("2026-11-30T10:00", "after"), tagged("2026-12-01T06:00", "after")],
    "lesson2": [reminder("2026-11-30T11:00", "lesson2")],
    "exact": [tagged("2026-11-30T12:00", "exact")],
    "twice": [reminder("2026-11-30T13:00", "twice")],
    "unsub": [reminder("2026-11-30T14:00", "unsub", skipped="unsubscribed")],
    "noaddr": [reminder("2026-11-30T15:00", "noaddr", skipped="no_address")],
}


def test_course_reminder_reminds_only_students_without_lesson_1() -> None:
    result = run(FILES, MESSAGES, CONTACTS)
    assert by_contact(result.lines) == EXPECTED
    assert_ordered(result.lines)


def test_course_reminder_stats_split_started_and_reminded() -> None:
    stats = run(FILES, MESSAGES, CONTACTS).stats
    assert stats[P]["entered"] == 8
    assert stats[P]["completed"] == {"started": 2, "reminded": 6}
    assert stats[P]["nodes"]["reminder"] == {"reached": 6, "sent": 4, "skipped": 2}
    assert stats[RULE]["entered"] == 3
    assert stats[RULE]["completed"] == {"none": 3}


def test_course_reminder_nothing_before_the_seventh_day() -> None:
    result = run(FILES, MESSAGES, CONTACTS, until="2026-11-30T08:59:59Z")
    assert [x for x in result.lines if x["action"] == "send_email"] == []
    assert result.stats[P]["nodes"]["week"]["waiting"] == 7  # early's week ended at 08:00
    assert result.stats[P]["completed"] == {"started": 1}


def test_course_reminder_cli(tmp_path: Path) -> None:
    out = run_cli(tmp_path, FILES, MESSAGES, CONTACTS)
    assert by_contact(out[:-1]) == EXPECTED
    assert out[-1]["stats"][P]["completed"] == {"started": 2, "reminded": 6}
