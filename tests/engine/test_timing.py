"""Time of day across daylight-saving changes, next_slot, between (property tests)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from nurtura.engine import timing

AMS = timing.zone("Europe/Amsterdam")
NY = timing.zone("America/New_York")


def utc(text: str) -> datetime:
    return timing.parse_instant(text)


def test_next_time_of_day_across_spring_forward() -> None:
    # Amsterdam jumps 02:00 → 03:00 on 2026-03-29; 10:00 local is 08:00Z after, 09:00Z before.
    assert timing.next_time_of_day(utc("2026-03-28T12:00:00Z"), "10:00", AMS) == utc(
        "2026-03-29T08:00:00Z")
    assert timing.next_time_of_day(utc("2026-03-27T12:00:00Z"), "10:00", AMS) == utc(
        "2026-03-28T09:00:00Z")


def test_wall_time_in_the_gap_moves_forward_and_repeated_time_takes_the_first() -> None:
    assert timing.next_time_of_day(utc("2026-03-28T23:00:00Z"), "02:30", AMS) == utc(
        "2026-03-29T01:30:00Z")  # 03:30 CEST
    # 2026-10-25 02:30 happens twice in Amsterdam: the first is 00:30Z
    assert timing.next_time_of_day(utc("2026-10-24T23:00:00Z"), "02:30", AMS) == utc(
        "2026-10-25T00:30:00Z")


def test_time_of_day_reached_exactly_continues_at_once() -> None:
    now = utc("2026-11-23T15:00:00Z")  # 10:00 in New York
    assert timing.next_time_of_day(now, "10:00", NY) == now


def test_days_restrict_the_weekday() -> None:
    monday = utc("2026-11-23T12:00:00Z")
    assert timing.next_time_of_day(monday, "10:00", AMS, ["thu"]) == utc("2026-11-26T09:00:00Z")


def test_next_slot_exactly_min_lead_ahead_counts() -> None:
    msk = timing.zone("Europe/Moscow")
    slots = ["11:00", "20:00"]
    assert timing.next_slot(utc("2026-11-23T07:00:00Z"), slots, timedelta(hours=1), msk) == utc(
        "2026-11-23T08:00:00Z")
    assert timing.next_slot(utc("2026-11-23T07:00:01Z"), slots, timedelta(hours=1), msk) == utc(
        "2026-11-23T17:00:00Z")
    assert timing.next_slot(utc("2026-11-23T16:30:00Z"), slots, timedelta(hours=1), msk) == utc(
        "2026-11-24T08:00:00Z")


def test_between_wraps_midnight() -> None:
    assert timing.between(utc("2026-11-23T23:30:00Z"), timing.zone("UTC"), "22:00", "06:00")
    assert not timing.between(utc("2026-11-23T12:00:00Z"), timing.zone("UTC"), "22:00", "06:00")


zones = st.sampled_from(["Europe/Amsterdam", "America/New_York", "Europe/Moscow",
                         "Australia/Lord_Howe", "UTC", "Asia/Kolkata"])
instants = st.datetimes(datetime(2025, 1, 1), datetime(2028, 12, 31)).map(
    lambda d: d.replace(tzinfo=UTC))
hhmm = st.builds(lambda h, m: f"{h:02d}:{m:02d}", st.integers(0, 23), st.integers(0, 59))


@settings(max_examples=300, deadline=None)
@given(instants, hhmm, zones)
def test_next_time_of_day_is_the_earliest_matching_instant(
    now: datetime, hm: str, name: str
) -> None:
    tz = timing.zone(name)
    got = timing.next_time_of_day(now, hm, tz)
    assert got >= now
    assert got - now < timedelta(days=2)
    local = got.astimezone(tz).strftime("%H:%M")
    # either the wall time itself, or (inside a DST gap) a time moved forward past it
    assert local == hm or local > hm
    # no earlier minute between now and got shows that wall time
    probe = got - timedelta(minutes=1)
    while probe >= now and got - probe < timedelta(hours=3):
        assert probe.astimezone(tz).strftime("%H:%M") != hm
        probe -= timedelta(minutes=1)
