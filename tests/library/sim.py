"""Helpers for the library tests: Segment messages, contacts, and simulate over shipped files.

Times in tests are written as UTC (`"2026-11-23T07:00"`); Moscow is UTC+3 all year.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from nurtura import library
from nurtura.cli import app
from nurtura.model.validate import Process, load_process
from nurtura.simulate import Result, parse_contacts, parse_events, simulate

LIBRARY = Path(library.__file__).parent
Msg = dict[str, Any]  # a Segment message
Line = dict[str, Any]  # an output line of simulate
_ids = itertools.count(1)


def utc(text: str) -> datetime:
    """`"2026-11-23T07:00"` (UTC) → aware datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def iso(text: str) -> str:
    """`"2026-11-23T07:00"` → the `at` of an output line, `"2026-11-23T07:00:00Z"`."""
    return utc(text).strftime("%Y-%m-%dT%H:%M:%SZ")


def track(user: str, event: str, at: str, **props: Any) -> dict[str, Any]:
    """A Segment `track` message at UTC time `at`."""
    return {"type": "track", "userId": user, "event": event, "properties": props,
            "timestamp": iso(at), "messageId": f"m{next(_ids)}"}


def line(at: str, contact: str, process: str, node: str, action: str,
         **params: Any) -> dict[str, Any]:
    """An expected output line of `simulate`."""
    return {"at": iso(at), "contact": contact, "process": process, "node": node,
            "action": action, **params}


def processes(files: Sequence[str]) -> list[Process]:
    """The shipped processes in `files`, checked against the shipped templates."""
    names = {library.raw(f)["name"] for f in library.FILES}
    return [load_process(library.raw(f), library.template_names(), names) for f in files]


def run(files: Sequence[str], messages: Iterable[dict[str, Any]],
        contacts: Iterable[dict[str, Any]] = (), start: str = "2026-11-23T00:00",
        until: str = "40d") -> Result:
    """Simulate the shipped `files` through the Python API."""
    begin = utc(start)
    events = parse_events([json.dumps(m) for m in messages])
    people = parse_contacts([json.dumps(c) for c in contacts], begin)
    return simulate(processes(files), events, people, begin, until)


def run_cli(tmp: Path, files: Sequence[str], messages: Iterable[dict[str, Any]],
            contacts: Iterable[dict[str, Any]] = (), start: str = "2026-11-23T00:00",
            until: str = "40d") -> list[dict[str, Any]]:
    """The same through `nurtura simulate`; returns every output line, the stats line last."""
    ev, cs, out = tmp / "events.jsonl", tmp / "contacts.jsonl", tmp / "out.jsonl"
    ev.write_text("".join(json.dumps(m) + "\n" for m in messages), encoding="utf-8")
    cs.write_text("".join(json.dumps(c) + "\n" for c in contacts), encoding="utf-8")
    args = ["simulate", *(str(LIBRARY / f) for f in files), "--events", str(ev),
            "--contacts", str(cs), "--start", iso(start), "--until", until, "--out", str(out)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    return [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines() if x.strip()]


def by_contact(lines: Iterable[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Output lines grouped by contact, in output order."""
    out: dict[str, list[dict[str, Any]]] = {}
    for x in lines:
        out.setdefault(x["contact"], []).append(x)
    return out


def assert_ordered(lines: Sequence[dict[str, Any]]) -> None:
    """SPEC: lines are ordered by `at`, then contact, then process, then node."""
    keys = [(x["at"], x["contact"], x["process"], x["node"]) for x in lines]
    assert keys == sorted(keys)
