"""The template library (the seed processes, importable in one click) and the catalogue of
names the editor offers in its dropdowns."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request

from nurtura import library
from nurtura.api.auth import require
from nurtura.api.problems import RESPONSES
from nurtura.errors import UnknownProcess
from nurtura.model.validate import ACTIONS
from nurtura.store import admin
from nurtura.store import templates as store_templates
from nurtura.store.sql import Store

router = APIRouter(tags=["library"], dependencies=[Depends(require("admin"))],
                   responses=RESPONSES)

SPEC_EVENTS = [
    "contact.created", "field.changed", "tag.added", "tag.removed", "list.added",
    "list.removed", "email.sent", "email.opened", "email.clicked", "email.bounced",
    "email.unsubscribed", "sms.sent", "sms.unsubscribed", "subscription.changed",
    "score.changed", "stage.changed", "note.added", "owner.changed", "rfm.changed",
    "process.entered", "process.completed", "process.exited", "order.created", "order.paid",
    "order.cancelled", "order.refunded", "form.submitted", "page.visited",
    "webinar.registered", "webinar.attended", "course.enrolled", "lesson.opened", "identify",
]


@router.get("/api/library")
def list_library() -> list[dict[str, Any]]:
    """The shipped templates: each a seed process with the rules and campaigns it needs."""
    return library.bundles()


@router.post("/api/library/{slug}", status_code=201)
def use_template(request: Request, slug: str) -> dict[str, Any]:
    """Create the template's processes (disabled; existing names get a new version)."""
    store: Store = request.app.state.store
    bundle = next((b for b in library.bundles() if b["slug"] == slug), None)
    if bundle is None:
        raise UnknownProcess(f"no library template {slug!r}")
    now = request.app.state.clock.now()
    procs = library.bundle_processes(slug)
    store_templates.import_library(store, now, {
        n.template for p in procs for n in p.nodes.values() if getattr(n, "template", None)})
    ids = [store.save_process(p, now)[0] for p in procs]
    return {"ids": ids}


@router.get("/api/catalog")
def catalog(request: Request) -> dict[str, Any]:
    """Known events, templates, tags, lists, processes and funnels, for the editor."""
    store: Store = request.app.state.store
    tags: set[str] = set()
    lists: set[str] = set()
    funnels: dict[str, set[str]] = {}
    templates = set(library.template_names()) | store_templates.names(store)
    docs = [store.process_doc(i.name) for i in store.list_processes()]
    docs += [library.raw(f) for f in library.FILES]
    for doc in docs:
        for node in doc.get("nodes", {}).values():
            if node.get("tag"):
                tags.add(node["tag"])
            if node.get("list"):
                lists.add(node["list"])
            if node.get("template"):
                templates.add(node["template"])
            if node.get("funnel"):
                funnels.setdefault(node["funnel"], set()).add(node.get("stage", ""))
    seen = admin.known_names(store)["events"]
    return {
        "events": SPEC_EVENTS + sorted(set(seen) - set(SPEC_EVENTS)),
        "templates": sorted(templates),
        "tags": sorted(tags),
        "lists": sorted(lists),
        "processes": [i.name for i in store.list_processes()],
        "funnels": {k: sorted(v - {""}) for k, v in funnels.items()},
        "actions": list(ACTIONS),
    }
