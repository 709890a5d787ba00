"""The shipped process templates (the five seed processes, their helper rules and
campaigns) and their email templates."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from nurtura.model.validate import Process, load_process

# In the order of SPEC "Templates"; each seed process is followed by the rules and campaigns
# it works with (a tag-setting rule, the campaigns it starts).
FILES = (
    "personal-offer.json",
    "course-reminder.json",
    "lesson-opened-tag.json",
    "unpaid-invoice.json",
    "lead-to-buyer.json",
    "campaign-1.json",
    "campaign-2.json",
    "customer-1-tag.json",
    "auto-webinar.json",
)


def raw(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        resources.files(__package__).joinpath(name).read_text(encoding="utf-8")
    )
    return data


def templates() -> dict[str, dict[str, Any]]:
    """Shipped message templates by name: {"channel", "subject"?, "html"?, "text"}."""
    folder = resources.files(__package__).joinpath("templates")
    out = {}
    for p in folder.iterdir():
        if p.name.endswith(".json"):
            out[p.name[: -len(".json")]] = json.loads(p.read_text(encoding="utf-8"))
    return out


def template_names() -> set[str]:
    return set(templates())


def processes() -> list[Process]:
    """Every shipped process, checked against the shipped templates and against each other
    (a `start_process`/`stop_process` must name a shipped process)."""
    docs = [raw(name) for name in FILES]
    names = {str(d.get("name")) for d in docs}
    catalogue = template_names()
    return [load_process(doc, catalogue, names) for doc in docs]


# The library as the editor shows it: one entry per seed, with every file it needs.
BUNDLES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("personal-offer", "Personal offer after an order", ("personal-offer.json",)),
    ("course-reminder", "Remind students who did not start the course",
     ("course-reminder.json", "lesson-opened-tag.json")),
    ("unpaid-invoice", "Unpaid invoice follow-up", ("unpaid-invoice.json",)),
    ("lead-to-buyer", "From lead to buyer: campaign 1, then campaign 2",
     ("lead-to-buyer.json", "campaign-1.json", "campaign-2.json", "customer-1-tag.json")),
    ("auto-webinar", "Auto-webinar: nearest session, reminders, follow-up",
     ("auto-webinar.json",)),
)


def bundles() -> list[dict[str, Any]]:
    """Slug, title, one line (the first process's description) and the process names."""
    out = []
    for slug, title, files in BUNDLES:
        docs = [raw(f) for f in files]
        out.append({"slug": slug, "name": title, "description": docs[0].get("description", ""),
                     "processes": [d["name"] for d in docs]})
    return out


def bundle_processes(slug: str) -> list[Process]:
    files = next(f for s, _, f in BUNDLES if s == slug)
    return [load_process(raw(f), template_names()) for f in files]
