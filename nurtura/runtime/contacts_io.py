"""Bulk contacts: import CSV or JSON lines (as exported from GetCourse, Mautic or a
spreadsheet) and export them again.

Each good line becomes a `contact.imported` event (idempotent by the line's content), so the
worker merges it into the contact in order with everything else; bad lines are reported
with their line number and reason while the good ones are kept.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from nurtura.engine.state import Contact, Event
from nurtura.errors import BadInput
from nurtura.model.validate import check_timezone
from nurtura.store.schema import contacts
from nurtura.store.sql import Store

TARGETS = ("id", "email", "phone", "timezone", "tags", "lists", "email_subscribed",
           "sms_subscribed", "skip")
ALIASES = {
    "id": "id", "user_id": "id", "userid": "id", "external_id": "id", "contact_id": "id",
    "email": "email", "e-mail": "email", "mail": "email", "почта": "email",
    "phone": "phone", "mobile": "phone", "телефон": "phone", "telefoon": "phone",
    "timezone": "timezone", "time_zone": "timezone", "часовой пояс": "timezone",
    "tags": "tags", "tag": "tags", "теги": "tags",
    "lists": "lists", "list": "lists", "groups": "lists", "группы": "lists",
    "segments": "lists",
    "email_subscribed": "email_subscribed", "sms_subscribed": "sms_subscribed",
}
_SPLIT = re.compile(r"\s*[,;|]\s*")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
BATCH = 1000


@dataclass
class Report:
    total: int = 0
    imported: int = 0  # lines that change something (new events)
    unchanged: int = 0  # good lines already imported before, exactly the same
    errors: list[tuple[int, str]] = field(default_factory=list)

    def write(self, path: str) -> None:
        with open(path, "w", encoding="utf-8", newline="") as fh:
            out = csv.writer(fh)
            out.writerow(["line", "reason"])
            out.writerows(self.errors)


def mapping_of(headers: Iterable[str], overrides: dict[str, str]) -> dict[str, str]:
    """Column → target (a TARGETS name, or `field:NAME`); unknown columns become fields."""
    out = {}
    for h in headers:
        if h in overrides:
            target = overrides[h]
        else:
            target = ALIASES.get(h.strip().lower(), f"field:{h.strip()}")
        if target not in TARGETS and not target.startswith("field:"):
            raise BadInput(f"--map {h}={target}: target must be one of {TARGETS} or field:NAME")
        out[h] = target
    return out


def _bool(value: str) -> bool:
    v = value.strip().lower()
    if v in ("1", "true", "yes", "y", "да", "ja"):
        return True
    if v in ("0", "false", "no", "n", "нет", "nee"):
        return False
    raise BadInput(f"{value!r} is not yes/no")


def record(row: dict[str, Any], mapping: dict[str, str]) -> dict[str, Any]:
    """One input row → the `contact.imported` properties; BadInput names what is wrong."""
    out: dict[str, Any] = {"fields": {}}
    for column, value in row.items():
        target = mapping.get(column, "skip")
        if target == "skip" or value is None or value == "":
            continue
        if target.startswith("field:"):
            out["fields"][target[6:]] = value
        elif target in ("tags", "lists"):
            items = value if isinstance(value, list) else _SPLIT.split(str(value))
            out[target] = [str(i) for i in items if str(i).strip()]
        elif target.endswith("_subscribed"):
            sub = out.setdefault("subscribed", {})
            try:
                sub[target.split("_")[0]] = value if isinstance(value, bool) else _bool(str(value))
            except BadInput as exc:
                raise BadInput(f"'{column}': {exc}") from None
        else:
            out[target] = str(value).strip()
    if "email" in out:
        if not _EMAIL.match(out["email"]):
            raise BadInput(f"'email': {out['email']!r} is not an email address")
        out["email"] = out["email"].lower()
    if "timezone" in out and not check_timezone(out["timezone"]):
        raise BadInput(f"'timezone': unknown timezone {out['timezone']!r}")
    if "id" not in out and "email" not in out:
        raise BadInput("no 'id' and no 'email': a contact needs one of them")
    return out


def read_rows(text: str, fmt: str) -> Iterator[tuple[int, dict[str, Any] | BadInput]]:
    """(line number, row or the problem with it) for CSV (with a header) or JSON lines."""
    if fmt == "csv":
        sample = text[:4096]
        try:
            dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t")
        except csv.Error:
            dialect = csv.excel
        reader = csv.DictReader(io.StringIO(text), dialect=dialect)
        for row in reader:
            if None in row:
                yield reader.line_num, BadInput("more values than columns")
                continue
            yield reader.line_num, dict(row)
        return
    for no, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            yield no, BadInput(f"not valid JSON ({exc.msg})")
            continue
        if not isinstance(obj, dict):
            yield no, BadInput("a line must be a JSON object")
            continue
        flat = {k: v for k, v in obj.items() if k != "fields" and k != "subscribed"}
        flat.update({f"field:{k}": v for k, v in (obj.get("fields") or {}).items()})
        for ch, v in (obj.get("subscribed") or {}).items():
            flat[f"{ch}_subscribed"] = v
        yield no, flat


def import_text(store: Store, text: str, fmt: str, overrides: dict[str, str], now: datetime,
                progress: Callable[[int, int], None] | None = None) -> Report:
    """Queue every good line as a `contact.imported` event; report the bad ones."""
    try:
        rows = list(read_rows(text, fmt))
    except csv.Error as exc:
        raise BadInput(f"not a readable CSV file ({exc})") from None
    report = Report(total=len(rows))
    headers: set[str] = set()
    for _, r in rows:
        if isinstance(r, dict):
            headers |= set(r)
    mapping = mapping_of(sorted(headers), overrides)
    for h in headers:
        if h.startswith("field:") and h not in overrides:
            mapping[h] = h
    pending: list[Event] = []
    for start in range(0, len(rows), BATCH):
        part = rows[start:start + BATCH]
        records: list[tuple[int, dict[str, Any] | BadInput]] = []
        for no, row in part:
            try:
                if isinstance(row, BadInput):
                    raise row
                records.append((no, record(row, mapping)))
            except BadInput as exc:
                records.append((no, exc))
        # rows without an id are matched to contacts by email: one lookup for the chunk
        known = ids_for_emails(store, [r["email"] for _, r in records
                                       if isinstance(r, dict) and "id" not in r])
        for done, (no, props) in enumerate(records, start + 1):
            if isinstance(props, BadInput):
                report.errors.append((no, str(props)))
            else:
                cid = props.pop("id", None) or known.get(props["email"], props["email"])
                digest = hashlib.sha256(
                    json.dumps([cid, props], sort_keys=True).encode()).hexdigest()
                pending.append(Event("contact.imported", cid, now, f"import:{digest[:32]}",
                                     props))
            if progress is not None and (done % 500 == 0 or done == len(rows)):
                progress(done, len(rows))
        _flush(store, pending, report)
    return report


def _flush(store: Store, pending: list[Event], report: Report) -> None:
    new = store.ingest(pending)
    report.imported += new
    report.unchanged += len(pending) - new
    pending.clear()


def ids_for_emails(store: Store, emails: Sequence[str]) -> dict[str, str]:
    """Lower-cased email → the id of the contact with that email (the smallest id if
    several), for the emails that are known; one query for all of them."""
    wanted = sorted({e.lower() for e in emails})
    out: dict[str, str] = {}
    with store.engine.connect() as conn:
        for i in range(0, len(wanted), 500):
            email = func.lower(contacts.c.email)
            for cid, addr in conn.execute(
                select(contacts.c.id, email).where(email.in_(wanted[i:i + 500]))
                .order_by(contacts.c.id)
            ):
                out.setdefault(addr, cid)
    return out


def export_rows(contacts: Iterable[Contact]) -> Iterator[dict[str, Any]]:
    for c in contacts:
        yield {"id": c.id, "email": c.email, "phone": c.phone, "timezone": c.timezone,
               "fields": c.fields, "tags": sorted(c.tags), "lists": sorted(c.lists),
               "subscribed": c.subscribed}


def write_export(contacts: Iterable[Contact], fmt: str, out: io.TextIOBase | Any) -> int:
    """Write contacts as JSON lines (the import format) or CSV (fields as columns)."""
    n = 0
    if fmt == "jsonl":
        for row in export_rows(contacts):
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
            n += 1
        return n
    items = list(contacts)
    fields = sorted({k for c in items for k in c.fields})
    writer = csv.writer(out)
    writer.writerow(["id", "email", "phone", "timezone", "tags", "lists", "email_subscribed",
                     "sms_subscribed", *fields])
    for c in items:
        writer.writerow([c.id, c.email or "", c.phone or "", c.timezone or "",
                         ",".join(sorted(c.tags)), ",".join(sorted(c.lists)),
                         "yes" if c.subscribed.get("email", True) else "no",
                         "yes" if c.subscribed.get("sms", True) else "no",
                         *[_cell(c.fields.get(f)) for f in fields]])
        n += 1
    return n


def _cell(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
