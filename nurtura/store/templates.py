"""Message templates in the database: create, replace, read, list, delete, and which
processes use one."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from nurtura.channels.templates import Template, check
from nurtura.errors import Conflict
from nurtura.store import codec
from nurtura.store.schema import process_versions, processes, templates
from nurtura.store.sql import Store


def _from_row(r: Any) -> Template:
    return Template(r.name, r.channel, r.category, r.subject, r.html, r.text)


def put(store: Store, t: Template, now: datetime, *, must_be_new: bool = False) -> bool:
    """Create or replace `t` (checked first); True when it was created."""
    check(t)
    at = codec.ms(now)
    values = {"channel": t.channel, "category": t.category, "subject": t.subject,
              "html": t.html, "text": t.text, "updated_at": at}
    with store.engine.begin() as conn:
        exists = conn.execute(select(templates.c.name).where(templates.c.name == t.name)).first()
        if exists is not None:
            if must_be_new:
                raise Conflict(f"a template named {t.name!r} exists already")
            conn.execute(update(templates).where(templates.c.name == t.name).values(**values))
            return False
        try:
            conn.execute(templates.insert().values(name=t.name, created_at=at, **values))
        except IntegrityError:
            raise Conflict(f"a template named {t.name!r} exists already") from None
    return True


def get(store: Store, name: str) -> Template | None:
    with store.engine.connect() as conn:
        row = conn.execute(select(templates).where(templates.c.name == name)).first()
    return _from_row(row) if row else None


def get_many(store: Store, names: Iterable[str]) -> dict[str, Template]:
    wanted = sorted(set(names))
    if not wanted:
        return {}
    with store.engine.connect() as conn:
        rows = conn.execute(select(templates).where(templates.c.name.in_(wanted))).all()
    return {r.name: _from_row(r) for r in rows}


def names(store: Store) -> set[str]:
    with store.engine.connect() as conn:
        return set(conn.execute(select(templates.c.name)).scalars())


def list_all(store: Store) -> list[dict[str, Any]]:
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(templates.c.name, templates.c.channel, templates.c.category,
                   templates.c.subject, templates.c.created_at, templates.c.updated_at)
            .order_by(templates.c.name)
        ).all()
    return [{"name": r.name, "channel": r.channel, "category": r.category,
             "subject": r.subject, "created_at": codec.dt(r.created_at),
             "updated_at": codec.dt(r.updated_at)} for r in rows]


def remove(store: Store, name: str) -> bool:
    with store.engine.begin() as conn:
        return conn.execute(delete(templates).where(templates.c.name == name)).rowcount > 0


def used_in(doc: dict[str, Any]) -> set[str]:
    """Template names a process file sends."""
    return {str(n["template"]) for n in doc.get("nodes", {}).values()
            if isinstance(n, dict) and n.get("do") in ("send_email", "send_sms")
            and isinstance(n.get("template"), str)}


def users(store: Store, name: str) -> list[str]:
    """Processes whose current version sends the template `name`."""
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(processes.c.name, process_versions.c.doc).join(
                process_versions,
                (process_versions.c.process_id == processes.c.id)
                & (process_versions.c.version == processes.c.version))
            .where(process_versions.c.doc.contains(json.dumps(name)))
        ).all()
    return sorted(r.name for r in rows if name in used_in(json.loads(r.doc)))


def import_library(store: Store, now: datetime, only: Iterable[str] | None = None,
                   replace: bool = False) -> list[str]:
    """Put the shipped templates (all, or those named in `only`) in the database; existing
    ones are kept unless `replace`. Returns the names written."""
    from nurtura import library
    from nurtura.channels.templates import from_json

    shipped = library.templates()
    wanted = sorted(shipped if only is None else set(only) & set(shipped))
    have = set() if replace else names(store)
    written = []
    for name in wanted:
        if name not in have:
            put(store, from_json(name, shipped[name]), now)
            written.append(name)
    return written
