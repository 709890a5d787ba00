"""Processes: list, create, get, update (a new version), rename, enable, disable, delete,
reset statistics, validate, import/export, versions and their diff, statistics."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Query, Request, Response
from fastapi import Path as PathParam
from pydantic import BaseModel, Field
from sqlalchemy.exc import IntegrityError

from nurtura.api.auth import require
from nurtura.api.problems import RESPONSES
from nurtura.errors import Conflict, UnknownProcess
from nurtura.model.validate import load_process
from nurtura.store import admin
from nurtura.store.sql import ProcessInfo, Store

router = APIRouter(prefix="/api/processes", tags=["processes"],
                   dependencies=[Depends(require("admin"))],
                   responses=RESPONSES)
DOC = Body(..., description="A process file (format 1)", examples=[{
    "nurtura": 1, "name": "Welcome", "nodes": {
        "start": {"type": "trigger", "event": "contact.created", "next": "end"},
        "end": {"type": "end"}}}])


Id = Annotated[int, PathParam(ge=1, le=2_147_483_647)]


class Created(BaseModel):
    id: int
    version: int


class Patch(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    reentry: str | None = Field(default=None, pattern="^(once|always|if_not_active)$")


def _store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def _info(store: Store, process_id: int) -> ProcessInfo:
    for info in store.list_processes():
        if info.id == process_id:
            return info
    raise UnknownProcess(f"no process with id {process_id}")


def _summary(store: Store, info: ProcessInfo, activity: dict[int, Any]) -> dict[str, Any]:
    s = store.stats(info.id)
    doc = store.process_doc(info.id)
    return {
        "id": info.id, "name": info.name, "enabled": info.enabled, "version": info.version,
        "reentry": doc.get("reentry", "if_not_active"),
        "triggers": sum(1 for n in doc["nodes"].values() if n.get("type") == "trigger"),
        "stats": {k: s[k] for k in ("entered", "active", "completed", "exited", "failed")},
        "last_activity": activity.get(info.id),
    }


def _save(request: Request, doc: Any, *, must_be_new: bool = False,
          process_id: int | None = None) -> Created:
    store = _store(request)
    process = load_process(doc)
    names = {i.name: i.id for i in store.list_processes()}
    if must_be_new and process.name in names:
        raise Conflict(f"a process named {process.name!r} exists already")
    if process_id is not None and names.get(process.name, process_id) != process_id:
        raise Conflict(f"another process is named {process.name!r}")
    if process_id is not None:
        info = _info(store, process_id)
        if info.name != process.name:
            admin.rename_process(store, process_id, process.name)
    try:
        pid, version = store.save_process(process, request.app.state.clock.now())
    except IntegrityError:
        raise Conflict(f"a process named {process.name!r} exists already") from None
    request.app.state.wake()
    return Created(id=pid, version=version)


@router.get("")
def list_processes(request: Request) -> list[dict[str, Any]]:
    """Every process with its state and counters."""
    store = _store(request)
    activity = admin.last_activity(store)
    return [_summary(store, info, activity) for info in store.list_processes()]


@router.post("", status_code=201)
def create_process(request: Request, doc: dict[str, Any] = DOC) -> Created:
    """Create a process from a process file; `{}` makes an empty one named by the time."""
    if not doc:
        now = request.app.state.clock.now()
        doc = {"nurtura": 1, "name": f"Process from {now:%Y-%m-%d %H:%M}", "nodes": {
            "start": {"type": "trigger", "event": "contact.created", "next": "end"},
            "end": {"type": "end"}}}
        names = {i.name for i in _store(request).list_processes()}
        base, n = doc["name"], 2
        while doc["name"] in names:
            doc["name"], n = f"{base} ({n})", n + 1
    return _save(request, doc, must_be_new=True)


@router.post("/validate")
def validate(doc: dict[str, Any] = DOC) -> dict[str, bool]:
    """Check a process file: `{"ok": true}`, or 422 with every problem and its JSON path."""
    load_process(doc)
    return {"ok": True}


@router.post("/import", status_code=201)
def import_process(request: Request, doc: dict[str, Any] = DOC) -> Created:
    """Import a process file (a new version when the name exists)."""
    return _save(request, doc)


@router.get("/{process_id}")
def get_process(request: Request, process_id: Id) -> dict[str, Any]:
    store = _store(request)
    info = _info(store, process_id)
    return {"id": info.id, "name": info.name, "enabled": info.enabled,
            "version": info.version, "activated_at": info.activated_at,
            "doc": store.process_doc(info.id)}


@router.put("/{process_id}")
def update_process(request: Request, process_id: Id, doc: dict[str, Any] = DOC) -> Created:
    """Publish a new version; active runs continue from their node (or exit node_removed)."""
    _info(_store(request), process_id)
    return _save(request, doc, process_id=process_id)


@router.patch("/{process_id}")
def patch_process(request: Request, process_id: Id, patch: Patch) -> Created:
    """Rename, or change the run limit (reentry): a new version of the file."""
    store = _store(request)
    doc = store.process_doc(_info(store, process_id).id)
    if patch.name is not None:
        doc["name"] = patch.name
    if patch.reentry is not None:
        doc["reentry"] = patch.reentry
    return _save(request, doc, process_id=process_id)


@router.post("/{process_id}/enable")
def enable(request: Request, process_id: Id) -> dict[str, Any]:
    store = _store(request)
    info = store.set_enabled(_info(store, process_id).name, True, request.app.state.clock.now())
    request.app.state.wake()
    return {"id": info.id, "enabled": info.enabled, "activated_at": info.activated_at}


@router.post("/{process_id}/disable")
def disable(request: Request, process_id: Id) -> dict[str, Any]:
    store = _store(request)
    info = store.set_enabled(_info(store, process_id).name, False, request.app.state.clock.now())
    return {"id": info.id, "enabled": info.enabled, "activated_at": info.activated_at}


@router.post("/{process_id}/reset-stats", status_code=204)
def reset_stats(request: Request, process_id: Id) -> Response:
    """Zero the counters; no run is touched."""
    store = _store(request)
    store.reset_stats(_info(store, process_id).id)
    return Response(status_code=204)


@router.delete("/{process_id}", status_code=204)
def delete_process(request: Request, process_id: Id) -> Response:
    """Delete the process with its runs, history, statistics and unsent messages."""
    store = _store(request)
    admin.delete_process(store, _info(store, process_id).id)
    return Response(status_code=204)


@router.get("/{process_id}/export")
def export(request: Request, process_id: Id) -> dict[str, Any]:
    """The process file, exactly as imported or saved."""
    store = _store(request)
    return store.process_doc(_info(store, process_id).id)


@router.get("/{process_id}/versions")
def list_versions(request: Request, process_id: Id) -> list[dict[str, Any]]:
    _info(_store(request), process_id)
    return admin.versions(_store(request), process_id)


@router.get("/{process_id}/versions/{version}")
def get_version(request: Request, process_id: Id, version: Id) -> dict[str, Any]:
    doc = admin.version_doc(_store(request), process_id, version)
    if doc is None:
        raise UnknownProcess(f"process {process_id} has no version {version}")
    return doc


@router.get("/{process_id}/versions/{a}/diff/{b}")
def diff_versions(request: Request, process_id: Id, a: Id, b: Id) -> dict[str, Any]:
    """Nodes added, removed and changed from version a to b, and changed top-level keys."""
    old = admin.version_doc(_store(request), process_id, a)
    new = admin.version_doc(_store(request), process_id, b)
    if old is None or new is None:
        raise UnknownProcess(f"process {process_id} has no version {a if old is None else b}")
    on, nn = old.get("nodes", {}), new.get("nodes", {})
    return {
        "added": sorted(set(nn) - set(on)),
        "removed": sorted(set(on) - set(nn)),
        "changed": sorted(k for k in set(on) & set(nn) if on[k] != nn[k]),
        "settings": sorted(k for k in set(old) | set(new)
                           if k not in ("nodes", "ui") and old.get(k) != new.get(k)),
    }


@router.get("/{process_id}/stats")
def process_stats(request: Request, process_id: Id) -> dict[str, Any]:
    """Counters per process and per node, and entered/completed/exited per day (30 days)."""
    store = _store(request)
    info = _info(store, process_id)
    out = store.stats(info.id)
    out["daily"] = admin.daily(store, info.id, request.app.state.clock.now())
    for node, reasons in admin.failures(store, info.id).items():
        out["nodes"].setdefault(node, {})["failures"] = reasons
    return out


class NodeContact(BaseModel):
    """One run at (or through) a node, with its contact."""

    contact: str = Field(description="The contact's id (`GET /api/contacts/{id}`)")
    run: str = Field(description="The run's id")
    status: str = Field(description="The run's status: active, completed, exited or failed")
    since: datetime = Field(description="`waiting`, `failed`: since when the run is at the "
                            "node; `reached`: when it first got there")
    wake_at: datetime | None = Field(description="When a waiting run wakes up by itself")
    reason: str | None = Field(description="Why the run failed or ended (its outcome)")


class NodeContactsPage(BaseModel):
    items: list[NodeContact]
    next: str | None = Field(description="Pass as `cursor` for the next page; null: no more")


@router.get("/{process_id}/nodes/{node}/contacts", response_model=NodeContactsPage)
def node_contacts(request: Request, process_id: Id, node: str,
                  what: Literal["waiting", "failed", "reached"] = "waiting",
                  cursor: str | None = None,
                  limit: int = Query(100, ge=1, le=500)) -> dict[str, Any]:
    """The runs, with their contacts, waiting at a node now (`what=waiting`, longest waiting
    first), that failed there (`failed`, with the reason), or that passed through it
    (`reached`, newest run first; `since` is when the run got there). A page at a time:
    pass `next` as `cursor`. A contact that entered more than once has a row per run."""
    store = _store(request)
    _info(store, process_id)
    items, nxt = admin.node_contacts(store, process_id, node, what, cursor=cursor, limit=limit)
    return {"items": items, "next": nxt}
