"""The only place that knows real time. Everything else is handed `now`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    """Wall-clock time in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class SimClock:
    """Simulated time: stands still until told to jump (to the next due instant)."""

    def __init__(self, start: datetime) -> None:
        self._now = start

    def now(self) -> datetime:
        return self._now

    def jump(self, to: datetime) -> None:
        if to > self._now:
            self._now = to
