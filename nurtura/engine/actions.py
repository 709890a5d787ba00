"""The actions of an `action` node: change the contact, queue a message, move other runs.

Each returns the line `nurtura simulate` prints (action + parameters, `skipped` if so).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from nurtura.engine import timing
from nurtura.engine.state import ActionLine, Event, OutboxItem, Run
from nurtura.model.process import ActionNode
from nurtura.model.validate import ACTION_PARAMS

if TYPE_CHECKING:
    from nurtura.engine.core import Advance, Deployed


def _params(node: ActionNode) -> dict[str, Any]:
    out = {}
    for key in node.model_fields_set:
        if key in ACTION_PARAMS:
            out["target" if key == "process" else key] = getattr(node, key)
    return out


def perform(
    adv: Advance, run: Run, dep: Deployed, nid: str, node: ActionNode, at: datetime
) -> dict[str, Any]:
    """Do the action; record its line; return the history entry body."""
    params = _params(node)
    result = _DO[node.do](adv, run, dep, nid, node, at)
    if result:
        params.update(result)
    adv.step.actions.append(ActionLine(at, adv.contact.id, dep.name, nid, node.do, params))
    return {"action": node.do, **params}


def _emit(adv: Advance, run: Run, name: str, at: datetime, **props: Any) -> None:
    adv.emit(name, at, f"{run.id}:{run.seq}:{name}", **props)


def _changed(adv: Advance) -> None:
    adv.step.contact_changed = True


def _membership(adv: Advance, run: Run, members: set[str], value: str | None, add: bool,
                kind: str, at: datetime) -> None:
    """Add to or remove from a set of the contact (tags, lists), emitting KIND.added/removed
    with the value under KIND, only when it changes something."""
    assert value is not None
    if add == (value in members):
        return
    if add:
        members.add(value)
    else:
        members.discard(value)
    _emit(adv, run, f"{kind}.{'added' if add else 'removed'}", at, **{kind: value})
    _changed(adv)


def _tag(adv: Advance, run: Run, dep: Deployed, nid: str, n: ActionNode, at: datetime) -> None:
    _membership(adv, run, adv.contact.tags, n.tag, n.do == "add_tag", "tag", at)


def _list(adv: Advance, run: Run, dep: Deployed, nid: str, n: ActionNode, at: datetime) -> None:
    _membership(adv, run, adv.contact.lists, n.list, n.do == "add_to_list", "list", at)


def _set_field(
    adv: Advance, run: Run, dep: Deployed, nid: str, n: ActionNode, at: datetime
) -> None:
    assert n.field is not None
    old = adv.contact.fields.get(n.field)
    if old != n.value:
        adv.contact.fields[n.field] = n.value
        _changed(adv)
        _emit(adv, run, "field.changed", at, field=n.field, old=old, new=n.value)


def _score(adv: Advance, run: Run, dep: Deployed, nid: str, n: ActionNode, at: datetime) -> None:
    assert n.by is not None
    old = adv.contact.score
    adv.contact.score = old + n.by
    _changed(adv)
    _emit(adv, run, "score.changed", at, old=old, new=adv.contact.score)


def _set_var(
    adv: Advance, run: Run, dep: Deployed, nid: str, n: ActionNode, at: datetime
) -> dict[str, Any]:
    assert n.name is not None
    value = n.value
    if isinstance(value, dict) and "next_slot" in value:
        slot = timing.next_slot(
            at,
            value["next_slot"],
            dep.process.durations.get(nid + ".min_lead", at - at),
            timing.zone(dep.process.file.timezone),
            value.get("days"),
        )
        value = timing.iso(slot)
    run.vars[n.name] = value
    return {"value": value}


def _message(
    adv: Advance, run: Run, dep: Deployed, nid: str, n: ActionNode, at: datetime
) -> dict[str, Any] | None:
    c = adv.contact
    channel = "email" if n.do == "send_email" else "sms"
    address = c.email if channel == "email" else c.phone
    skipped = None
    if not address:
        skipped = "no_address"
    elif not c.subscribed.get(channel, True) or (channel == "email" and c.bounced):
        skipped = "unsubscribed"
    if skipped is not None:
        adv.step.count(dep.id, nid, "skipped")
        return {"skipped": skipped}
    _outbox(adv, run, dep, nid, channel, at,
            {"template": n.template, "to": address, **_render_context(adv, run)})
    adv.step.count(dep.id, nid, "sent")
    if adv.world.emit_sent:
        _emit(adv, run, f"{channel}.sent", at, template=n.template, process=dep.name, node=nid)
    return None


def _outbox(
    adv: Advance, run: Run, dep: Deployed, nid: str, channel: str, at: datetime,
    payload: dict[str, Any],
) -> None:
    adv.step.outbox.append(
        OutboxItem(f"{run.id}:{nid}:{run.seq}", run.id, adv.contact.id, dep.id, nid, channel, at,
                   payload)
    )


def _render_context(adv: Advance, run: Run) -> dict[str, Any]:
    """What delivery renders with besides the contact: the event that caused the step and
    the run's variables, as they are at the step.

    An event the store holds under its message id (the input the worker handed over) is
    referenced by that id (`event_id`) and loaded by delivery; an event emitted during the
    step (`tag.added`, …) is copied (`event`)."""
    out: dict[str, Any] = {}
    ev = adv.current
    if ev is not None and ev is adv.input and ev.message_id:
        out["event_id"] = ev.message_id
    elif ev is not None:
        out["event"] = event_json(ev)
    variables = {k: v for k, v in run.vars.items() if not k.startswith("_")}
    if variables:
        out["vars"] = variables
    return out


def event_json(ev: Event) -> dict[str, Any]:
    """The event as templates see it (`event.name`, `event.properties`, `event.timestamp`)."""
    return {"name": ev.name, "properties": ev.properties, "timestamp": timing.iso(ev.timestamp)}


def _webhook(
    adv: Advance, run: Run, dep: Deployed, nid: str, n: ActionNode, at: datetime
) -> None:
    payload = {"url": n.url, "method": (n.method or "POST").upper(), "body": n.body}
    if n.headers:
        payload["headers"] = n.headers
    timeout = dep.process.durations.get(nid + ".timeout")
    if timeout is not None:
        payload["timeout"] = timeout.total_seconds()
    if n.retries is not None:
        payload["retries"] = n.retries
    payload.update(_render_context(adv, run))
    _outbox(adv, run, dep, nid, "webhook", at, payload)
    adv.step.count(dep.id, nid, "sent")


def _process(
    adv: Advance, run: Run, dep: Deployed, nid: str, n: ActionNode, at: datetime
) -> dict[str, Any] | None:
    assert n.process is not None
    target = adv.world.by_name.get(n.process)
    if target is None:
        return {"skipped": "no_such_process"}
    if n.do == "stop_process":
        adv.stop(target, at, dep.name)
        return None
    if not adv.enter(target, at, ("run", run.id, nid, str(run.seq))):
        return {"skipped": "not_entered"}
    return None


def _note(adv: Advance, run: Run, dep: Deployed, nid: str, n: ActionNode, at: datetime) -> None:
    assert n.text is not None
    adv.contact.notes.append(n.text)
    _changed(adv)
    _emit(adv, run, "note.added", at, text=n.text)


def _owner(adv: Advance, run: Run, dep: Deployed, nid: str, n: ActionNode, at: datetime) -> None:
    old = adv.contact.owner
    if old != n.owner:
        adv.contact.owner = n.owner
        _changed(adv)
        _emit(adv, run, "owner.changed", at, old=old, new=n.owner)


def _stage(adv: Advance, run: Run, dep: Deployed, nid: str, n: ActionNode, at: datetime) -> None:
    assert n.funnel is not None and n.stage is not None
    old = adv.contact.stages.get(n.funnel)
    if old != n.stage:
        adv.contact.stages[n.funnel] = n.stage
        _changed(adv)
        _emit(adv, run, "stage.changed", at, funnel=n.funnel, old=old, new=n.stage)


_DO: dict[str, Any] = {
    "add_tag": _tag, "remove_tag": _tag, "add_to_list": _list, "remove_from_list": _list,
    "set_field": _set_field, "change_score": _score, "set_var": _set_var,
    "send_email": _message, "send_sms": _message, "webhook": _webhook,
    "start_process": _process, "stop_process": _process, "add_note": _note,
    "set_owner": _owner, "set_stage": _stage,
}
