"""RFM segments: recency, frequency and money of paid orders, each scored 1–5 on the base.

Scores are quintiles over every contact with at least one paid order (5 = most recent, most
orders, most money). Segment names follow the common R×F grid; see docs/rfm.md.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass
from datetime import datetime

SEGMENTS = (
    "champions", "loyal", "potential", "new", "promising", "need_attention", "about_to_sleep",
    "at_risk", "cant_lose", "hibernating", "lost",
)


@dataclass(frozen=True)
class Buyer:
    contact_id: str
    last_paid: datetime
    orders: int
    money: float


def segment(r: int, f: int, m: int) -> str:
    """The named segment of an (R, F, M) score triple."""
    if r >= 4 and f >= 4:
        return "champions"
    if r >= 3 and f >= 4:
        return "loyal"
    if r <= 2 and f >= 4:
        return "cant_lose" if m >= 4 and r == 1 else "at_risk"
    if r == 5 and f == 1:
        return "new"
    if r >= 4 and f <= 3:
        return "promising" if f == 1 else "potential"
    if r == 3 and f == 3:
        return "need_attention"
    if r == 3:
        return "about_to_sleep"
    if r == 2:
        return "at_risk" if f == 3 else "hibernating"
    return "lost"


def _quintile(sorted_values: list[float], value: float) -> int:
    """1..5 by the share of the base strictly below `value` (ties share a score)."""
    n = len(sorted_values)
    if n <= 1:
        return 5
    below = bisect_left(sorted_values, value)
    return min(5, 1 + (below * 5) // n)


def score_base(buyers: list[Buyer]) -> dict[str, str]:
    """Segment of every buyer, scored against the whole list."""
    recency = sorted(b.last_paid.timestamp() for b in buyers)
    freq = sorted(float(b.orders) for b in buyers)
    money = sorted(b.money for b in buyers)
    return {
        b.contact_id: segment(
            _quintile(recency, b.last_paid.timestamp()),
            _quintile(freq, float(b.orders)),
            _quintile(money, b.money),
        )
        for b in buyers
    }
