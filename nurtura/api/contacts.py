"""Contacts (create/update as identify, card, search, GDPR erase) and runs (list, history,
exit by hand). Changes go through the event pipeline, so the worker applies them in order."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Body, Depends, Query, Request, Response

from nurtura.api.auth import require
from nurtura.api.problems import RESPONSES
from nurtura.engine import timing
from nurtura.engine.state import Contact, Event
from nurtura.errors import BadInput, UnknownContact
from nurtura.runtime.ingest import parse_message
from nurtura.store import admin
from nurtura.store.sql import Store

router = APIRouter(tags=["contacts"], dependencies=[Depends(require("admin"))],
                   responses=RESPONSES)


def _store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def card(store: Store, c: Contact) -> dict[str, Any]:
    names = {i.id: i.name for i in store.list_processes()}
    active = [
        {"run": r.id, "process": names.get(r.process_id), "node": r.node,
         "since": r.node_since, "wake_at": r.wake_at}
        for r, _ in store.runs_of(c.id) if r.status == "active"
    ]
    return {
        "id": c.id, "email": c.email, "phone": c.phone, "timezone": c.timezone,
        "created_at": c.created_at, "fields": c.fields, "tags": sorted(c.tags),
        "lists": sorted(c.lists), "subscribed": c.subscribed, "bounced": c.bounced,
        "total_paid": c.total_paid, "orders": [o.to_json() for o in c.orders.values()],
        "score": c.score, "stages": c.stages, "owner": c.owner, "notes": c.notes,
        "rfm": c.rfm, "active_runs": active,
    }


def _ingest(request: Request, event: Event) -> None:
    _store(request).ingest([event])
    request.app.state.wake()


@router.put("/api/contacts/{contact_id}", status_code=202)
def put_contact(request: Request, contact_id: str,
                traits: dict[str, Any] = Body(..., examples=[{"email": "ann@example.com",
                                                               "first_name": "Ann"}])) -> Any:
    """Create or update a contact: the same as a Segment identify with these traits."""
    msg = {"type": "identify", "userId": contact_id, "traits": traits}
    event = parse_message(msg, request.app.state.clock.now())
    _ingest(request, event)
    return {"accepted": True, "messageId": event.message_id}


@router.get("/api/contacts/{contact_id}")
def get_contact(request: Request, contact_id: str) -> dict[str, Any]:
    """The contact card: traits, tags, lists, consent, orders, score, and where its runs are."""
    store = _store(request)
    c = store.get_contact(contact_id)
    if c is None:
        raise UnknownContact(f"no contact {contact_id!r}")
    return card(store, c)


@router.get("/api/contacts")
def search(request: Request, email: str | None = None, tag: str | None = None,
           list: str | None = None,
           field: str | None = Query(None, description="NAME:VALUE"),
           cursor: str | None = None, limit: int = Query(50, ge=1, le=500)) -> dict[str, Any]:
    """Contacts matching every criterion given, ordered by id; pass `next` as `cursor`."""
    pair = None
    if field is not None:
        name, sep, value = field.partition(":")
        if not sep or not name:
            raise BadInput("'field' takes NAME:VALUE, e.g. city:Delft", field="field")
        pair = (name, value)
    store = _store(request)
    found, nxt = admin.search_contacts(store, email=email, tag=tag, list_=list, field=pair,
                                       cursor=cursor, limit=limit)
    return {"items": [card(store, c) for c in found], "next": nxt}


@router.delete("/api/contacts/{contact_id}", status_code=204)
def erase(request: Request, contact_id: str) -> Response:
    """GDPR erasure: the contact, its events, runs with their history, and its messages."""
    if not admin.erase_contact(_store(request), contact_id):
        raise UnknownContact(f"no contact {contact_id!r}")
    return Response(status_code=204)


@router.get("/api/contacts/{contact_id}/runs")
def runs(request: Request, contact_id: str) -> list[dict[str, Any]]:
    """The contact's runs, oldest first, each with its history (what happened and why)."""
    store = _store(request)
    names = {i.id: i.name for i in store.list_processes()}
    return [
        {"run": r.id, "process": names.get(r.process_id), "status": r.status, "node": r.node,
         "started_at": r.started_at, "ended_at": r.ended_at, "reason": r.reason,
         "vars": r.vars, "history": [
             {"at": timing.iso(datetime.fromtimestamp(h[0], UTC)), "steps": h[1:]}
             if isinstance(h[0], int) else {"note": h}
             for h in hist]}
        for r, hist in store.runs_of(contact_id)
    ]


@router.post("/api/runs/{run_id}/exit", status_code=202)
def exit_run(request: Request, run_id: str) -> dict[str, Any]:
    """Take a contact out of a run by hand (reason `manual`)."""
    found = admin.run_contact(_store(request), run_id)
    if found is None or found[1] != "active":
        raise UnknownContact(f"no active run {run_id!r}")
    now = request.app.state.clock.now()
    _ingest(request, Event("run.exit", found[0], now, f"exit:{run_id}",
                           {"run_id": run_id, "reason": "manual"}))
    return {"accepted": True}
