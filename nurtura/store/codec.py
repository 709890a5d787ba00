"""Rows ↔ domain objects. Times are epoch milliseconds; JSON is compact.

The worker's bulk statements take rows as tuples in the `*_COLS` order below; the dict
forms (`contact_row`, `event_row`) are kept for the rest of the store.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from json import encoder as _json_encoder
from typing import Any

from nurtura.engine.state import (
    ACTIVE,
    COMPLETED,
    EXITED,
    FAILED,
    Contact,
    Event,
    Order,
    OutboxItem,
    Run,
)


def _make_encode() -> Callable[[Any], str]:
    """json.dumps(obj, separators=(",", ":"), ensure_ascii=False, default=str), with the C
    encoder built once (json.dumps and JSONEncoder.encode build one per call, which costs
    more than encoding a small document). Our documents have no cycles to check for."""
    make = getattr(_json_encoder, "c_make_encoder", None)
    if make is None:  # pragma: no cover - CPython always has it
        return json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, default=str).encode
    enc = make(None, str, _json_encoder.encode_basestring, None, ":", ",", False, False, True)
    join = "".join

    def encode(obj: Any) -> str:
        if isinstance(obj, str):
            return str(_json_encoder.encode_basestring(obj))
        return join(enc(obj, 0))

    return encode


_encode = _make_encode()
_raw_decode = json.JSONDecoder().raw_decode


def _decode(text: str) -> Any:
    """json.loads for the documents we wrote ourselves (no surrounding whitespace)."""
    return _raw_decode(text)[0]


_from_ts = datetime.fromtimestamp

CONTACT_COLS = ("id", "created_at", "email", "paid_total", "paid_count", "last_paid_at", "doc")
RUN_COLS = ("id", "contact_id", "process_id", "status", "node", "wake_at", "node_since",
            "started_at", "ended_at", "seq", "reason", "vars", "hist")
EVENT_COLS = ("contact_id", "name", "ts", "props", "message_id", "input")
EVENT_READ_COLS = ("id", "contact_id", "name", "ts", "props", "message_id")
OUTBOX_COLS = ("key", "contact_id", "run_id", "process_id", "node", "channel", "created_at",
               "payload", "status", "attempts", "next_at")


def ms(dt: datetime) -> int:
    return int(dt.timestamp() * 1000)


def ms_or_none(dt: datetime | None) -> int | None:
    return None if dt is None else int(dt.timestamp() * 1000)


def dt(value: int) -> datetime:
    return _from_ts(value / 1000, UTC)


def dt_or_none(value: int | None) -> datetime | None:
    return None if value is None else _from_ts(value / 1000, UTC)


def dumps(obj: Any) -> str:
    return _encode(obj)


def contact_doc(c: Contact) -> str:
    """Everything but the indexed columns, leaving out what is empty or default."""
    doc: dict[str, Any] = {}
    if c.phone is not None:
        doc["phone"] = c.phone
    if c.timezone is not None:
        doc["timezone"] = c.timezone
    if c.context_timezone is not None:
        doc["context_timezone"] = c.context_timezone
    if c.owner is not None:
        doc["owner"] = c.owner
    if c.rfm is not None:
        doc["rfm"] = c.rfm
    if c.fields:
        doc["fields"] = c.fields
    if c.tags:
        doc["tags"] = sorted(c.tags)
    if c.lists:
        doc["lists"] = sorted(c.lists)
    unsubscribed = [k for k, v in c.subscribed.items() if not v]
    if unsubscribed:
        doc["unsub"] = sorted(unsubscribed)
    if c.bounced:
        doc["bounced"] = True
    if c.score:
        doc["score"] = c.score
    if c.stages:
        doc["stages"] = c.stages
    if c.notes:
        doc["notes"] = c.notes
    if c.orders:
        doc["orders"] = [
            [o.order_id, o.status, o.amount, o.product, o.pay_url, ms_or_none(o.created_at),
             ms_or_none(o.paid_at)]
            for o in c.orders.values()
        ]
    if c.entered:
        doc["entered"] = sorted(c.entered)
    return _encode(doc)


def contact_values(c: Contact) -> tuple[Any, ...]:
    """The contacts row in CONTACT_COLS order."""
    total, count, last = 0.0, 0, None
    for o in c.orders.values():
        if o.status == "paid":
            total += o.amount
            count += 1
            if o.paid_at:
                at = ms(o.paid_at)
                last = at if last is None or at > last else last
    if not count:
        total = 0  # sum() of nothing, as before: stored the same either way
    return (c.id, ms(c.created_at), c.email, total, count, last, contact_doc(c))


def contact_row(c: Contact) -> dict[str, Any]:
    return dict(zip(CONTACT_COLS, contact_values(c), strict=True))


_DOC_PLAIN = frozenset({"phone", "timezone", "context_timezone", "fields", "bounced", "score",
                        "owner", "stages", "notes", "rfm"})
_DOC_SETS = frozenset({"tags", "lists", "entered"})


def contact_from_values(v: Sequence[Any]) -> Contact:
    """A Contact from a row in CONTACT_COLS order. The doc holds only what is not empty or
    default (`contact_doc`), so only its keys are set on the new contact."""
    c = Contact(v[0], _from_ts(v[1] / 1000, UTC), v[2])
    for key, value in _decode(v[6]).items():
        if key in _DOC_PLAIN:
            setattr(c, key, value)
        elif key in _DOC_SETS:
            setattr(c, key, set(value))
        elif key == "unsub":
            for channel in value:
                c.subscribed[channel] = False
        elif key == "orders":
            for oid, status, amount, product, pay_url, created, paid in value:
                c.orders[oid] = Order(oid, status, amount, product, pay_url,
                                      dt_or_none(created), dt_or_none(paid))
    return c


def contact_from_row(row: Any) -> Contact:
    return contact_from_values([getattr(row, k) for k in CONTACT_COLS])


_SIGN = 1 << 63


def rid_int(rid: str) -> int:
    """A run id as stored (`runs.id`, migration 0012): its 16 hex digits
    (`engine.core.run_id_for`) as a signed 64-bit integer, 8 bytes where the text took 17.
    ValueError for anything else."""
    if not is_rid(rid):
        raise ValueError(f"not a run id: {rid!r}")
    n = int(rid, 16)
    return n - (_SIGN << 1) if n >= _SIGN else n


def is_rid(text: str) -> bool:
    """Whether `text` is a run id: 16 lower-case hex digits."""
    return len(text) == 16 and _HEX.issuperset(text)


def rid_hex(n: int) -> str:
    """The stored integer → the run id."""
    return f"{n & 0xFFFF_FFFF_FFFF_FFFF:016x}"


# A run's status as stored (`runs.status`, migration 0012): one letter.
STATUS_CODE = {ACTIVE: "a", COMPLETED: "c", EXITED: "x", FAILED: "f"}
STATUS_NAME = {v: k for k, v in STATUS_CODE.items()}


def run_values(r: Run, hist: str | None) -> tuple[Any, ...]:
    """The runs row in RUN_COLS order, with its (already encoded) history."""
    return (rid_int(r.id), r.contact_id, r.process_id, STATUS_CODE[r.status], r.node,
            ms_or_none(r.wake_at), ms(r.node_since), ms(r.started_at), ms_or_none(r.ended_at),
            r.seq, r.reason, _encode(r.vars) if r.vars else None, hist)


def run_from_values(v: Sequence[Any]) -> Run:
    """A Run from a row in RUN_COLS order as the database gives it (the id an integer; the
    history column is not read here)."""
    return _run(rid_hex(v[0]), STATUS_NAME[v[3]], v)


def _run(rid: str, status: str, v: Sequence[Any]) -> Run:
    return Run(
        id=rid,
        contact_id=v[1],
        process_id=v[2],
        status=status,
        node=v[4],
        wake_at=None if v[5] is None else _from_ts(v[5] / 1000, UTC),
        node_since=_from_ts(v[6] / 1000, UTC),
        started_at=_from_ts(v[7] / 1000, UTC),
        ended_at=None if v[8] is None else _from_ts(v[8] / 1000, UTC),
        seq=v[9],
        reason=v[10],
        vars=_decode(v[11]) if v[11] else {},
    )


def run_from_row(row: Any) -> Run:
    """A Run from a Core result row (its id and status already decoded: `schema.RunId`,
    `schema.RunStatus`)."""
    return _run(row.id, row.status, [getattr(row, k) for k in RUN_COLS[:-1]])


_HEX = frozenset("0123456789abcdef")


def mid_bytes(mid: str) -> bytes:
    """A message id as stored (`events.message_id`, migration 0009): a UUID in its canonical
    text form (36 characters, lower case, as the server libraries of Segment and most
    backends make them) as its 16 bytes; any other id as its UTF-8 bytes, with 0xFF added
    when those are exactly 16 long (0xFF never occurs in UTF-8, so every stored value reads
    back as the one id it was made from)."""
    if (len(mid) == 36 and mid[8] == mid[13] == mid[18] == mid[23] == "-"
            and _HEX.issuperset(h := mid.replace("-", "")) and len(h) == 32):
        return bytes.fromhex(h)
    raw = mid.encode()
    return raw + b"\xff" if len(raw) == 16 else raw


def mid_text(raw: bytes | None) -> str:
    """The message id `mid_bytes` stored ('' for none)."""
    if not raw:
        return ""
    raw = bytes(raw)
    if len(raw) == 16:
        h = raw.hex()
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
    return (raw[:-1] if raw[-1] == 0xFF else raw).decode()


def event_from_values(v: Sequence[Any]) -> Event:
    """An Event from a row in EVENT_READ_COLS order (the row id is v[0])."""
    return Event(v[2], v[1], _from_ts(v[3] / 1000, UTC), mid_text(v[5]),
                 _decode(v[4]) if v[4] else {})


def event_from_row(row: Any) -> Event:
    return Event(row.name, row.contact_id, dt(row.ts), mid_text(row.message_id),
                 _decode(row.props) if row.props else {})


def event_values(e: Event, input_: bool | None, keep_id: bool = True) -> tuple[Any, ...]:
    """The events row in EVENT_COLS order: an input of the worker (`input_`, queued in the
    inbox as it is stored) or, with None, an event emitted by a step, stored as history
    without its message id (`keep_id=False`)."""
    return (e.contact_id, e.name, ms(e.timestamp),
            _encode(e.properties) if e.properties else None,
            mid_bytes(e.message_id) if keep_id else None, input_)


def event_row(e: Event, input_: bool | None, keep_id: bool = True) -> dict[str, Any]:
    return dict(zip(EVENT_COLS, event_values(e, input_, keep_id), strict=True))


def outbox_values(o: OutboxItem) -> tuple[Any, ...]:
    """A new (pending) outbox row in OUTBOX_COLS order."""
    at = ms(o.created_at)
    return (o.key, o.contact_id, o.run_id, o.process_id, o.node, o.channel, at,
            _encode(o.payload), "pending", 0, at)
