"""Run history format 2: item seconds counted from the run's start, one-letter keys,
`until` as seconds after the item (store/history.py).

A waiting run is mostly its history; the benchmark's W2 run goes from 108 to 69 bytes of
history. Readers (`Store.runs_of`, the API, `admin._reached`) decode it to the same items as
before. Rewrites every stored history, 1,000 runs per statement batch, in the migration's
transaction.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from alembic import op

from nurtura.store.history import decode, upgrade_items

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_runs = sa.table("runs", sa.column("contact_id", sa.String), sa.column("id", sa.String),
                 sa.column("started_at", sa.BigInteger), sa.column("hist", sa.Text))
_PAGE = 1000


def _rewrite(convert: Callable[[list[Any], int], list[Any]]) -> None:
    conn = op.get_bind()
    after: tuple[str, str] | None = None
    update = (_runs.update()
              .where(_runs.c.contact_id == sa.bindparam("c"), _runs.c.id == sa.bindparam("i"))
              .values(hist=sa.bindparam("h")))
    while True:
        q = (sa.select(_runs.c.contact_id, _runs.c.id, _runs.c.started_at, _runs.c.hist)
             .where(_runs.c.hist.isnot(None))
             .order_by(_runs.c.contact_id, _runs.c.id).limit(_PAGE))
        if after is not None:
            q = q.where(sa.tuple_(_runs.c.contact_id, _runs.c.id) > sa.tuple_(*after))
        rows = conn.execute(q).all()
        if not rows:
            return
        conn.execute(update, [
            {"c": r.contact_id, "i": r.id,
             "h": json.dumps(convert(json.loads(r.hist), r.started_at // 1000),
                             separators=(",", ":"), ensure_ascii=False)}
            for r in rows])
        after = (rows[-1].contact_id, rows[-1].id)


def upgrade() -> None:
    _rewrite(upgrade_items)


def downgrade() -> None:
    _rewrite(decode)
