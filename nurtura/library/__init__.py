"""The shipped process templates (the five seed processes) and their email templates."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from nurtura.model.validate import Process, load_process

FILES = (
    "personal-offer.json",
    "course-reminder.json",
    "unpaid-invoice.json",
    "lead-to-buyer.json",
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
    """Every shipped process, checked against the shipped templates."""
    out = []
    for name in FILES:
        doc = raw(name)
        out.append(load_process(doc, template_names()))
    return out
