"""Load a process file into a checked, compiled Process; every problem is reported at once.

Problems carry the JSON path of the node at fault (`$.nodes.by_total.yes`).
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import TypeAdapter, ValidationError

from nurtura.errors import FilterInvalid, Problem, ProcessInvalid
from nurtura.model.durations import DurationError, parse_duration
from nurtura.model.filters import WEEKDAYS, EventHistory, Filter, is_hhmm, parse_filter, walk
from nurtura.model.process import (
    NODE_TYPES,
    ActionNode,
    ConditionNode,
    DelayNode,
    EndNode,
    Node,
    ProcessFile,
    SplitNode,
    TriggerNode,
    WaitNode,
    node_targets,
)

# Parameters each action takes: (required, optional).
ACTIONS: dict[str, tuple[set[str], set[str]]] = {
    "add_tag": ({"tag"}, set()),
    "remove_tag": ({"tag"}, set()),
    "add_to_list": ({"list"}, set()),
    "remove_from_list": ({"list"}, set()),
    "set_field": ({"field", "value"}, set()),
    "change_score": ({"by"}, set()),
    "set_var": ({"name", "value"}, set()),
    "send_email": ({"template"}, set()),
    "send_sms": ({"template"}, set()),
    "webhook": ({"url"}, {"method", "body", "headers", "timeout", "retries"}),
    "start_process": ({"process"}, set()),
    "stop_process": ({"process"}, set()),
    "add_note": ({"text"}, set()),
    "set_owner": ({"owner"}, set()),
    "set_stage": ({"funnel", "stage"}, set()),
}
ACTION_PARAMS = {
    "tag", "list", "field", "value", "by", "name", "template", "url", "method", "body",
    "headers", "process", "text", "owner", "funnel", "stage", "timeout", "retries",
}
_VAR_REF = re.compile(r"^\{\{\s*vars\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}$")
_NODE = TypeAdapter[Any](Node)


@dataclass
class Process:
    """A process file checked and compiled for the engine: filters parsed, durations read."""

    file: ProcessFile
    filters: dict[str, Filter] = field(default_factory=dict)
    durations: dict[str, timedelta] = field(default_factory=dict)
    history_events: set[str] = field(default_factory=set)
    source: dict[str, Any] | None = None  # the document as given, keys in their order

    @property
    def name(self) -> str:
        return self.file.name

    def document(self) -> str:
        """The process file as JSON: the document as it was given (same keys, same order),
        so that export of an import is the same document to the byte order of its keys."""
        if self.source is None:
            return self.file.to_json()
        return json.dumps(self.source, ensure_ascii=False, indent=2)

    @property
    def nodes(self) -> dict[str, Any]:
        return self.file.nodes

    def triggers(self) -> list[tuple[str, TriggerNode]]:
        return [(k, n) for k, n in self.file.nodes.items() if isinstance(n, TriggerNode)]

    def entry_node(self) -> str:
        """Where `start_process` puts a contact: after the first trigger in file order."""
        return self.triggers()[0][1].next


def var_ref(text: str) -> str | None:
    """The variable named by `{{ vars.x }}`, or None."""
    m = _VAR_REF.match(text.strip())
    return m.group(1) if m else None


def _json_path(prefix: str, loc: Iterable[int | str]) -> str:
    out = prefix
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def _pydantic_problems(exc: ValidationError, prefix: str, strip: str | None) -> list[Problem]:
    out = []
    for err in exc.errors():
        loc = list(err["loc"])
        if strip is not None and loc and loc[0] == strip:
            loc = loc[1:]
        loc = [("for" if p == "for_" else "if" if p == "if_" else p) for p in loc]
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            msg = f"unknown key {loc[-1]!r}" if loc else msg
        out.append(Problem(_json_path(prefix, loc), msg))
    return out


class _Checker:
    def __init__(self, templates: set[str] | None, processes: set[str] | None) -> None:
        self.templates = templates
        self.processes = processes
        self.problems: list[Problem] = []
        self.filters: dict[str, Filter] = {}
        self.durations: dict[str, timedelta] = {}

    def bad(self, path: str, message: str) -> None:
        self.problems.append(Problem(path, message))

    def filter(self, key: str, raw: Any, path: str) -> None:
        try:
            self.filters[key] = parse_filter(raw, path)
        except FilterInvalid as exc:
            self.problems.extend(exc.problems)

    def duration(self, key: str, raw: Any, path: str, signed: bool = False) -> None:
        try:
            self.durations[key] = parse_duration(raw, signed=signed)
        except DurationError as exc:
            self.bad(path, str(exc))

    def timezone(self, name: str, path: str) -> None:
        if name == "contact":
            return
        if not check_timezone(name):
            self.bad(path, f"unknown timezone {name!r}; use an IANA name like 'Europe/Moscow'")

    def days(self, days: Any, path: str) -> None:
        if not isinstance(days, list) or not days or any(d not in WEEKDAYS for d in days):
            self.bad(path, f"days must be a non-empty list of {list(WEEKDAYS)}")

    def node(self, nid: str, node: Any, path: str) -> None:
        if isinstance(node, TriggerNode) and node.where is not None:
            self.filter(nid, node.where, f"{path}.where")
        elif isinstance(node, ConditionNode):
            self.filter(nid, node.if_, f"{path}.if")
        elif isinstance(node, WaitNode):
            for i, w in enumerate(node.for_):
                if w.where is not None:
                    self.filter(f"{nid}.for[{i}]", w.where, f"{path}.for[{i}].where")
            if node.timeout is not None:
                self.duration(nid, node.timeout, f"{path}.timeout")
            if (node.timeout is None) != (node.on_timeout is None):
                self.bad(path, "'timeout' and 'on_timeout' go together")
        elif isinstance(node, DelayNode):
            self.delay(nid, node, path)
        elif isinstance(node, SplitNode) and node.winner is not None:
            win = node.winner
            if isinstance(win.after, str):
                self.duration(nid, win.after, f"{path}.winner.after")
            elif win.after < 1:
                self.bad(f"{path}.winner.after", "a number of runs must be at least 1")
            if win.by == "outcome:":
                self.bad(f"{path}.winner.by", "'outcome:' needs an outcome name")
        elif isinstance(node, ActionNode):
            self.action(nid, node, path)

    def delay(self, nid: str, node: DelayNode, path: str) -> None:
        kinds = [k for k in ("for_", "until_time", "until") if getattr(node, k) is not None]
        if len(kinds) != 1:
            self.bad(path, "a delay takes exactly one of 'for', 'until_time', 'until'")
            return
        if node.for_ is not None:
            self.duration(nid, node.for_, f"{path}.for")
        if node.until_time is not None and not is_hhmm(node.until_time):
            self.bad(f"{path}.until_time", f"{node.until_time!r} is not a time like '10:00'")
        if node.until is not None and var_ref(node.until) is None:
            try:
                datetime.fromisoformat(node.until.replace("Z", "+00:00"))
            except ValueError:
                self.bad(f"{path}.until", "takes an ISO time or '{{ vars.NAME }}'")
        if node.offset is not None:
            if node.until is None:
                self.bad(f"{path}.offset", "'offset' goes with 'until'")
            self.duration(nid + ".offset", node.offset, f"{path}.offset", signed=True)
        if node.days is not None:
            if node.until_time is None:
                self.bad(f"{path}.days", "'days' goes with 'until_time'")
            self.days(node.days, f"{path}.days")
        if node.timezone is not None:
            if node.until_time is None:
                self.bad(f"{path}.timezone", "'timezone' goes with 'until_time'")
            self.timezone(node.timezone, f"{path}.timezone")

    def action(self, nid: str, node: ActionNode, path: str) -> None:
        if node.do not in ACTIONS:
            self.bad(f"{path}.do", f"unknown action {node.do!r}; known: {', '.join(ACTIONS)}")
            return
        required, optional = ACTIONS[node.do]
        given = {k for k in node.model_fields_set if k in ACTION_PARAMS}
        for key in sorted(required - given):
            self.bad(f"{path}.{key}", f"'{node.do}' needs '{key}'")
        for key in sorted(given - required - optional):
            self.bad(f"{path}.{key}", f"'{node.do}' takes no '{key}'")
        if node.do in ("send_email", "send_sms") and node.template is not None and (
            self.templates is not None and node.template not in self.templates
        ):
            self.bad(f"{path}.template", f"no template named {node.template!r}")
        if node.do in ("start_process", "stop_process") and node.process is not None and (
            self.processes is not None and node.process not in self.processes
        ):
            self.bad(f"{path}.process", f"no process named {node.process!r}")
        if node.do == "webhook" and node.timeout is not None:
            self.duration(nid + ".timeout", node.timeout, f"{path}.timeout")
        if node.do == "set_var" and isinstance(node.value, dict) and "next_slot" in node.value:
            self.next_slot(nid, node.value, f"{path}.value")

    def next_slot(self, nid: str, value: dict[str, Any], path: str) -> None:
        extra = set(value) - {"next_slot", "min_lead", "days"}
        if extra:
            self.bad(f"{path}.{sorted(extra)[0]}", "unknown key; next_slot takes min_lead, days")
        slots = value["next_slot"]
        if not isinstance(slots, list) or not slots or not all(is_hhmm(s) for s in slots):
            self.bad(f"{path}.next_slot", "takes a list of times like ['11:00', '20:00']")
        self.duration(nid + ".min_lead", value.get("min_lead", "0s"), f"{path}.min_lead")
        if "days" in value:
            self.days(value["days"], f"{path}.days")


def check_timezone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (KeyError, ValueError, OSError):
        return False
    return True


def _instant_cycle(nodes: dict[str, Any]) -> list[str] | None:
    """A cycle made only of nodes that do not wait (so a run could loop forever), or None."""
    instant = {k for k, n in nodes.items() if not isinstance(n, WaitNode | DelayNode)}
    color: dict[str, int] = {}
    stack: list[str] = []

    def visit(k: str) -> list[str] | None:
        color[k] = 1
        stack.append(k)
        for _, t in node_targets(nodes[k]):
            if t not in instant:
                continue
            if color.get(t) == 1:
                return stack[stack.index(t):]
            if t not in color:
                found = visit(t)
                if found:
                    return found
        stack.pop()
        color[k] = 2
        return None

    for k in sorted(instant):
        if k not in color:
            found = visit(k)
            if found:
                return found
    return None


def load_process(
    raw: Any, templates: set[str] | None = None, processes: set[str] | None = None
) -> Process:
    """Check a process document; return the compiled Process or raise ProcessInvalid."""
    problems: list[Problem] = []
    if not isinstance(raw, dict):
        raise ProcessInvalid([Problem("$", "a process file is a JSON object")])
    raw_nodes = raw.get("nodes")
    nodes: dict[str, Any] = {}
    if isinstance(raw_nodes, dict):
        for nid, rn in raw_nodes.items():
            path = f"$.nodes.{nid}"
            kind = rn.get("type") if isinstance(rn, dict) else None
            if kind not in NODE_TYPES:
                problems.append(
                    Problem(f"{path}.type", f"unknown node type {kind!r}; known: {NODE_TYPES}")
                )
                continue
            try:
                nodes[nid] = _NODE.validate_python(rn)
            except ValidationError as exc:
                problems += _pydantic_problems(exc, path, kind)
    try:
        head = {**raw, "nodes": {}}
        pf = ProcessFile.model_validate(head)
    except ValidationError as exc:
        problems += _pydantic_problems(exc, "$", None)
        pf = None
    if not isinstance(raw_nodes, dict):
        raise ProcessInvalid(problems)

    chk = _Checker(templates, processes)
    if pf is not None:
        chk.timezone(pf.timezone, "$.timezone")
        for i, ex in enumerate(pf.exit_on):
            if ex.where is not None:
                chk.filter(f"exit_on[{i}]", ex.where, f"$.exit_on[{i}].where")
    for nid, node in nodes.items():
        chk.node(nid, node, f"$.nodes.{nid}")
    problems += chk.problems

    # The graph: edges name nodes, triggers exist and reach everything, no instant cycle.
    for nid, node in nodes.items():
        for sub, target in node_targets(node):
            if target not in raw_nodes:
                problems.append(Problem(f"$.nodes.{nid}.{sub}", f"no node named {target!r}"))
            elif isinstance(nodes.get(target), TriggerNode):
                problems.append(
                    Problem(f"$.nodes.{nid}.{sub}", f"{target!r} is a trigger; it has no inputs")
                )
    triggers = [k for k, n in nodes.items() if isinstance(n, TriggerNode)]
    if not triggers and not any(
        isinstance(rn, dict) and rn.get("type") == "trigger" for rn in raw_nodes.values()
    ):
        problems.append(Problem("$.nodes", "a process needs at least one trigger node"))
    seen = set(triggers)
    todo = list(triggers)
    while todo:
        for _, t in node_targets(nodes[todo.pop()]):
            if t in nodes and t not in seen:
                seen.add(t)
                todo.append(t)
    for nid in raw_nodes:
        if nid not in seen and nid in nodes and triggers:
            problems.append(Problem(f"$.nodes.{nid}", "no trigger reaches this node"))
    cycle = _instant_cycle(nodes)
    if cycle:
        problems.append(
            Problem(
                f"$.nodes.{cycle[0]}",
                "this loop has no wait or delay: " + " → ".join([*cycle, cycle[0]]),
            )
        )
    if problems or pf is None:
        raise ProcessInvalid(problems)

    pf.nodes = nodes
    history = {
        f.name for flt in chk.filters.values() for f in walk(flt) if isinstance(f, EventHistory)
    }
    return Process(pf, chk.filters, chk.durations, history, copy.deepcopy(raw))


def outcome_of(node: Any) -> str | None:
    return node.outcome if isinstance(node, EndNode) else None
