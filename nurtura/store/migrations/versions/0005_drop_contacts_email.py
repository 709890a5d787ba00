"""Drop the `contacts_email` index: no query uses it.

The one lookup by email (the API's contact search) compares `lower(email)`, which an index
on `email` cannot serve on SQLite or PostgreSQL; the index cost ~39 bytes and one b-tree
write per contact (docs/benchmarks.md).

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("contacts_email", table_name="contacts")


def downgrade() -> None:
    op.create_index("contacts_email", "contacts", ["email"], unique=False)
