"""Sending rules, on the injected clock: a rate limit per channel (token bucket), quiet
hours in the contact's timezone, and a frequency cap on marketing email per contact."""

from __future__ import annotations

from datetime import datetime, timedelta

from nurtura.channels.config import Cap, QuietHours
from nurtura.engine import timing
from nurtura.store import codec


class RateLimiter:
    """At most `rate` messages a second per channel, with bursts up to one second's worth."""

    def __init__(self, rates: dict[str, float]) -> None:
        self.rates = {k: v for k, v in rates.items() if v > 0}
        self.tokens: dict[str, float] = {}
        self.at: dict[str, datetime] = {}

    def _refill(self, channel: str, now: datetime) -> float:
        rate = self.rates[channel]
        cap = max(1.0, rate)
        last = self.at.get(channel)
        tokens = self.tokens.get(channel, cap)
        if last is not None and now > last:
            tokens = min(cap, tokens + (now - last).total_seconds() * rate)
        self.tokens[channel], self.at[channel] = tokens, max(now, last or now)
        return tokens

    def allowance(self, channel: str, now: datetime, wanted: int) -> int:
        """How many of `wanted` messages may go now."""
        if channel not in self.rates:
            return wanted
        return min(wanted, int(self._refill(channel, now) + 1e-9))

    def take(self, channel: str, now: datetime, n: int = 1) -> None:
        if channel in self.rates and n:
            self.tokens[channel] = self._refill(channel, now) - n

    def next_free(self, channel: str, now: datetime) -> datetime | None:
        """When the next message may go, if not now."""
        if channel not in self.rates:
            return None
        missing = 1.0 - self._refill(channel, now)
        if missing <= 1e-9:
            return None
        return now + timedelta(seconds=missing / self.rates[channel])


def quiet_until(now: datetime, quiet: QuietHours | None, tz: str) -> datetime | None:
    """The end of the quiet window when `now` falls in it (local time in `tz`), else None."""
    if quiet is None:
        return None
    zone = timing.zone(tz)
    if not timing.between(now, zone, quiet.start, quiet.end):
        return None
    return timing.next_time_of_day(now, quiet.end, zone)


def cap_until(now: datetime, cap: Cap | None, sent_ms: list[int]) -> datetime | None:
    """When a slot frees under the cap (`sent_ms`: this contact's send times, ascending),
    or None if a message may go now."""
    if cap is None:
        return None
    since = codec.ms(now - cap.period)
    recent = [t for t in sent_ms if t > since]
    if len(recent) < cap.count:
        return None
    return codec.dt(recent[len(recent) - cap.count]) + cap.period
