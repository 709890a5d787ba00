"""Segment's HTTP tracking API: /v1/track, /v1/identify, /v1/page, /v1/batch.

A repeated messageId is ignored; a batch keeps its good items and names the bad ones.
"""

from __future__ import annotations

import gzip
import json
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from nurtura.api.auth import require
from nurtura.api.problems import RESPONSES, problem
from nurtura.engine.state import Event
from nurtura.errors import BadInput
from nurtura.runtime.ingest import parse_message

MAX_MESSAGE = 32 * 1024
MAX_BATCH = 500 * 1024

router = APIRouter(prefix="/v1", tags=["ingestion"], dependencies=[Depends(require("write"))],
                   responses=RESPONSES)

_BODY = {"requestBody": {"required": True, "content": {"application/json": {"schema": {
    "type": "object", "additionalProperties": True}}}}}


async def _json(request: Request, limit: int) -> tuple[Any, int]:
    """The parsed body and its size in bytes."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _TooLarge(limit)
    raw = await request.body()
    if request.headers.get("content-encoding", "").lower() == "gzip":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError):
            raise BadInput("the body is not valid gzip", field="body") from None
    if len(raw) > limit:
        raise _TooLarge(limit)
    try:
        body = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BadInput(f"the body is not valid JSON ({exc})", field="body") from None
    return body, len(raw)


class _TooLarge(Exception):
    def __init__(self, limit: int) -> None:
        self.limit = limit


def _one(msg: Any, kind: str | None, now: datetime) -> Event:
    if isinstance(msg, dict) and kind is not None:
        msg = {**msg, "type": kind}
    return parse_message(msg, now)


async def _store(request: Request, events: list[Event]) -> None:
    """Commit (grouped with concurrent requests) and wake the worker."""
    await request.app.state.ingest.submit(events)
    if events:
        request.app.state.wake()


async def _single(request: Request, kind: str) -> JSONResponse:
    try:
        msg, _ = await _json(request, MAX_MESSAGE)
    except _TooLarge as big:
        return problem(413, f"a message may be at most {big.limit} bytes (as Segment's API)")
    await _store(request, [_one(msg, kind, request.app.state.clock.now())])
    return JSONResponse({"success": True})


@router.post("/track", openapi_extra=_BODY)
async def track(request: Request) -> JSONResponse:
    """Record an event of a contact (Segment `track`)."""
    return await _single(request, "track")


@router.post("/identify", openapi_extra=_BODY)
async def identify(request: Request) -> JSONResponse:
    """Set a contact's traits (Segment `identify`)."""
    return await _single(request, "identify")


@router.post("/page", openapi_extra=_BODY)
async def page(request: Request) -> JSONResponse:
    """A page visit (Segment `page`), stored as `page.visited`."""
    return await _single(request, "page")


@router.post("/batch", openapi_extra=_BODY)
async def batch(request: Request) -> JSONResponse:
    """Many messages at once; good ones are kept, bad ones named by index and field."""
    try:
        body, size = await _json(request, MAX_BATCH)
    except _TooLarge as big:
        return problem(413, f"a batch may be at most {big.limit} bytes (as Segment's API)")
    if not isinstance(body, dict) or not isinstance(body.get("batch"), list):
        raise BadInput("'batch' must be a list of messages", field="batch")
    shared = body.get("context") if isinstance(body.get("context"), dict) else None
    events, errors = [], []
    now = request.app.state.clock.now()
    small = size <= MAX_MESSAGE  # then no message in it can be too large
    for i, msg in enumerate(body["batch"]):
        try:
            if not small and isinstance(msg, dict) and len(json.dumps(msg)) > MAX_MESSAGE:
                raise BadInput(f"a message may be at most {MAX_MESSAGE} bytes", field="")
            if shared and isinstance(msg, dict):
                msg = {**msg, "context": {**shared, **(msg.get("context") or {})}}
            events.append(_one(msg, None, now))
        except BadInput as exc:
            errors.append({"index": i, "field": exc.field, "message": str(exc)})
    await _store(request, events)
    if not errors:
        return JSONResponse({"success": True})
    status = 200 if events else 400
    return JSONResponse({"success": False, "accepted": len(events), "errors": errors},
                        status_code=status)
