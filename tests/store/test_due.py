"""The due query (`Store.due_contacts`, `next_due`, one compiled statement per shape) against
a plain model of what is due, on SQLite and PostgreSQL: queued inputs and wake-ups of
enabled processes, at or before the instant, oldest first; none of the contacts set aside;
only a share's contacts when given. Above all: while anything is due, something is
returned (nothing is left waiting)."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, insert

from nurtura.store import codec
from nurtura.store.dialect import contact_part
from nurtura.store.schema import inbox, processes, runs
from nurtura.store.sql import Store

CONTACTS = [f"c{i}" for i in range(8)]
T = 1_767_600_000_000  # epoch ms


@st.composite
def situations(draw: Any) -> dict[str, Any]:
    times = draw(st.lists(st.integers(0, 10_000), min_size=0, max_size=40, unique=True))
    rows = []
    for t in times:  # distinct instants: the order is then fully defined
        cid = draw(st.sampled_from(CONTACTS))
        where = draw(st.sampled_from(["inbox", 1, 2, 3]))  # the queue, or a process's run
        rows.append((where, cid, T + t))
    k = draw(st.integers(1, 3))
    return {
        "rows": rows,
        "enabled": draw(st.sets(st.sampled_from([1, 2, 3]))),
        "at": T + draw(st.integers(0, 10_000)),
        "limit": draw(st.integers(1, 6)),
        "skip": draw(st.sets(st.sampled_from(CONTACTS), max_size=3)),
        "part": draw(st.none() | st.integers(0, k - 1).map(lambda i: (i, k))),
    }


def _fill(store: Store, s: dict[str, Any]) -> None:
    with store.engine.begin() as conn:
        for table in (inbox, runs, processes):
            conn.execute(delete(table))
        conn.execute(insert(processes), [
            {"id": pid, "name": f"P{pid}", "enabled": pid in s["enabled"], "version": 1,
             "created_at": T, "updated_at": T} for pid in (1, 2, 3)])
        for n, (where, cid, t) in enumerate(s["rows"]):
            if where == "inbox":
                conn.execute(insert(inbox).values(contact_id=cid, event_id=n + 1, ts=t, name="e"))
            else:
                conn.execute(insert(runs).values(
                    id=f"{n:016x}", contact_id=cid, process_id=where, status="active",
                    node="d", wake_at=t, node_since=T, started_at=T, seq=1))


def _model(s: dict[str, Any], limit: int, shared: bool) -> tuple[list[str], list[str]]:
    """(what the query may return, everything due), oldest first. Each scan (the queue, each
    enabled process's wake-ups) reads at most `limit` rows, as the statement does."""
    part = None if shared else s["part"]

    def mine(cid: str) -> bool:
        return cid not in s["skip"] and (part is None or contact_part(cid) % part[1] == part[0])

    scans: dict[Any, list[tuple[int, str]]] = {}
    for where, cid, t in sorted(s["rows"], key=lambda r: r[2]):
        if t <= s["at"] and mine(cid) and (where == "inbox" or where in s["enabled"]):
            scans.setdefault(where, []).append((t, cid))
    every = sorted(r for rows in scans.values() for r in rows)
    read = sorted(r for rows in scans.values() for r in rows[:limit])
    return list(dict.fromkeys(cid for _, cid in read))[:limit], [cid for _, cid in every]


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(s=situations())
def test_the_due_query_returns_what_is_due_oldest_first(store: Store, s: dict[str, Any]) -> None:
    _fill(store, s)
    now = codec.dt(s["at"])
    got = store.due_contacts(now, s["limit"], s["skip"], s["part"] if not store.shared else None)
    want, due = _model(s, s["limit"], store.shared)
    assert got == want
    assert bool(got) == bool(due)  # while anything is due, a batch is never empty
    # the earliest instant with work, of the share, whatever the instant now
    first = store.next_due(s["part"])
    pending = [t for where, cid, t in s["rows"]
               if (where == "inbox" or where in s["enabled"])
               and (store.shared or s["part"] is None
                    or contact_part(cid) % s["part"][1] == s["part"][0])]
    assert first == (codec.dt(min(pending)) if pending else None)
