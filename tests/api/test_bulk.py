"""Bulk contacts: import (CLI and API job) with a bad-line report, idempotency, export."""

from __future__ import annotations

import csv
import json
import time
from pathlib import Path

from typer.testing import CliRunner

from nurtura.cli import app
from tests.api.conftest import Server

GETCOURSE = (
    "Email;Имя;Телефон;Группы;timezone\n"
    "ann@example.com;Анна;+79001234567;Buyers,VIP;Europe/Moscow\n"
    "not-an-email;Bob;;;\n"
    "bob@example.com;Боб;;Leads;Mars/Base\n"
    "cid@example.com;Cid;;;UTC\n"
)


def test_cli_import_keeps_good_lines_reports_bad_ones_and_is_idempotent(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'n.db'}"
    src = tmp_path / "getcourse.csv"
    src.write_text(GETCOURSE, encoding="utf-8")
    runner = CliRunner()
    first = runner.invoke(app, ["contacts", "import", str(src), "--db", db,
                                "--map", "Имя=field:first_name"])
    assert first.exit_code == 0, first.output
    assert "4 lines: 2 imported" in first.output and "2 bad" in first.output
    with (tmp_path / "getcourse.errors.csv").open() as fh:
        assert list(csv.reader(fh)) == [
            ["line", "reason"], ["3", "'email': 'not-an-email' is not an email address"],
            ["4", "'timezone': unknown timezone 'Mars/Base'"]]
    assert runner.invoke(app, ["worker", "--once", "--db", db]).exit_code == 0
    again = runner.invoke(app, ["contacts", "import", str(src), "--db", db,
                                "--map", "Имя=field:first_name"])
    assert "0 imported" in again.output and "2 unchanged" in again.output
    exported = runner.invoke(app, ["contacts", "export", "--db", db])
    rows = [json.loads(x) for x in exported.output.splitlines()]
    assert [(r["id"], r["lists"], r["fields"]) for r in rows] == [
        ("ann@example.com", ["Buyers", "VIP"], {"first_name": "Анна"}),
        ("cid@example.com", [], {"first_name": "Cid"})]
    bad_map = runner.invoke(app, ["contacts", "import", str(src), "--db", db, "--map", "x"])
    assert bad_map.exit_code == 2 and "COLUMN=TARGET" in bad_map.output


def test_export_then_import_round_trips(tmp_path: Path) -> None:
    db1, db2 = (f"sqlite:///{tmp_path / n}" for n in ("a.db", "b.db"))
    src = tmp_path / "c.jsonl"
    src.write_text(json.dumps({"id": "c1", "email": "c1@x.io", "tags": ["VIP"], "fields": {
        "city": "Delft"}, "subscribed": {"email": False, "sms": True}}) + "\n")
    runner = CliRunner()
    runner.invoke(app, ["contacts", "import", str(src), "--db", db1])
    runner.invoke(app, ["worker", "--once", "--db", db1])
    out = tmp_path / "out.jsonl"
    runner.invoke(app, ["contacts", "export", "--db", db1, "--out", str(out)])
    runner.invoke(app, ["contacts", "import", str(out), "--db", db2])
    runner.invoke(app, ["worker", "--once", "--db", db2])
    again = runner.invoke(app, ["contacts", "export", "--db", db2]).output
    assert json.loads(again) == json.loads(out.read_text())
    assert json.loads(again)["subscribed"] == {"email": False, "sms": True}


def test_api_import_job_reports_progress_and_errors(server: Server) -> None:
    with server.client() as http:
        started = http.post("/api/contacts/import", params={"format": "csv",
                                                           "map": "Имя=field:first_name"},
                            content=GETCOURSE.encode(), headers={"content-type": "text/csv"})
        assert started.status_code == 202
        job = started.json()["job"]
        for _ in range(200):
            state = http.get(f"/api/jobs/{job}").json()
            if state["status"] != "running":
                break
            time.sleep(0.02)
        assert (state["status"], state["total"], state["imported"]) == ("done", 4, 2)
        assert [e["line"] for e in state["errors"]] == [3, 4]
        server.work()
        assert http.get("/api/contacts/ann@example.com").json()["phone"] == "+79001234567"
        csv_out = http.get("/api/contacts-export", params={"format": "csv"}).text
        assert csv_out.splitlines()[0].startswith("id,email,phone")
        assert http.get("/api/jobs/nope").status_code == 404


def test_a_csv_that_cannot_be_read_ends_the_job_with_a_reason(server: Server) -> None:
    with server.client() as http:
        job = http.post("/api/contacts/import", params={"format": "csv"},
                        content=b"email\na@x.io\rb\n", headers={"content-type": "text/csv"}
                        ).json()["job"]
        for _ in range(200):
            state = http.get(f"/api/jobs/{job}").json()
            if state["status"] != "running":
                break
            time.sleep(0.02)
        assert state["status"] == "failed"
        assert "not a readable CSV file" in state["errors"][0]["reason"]


def test_rows_without_an_id_join_the_contact_with_that_email_whatever_its_case(
        tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'n.db'}"
    runner = CliRunner()
    known = tmp_path / "known.jsonl"
    known.write_text(json.dumps({"id": "crm-7", "email": "Ann@Example.com"}) + "\n")
    assert runner.invoke(app, ["contacts", "import", str(known), "--db", db]).exit_code == 0
    assert runner.invoke(app, ["worker", "--once", "--db", db]).exit_code == 0
    src = tmp_path / "list.csv"
    src.write_text("email,tags\nann@example.com,Buyers\nnew@example.com,Leads\n")
    assert runner.invoke(app, ["contacts", "import", str(src), "--db", db]).exit_code == 0
    assert runner.invoke(app, ["worker", "--once", "--db", db]).exit_code == 0
    rows = [json.loads(x) for x in runner.invoke(
        app, ["contacts", "export", "--db", db]).output.splitlines()]
    assert [(r["id"], r["tags"]) for r in rows] == [("crm-7", ["Buyers"]),
                                                   ("new@example.com", ["Leads"])]
