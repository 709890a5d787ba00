"""Durations of the process file: number+unit, units `s m h d w`, combinable (`1d12h`)."""

from __future__ import annotations

import re
from datetime import timedelta

_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_PART = re.compile(r"(\d+)([smhdw])")
_WHOLE = re.compile(r"^(?:\d+[smhdw])+$")


class DurationError(ValueError):
    """A string that is not a duration."""


def parse_duration(text: str, *, signed: bool = False) -> timedelta:
    """`"90s"`, `"15m"`, `"1d12h"` → timedelta; `signed` also admits a leading `-` or `+`."""
    if not isinstance(text, str):
        raise DurationError(f"a duration must be a string like '15m' or '1d12h', not {text!r}")
    body = text.strip()
    sign = 1
    if signed and body[:1] in "+-" and body:
        sign = -1 if body[0] == "-" else 1
        body = body[1:]
    if not body or not _WHOLE.match(body):
        raise DurationError(
            f"bad duration {text!r}: use number+unit, units s m h d w, e.g. '90s', '15m', '1d12h'"
        )
    seconds = sum(int(n) * _UNIT_SECONDS[u] for n, u in _PART.findall(body))
    return timedelta(seconds=sign * seconds)


def format_duration(delta: timedelta) -> str:
    """The shortest canonical string for a whole number of seconds (inverse of parse)."""
    total = int(delta.total_seconds())
    sign = "-" if total < 0 else ""
    total = abs(total)
    if total == 0:
        return "0s"
    parts = []
    for unit in ("w", "d", "h", "m", "s"):
        n, total = divmod(total, _UNIT_SECONDS[unit])
        if n:
            parts.append(f"{n}{unit}")
    return sign + "".join(parts)
