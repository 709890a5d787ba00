"""Message ids stored as bytes (codec.mid_bytes, migration 0009): every id reads back as the
text it came in as; a canonical UUID takes 16 bytes; migration 0009 converts both ways."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from alembic import command
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select, text

from nurtura.engine.state import Event
from nurtura.store import codec, migrate
from nurtura.store.schema import events
from nurtura.store.sql import Store

T0 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)

ODD = [
    "0f8e3c1a-5b2d-4c6e-8a9b-1c2d3e4f5a6b",  # canonical: 16 bytes
    "0F8E3C1A-5B2D-4C6E-8A9B-1C2D3E4F5A6B",  # upper case: kept as text
    "0f8e3c1a5b2d4c6e8a9b1c2d3e4f5a6b",  # no dashes: kept as text
    "0f8e3c1a-5b2d-4c6e-8a9b-1c2d3e4f5a6g",  # not hex
    "0f8e3c1a-5b2d-4c6e-8a9b--c2d3e4f5a6b",  # a dash too many
    "exactly16chars!!",  # 16 UTF-8 bytes: 0xFF added, or it would read as a UUID
    "fifteen chars!!",
    "ajs-next-1700000000000-1f2e3d4c-5b6a-4789-8a9b-0c1d2e3f4a5b",  # analytics.js
    "заказ-№42",
]


@given(st.text(min_size=1, max_size=60) | st.uuids().map(str) | st.sampled_from(ODD))
def test_every_message_id_reads_back_as_it_came(mid: str) -> None:
    raw = codec.mid_bytes(mid)
    assert codec.mid_text(raw) == mid
    assert (len(raw) == 16) == _canonical_uuid(mid)


def _canonical_uuid(s: str) -> bool:
    try:
        return str(uuid.UUID(s)) == s
    except ValueError:
        return False


def test_a_canonical_uuid_takes_16_bytes() -> None:
    assert codec.mid_bytes(ODD[0]) == uuid.UUID(ODD[0]).bytes
    assert codec.mid_bytes(ODD[5]) == b"exactly16chars!!\xff"


def test_ids_stay_unique_per_contact_and_read_back(db_url: str) -> None:
    store = Store(db_url)
    evs = [Event("go", "c1", T0, m) for m in ODD]
    assert store.ingest(evs) == len(ODD)
    assert store.ingest(evs) == 0  # the same ids again: nothing new
    with store.engine.connect() as conn:
        rows = conn.execute(select(events.c.message_id)).scalars().all()
    assert sorted(codec.mid_text(r) for r in rows) == sorted(ODD)
    store.close()


def test_migration_0009_converts_stored_ids_both_ways(db_url: str) -> None:
    store = Store(db_url, upgrade=False)
    migrate.upgrade(store.engine, "0008")
    with store.engine.begin() as conn:
        conn.execute(text("INSERT INTO events (contact_id, name, ts, message_id, pending) "
                          "VALUES ('c1', 'go', 1, :m, true)"),
                     [{"m": m} for m in [*ODD, None]])
    migrate.upgrade(store.engine, "head")
    with store.engine.connect() as conn:
        rows = conn.execute(text("SELECT message_id FROM events ORDER BY id")).scalars().all()
    assert [bytes(r) if r is not None else None for r in rows] == [
        codec.mid_bytes(m) for m in ODD] + [None]
    # still unique per contact after the rebuild
    assert store.ingest([Event("go", "c1", T0, ODD[0]), Event("go", "c1", T0, ODD[5])]) == 0
    with store.engine.begin() as conn:
        cfg = migrate.alembic_config(store.engine)
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0008")
    with store.engine.connect() as conn:
        rows = conn.execute(text("SELECT message_id FROM events ORDER BY id")).scalars().all()
    assert rows == [*ODD, None]
    store.close()
