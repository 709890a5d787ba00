"""`nurtura template …`, `nurtura deliver` and the message figures of `process stats`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from nurtura import library
from nurtura.cli import app
from tests.mail import SmtpSink

runner = CliRunner()
LIB = Path(library.__file__).parent


def run(*args: str, env: dict[str, str] | None = None) -> Any:
    return runner.invoke(app, list(args), env=env)


def test_import_list_show_preview_export_delete(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    r = run("template", "import", str(LIB / "templates"), "--db", db)
    assert r.exit_code == 0, r.output
    assert r.output.count("imported template") == len(library.template_names())
    r = run("template", "list", "--db", db)
    assert "invoice-objection-1" in r.output and "marketing" in r.output
    shown = json.loads(run("template", "show", "discount-50", "--db", db).output)
    assert shown["name"] == "discount-50" and shown["channel"] == "email"
    r = run("template", "preview", "invoice-objection-1", "--db", db,
            "--order", '{"product": "Course A", "pay_url": "https://pay/o1"}')
    assert r.exit_code == 0, r.output
    assert "Subject: What Course A will do for you" in r.output
    assert "https://pay/o1" in r.output
    assert "missing contact.fields.first_name" not in r.output  # covered by default
    r = run("template", "preview", "webinar-confirmation", "--db", db)
    assert "missing vars.webinar_at" in r.output
    assert run("template", "show", "nope", "--db", db).exit_code == 1
    assert run("process", "import", str(LIB / "personal-offer.json"), "--db", db
               ).exit_code == 0
    r = run("template", "delete", "discount-50", "--db", db)
    assert r.exit_code == 1 and "sent by Personal offer" in r.output
    out = tmp_path / "bundle.json"
    r = run("template", "export", "--process", "Personal offer", "--db", db, "--out", str(out))
    assert r.exit_code == 0, r.output
    doc = json.loads(out.read_text())
    assert sorted(doc["templates"]) == ["cheaper-offer", "discount-30", "discount-50"]
    assert doc["processes"][0]["name"] == "Personal offer"
    folder = tmp_path / "t"
    folder.mkdir()
    assert run("template", "export", "discount-30", "--db", db, "--out", str(folder)
               ).exit_code == 0
    assert json.loads((folder / "discount-30.json").read_text())["channel"] == "email"
    other = f"sqlite:///{tmp_path / 'other.db'}"
    r = run("template", "import", str(out), "--db", other)
    assert r.exit_code == 0 and "3 templates, 1 processes" in r.output, r.output
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"subject": "x", "html": "{% if %}"}))
    r = run("template", "import", str(bad), "--db", other)
    assert r.exit_code == 2 and "'html'" in r.output


def test_deliver_once_sends_and_process_stats_shows_message_figures(
    tmp_path: Path, smtp: SmtpSink
) -> None:
    db = f"sqlite:///{tmp_path / 'd.db'}"
    assert run("template", "import", "--library", "--db", db).exit_code == 0
    proc = tmp_path / "p.json"
    proc.write_text(json.dumps({"nurtura": 1, "name": "Thanks", "nodes": {
        "t": {"type": "trigger", "event": "order.paid", "next": "m"},
        "m": {"type": "action", "do": "send_email", "template": "invoice-thanks",
              "next": "e"},
        "e": {"type": "end"}}}))
    assert run("process", "import", str(proc), "--enable", "--db", db).exit_code == 0
    events = tmp_path / "e.jsonl"
    events.write_text(  # no timestamps: they happen now, after the process was enabled
        json.dumps({"type": "identify", "userId": "ann", "traits": {"email": "ann@x.io"}})
        + "\n" + json.dumps({"type": "track", "userId": "ann", "event": "order.paid",
                             "properties": {"order_id": "1", "product": "Course A"}}) + "\n")
    assert run("ingest", str(events), "--db", db).exit_code == 0
    env = {"NURTURA_SMTP_HOST": "127.0.0.1", "NURTURA_SMTP_PORT": str(smtp.port),
           "NURTURA_SMTP_TLS": "none", "NURTURA_FROM": "School <hi@school.test>"}
    r = run("deliver", "--once", "--db", db, env={**env, "NURTURA_SMTP_TLS": "tls9"})
    assert r.exit_code == 2 and "NURTURA_SMTP_TLS" in r.output
    r = run("worker", "--once", "--db", db, env=env)
    assert r.exit_code == 0, r.output
    r = run("deliver", "--once", "--db", db, env=env)
    assert r.exit_code == 0 and "handled 1 messages" in r.output, r.output
    [got] = smtp.to("ann@x.io")
    assert got.message["From"] == "School <hi@school.test>"
    stats = json.loads(run("process", "stats", "Thanks", "--db", db).output)
    m = stats["messages"]["m"]
    assert (m["template"], m["queued"], m["delivered"]) == (
        "invoice-thanks", 1, {"unique": 1, "total": 1})
