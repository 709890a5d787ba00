"""The only place that knows real time. Everything else is handed `now`."""

from __future__ import annotations

import os
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


class FileClock:
    """Simulated time shared by several processes: the instant written in a file (ISO
    8601), read at every call. For tests and benchmarks that run many `nurtura worker`
    processes on days of simulated time (`NURTURA_CLOCK_FILE`); never for production."""

    def __init__(self, path: str) -> None:
        self.path = path

    def now(self) -> datetime:
        with open(self.path, encoding="utf-8") as fh:
            return datetime.fromisoformat(fh.read().strip())

    def set(self, to: datetime) -> None:
        tmp = f"{self.path}.tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(to.isoformat())
        os.replace(tmp, self.path)  # readers see the old instant or the new, never half


def clock_from_env() -> Clock:
    """The system clock, unless NURTURA_CLOCK_FILE names a simulated-time file."""
    path = os.environ.get("NURTURA_CLOCK_FILE")
    return FileClock(path) if path else SystemClock()
