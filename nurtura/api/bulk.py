"""Bulk contacts over HTTP: an import job with progress, and an export download."""

from __future__ import annotations

import io
import logging
import threading
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from nurtura.api.auth import require
from nurtura.api.problems import RESPONSES
from nurtura.errors import BadInput, UnknownContact
from nurtura.runtime import contacts_io
from nurtura.store import admin
from nurtura.store.sql import Store

log = logging.getLogger("nurtura.api")
router = APIRouter(tags=["contacts"], dependencies=[Depends(require("admin"))],
                   responses=RESPONSES)
_BODY = {"requestBody": {"required": True, "content": {
    "text/csv": {"schema": {"type": "string"}},
    "application/x-ndjson": {"schema": {"type": "string"}}}}}


class Jobs:
    """Import jobs of this server process (kept in memory; a restart forgets them)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.items: dict[str, dict[str, Any]] = {}

    def start(self, store: Store, text: str, fmt: str, mapping: dict[str, str],
              request: Request) -> str:
        job_id = uuid.uuid4().hex[:12]
        state: dict[str, Any] = {"id": job_id, "status": "running", "total": None, "done": 0}
        with self.lock:
            self.items[job_id] = state

        def progress(done: int, total: int) -> None:
            state.update(done=done, total=total)

        def run() -> None:
            try:
                report = contacts_io.import_text(store, text, fmt, mapping,
                                                 request.app.state.clock.now(), progress)
                state.update(status="done", total=report.total, done=report.total,
                             imported=report.imported, unchanged=report.unchanged,
                             errors=[{"line": n, "reason": r} for n, r in report.errors])
                request.app.state.wake()
            except BadInput as exc:
                state.update(status="failed", errors=[{"line": None, "reason": str(exc)}])
            except Exception as exc:  # a job must always end with a status
                log.exception("import job %s failed", job_id)
                state.update(status="failed", errors=[{"line": None, "reason": repr(exc)}])

        threading.Thread(target=run, name=f"import-{job_id}", daemon=True).start()
        return job_id

    def get(self, job_id: str) -> dict[str, Any]:
        with self.lock:
            state = self.items.get(job_id)
        if state is None:
            raise UnknownContact(f"no import job {job_id!r}")
        return dict(state)


@router.post("/api/contacts/import", status_code=202, openapi_extra=_BODY)
async def start_import(
    request: Request,
    format: Annotated[str, Query(pattern="^(csv|jsonl)$")] = "csv",
    map: Annotated[list[str] | None, Query(description="COLUMN=TARGET")] = None,
) -> dict[str, Any]:
    """Start importing a CSV or JSON-lines body; poll `/api/jobs/{id}` for progress."""
    mapping = {}
    for pair in map or []:
        column, sep, target = pair.partition("=")
        if not sep:
            raise BadInput(f"'map': {pair!r} is not COLUMN=TARGET", field="map")
        mapping[column] = target
    raw = await request.body()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BadInput("the body is not UTF-8 text", field="body") from None
    contacts_io.mapping_of([], mapping)  # a bad --map target fails now, not in the job
    jobs: Jobs = request.app.state.jobs
    return {"job": jobs.start(request.app.state.store, text, format, mapping, request)}


@router.get("/api/jobs/{job_id}")
def job(request: Request, job_id: str) -> dict[str, Any]:
    """Progress of an import: status, total, done, imported, unchanged, errors by line."""
    jobs: Jobs = request.app.state.jobs
    return jobs.get(job_id)


@router.get("/api/contacts-export", response_class=Response, responses={200: {
    "description": "The contacts", "content": {"application/x-ndjson": {"schema": {
        "type": "string"}}, "text/csv": {"schema": {"type": "string"}}}}})
def export(request: Request,
           format: Annotated[str, Query(pattern="^(csv|jsonl)$")] = "jsonl",
           ) -> Response:
    """Every contact as JSON lines (the import format) or CSV."""
    buf = io.StringIO()
    contacts_io.write_export(admin.iter_contacts(request.app.state.store), format, buf)
    media = "text/csv" if format == "csv" else "application/x-ndjson"
    return Response(buf.getvalue(), media_type=media)
