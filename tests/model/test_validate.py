"""The validator rejects every case of SPEC, all problems at once, each at its JSON path."""

from __future__ import annotations

from typing import Any

import pytest

from nurtura.errors import ProcessInvalid
from nurtura.model.validate import load_process


def problems(doc: dict[str, Any], templates: set[str] | None = None) -> dict[str, str]:
    with pytest.raises(ProcessInvalid) as info:
        load_process(doc, templates)
    return {p.path: p.message for p in info.value.problems}


def doc(**nodes: Any) -> dict[str, Any]:
    return {"nurtura": 1, "name": "P", "nodes": nodes}


T = {"type": "trigger", "event": "go", "next": "a"}
END = {"type": "end"}


def test_every_problem_is_reported_at_once_with_its_path() -> None:
    found = problems(doc(
        t={"type": "trigger", "event": "go", "next": "c"},
        c={"type": "condition", "if": {"tagg": "x"}, "yes": "nowhere", "no": "m"},
        m={"type": "action", "do": "send_emial", "next": "w"},
        w={"type": "wait", "for": [{"event": "x", "next": "e"}], "timeout": "3x",
           "on_timeout": "gone"},
        e=END,
    ))
    assert set(found) == {
        "$.nodes.c.if.tagg", "$.nodes.c.yes", "$.nodes.m.do", "$.nodes.w.timeout",
        "$.nodes.w.on_timeout",
    }
    assert "unknown filter key 'tagg'" in found["$.nodes.c.if.tagg"]
    assert "no node named 'nowhere'" in found["$.nodes.c.yes"]
    assert "unknown action 'send_emial'" in found["$.nodes.m.do"]
    assert "bad duration '3x'" in found["$.nodes.w.timeout"]


def test_unknown_next_names_the_edge() -> None:
    assert problems(doc(t={**T, "next": "zz"}, a=END)) == {
        "$.nodes.t.next": "no node named 'zz'", "$.nodes.a": "no trigger reaches this node"}


def test_unreachable_node() -> None:
    assert problems(doc(t=T, a=END, island=END)) == {
        "$.nodes.island": "no trigger reaches this node"}


def test_cycle_without_wait_or_delay_is_rejected_but_with_one_is_fine() -> None:
    found = problems(doc(
        t=T,
        a={"type": "action", "do": "add_tag", "tag": "x", "next": "b"},
        b={"type": "condition", "if": {"tag": "y"}, "yes": "e", "no": "a"},
        e=END,
    ))
    assert list(found) == ["$.nodes.a"]
    assert "loop has no wait or delay: a → b → a" in found["$.nodes.a"]
    load_process(doc(
        t=T,
        a={"type": "action", "do": "add_tag", "tag": "x", "next": "d"},
        d={"type": "delay", "for": "1d", "next": "b"},
        b={"type": "condition", "if": {"tag": "y"}, "yes": "e", "no": "a"},
        e=END,
    ))


def test_missing_trigger() -> None:
    assert problems(doc(a=END)) == {"$.nodes": "a process needs at least one trigger node"}


def test_unknown_template_only_when_a_catalogue_is_given() -> None:
    d = doc(t=T, a={"type": "action", "do": "send_email", "template": "welcome"})
    load_process(d)
    assert problems(d, {"other"}) == {"$.nodes.a.template": "no template named 'welcome'"}


@pytest.mark.parametrize("edge", ["yes", "no", "on_timeout"])
def test_yes_no_on_timeout_pointing_nowhere(edge: str) -> None:
    cond = {"type": "condition", "if": {"tag": "x"}, "yes": "e", "no": "e"}
    wait = {"type": "wait", "for": [{"event": "x", "next": "e"}], "timeout": "1d",
            "on_timeout": "e"}
    node = wait if edge == "on_timeout" else cond
    found = problems(doc(t=T, a={**node, edge: "void"}, e=END))
    assert found == {f"$.nodes.a.{edge}": "no node named 'void'"}


def test_action_parameters_are_checked_per_action() -> None:
    found = problems(doc(t=T, a={"type": "action", "do": "add_tag", "list": "L"}))
    assert found == {"$.nodes.a.tag": "'add_tag' needs 'tag'",
                     "$.nodes.a.list": "'add_tag' takes no 'list'"}


def test_unknown_keys_types_and_timezones() -> None:
    found = problems({**doc(t=T, a={"type": "delay", "for": "1d", "next": "e", "colour": 1},
                            e=END, q={"type": "banana"}), "timezone": "Mars/Olympus"})
    assert found["$.nodes.a.colour"] == "unknown key 'colour'"
    assert found["$.nodes.q.type"].startswith("unknown node type 'banana'")
    assert found["$.timezone"].startswith("unknown timezone 'Mars/Olympus'")


def test_delay_needs_exactly_one_kind_and_valid_times() -> None:
    found = problems(doc(
        t={**T, "next": "d1"},
        d1={"type": "delay", "for": "1d", "until_time": "10:00", "next": "d2"},
        d2={"type": "delay", "until_time": "25:00", "days": ["mon", "funday"], "next": "d3"},
        d3={"type": "delay", "until": "tomorrow", "next": "e"},
        e=END,
    ))
    assert set(found) == {"$.nodes.d1", "$.nodes.d2.until_time", "$.nodes.d2.days",
                          "$.nodes.d3.until"}


def test_bad_filters_name_the_leaf() -> None:
    found = problems(doc(t=T, a={"type": "condition", "if": {"all": [
        {"field": "city", "eq": "Delft"},
        {"field": "city", "like": "D%"},
        {"total_paid": {"gte": "lots"}},
        {"event": "email.opened", "within": "soon"},
        {"rfm": "royalty"},
    ]}, "yes": "e", "no": "e"}, e=END))
    assert set(found) == {"$.nodes.a.if.all[1].like", "$.nodes.a.if.all[2].total_paid.gte",
                          "$.nodes.a.if.all[3].within", "$.nodes.a.if.all[4].rfm"}


def test_not_an_object_and_wrong_format_version() -> None:
    with pytest.raises(ProcessInvalid):
        load_process([1, 2])
    assert "$.nurtura" in problems({"nurtura": 2, "name": "x", "nodes": {"t": T, "a": END}})
