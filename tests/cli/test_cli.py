"""The `nurtura` command line: validate, import/export, list, enable, simulate, bad input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from nurtura import library
from nurtura.cli import app

runner = CliRunner()
OFFER = Path(library.__file__).parent / "personal-offer.json"


def run(*args: str) -> Any:
    return runner.invoke(app, list(args))


def write(path: Path, lines: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(x) + "\n" for x in lines))
    return path


def test_validate_prints_every_problem_with_its_path_and_exits_1(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"nurtura": 1, "name": "x", "nodes": {
        "t": {"type": "trigger", "event": "go", "next": "c"},
        "c": {"type": "condition", "if": {"tag": "x"}, "yes": "nowhere", "no": "d"},
        "d": {"type": "delay", "for": "5 days", "next": "c"},
    }}))
    result = run("process", "validate", str(bad))
    assert result.exit_code == 1
    assert "$.nodes.c.yes: no node named 'nowhere'" in result.output
    assert "$.nodes.d.for: bad duration '5 days'" in result.output
    ok = run("process", "validate", str(OFFER), "--templates",
             str(OFFER.parent / "templates"))
    assert ok.exit_code == 0, ok.output


def test_validate_names_a_file_that_is_not_json(tmp_path: Path) -> None:
    bad = tmp_path / "broken.json"
    bad.write_text('{"nurtura": 1,\n "name": }')
    result = run("process", "validate", str(bad))
    assert result.exit_code != 0
    assert "broken.json:2: not valid JSON" in result.output


def test_import_export_round_trip_and_list_enable_disable(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'n.db'}"
    assert run("process", "import", str(OFFER), "--db", db).exit_code == 0
    out = tmp_path / "out.json"
    assert run("process", "export", "Personal offer", "--db", db, "--out", str(out)).exit_code == 0
    assert json.loads(out.read_text()) == json.loads(OFFER.read_text())
    assert run("process", "enable", "Personal offer", "--db", db).exit_code == 0
    listing = run("process", "list", "--db", db)
    assert "Personal offer" in listing.output and "on" in listing.output
    assert run("process", "disable", "Personal offer", "--db", db).exit_code == 0
    missing = run("process", "enable", "Nope", "--db", db)
    assert missing.exit_code == 1 and "no process named 'Nope'" in missing.output


def test_a_bad_import_keeps_what_was_stored(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'n.db'}"
    run("process", "import", str(OFFER), "--db", db)
    doc = json.loads(OFFER.read_text())
    doc["nodes"]["outcome"]["timeout"] = "thirty days"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc))
    result = run("process", "import", str(bad), "--db", db)
    assert result.exit_code == 1 and "$.nodes.outcome.timeout" in result.output
    out = run("process", "export", "Personal offer", "--db", db)
    assert json.loads(out.output) == json.loads(OFFER.read_text())


def test_simulate_writes_action_lines_then_stats(tmp_path: Path) -> None:
    events = write(tmp_path / "ev.jsonl", [
        {"type": "identify", "userId": "c1", "traits": {"email": "c1@x.io"},
         "timestamp": "2026-11-23T09:00:00Z"},
        {"type": "track", "userId": "c1", "event": "order.created", "timestamp":
         "2026-11-23T10:00:00Z",
         "properties": {"order_id": "o1", "product": "Course A", "amount": 50000}},
        {"type": "track", "userId": "c1", "event": "Order Paid", "timestamp":
         "2026-11-23T10:30:00Z", "properties": {"order_id": "o1"}},
    ])
    out = tmp_path / "out.jsonl"
    result = run("simulate", str(OFFER), "--events", str(events), "--until", "40d",
                 "--out", str(out))
    assert result.exit_code == 0, result.output
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    assert lines[:-1] == [
        {"at": "2026-11-23T10:00:00Z", "contact": "c1", "process": "Personal offer",
         "node": "made_order", "action": "add_to_list", "list": "Made the order"},
        {"at": "2026-11-23T10:30:00Z", "contact": "c1", "process": "Personal offer",
         "node": "d50", "action": "send_email", "template": "discount-50"},
    ]
    stats = lines[-1]["stats"]["Personal offer"]
    assert (stats["entered"], stats["completed"]) == (1, {"converted": 1})


def test_simulate_names_the_bad_event_line_and_field(tmp_path: Path) -> None:
    events = tmp_path / "ev.jsonl"
    events.write_text(
        '{"type":"track","userId":"c1","event":"go","timestamp":"2026-11-23T10:00:00Z"}\n'
        '{"type":"track","userId":"c1","event":"go","timestamp":"yesterday"}\n'
    )
    result = run("simulate", str(OFFER), "--events", str(events), "--until", "1d")
    assert result.exit_code == 2
    assert "ev.jsonl:2: 'timestamp': 'yesterday' is not an ISO 8601 time" in result.output
    events.write_text('{"type":"track","event":"go"}\n')
    result = run("simulate", str(OFFER), "--events", str(events), "--until", "1d")
    assert result.exit_code == 2 and "ev.jsonl:1: 'userId'" in result.output
    events.write_text('{"type":"track", "userId": \n')
    result = run("simulate", str(OFFER), "--events", str(events), "--until", "1d")
    assert result.exit_code == 2 and "ev.jsonl:1: not valid JSON" in result.output


def test_simulate_rejects_an_unknown_timezone_by_name(tmp_path: Path) -> None:
    events = write(tmp_path / "ev.jsonl", [
        {"type": "identify", "userId": "c1", "traits": {"timezone": "Europe/Atlantis"},
         "timestamp": "2026-11-23T10:00:00Z"}])
    result = run("simulate", str(OFFER), "--events", str(events), "--until", "1d")
    assert result.exit_code == 2
    assert "unknown timezone 'Europe/Atlantis'" in result.output
    contacts = write(tmp_path / "c.jsonl", [{"id": "c1", "timezone": "Mars/Base"}])
    events = write(tmp_path / "ev2.jsonl", [
        {"type": "track", "userId": "c1", "event": "x", "timestamp": "2026-11-23T10:00:00Z"}])
    result = run("simulate", str(OFFER), "--events", str(events), "--contacts", str(contacts),
                 "--until", "1d")
    assert result.exit_code == 2 and "c.jsonl:1: 'timezone'" in result.output


def test_worker_once_and_ingest_on_a_database(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'n.db'}"
    run("process", "import", str(OFFER), "--db", db, "--enable")
    events = write(tmp_path / "ev.jsonl", [
        {"type": "track", "userId": "c1", "event": "order.created",
         "properties": {"order_id": "o1", "product": "Course A"}, "messageId": "a"}])
    first = run("ingest", str(events), "--db", db)
    again = run("ingest", str(events), "--db", db)
    assert "1 new events" in first.output and "1 duplicates ignored" in again.output
    result = run("worker", "--once", "--db", db)
    assert result.exit_code == 0 and "handled 1 contacts" in result.output


def test_a_second_worker_on_one_sqlite_file_is_refused_with_a_clear_message(
        tmp_path: Path) -> None:
    from nurtura.store.sql import Store

    db = f"sqlite:///{tmp_path / 'one.db'}"
    store = Store(db)
    with store.worker_lock():  # a worker (or `nurtura serve`) runs on this file
        for args in (["worker", "--db", db], ["serve", "--db", db],
                     ["worker", "--once", "--db", db],
                     ["worker", "--processes", "2", "--db", db]):
            result = runner.invoke(app, args)
            assert result.exit_code == 1, result.output
            assert "another worker is already running" in result.output
            assert "PostgreSQL to run many" in result.output
    store.close()


def test_worker_processes_are_checked_with_the_option_named(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'one.db'}"
    zero = runner.invoke(app, ["worker", "--processes", "0", "--db", db])
    assert zero.exit_code == 2 and "--processes" in zero.output
    both = runner.invoke(app, ["worker", "--processes", "2", "--metrics", "9999", "--db", db])
    assert both.exit_code == 2 and "--metrics" in both.output and "--processes 1" in both.output
