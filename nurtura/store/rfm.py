"""The queries of the RFM job: every buyer's last payment, count and money, and segment."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.engine import Engine

from nurtura.model.rfm import Buyer
from nurtura.store import codec
from nurtura.store.schema import contacts, meta


def buyers(engine: Engine) -> list[tuple[Buyer, str | None]]:
    """Contacts with at least one paid order, with the segment they have now."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(contacts.c.id, contacts.c.last_paid_at, contacts.c.paid_count,
                   contacts.c.paid_total, contacts.c.doc)
            .where(contacts.c.paid_count > 0)
        ).all()
    return [
        (Buyer(r.id, codec.dt(r.last_paid_at or 0), r.paid_count, r.paid_total),
         json.loads(r.doc).get("rfm"))
        for r in rows
    ]


def last_run(engine: Engine) -> datetime | None:
    with engine.connect() as conn:
        value = conn.execute(select(meta.c.value).where(meta.c.key == "rfm_last_run")).scalar()
    return codec.dt(int(value)) if value is not None else None


def mark_run(engine: Engine, at: datetime) -> None:
    with engine.begin() as conn:
        conn.execute(meta.delete().where(meta.c.key == "rfm_last_run"))
        conn.execute(meta.insert().values(key="rfm_last_run", value=str(codec.ms(at))))
