"""Every node type, driven through the pure engine (no database)."""

from __future__ import annotations

from tests.engine.driver import Driver, at, proc

TRIG = {"type": "trigger", "event": "go", "next": "a"}


def mail(t: str, nxt: str | None = None) -> dict[str, object]:
    node: dict[str, object] = {"type": "action", "do": "send_email", "template": t}
    if nxt:
        node["next"] = nxt
    return node


def test_trigger_where_filters_on_event_properties() -> None:
    d = Driver(proc(t={**TRIG, "where": {"prop": "product", "eq": "A"}}, a=mail("x")))
    d.contact("c1", email="c1@x.io")
    d.send("go", "c1", "+0s", product="B")
    d.send("go", "c1", "+1m", product="A")
    assert d.short() == [("2026-11-23T10:01:00Z", "c1", "a")]


def test_trigger_counts_only_events_from_activation_on() -> None:
    d = Driver(proc(t=TRIG, a=mail("x")), start=at("+1h"))
    d.contact("c1", email="c1@x.io")
    d.send("go", "c1", "+59m")
    d.send("go", "c1", "+1h")  # exactly at activation: counts
    assert d.short() == [("2026-11-23T11:00:00Z", "c1", "a")]


def test_condition_branches_yes_and_no() -> None:
    doc = proc(
        t={**TRIG, "next": "c"},
        c={"type": "condition", "if": {"tag": "VIP"}, "yes": "y", "no": "n"},
        y=mail("vip"), n=mail("plain"),
    )
    d = Driver(doc)
    d.contact("c1", email="a@x.io", tags={"VIP"})
    d.contact("c2", email="b@x.io")
    d.send("go", "c1", "+0s")
    d.send("go", "c2", "+0s")
    assert [(x["contact"], x["template"]) for x in d.lines()] == [("c1", "vip"), ("c2", "plain")]


def test_wait_resumes_on_first_matching_event_and_ignores_others() -> None:
    doc = proc(
        t={**TRIG, "next": "w"},
        w={"type": "wait", "for": [
            {"event": "order.paid", "where": {"prop": "order_id", "eq": "o1"}, "next": "paid"},
            {"event": "order.cancelled", "next": "cancelled"}],
           "timeout": "1d", "on_timeout": "late"},
        paid=mail("paid"), cancelled=mail("cancelled"), late=mail("late"),
    )
    d = Driver(doc)
    d.contact("c1", email="a@x.io")
    d.send("go", "c1", "+0s")
    d.send("order.paid", "c1", "+1h", order_id="other")
    d.send("order.paid", "c1", "+2h", order_id="o1")
    d.send("order.cancelled", "c1", "+3h", order_id="o1")
    assert d.short() == [("2026-11-23T12:00:00Z", "c1", "paid")]


def test_wait_event_exactly_at_timeout_instant_arrives_in_time() -> None:
    doc = proc(
        t={**TRIG, "next": "w"},
        w={"type": "wait", "for": [{"event": "ok", "next": "yes"}], "timeout": "1h",
           "on_timeout": "no"},
        yes=mail("yes"), no=mail("no"),
    )
    d = Driver(doc)
    d.contact("c1", email="a@x.io")
    d.contact("c2", email="b@x.io")
    d.send("go", "c1", "+0s")
    d.send("go", "c2", "+0s")
    d.send("ok", "c1", "+1h")
    d.send("ok", "c2", "+1h1s")
    d.advance(at("+2d"))
    assert d.short() == [
        ("2026-11-23T11:00:00Z", "c1", "yes"), ("2026-11-23T11:00:00Z", "c2", "no")]


def test_wait_ignores_events_before_the_run_reached_it() -> None:
    doc = proc(
        t={**TRIG, "next": "dl"},
        dl={"type": "delay", "for": "1h", "next": "w"},
        w={"type": "wait", "for": [{"event": "ok", "next": "yes"}]},
        yes=mail("yes"),
    )
    d = Driver(doc)
    d.contact("c1", email="a@x.io")
    d.send("go", "c1", "+0s")
    d.send("ok", "c1", "+30m")
    d.advance(at("+2h"))
    assert d.short() == []
    d.send("ok", "c1", "+3h")
    assert d.short() == [("2026-11-23T13:00:00Z", "c1", "yes")]


def test_delay_for_duration_fires_at_due_instant() -> None:
    d = Driver(proc(t={**TRIG, "next": "dl"}, dl={"type": "delay", "for": "1d12h", "next": "a"},
                    a=mail("x")))
    d.contact("c1", email="a@x.io")
    d.send("go", "c1", "+0s")
    d.advance(at("+10d"))
    assert d.short() == [("2026-11-24T22:00:00Z", "c1", "a")]


def test_delay_until_fixed_time_with_offset_and_past_time_continues_at_once() -> None:
    doc = proc(
        t={**TRIG, "next": "dl"},
        dl={"type": "delay", "until": "2026-11-25T12:00:00Z", "offset": "-1h", "next": "a"},
        a=mail("x"),
    )
    d = Driver(doc)
    d.contact("c1", email="a@x.io")
    d.contact("c2", email="b@x.io")
    d.send("go", "c1", "+0s")
    d.send("go", "c2", "2026-11-26T00:00:00Z")
    d.advance(at("+10d"))
    assert d.short() == [("2026-11-25T11:00:00Z", "c1", "a"), ("2026-11-26T00:00:00Z", "c2", "a")]


def test_split_is_stable_per_run_and_follows_weights() -> None:
    doc = proc(
        t={**TRIG, "next": "s"},
        s={"type": "split", "branches": [{"weight": 1, "next": "a1"}, {"weight": 3, "next": "b"}]},
        a1=mail("A"), b=mail("B"),
    )
    first = Driver(doc)
    second = Driver(doc)
    for drv in (first, second):
        for i in range(400):
            drv.contact(f"c{i}", email=f"c{i}@x.io")
            drv.send("go", f"c{i}", "+0s")
    assert first.lines() == second.lines()
    share_b = sum(1 for x in first.lines() if x["template"] == "B") / 400
    assert 0.68 < share_b < 0.82


def test_split_winner_takes_best_branch_after_n_runs() -> None:
    doc = proc(
        t={**TRIG, "next": "s"},
        s={"type": "split", "branches": [{"weight": 1, "next": "a1"}, {"weight": 1, "next": "b"}],
           "winner": {"by": "email.clicked", "after": 20}},
        a1=mail("A", "w"), b=mail("B", "w"),
        w={"type": "wait", "for": [{"event": "never", "next": "e"}], "timeout": "30d",
           "on_timeout": "e"},
        e={"type": "end"},
    )
    d = Driver(doc)
    for i in range(20):
        d.contact(f"c{i}", email=f"c{i}@x.io")
        d.send("go", f"c{i}", "+0s")
    # every contact that got B clicks; nobody who got A does
    for x in d.lines():
        if x["template"] == "B":
            d.send("email.clicked", x["contact"], "+1h", url="https://x")
    for i in range(20, 30):
        d.contact(f"c{i}", email=f"c{i}@x.io")
        d.send("go", f"c{i}", "+2h")
    late = [x["template"] for x in d.lines() if x["at"] == "2026-11-23T12:00:00Z"]
    assert late == ["B"] * 10


def test_end_outcome_is_counted_in_stats() -> None:
    d = Driver(proc(t={**TRIG, "next": "e"}, e={"type": "end", "outcome": "converted"}))
    d.send("go", "c1", "+0s")
    assert d.stats()[(1, "", "outcome:converted")] == 1
    assert d.stats()[(1, "", "entered")] == 1
    assert "process.completed" not in d.emitted()  # the run records it (docs/semantics.md)


def test_lifecycle_events_reach_triggers_but_are_stored_only_when_a_filter_reads_them(
) -> None:
    first = proc("First", t={**TRIG, "next": "e"}, e={"type": "end", "outcome": "won"})
    then = proc("Then", t={"type": "trigger", "event": "process.completed",
                           "where": {"prop": "outcome", "eq": "won"}, "next": "m"},
                m={"type": "action", "do": "add_tag", "tag": "after", "next": "e"},
                e={"type": "end"})
    d = Driver(first, then)
    d.send("go", "c1", "+0s")
    assert "after" in d.contacts["c1"].tags  # delivered within the step's cascade
    assert not {"process.entered", "process.completed"} & set(d.emitted())
    reader = proc("Reader", t={"type": "trigger", "event": "check", "next": "c"},
                  c={"type": "condition", "if": {"event": "process.completed",
                                                 "count": {"gte": 1}},
                     "yes": "m", "no": "e"},
                  m={"type": "action", "do": "add_tag", "tag": "seen", "next": "e"},
                  e={"type": "end"})
    d = Driver(first, reader)
    d.send("go", "c1", "+0s")
    assert d.emitted().count("process.completed") == 1  # Reader counts it: stored
    assert "process.entered" not in d.emitted()
    d.send("check", "c1", "+1m")
    assert "seen" in d.contacts["c1"].tags
    assert d.emitted().count("process.completed") == 2  # Reader's own run


def test_entered_is_recorded_only_for_reentry_once() -> None:
    d = Driver(proc("Always", _top={"reentry": "always"}, t={**TRIG, "next": "e"},
                    e={"type": "end"}),
               proc("Once", _top={"reentry": "once"}, t={**TRIG, "next": "e"},
                    e={"type": "end"}))
    d.send("go", "c1", "+0s")
    d.send("go", "c1", "+1m")
    assert d.contacts["c1"].entered == {2}
    assert d.stats()[(1, "", "entered")] == 2
    assert d.stats()[(2, "", "entered")] == 1


def test_a_send_references_the_input_event_and_copies_an_emitted_one() -> None:
    d = Driver(proc(t={"type": "trigger", "event": "go", "next": "s"},
                    s={"type": "action", "do": "send_email", "template": "x", "next": "g"},
                    g={"type": "action", "do": "add_tag", "tag": "T", "next": "e"},
                    e={"type": "end"}),
               proc("Q", t={"type": "trigger", "event": "tag.added", "next": "s"},
                    s={"type": "action", "do": "send_email", "template": "y", "next": "e"},
                    e={"type": "end"}))
    d.contact("c1", email="c1@x.io")
    step = d.send("go", "c1", "+0s", n=1)
    by_template = {o.payload["template"]: o.payload for o in step.outbox}
    assert by_template["x"]["event_id"] == "m0" and "event" not in by_template["x"]
    assert by_template["y"]["event"]["name"] == "tag.added"
    assert by_template["y"]["event"]["properties"] == {"tag": "T"}
