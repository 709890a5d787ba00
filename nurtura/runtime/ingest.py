"""Segment messages (`track`, `identify`, `page`, `batch`) → Nurtura events.

A bad message raises BadInput naming the field at fault; nothing else is touched.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime
from typing import Any

from nurtura.engine import timing
from nurtura.engine.state import Contact, Event
from nurtura.errors import BadInput
from nurtura.model.validate import check_timezone

_SPACES = re.compile(r"\s+")
TYPES = ("track", "identify", "page", "screen")


def event_name(raw: str) -> str:
    """Names are lowercase and dotted: `Order Paid` → `order.paid`."""
    return _SPACES.sub(".", raw.strip()).lower()


def _time(msg: dict[str, Any], key: str, default: datetime | None) -> datetime:
    value = msg.get(key)
    if value is None:
        if default is None:
            raise BadInput(f"'{key}' is missing")
        return default
    if not isinstance(value, str):
        raise BadInput(f"'{key}' must be an ISO 8601 string, not {value!r}")
    try:
        return timing.parse_instant(value)
    except ValueError:
        raise BadInput(f"'{key}': {value!r} is not an ISO 8601 time") from None


def _obj(msg: dict[str, Any], key: str) -> dict[str, Any]:
    value = msg.get(key, {})
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise BadInput(f"'{key}' must be an object")
    return value


def parse_message(msg: Any, received: datetime | None = None) -> Event:
    """One Segment message → one Event (identify becomes the event `identify`)."""
    if not isinstance(msg, dict):
        raise BadInput("a message must be a JSON object")
    kind = msg.get("type", "track" if "event" in msg else None)
    if kind not in TYPES:
        raise BadInput(f"'type' must be one of {list(TYPES)}, not {kind!r}")
    uid = msg.get("userId") or msg.get("anonymousId")
    if not isinstance(uid, str | int) or isinstance(uid, bool) or str(uid) == "":
        raise BadInput("'userId' (or 'anonymousId') is missing: every event needs a contact")
    ts = _time(msg, "timestamp", received)
    context = _obj(msg, "context")
    if kind == "track":
        name = msg.get("event")
        if not isinstance(name, str) or not name.strip():
            raise BadInput("'event' is missing: a track message names its event")
        props = _obj(msg, "properties")
        name = event_name(name)
    elif kind == "identify":
        name, props = "identify", dict(_obj(msg, "traits"))
        tz = props.get("timezone")
        if tz is not None and (not isinstance(tz, str) or not check_timezone(tz)):
            raise BadInput(f"'traits.timezone': unknown timezone {tz!r}")
        ctz = context.get("timezone")
        if isinstance(ctz, str) and check_timezone(ctz):
            props["_context_timezone"] = ctz
    else:
        page = _obj(context, "page")
        props = {**_obj(msg, "properties")}
        props.setdefault("url", page.get("url"))
        if msg.get("name"):
            props.setdefault("name", msg["name"])
        name = "page.visited"
    mid = msg.get("messageId")
    if mid is None:
        canon = json.dumps(msg, sort_keys=True, separators=(",", ":"), default=str)
        mid = "h-" + hashlib.sha256(canon.encode()).hexdigest()[:32]
    elif not isinstance(mid, str) or not mid:
        raise BadInput("'messageId' must be a non-empty string")
    return Event(name, str(uid), ts, mid, props)


def parse_contact(obj: Any, now: datetime) -> Contact:
    """A line of a contacts file: {"id", "email"?, "phone"?, "timezone"?, "fields"?,
    "tags"?, "lists"?, "subscribed"?: {"email": bool, "sms": bool}}."""
    if not isinstance(obj, dict):
        raise BadInput("a contact must be a JSON object")
    allowed = {"id", "email", "phone", "timezone", "fields", "tags", "lists", "subscribed",
               "created_at"}
    extra = sorted(set(obj) - allowed)
    if extra:
        raise BadInput(f"unknown key {extra[0]!r}; allowed: {sorted(allowed)}")
    cid = obj.get("id")
    if not isinstance(cid, str | int) or isinstance(cid, bool) or str(cid) == "":
        raise BadInput("'id' is missing")
    for key in ("email", "phone", "timezone"):
        if obj.get(key) is not None and not isinstance(obj[key], str):
            raise BadInput(f"'{key}' must be a string")
    tz = obj.get("timezone")
    if tz is not None and not check_timezone(tz):
        raise BadInput(f"'timezone': unknown timezone {tz!r}")
    for key in ("tags", "lists"):
        value = obj.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise BadInput(f"'{key}' must be a list of strings")
    fields = obj.get("fields", {})
    if not isinstance(fields, dict):
        raise BadInput("'fields' must be an object")
    sub = obj.get("subscribed", {})
    if not isinstance(sub, dict) or any(
        k not in ("email", "sms") or not isinstance(v, bool) for k, v in sub.items()
    ):
        raise BadInput("'subscribed' must be like {\"email\": true, \"sms\": false}")
    created = _time(obj, "created_at", now)
    return Contact(
        id=str(cid), created_at=created, email=obj.get("email"), phone=obj.get("phone"),
        timezone=tz, fields=dict(fields), tags=set(obj.get("tags", [])),
        lists=set(obj.get("lists", [])), subscribed={"email": True, "sms": True, **sub},
        is_new=False,
    )
