"""The wake-up index by process, then time: `runs_wake (process_id, wake_at)`.

The due query asks for the oldest wake-ups of the ENABLED processes. With an index on
wake_at alone it had to filter by process while walking the index, and PostgreSQL, unable
to estimate that filter, chose to read and sort every waiting run instead (~300 ms per
batch with a million runs waiting). Now each enabled process is one ordered range scan of
this index, merged: the cost of a batch no longer grows with the number of waiting runs.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_WAKING = sa.text("wake_at IS NOT NULL")


def upgrade() -> None:
    op.drop_index("runs_wake", table_name="runs", sqlite_where=_WAKING,
                  postgresql_where=_WAKING)
    op.create_index("runs_wake", "runs", ["process_id", "wake_at"], unique=False,
                    sqlite_where=_WAKING, postgresql_where=_WAKING)


def downgrade() -> None:
    op.drop_index("runs_wake", table_name="runs", sqlite_where=_WAKING,
                  postgresql_where=_WAKING)
    op.create_index("runs_wake", "runs", ["wake_at"], unique=False,
                    sqlite_where=_WAKING, postgresql_where=_WAKING)
