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


def template_names() -> set[str]:
    folder = resources.files(__package__).joinpath("emails")
    return {p.name.rsplit(".", 1)[0] for p in folder.iterdir() if p.name.endswith(".liquid")}


def processes() -> list[Process]:
    """Every shipped process, checked against the shipped templates."""
    out = []
    for name in FILES:
        doc = raw(name)
        out.append(load_process(doc, template_names()))
    return out
