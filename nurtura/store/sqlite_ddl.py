"""Table rebuilds for SQLite migrations: SQLite cannot change a primary key or a column's
type in place, so the table is made again, its rows copied, its indexes made again."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any


def rebuild_table(op: Any, table: str, items: Callable[[list[str]], list[str]],
                  columns: Mapping[str, str] | None = None) -> None:
    """Make `table` again from the items of its CREATE TABLE as `items` changes them, copy
    its rows (`columns`: a column → the SQL expression over the old row that fills it;
    the others are copied as they are), and make its indexes again as they were. `op` is
    Alembic's, inside the migration's transaction."""
    bind = op.get_bind()
    sql = bind.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
    ).scalar_one()
    indexes = [r[0] for r in bind.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT "
        "NULL", (table,))]
    cols = [r[1] for r in bind.exec_driver_sql(f"PRAGMA table_info({table})")]
    body = sql[sql.index("(") + 1: sql.rindex(")")]
    exprs = ", ".join((columns or {}).get(c, c) for c in cols)
    op.execute(f"CREATE TABLE {table}_rebuilt ({', '.join(items(split_items(body)))})")
    op.execute(f"INSERT INTO {table}_rebuilt ({', '.join(cols)}) SELECT {exprs} FROM {table}")
    op.execute(f"DROP TABLE {table}")
    op.execute(f"ALTER TABLE {table}_rebuilt RENAME TO {table}")
    for ddl in indexes:
        op.execute(ddl)


def sql_function(op: Any, name: str, fn: Callable[[Any], Any]) -> None:
    """`fn` as a one-argument SQL function `name` on the migration's SQLite connection,
    for a rebuild's copy to convert values with (NULL stays NULL)."""
    raw: Any = op.get_bind().connection.driver_connection  # the sqlite3 connection
    raw.create_function(name, 1, lambda v: None if v is None else fn(v), deterministic=True)


def split_items(body: str) -> list[str]:
    """The comma-separated items of a CREATE TABLE body (commas inside parentheses kept)."""
    out, depth, cur = [], 0, ""
    for ch in body:
        if ch == "," and depth == 0:
            out.append(cur)
            cur = ""
            continue
        depth += ch == "("
        depth -= ch == ")"
        cur += ch
    out.append(cur)
    return [p.strip() for p in out]
