"""Engine semantics of SPEC: reentry, goals, limits, versions, state-before-steps."""

from __future__ import annotations

from typing import Any

from nurtura.engine.core import Deployed
from nurtura.model.validate import load_process
from tests.engine.driver import Driver, at, proc

TRIG = {"type": "trigger", "event": "go", "next": "w"}
WAIT = {"type": "wait", "for": [{"event": "done", "next": "e"}]}
END = {"type": "end"}


def _entered(reentry: str) -> int:
    d = Driver(proc(t=TRIG, w=WAIT, e=END, _top={"reentry": reentry}))
    d.send("go", "c1", "+0s")
    d.send("go", "c1", "+1m")  # while active
    d.send("done", "c1", "+2m")
    d.send("go", "c1", "+3m")  # after the first ended
    return d.stats()[(1, "", "entered")]


def test_reentry_once_always_if_not_active() -> None:
    assert _entered("once") == 1
    assert _entered("if_not_active") == 2
    assert _entered("always") == 3


def test_exit_on_goal_ends_run_wherever_it_is() -> None:
    doc = proc(t=TRIG, w=WAIT, e=END, _top={"exit_on": [
        {"event": "order.refunded", "where": {"prop": "order_id", "eq": "o1"}}]})
    d = Driver(doc)
    d.send("go", "c1", "+0s")
    d.send("order.refunded", "c1", "+1m", order_id="o2")
    assert d.stats().get((1, "", "exited"), 0) == 0
    d.send("order.refunded", "c1", "+2m", order_id="o1")
    assert d.stats()[(1, "", "exited")] == 1
    (run,) = d.all_runs.values()
    assert (run.status, run.reason) == ("exited", "goal:order.refunded")


def test_more_than_1000_instant_steps_fails_the_run_with_a_reason() -> None:
    nodes: dict[str, Any] = {"t": {"type": "trigger", "event": "go", "next": "l"}}
    # a loop through a delay whose time is already past never waits
    nodes["l"] = {"type": "delay", "until": "2020-01-01T00:00:00Z", "next": "s"}
    nodes["s"] = {"type": "action", "do": "change_score", "by": 1, "next": "l"}
    d = Driver(proc(**nodes))
    d.send("go", "c1", "+0s")
    (run,) = d.all_runs.values()
    assert run.status == "failed"
    assert "1000 instant steps" in (run.reason or "")
    assert d.stats()[(1, "", "failed")] == 1


def test_order_paid_counts_in_total_paid_before_the_step() -> None:
    doc = proc(
        t={"type": "trigger", "event": "order.paid", "next": "c"},
        c={"type": "condition", "if": {"total_paid": {"gte": 50000}}, "yes": "y", "no": "n"},
        y={"type": "action", "do": "add_tag", "tag": "big"},
        n={"type": "action", "do": "add_tag", "tag": "small"},
    )
    d = Driver(doc)
    d.send("order.created", "c1", "+0s", order_id="o1", amount=50000)
    d.send("order.paid", "c1", "+1m", order_id="o1")
    d.send("order.paid", "c2", "+1m", order_id="o2", amount=49999)
    assert d.contacts["c1"].tags == {"big"}
    assert d.contacts["c2"].tags == {"small"}


def test_new_version_continues_runs_at_their_node_or_exits_node_removed() -> None:
    v1 = proc(t=TRIG, w=WAIT, e=END)
    d = Driver(v1)
    d.send("go", "c1", "+0s")
    v2 = proc(t={**TRIG, "next": "w2"}, w2=WAIT, e=END)
    d.world.processes[1] = Deployed(1, load_process(v2), True, at("+0s"))
    d.send("done", "c1", "+1m")
    (run,) = d.all_runs.values()
    assert (run.status, run.reason) == ("exited", "node_removed")


def test_disabled_process_pauses_runs_and_due_delays_fire_on_enable() -> None:
    doc = proc(t={"type": "trigger", "event": "go", "next": "dl"},
               dl={"type": "delay", "for": "1h", "next": "a"},
               a={"type": "action", "do": "add_tag", "tag": "x"})
    d = Driver(doc)
    d.send("go", "c1", "+0s")
    d.world.processes[1].enabled = False
    d.advance(at("+5h"))
    d.send("go", "c2", "+5h")
    assert "x" not in d.contacts["c1"].tags and d.stats()[(1, "", "entered")] == 1
    d.world.processes[1].enabled = True
    d.advance(at("+6h"))
    assert "x" in d.contacts["c1"].tags


def test_opted_out_contact_is_never_sent_and_step_is_recorded_skipped() -> None:
    doc = proc(t={"type": "trigger", "event": "go", "next": "m"},
               m={"type": "action", "do": "send_email", "template": "x", "next": "s"},
               s={"type": "action", "do": "send_sms", "template": "y"})
    d = Driver(doc)
    d.contact("c1", email="a@x.io", phone="+100")
    d.contact("c2")
    d.send("subscription.changed", "c1", "+0s", channel="email", subscribed=False)
    d.send("go", "c1", "+1m")
    d.send("go", "c2", "+1m")
    lines = [(x["contact"], x["action"], x.get("skipped")) for x in d.lines()]
    assert lines == [("c1", "send_email", "unsubscribed"), ("c1", "send_sms", None),
                     ("c2", "send_email", "no_address"), ("c2", "send_sms", "no_address")]
    assert sum(len(s.outbox) for s in d.steps) == 1


def test_identify_unsubscribed_trait_opts_out_of_email() -> None:
    d = Driver(proc(t={"type": "trigger", "event": "go", "next": "m"},
                    m={"type": "action", "do": "send_email", "template": "x"}))
    d.send("identify", "c1", "+0s", email="a@x.io", unsubscribed=True)
    d.send("go", "c1", "+1m")
    assert d.lines()[0]["skipped"] == "unsubscribed"


def test_actions_emit_their_events_which_trigger_other_processes() -> None:
    tagger = proc("Tagger", t={"type": "trigger", "event": "go", "next": "a"},
                  a={"type": "action", "do": "add_tag", "tag": "Lesson1"})
    listener = proc("Listener", t={"type": "trigger", "event": "tag.added",
                                   "where": {"prop": "tag", "eq": "Lesson1"}, "next": "a"},
                    a={"type": "action", "do": "set_field", "field": "lesson", "value": 1})
    d = Driver(tagger, listener)
    d.send("go", "c1", "+0s")
    assert d.contacts["c1"].fields == {"lesson": 1}
    assert d.emitted().count("field.changed") == 1


def test_start_and_stop_process_move_the_contact_between_campaigns() -> None:
    main = proc("Main", t={"type": "trigger", "event": "form.submitted", "next": "s1"},
                s1={"type": "action", "do": "start_process", "process": "C1", "next": "w"},
                w={"type": "wait", "for": [{"event": "bought", "next": "x"}]},
                x={"type": "action", "do": "stop_process", "process": "C1", "next": "s2"},
                s2={"type": "action", "do": "start_process", "process": "C2"})
    camp = {"t": {"type": "trigger", "event": "campaign.start", "next": "w"}, "w": WAIT, "e": END}
    d = Driver(main, proc("C1", **camp), proc("C2", **camp))
    d.send("form.submitted", "c1", "+0s")
    assert {d.world.processes[r.process_id].name for r in d.active["c1"].values()} == {
        "Main", "C1"}
    d.send("bought", "c1", "+1d")
    assert {d.world.processes[r.process_id].name for r in d.active["c1"].values()} == {"C2"}
    targets = [(x["node"], x["target"]) for x in d.lines()]
    # lines at one instant are ordered by node id (SPEC), not by execution order
    assert targets == [("s1", "C1"), ("s2", "C2"), ("x", "C1")]


def test_set_var_next_slot_and_delay_until_var_with_offset() -> None:
    doc = proc(
        t={"type": "trigger", "event": "webinar.registered", "next": "v"},
        v={"type": "action", "do": "set_var", "name": "webinar_at",
           "value": {"next_slot": ["11:00", "20:00"], "min_lead": "1h"}, "next": "dl"},
        dl={"type": "delay", "until": "{{ vars.webinar_at }}", "offset": "-15m", "next": "m"},
        m={"type": "action", "do": "add_tag", "tag": "reminded"},
        _top={"timezone": "Europe/Moscow"},
    )
    d = Driver(doc)
    d.send("webinar.registered", "c1", "2026-11-23T16:30:00Z")  # 19:30 Moscow
    d.send("webinar.registered", "c2", "2026-11-24T07:00:00Z")  # 10:00 Moscow: exactly 1h
    d.send("webinar.registered", "c3", "2026-11-24T07:00:01Z")  # just under 1h: the 20:00 one
    values = {x["contact"]: x.get("value") for x in d.lines() if x["action"] == "set_var"}
    assert values == {"c1": "2026-11-24T08:00:00Z", "c2": "2026-11-24T08:00:00Z",
                      "c3": "2026-11-24T17:00:00Z"}
    d.advance(at("+3d"))
    reminders = [(x["at"], x["contact"]) for x in d.lines() if x["action"] == "add_tag"]
    assert reminders == [("2026-11-24T07:45:00Z", "c1"), ("2026-11-24T07:45:00Z", "c2"),
                         ("2026-11-24T16:45:00Z", "c3")]


def test_delay_until_time_of_day_uses_contact_timezone_chain() -> None:
    doc = proc(t={"type": "trigger", "event": "go", "next": "dl"},
               dl={"type": "delay", "until_time": "09:00", "timezone": "contact", "next": "a"},
               a={"type": "action", "do": "add_tag", "tag": "x"},
               _top={"timezone": "Europe/Moscow"})
    d = Driver(doc)
    d.contact("ny", timezone="America/New_York")
    d.contact("ctx", context_timezone="Asia/Tokyo")
    d.contact("none")
    for cid in ("ny", "ctx", "none"):
        d.send("go", cid, "2026-11-23T12:00:00Z")
    d.advance(at("+3d"))
    got = {x["contact"]: x["at"] for x in d.lines()}
    assert got == {"ny": "2026-11-23T14:00:00Z", "ctx": "2026-11-24T00:00:00Z",
                   "none": "2026-11-24T06:00:00Z"}


def test_history_filter_counts_events_within_window_and_since_run() -> None:
    doc = proc(t={"type": "trigger", "event": "check", "next": "c"},
               c={"type": "condition", "if": {"all": [
                   {"event": "email.opened", "within": "7d", "count": {"gte": 2}},
                   {"not": {"event": "order.paid", "since": "run"}}]},
                  "yes": "y", "no": "n"},
               y={"type": "action", "do": "add_tag", "tag": "engaged"},
               n={"type": "action", "do": "add_tag", "tag": "cold"})
    d = Driver(doc)
    for when in ("+0s", "+1d", "+9d"):
        d.send("email.opened", "c1", when)
    d.send("check", "c1", "+9d1h")  # only 1 open within 7 days
    d.send("email.opened", "c1", "+10d")
    d.send("check", "c1", "+10d1h")  # 2 opens within 7 days
    assert [x["tag"] for x in d.lines()] == ["cold", "engaged"]
