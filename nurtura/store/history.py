"""A run's history as stored (`runs.hist`) and as read.

Read (what `Store.runs_of` and the API give): a list of items `[seconds, entry, …]`, one
per instant the run did something, each entry `{"node": ID, …}` as the engine noted it
(`{"node": "wait7", "until": "2026-01-12T09:00:00Z"}`), and at most one
`["truncated", n]` first when older items were dropped.

Stored (format 2, migration 0008), the same items written shorter, because a waiting run
is mostly its history and the database holds millions of them:

- an item's seconds are counted from the run's start (`runs.started_at`): `[0, …]`;
- the engine's keys are one letter (`node` → `n`, `event` → `e`, …, table below), so an
  entry starts `{"n":` (what `admin._reached` searches for with LIKE);
- `until` is the seconds from the item's instant to the due instant (`"u":604800`); the
  engine notes it as a datetime, read back as `timing.iso` text.

An entry holding a key that is itself one of the short names (none of the engine's do,
but an action's parameters are open-ended) is stored as read, with its long `node` key;
decoding leaves such an entry alone. The W2 run of the benchmark goes from 108 to 69
bytes of history (docs/benchmarks.md).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from nurtura.engine import timing

SHORT = {
    "node": "n", "event": "e", "until": "u", "timeout": "t", "result": "r", "wait": "w",
    "delay": "d", "branch": "b", "completed": "c", "exited": "x", "failed": "f",
    "action": "a", "template": "m",
}
LONG = {v: k for k, v in SHORT.items()}
NODE_KEYS = ("n", "node")  # how a stored entry names its node: short, or left as read


def _iso_seconds(text: str) -> int:
    """Epoch seconds of `timing.iso`'s `2026-01-12T09:00:00Z`."""
    return int(datetime.fromisoformat(text).timestamp())


def encode_entry(entry: dict[str, Any], at: int) -> dict[str, Any]:
    """One engine entry as stored; `at` is the item's epoch seconds. The engine notes a
    delay's `until` as a datetime (format 1 stored, and the migration reads, ISO text)."""
    out = {}
    for k, v in entry.items():
        short = SHORT.get(k)
        if short is None:
            if k in LONG:
                return _as_read(entry)  # a key that is itself a short name: stored as read
            out[k] = v
        elif short == "u":
            out["u"] = (int(v.timestamp()) if isinstance(v, datetime) else _iso_seconds(v)) - at
        else:
            out[short] = v
    return out


def _as_read(entry: dict[str, Any]) -> dict[str, Any]:
    until = entry.get("until")
    return {**entry, "until": timing.iso(until)} if isinstance(until, datetime) else entry


def decode_entry(entry: Any, at: int) -> Any:
    if not isinstance(entry, dict) or "node" in entry:
        return entry  # stored as read
    out = {}
    for k, v in entry.items():
        k = LONG.get(k, k)
        if k == "until" and isinstance(v, int):
            v = timing.iso(datetime.fromtimestamp(at + v, UTC))
        out[k] = v
    return out


def encode_items(items: Iterable[tuple[int, list[dict[str, Any]]]], started: int
                 ) -> list[list[Any]]:
    """(epoch seconds, engine entries) pairs → stored items, for a run started at
    `started` epoch seconds."""
    out = []
    for at, entries in items:
        item: list[Any] = [at - started]
        for e in entries:
            item.append(encode_entry(e, at))
        out.append(item)
    return out


def decode(stored: list[Any], started: int) -> list[Any]:
    """Stored items → read items (absolute seconds, long keys)."""
    out: list[Any] = []
    for item in stored:
        if item and isinstance(item[0], int):
            at = started + item[0]
            out.append([at, *(decode_entry(e, at) for e in item[1:])])
        else:
            out.append(item)  # ["truncated", n]
    return out


def decode_text(text: str | None, started_ms: int) -> list[Any]:
    """The stored column → read items."""
    return decode(json.loads(text), started_ms // 1000) if text else []


def upgrade_items(old: list[Any], started: int) -> list[Any]:
    """History as format 1 stored it (the read form) → format 2 (migration 0008)."""
    return [encode_items([(item[0], item[1:])], started)[0]
            if item and isinstance(item[0], int) else item for item in old]
