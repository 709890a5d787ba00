"""Message templates (CRUD, preview), bundles (processes with the templates they send, to
export and import together) and per-node message analytics."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import BaseModel, Field

from nurtura.api.auth import require
from nurtura.api.problems import RESPONSES
from nurtura.api.tracking import links
from nurtura.channels import context
from nurtura.channels import templates as tpl
from nurtura.errors import BadInput, Conflict, UnknownContact, UnknownProcess, UnknownTemplate
from nurtura.model.validate import load_process
from nurtura.store import templates as store_templates
from nurtura.store import tracking
from nurtura.store.sql import Store

router = APIRouter(tags=["templates"], dependencies=[Depends(require("admin"))],
                   responses=RESPONSES)
Name = Annotated[str, Path(min_length=1, max_length=200)]
Id = Annotated[int, Path(ge=1, le=2_147_483_647)]


class TemplateIn(BaseModel):
    """An email (subject, html and/or text) or an SMS (text), in Liquid."""

    channel: str = Field("email", examples=["email"])
    category: str = Field("marketing", examples=["marketing", "transactional"])
    subject: str | None = Field(None, examples=["Your order {{ order.id }}"])
    html: str | None = Field(None, examples=["<p>Hi {{ contact.fields.first_name }}</p>"])
    text: str | None = None


class NamedTemplate(TemplateIn):
    name: str = Field(min_length=1, max_length=200, examples=["welcome"])


class PreviewIn(BaseModel):
    """Whose data to render with: a stored contact (`contact_id`: its orders give `order`)
    and/or variables given here (`contact`, `event`, `order`, `vars`), which win."""

    contact_id: str | None = Field(None, max_length=200)
    contact: dict[str, Any] | None = None
    event: dict[str, Any] | None = None
    order: dict[str, Any] | None = None
    vars: dict[str, Any] | None = None
    timezone: str | None = Field(None, max_length=100)


class PreviewUnsaved(PreviewIn):
    template: TemplateIn


def _store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def _make(name: str, body: TemplateIn) -> tpl.Template:
    return tpl.from_json(name, body.model_dump())


def _full(store: Store, t: tpl.Template) -> dict[str, Any]:
    return {"name": t.name, "channel": t.channel, "category": t.category,
            "subject": t.subject, "html": t.html, "text": t.text,
            "used_by": store_templates.users(store, t.name)}


@router.get("/api/templates")
def list_templates(request: Request) -> list[dict[str, Any]]:
    """Every template: name, channel, category, subject, times."""
    return store_templates.list_all(_store(request))


@router.post("/api/templates", status_code=201)
def create_template(request: Request, body: NamedTemplate) -> dict[str, Any]:
    """Create a template; 409 if the name is taken, 400 naming the field at fault."""
    t = _make(body.name, body)
    store_templates.put(_store(request), t, request.app.state.clock.now(), must_be_new=True)
    return _full(_store(request), t)


@router.get("/api/templates/{name}")
def get_template(request: Request, name: Name) -> dict[str, Any]:
    """The template with the processes that send it."""
    t = store_templates.get(_store(request), name)
    if t is None:
        raise UnknownTemplate(f"no template named {name!r}")
    return _full(_store(request), t)


@router.put("/api/templates/{name}")
def put_template(request: Request, name: Name, body: TemplateIn) -> dict[str, Any]:
    """Create or replace; messages not yet sent use the new text."""
    t = _make(name, body)
    created = store_templates.put(_store(request), t, request.app.state.clock.now())
    return {**_full(_store(request), t), "created": created}


@router.delete("/api/templates/{name}", status_code=204)
def delete_template(request: Request, name: Name,
                    force: Annotated[bool, Query()] = False) -> Response:
    """Delete; 409 while a process sends it (unless `force`)."""
    store = _store(request)
    users = store_templates.users(store, name)
    if users and not force:
        raise Conflict(f"template {name!r} is sent by {', '.join(users)}")
    if not store_templates.remove(store, name):
        raise UnknownTemplate(f"no template named {name!r}")
    return Response(status_code=204)


def _preview(request: Request, t: tpl.Template, body: PreviewIn) -> dict[str, Any]:
    store = _store(request)
    contact = None
    if body.contact_id is not None:
        contact = store.get_contact(body.contact_id)
        if contact is None:
            raise UnknownContact(f"no contact {body.contact_id!r}")
    payload: dict[str, Any] = {"event": body.event, "vars": body.vars}
    data = context.build(contact, payload, links(request).base + "/u/preview")
    if body.contact is not None:
        data["contact"] = {**data["contact"], **body.contact}
    if body.order is not None:
        data["order"] = body.order
    tz = body.timezone or context.contact_zone(contact, None)
    try:
        r = tpl.render(t, data, tz=tz, now=request.app.state.clock.now())
    except Exception as exc:
        raise BadInput(f"the template does not render: {exc}", field="template") from None
    return {"subject": r.subject if t.channel == "email" else None, "html": r.html,
            "text": r.text, "missing": r.missing}


@router.post("/api/templates/preview")
def preview_unsaved(request: Request, body: PreviewUnsaved) -> dict[str, Any]:
    """Render a template that is not saved (the editor, while typing)."""
    return _preview(request, _make("preview", body.template), body)


@router.post("/api/templates/{name}/preview")
def preview(request: Request, name: Name, body: PreviewIn) -> dict[str, Any]:
    """Render with a contact's data: subject, HTML, text, and the variables that were
    missing (they render as empty; a `default` filter covers one)."""
    t = store_templates.get(_store(request), name)
    if t is None:
        raise UnknownTemplate(f"no template named {name!r}")
    return _preview(request, t, body)


# -- bundles: processes with their templates ---------------------------------------------------


def bundle(store: Store, name: str) -> dict[str, Any]:
    """The process, every process it starts or stops (transitively), and their templates."""
    docs: dict[str, dict[str, Any]] = {}
    todo = [name]
    known = {i.name for i in store.list_processes()}
    while todo:
        n = todo.pop()
        if n in docs or n not in known:
            continue
        docs[n] = store.process_doc(n)
        todo += [str(node["process"]) for node in docs[n].get("nodes", {}).values()
                 if node.get("do") in ("start_process", "stop_process") and node.get("process")]
    used = set().union(*(store_templates.used_in(d) for d in docs.values()))
    found = store_templates.get_many(store, used)
    return {"nurtura_bundle": 1, "processes": list(docs.values()),
            "templates": {k: found[k].to_json() for k in sorted(found)}}


def import_bundle(store: Store, doc: Any, now: Any) -> dict[str, Any]:
    """Templates first (all checked before any is saved), then processes."""
    if not isinstance(doc, dict) or doc.get("nurtura_bundle") != 1:
        raise BadInput("not a bundle: expected {\"nurtura_bundle\": 1, \"processes\": [...], "
                       "\"templates\": {...}}", field="nurtura_bundle")
    raw_templates = doc.get("templates") or {}
    raw_processes = doc.get("processes") or []
    if not isinstance(raw_templates, dict) or not isinstance(raw_processes, list):
        raise BadInput("'templates' is an object by name, 'processes' a list",
                       field="templates")
    made = [tpl.from_json(str(k), v) for k, v in raw_templates.items()]
    procs = [load_process(p) for p in raw_processes]
    for t in made:
        store_templates.put(store, t, now)
    ids = [store.save_process(p, now)[0] for p in procs]
    return {"processes": ids, "templates": [t.name for t in made]}


@router.get("/api/processes/{process_id}/bundle")
def export_bundle(request: Request, process_id: Id) -> dict[str, Any]:
    """The process with the processes it starts and every template they send."""
    store = _store(request)
    info = next((i for i in store.list_processes() if i.id == process_id), None)
    if info is None:
        raise UnknownProcess(f"no process with id {process_id}")
    return bundle(store, info.name)


@router.post("/api/bundles", status_code=201)
def post_bundle(request: Request, doc: dict[str, Any]) -> dict[str, Any]:
    """Import a bundle: its templates (created or replaced), then its processes."""
    out = import_bundle(_store(request), doc, request.app.state.clock.now())
    request.app.state.wake()
    return out


@router.get("/api/processes/{process_id}/messages")
def message_analytics(request: Request, process_id: Id) -> dict[str, Any]:
    """Per message node: sent, delivered, opened, clicked, unsubscribed, bounced, each as
    {unique, total}; also queued (at the step), skipped and undelivered."""
    store = _store(request)
    info = next((i for i in store.list_processes() if i.id == process_id), None)
    if info is None:
        raise UnknownProcess(f"no process with id {process_id}")
    nodes = store.process_doc(info.name).get("nodes", {})
    return {"process": info.name, "nodes": tracking.message_stats(store, info.id, nodes)}
