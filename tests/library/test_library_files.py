"""The shipped library as files: every process loads, round-trips, is laid out for the
editor, and uses only shipped templates, which are complete and written in valid Liquid."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from nurtura import library
from nurtura.cli import app
from nurtura.model.process import ActionNode, TriggerNode, node_targets
from nurtura.model.validate import load_process
from tests.library.sim import LIBRARY

SEEDS = {  # SPEC "Templates" 1–5 → the process that implements it
    "personal-offer.json": "Personal offer",
    "course-reminder.json": "Course reminder",
    "unpaid-invoice.json": "Unpaid invoice follow-up",
    "lead-to-buyer.json": "Lead to buyer",
    "auto-webinar.json": "Auto-webinar",
}
LOOPS_BACK = {  # the edges that close a loop and so point up in the editor
    ("next_check", "is_customer"),  # lead to buyer: check again tomorrow
    ("attended_2", "bought"),  # auto-webinar: came to the second session
}
VARIABLE = re.compile(r"\{\{\s*([A-Za-z_][\w.]*)")
ALLOWED_ROOTS = ("contact.fields.", "order.", "vars.", "unsubscribe_url")


def used_templates(doc: dict[str, Any]) -> set[str]:
    return {n["template"] for n in doc["nodes"].values() if "template" in n}


def test_every_json_file_in_the_library_is_listed_and_loads() -> None:
    on_disk = sorted(p.name for p in LIBRARY.glob("*.json"))
    assert sorted(library.FILES) == on_disk
    loaded = library.processes()
    assert [p.name for p in loaded] == [library.raw(f)["name"] for f in library.FILES]
    assert len({p.name for p in loaded}) == len(loaded)
    for file, name in SEEDS.items():
        assert library.raw(file)["name"] == name


@pytest.mark.parametrize("file", library.FILES)
def test_process_file_round_trips_exactly(file: str) -> None:
    doc = library.raw(file)
    assert load_process(doc, library.template_names()).file.to_json_obj() == doc


@pytest.mark.parametrize("file", library.FILES)
def test_process_file_has_a_description_and_a_top_to_bottom_layout(file: str) -> None:
    doc = library.raw(file)
    assert doc["nurtura"] == 1
    desc = doc["description"]
    assert isinstance(desc, str) and 20 < len(desc) < 300 and "\n" not in desc
    ui = doc["ui"]
    assert set(ui) == set(doc["nodes"])
    assert all(set(p) == {"x", "y"} and all(isinstance(v, int) for v in p.values())
               for p in ui.values())
    assert len({(p["x"], p["y"]) for p in ui.values()}) == len(ui)  # no two nodes overlap
    proc = load_process(doc, library.template_names())
    top = min(p["y"] for p in ui.values())
    for nid, node in proc.nodes.items():
        if isinstance(node, TriggerNode):
            assert ui[nid]["y"] == top
        for _, target in node_targets(node):  # edges point down, except loops back
            back = ui[target]["y"] <= ui[nid]["y"]
            assert back == ((nid, target) in LOOPS_BACK), (nid, target)


def test_every_shipped_template_is_used_and_every_used_one_exists() -> None:
    used = set().union(*(used_templates(library.raw(f)) for f in library.FILES))
    assert used == library.template_names()


EMAILS = sorted(n for n, t in library.templates().items() if t["channel"] == "email")
SMS = sorted(n for n, t in library.templates().items() if t["channel"] == "sms")


@pytest.mark.parametrize("name", EMAILS)
def test_email_template_is_complete_and_its_liquid_is_sane(name: str) -> None:
    t = library.templates()[name]
    assert set(t) - {"category"} == {"channel", "subject", "html", "text"}
    assert t.get("category", "marketing") in ("marketing", "transactional")
    assert all(isinstance(t[k], str) and t[k].strip() for k in ("subject", "html", "text"))
    for key in ("subject", "html", "text"):
        body = t[key]
        assert body.count("{{") == body.count("}}"), key
        assert "{%" not in body  # output tags only: nothing a renderer could choke on
        for var in VARIABLE.findall(body):
            assert var.startswith(ALLOWED_ROOTS), (key, var)
    assert "{{ unsubscribe_url }}" in t["html"] and "{{ unsubscribe_url }}" in t["text"]
    assert "<" not in t["text"]  # the text part carries no markup
    assert "contact.fields.first_name" in t["html"]


@pytest.mark.parametrize("name", SMS)
def test_sms_template_is_one_short_text_without_markup(name: str) -> None:
    t = library.templates()[name]
    assert set(t) - {"category"} == {"channel", "text"}
    assert "<" not in t["text"] and "{%" not in t["text"]
    assert all(v.startswith(ALLOWED_ROOTS) for v in VARIABLE.findall(t["text"]))
    assert len(t["text"]) < 300


def test_library_ships_sms_and_marks_transactional_messages() -> None:
    ts = library.templates()
    assert SMS == ["webinar-reminder-sms"]
    transactional = sorted(n for n, t in ts.items() if t.get("category") == "transactional")
    assert transactional == ["invoice-thanks", "webinar-confirmation", "webinar-reminder-15m",
                             "webinar-reminder-1h", "webinar-reminder-sms"]


def test_invoice_emails_carry_the_pay_link_and_webinar_emails_the_session_time() -> None:
    ts = library.templates()
    for n in (1, 2, 3):
        t = ts[f"invoice-objection-{n}"]
        assert "{{ order.pay_url }}" in t["html"] and "{{ order.pay_url }}" in t["text"]
    for name in ("webinar-confirmation", "webinar-reminder-1h", "webinar-invitation"):
        assert "vars.webinar_at" in ts[name]["html"] and "vars.webinar_at" in ts[name]["text"]


def test_campaign_starts_name_shipped_processes() -> None:
    names = {library.raw(f)["name"] for f in library.FILES}
    for f in library.FILES:
        for node in load_process(library.raw(f)).nodes.values():
            if isinstance(node, ActionNode) and node.do in ("start_process", "stop_process"):
                assert node.process in names


def test_cli_validates_every_shipped_file_against_the_shipped_templates() -> None:
    files = [str(LIBRARY / f) for f in library.FILES]
    result = CliRunner().invoke(
        app, ["process", "validate", *files, "--templates", str(LIBRARY / "templates")]
    )
    assert result.exit_code == 0, result.output
    assert result.output.count("ok ") == len(files)


def test_cli_imports_and_exports_every_shipped_file_unchanged(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'lib.db'}"
    runner = CliRunner()
    files = [str(LIBRARY / f) for f in library.FILES]
    result = runner.invoke(app, ["process", "import", *files, "--db", db])
    assert result.exit_code == 0, result.output
    for f in library.FILES:
        out = tmp_path / "export.json"
        doc = library.raw(f)
        result = runner.invoke(app, ["process", "export", doc["name"], "--db", db,
                                     "--out", str(out)])
        assert result.exit_code == 0, result.output
        assert json.loads(out.read_text(encoding="utf-8")) == doc


def test_bundles_hold_every_shipped_file_once_each_seed_first() -> None:
    files = [f for _, _, fs in library.BUNDLES for f in fs]
    assert sorted(files) == sorted(library.FILES)
    assert [fs[0] for _, _, fs in library.BUNDLES] == list(SEEDS)
    for bundle in library.bundles():
        procs = library.bundle_processes(bundle["slug"])
        assert [p.name for p in procs] == bundle["processes"]
