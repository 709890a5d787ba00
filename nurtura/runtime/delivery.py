"""The delivery loop: claim due outbox rows, apply the sending rules, render, send, record.

Per row: consent and address are checked against the contact as it is now (an opt-out
after the step still stops the send); quiet hours and the frequency cap hold a row (back to
pending, due when the window opens); then the row is marked `sending` (attempts + 1) in the
same transaction that records the previous row's result, the message goes out, and its
result is recorded: sent (+ `email.sent`/`sms.sent` for the worker), a retry with
exponential backoff, bounced (+ `email.bounced`) or failed. See docs/messaging.md for the
guarantee this gives.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from nurtura.channels import config, context
from nurtura.channels import templates as tpl
from nurtura.channels.email import Outcome, SmtpSender, build, message_id
from nurtura.channels.http import Http
from nurtura.channels.links import Links, Signer
from nurtura.clock import Clock
from nurtura.engine.core import World
from nurtura.engine.state import Contact, Event
from nurtura.runtime.polling import PollingThread
from nurtura.runtime.rules import RateLimiter, cap_until, quiet_until
from nurtura.store import outbox as ob
from nurtura.store import templates as store_templates
from nurtura.store.sql import Store

log = logging.getLogger("nurtura.delivery")
CHANNELS = ("email", "sms", "webhook")
RECOVER_EVERY = 60.0  # seconds between looks for rows a crashed deliverer left behind


def send_at_delivery(store: Store) -> Store:
    """Make the worker on `store` leave `email.sent`/`sms.sent` to the delivery loop (which
    emits them when the message really went out) instead of emitting them at the step."""
    load = store.world

    def world() -> World:
        w = load()
        w.emit_sent = False
        return w

    setattr(store, "world", world)  # noqa: B010 - an instance override, not a class change
    return store


@dataclass
class _Ready:
    """A row that passed the rules, rendered and ready to go."""

    row: ob.Claimed
    to: str
    delivery: dict[str, Any]
    send: Callable[[], Outcome]
    max_attempts: int


class Deliverer:
    """One delivery loop over a Store; `run_once` handles what is due at `now`."""

    def __init__(self, store: Store, clock: Clock, settings: config.Settings | None = None,
                 wake: Callable[[], None] | None = None) -> None:
        self.store = store
        self.clock = clock
        self.settings = settings or config.from_env()
        self.outbox = ob.Outbox(store)
        secret = self.settings.secret or ob.secret(store)
        self.links = Links(self.settings.base_url, Signer(secret))
        self.smtp = SmtpSender(self.settings)
        self.http = Http(self.settings, (self.settings.webhook_secret or secret).encode())
        self.rates = RateLimiter(self.settings.rate)
        self.sender = self.settings.from_email
        self.domain = self.settings.domain
        self.wake = wake or (lambda: None)
        self.stopping = False
        self.after_send: Callable[[ob.Claimed, Outcome], None] | None = None  # tests: crash
        self._changes: list[ob.Change] = []
        self._recovered_at: datetime | None = None
        self._emitted = False
        self._warned: set[str] = set()

    def close(self) -> None:
        self.smtp.close()
        self.http.close()

    def channels(self) -> list[str]:
        out = []
        for ch in CHANNELS:
            if ch == "email" and not self.settings.smtp_host:
                self._warn(ch, "no SMTP server configured (NURTURA_SMTP_HOST): emails wait")
            elif ch == "sms" and not self.settings.sms_url:
                self._warn(ch, "no SMS gateway configured (NURTURA_SMS_URL): SMS wait")
            else:
                out.append(ch)
        return out

    def _warn(self, key: str, text: str) -> None:
        if key not in self._warned:
            self._warned.add(key)
            log.warning(text)

    # -- the loop -------------------------------------------------------------------------

    def recover(self, now: datetime) -> tuple[int, int]:
        resend = {"webhook"} | ({"email", "sms"} if self.settings.at_least_once else set())
        self._recovered_at = now
        return self.outbox.recover(now, resend)

    def run_once(self, now: datetime | None = None) -> int:
        """Deliver one batch per channel of what is due; returns how many rows it handled."""
        now = now or self.clock.now()
        if self._recovered_at is None or abs(
            (now - self._recovered_at).total_seconds()
        ) >= RECOVER_EVERY:
            self.recover(now)
        handled = 0
        for channel in self.channels():
            if self.stopping:
                break
            limit = self.rates.allowance(channel, now, self.settings.batch)
            rows = self.outbox.claim(channel, now, limit, self.settings.lease)
            if rows:
                handled += self._batch(channel, rows, now)
        return handled

    def drain(self, now: datetime | None = None) -> int:
        """Batches until nothing more is due at `now` (or the rate limit stops it)."""
        n = 0
        while handled := self.run_once(now):
            n += handled
        return n

    def next_due(self) -> datetime | None:
        return self.outbox.next_due()

    # -- one batch ------------------------------------------------------------------------

    def _batch(self, channel: str, rows: list[ob.Claimed], now: datetime) -> int:
        people = self.outbox.contacts([r.contact_id for r in rows])
        self.outbox.events_for(rows)
        names = self.outbox.process_names()
        world = self.store.world()
        wanted = {str(r.payload.get("template")) for r in rows if r.payload.get("template")}
        found = store_templates.get_many(self.store, wanted)
        cap = self.settings.email_cap if channel == "email" else None
        sent = self.outbox.sent_since([r.contact_id for r in rows], now - cap.period
                                      ) if cap else {}
        group: list[_Ready] = []
        self._emitted = False
        try:
            for i, row in enumerate(rows):
                if self.stopping:
                    self.outbox.release([r.row for r in group] + rows[i:], now)
                    group = []
                    break
                dep = world.processes.get(row.process_id)
                ptz = dep.process.file.timezone if dep is not None else None
                ready = self._prepare(channel, row, people.get(row.contact_id), found,
                                      names.get(row.process_id, ""), ptz, sent, now)
                if ready is None:
                    continue
                if ready.delivery.get("category") == "marketing" and channel == "email":
                    sent.setdefault(row.contact_id, []).append(int(now.timestamp() * 1000))
                group.append(ready)
                if len(group) >= self.settings.group:
                    self._send(channel, group, now)
                    group = []
            self._send(channel, group, now)
        finally:
            self._flush()
        if self._emitted:
            self.wake()
        return len(rows)

    def _send(self, channel: str, group: list[_Ready], now: datetime) -> None:
        """Mark the group `sending` (committed with the results before it), then send each
        and keep its result for the next commit."""
        if not group:
            return
        for ready in group:
            self._changes.append(ob.Change(
                ready.row.contact_id, ready.row.key, ob.SENDING, now + self.settings.lease,
                ready.row.attempts + 1,
                {**ready.delivery, "status": ob.SENDING}, insert=True))
        self._flush()
        for ready in group:
            self.rates.take(channel, now)
            outcome = ready.send()
            if self.after_send is not None:
                self.after_send(ready.row, outcome)
            change = self._result(ready, outcome, now)
            self._emitted |= bool(change.events)
            self._changes.append(change)

    def _flush(self) -> None:
        changes, self._changes = self._changes, []
        self.outbox.write(changes)

    def _prepare(self, channel: str, row: ob.Claimed, contact: Contact | None,
                 found: dict[str, tpl.Template], process: str, ptz: str | None,
                 sent: dict[str, list[int]], now: datetime) -> _Ready | None:
        """Rules and rendering; None when the row was settled without a send (recorded)."""
        p = row.payload
        delivery: dict[str, Any] = {
            "key": row.key, "contact_id": row.contact_id, "run_id": row.run_id,
            "process_id": row.process_id, "process": process, "node": row.node,
            "channel": channel, "template": p.get("template"), "category": None,
            "message_id": None, "status": ob.SENDING,
        }
        tz = context.contact_zone(contact, ptz)
        if channel == "webhook":
            return self._webhook(row, contact, delivery, tz, now)
        if contact is None:
            return self._skip(row, delivery, "no_contact")
        to = contact.email if channel == "email" else contact.phone
        to = to or p.get("to")
        if not to:
            return self._skip(row, delivery, "no_address")
        if not contact.subscribed.get(channel, True):
            return self._skip(row, delivery, "unsubscribed")
        if channel == "email" and contact.bounced:
            return self._skip(row, delivery, "bounced")
        t = found.get(str(p.get("template")))
        if t is None or t.channel != channel:
            why = "no such template" if t is None else f"a {t.channel} template"
            return self._fail(row, delivery, f"{p.get('template')!r}: {why}")
        delivery["category"] = t.category
        if t.category == "marketing":
            hold = quiet_until(now, self.settings.quiet.get(channel), tz)
            if hold is None and channel == "email":
                hold = cap_until(now, self.settings.email_cap, sent.get(row.contact_id, []))
            if hold is not None:
                self._changes.append(ob.Change(row.contact_id, row.key, ob.PENDING, hold))
                return None
        unsubscribe = self.links.unsubscribe_url(row.key, row.contact_id)
        data = context.build(contact, p, unsubscribe)
        try:
            r = tpl.render(t, data, tz=tz, now=now)
        except Exception as exc:  # a template error fails this message, not the loop
            return self._fail(row, delivery, f"template {t.name!r}: {exc}")
        max_attempts = self.settings.max_attempts
        if channel == "sms":
            text = r.text.strip()
            return _Ready(row, to, delivery, lambda: self.http.sms(to, text, row.key),
                          max_attempts)
        msgid = message_id(row.key, self.domain)
        delivery["message_id"] = msgid
        body = r.html
        if body is not None:
            body = self.links.track(body, row.key, opens=self.settings.track_opens,
                                    clicks=self.settings.track_clicks)
        data_bytes = build(self.settings, to=to, subject=r.subject, text=r.text, html=body,
                           msgid=msgid, when=now, unsubscribe=unsubscribe, key=row.key)
        sender = self.sender
        return _Ready(row, to, delivery, lambda: self.smtp.send(sender, to, data_bytes),
                      max_attempts)

    def _webhook(self, row: ob.Claimed, contact: Contact | None, delivery: dict[str, Any],
                 tz: str, now: datetime) -> _Ready | None:
        p = row.payload
        data = context.build(contact, p, "")
        try:
            url = str(tpl.render_json(p.get("url") or "", data, tz=tz, now=now)).strip()
            body = tpl.render_json(p.get("body"), data, tz=tz, now=now)
            headers = tpl.render_json(p.get("headers") or {}, data, tz=tz, now=now)
        except Exception as exc:
            return self._fail(row, delivery, f"webhook template: {exc}")
        if not url.startswith(("http://", "https://")):
            return self._fail(row, delivery, f"webhook URL {url!r} is not http(s)")
        method = str(p.get("method") or "POST").upper()
        timeout = p.get("timeout")
        retries = p.get("retries", self.settings.webhook_retries)

        def call() -> Outcome:
            return self.http.webhook(method, url, body, {str(k): str(v) for k, v in
                                                         headers.items()},
                                     float(timeout) if timeout else None, row.key,
                                     self.clock.now())

        return _Ready(row, url, delivery, call, int(retries) + 1)

    def _skip(self, row: ob.Claimed, delivery: dict[str, Any], why: str) -> _Ready | None:
        """Settle the row as skipped (consent, address): recorded, counted, never sent."""
        self._changes.append(ob.Change(
            row.contact_id, row.key, ob.SKIPPED,
            delivery={**delivery, "status": ob.SKIPPED, "error": why},
            insert=True, stats=[(row.process_id, row.node, "suppressed", 1)]))
        return None

    def _fail(self, row: ob.Claimed, delivery: dict[str, Any], why: str) -> _Ready | None:
        """Settle the row as failed (no template, a template error): recorded, counted."""
        log.warning("message %s failed: %s", row.key, why)
        self._changes.append(ob.Change(
            row.contact_id, row.key, ob.FAILED,
            delivery={**delivery, "status": ob.FAILED, "error": why},
            insert=True, stats=[(row.process_id, row.node, "undelivered", 1)]))
        return None

    def _result(self, ready: _Ready, out: Outcome, now: datetime) -> ob.Change:
        row, d = ready.row, ready.delivery
        attempts = row.attempts + 1
        where = (row.process_id, row.node)
        props = {"template": d.get("template"), "process": d["process"], "node": row.node,
                 "run": row.run_id, "message": row.key}
        detail = f"{out.code or ''} {out.detail}".strip()[:1000]
        if out.status == "ok":
            evs = []
            if row.channel in ("email", "sms"):
                extra = {"message_id": d["message_id"]} if row.channel == "email" else {}
                evs.append(Event(f"{row.channel}.sent", row.contact_id, now,
                                 f"{row.channel}.sent:{row.key}", {**props, **extra}))
            return ob.Change(row.contact_id, row.key, ob.SENT, delivery={"status": ob.SENT,
                                                         "sent_at": _ms(now), "error": None},
                             stats=[(*where, "delivered", 1)], events=evs)
        if out.status == "bounce":
            if row.channel == "webhook":
                return ob.Change(row.contact_id, row.key, ob.FAILED,
                                 delivery={"status": ob.FAILED, "error": detail},
                                 stats=[(*where, "undelivered", 1)])
            evs = []
            if row.channel == "email":
                evs.append(Event("email.bounced", row.contact_id, now,
                                 f"email.bounced:{row.key}",
                                 {**props, "code": out.code, "reason": out.detail[:300]}))
            return ob.Change(row.contact_id, row.key, ob.BOUNCED,
                             delivery={"status": ob.BOUNCED, "error": detail},
                             stats=[(*where, "bounced", 1)], events=evs)
        if attempts >= ready.max_attempts:
            return ob.Change(row.contact_id, row.key, ob.FAILED, delivery={
                "status": ob.FAILED, "error": f"gave up after {attempts} attempts: {detail}"},
                stats=[(*where, "undelivered", 1)])
        return ob.Change(row.contact_id, row.key, ob.PENDING, now + self.settings.backoff(attempts),
                         delivery={"status": "retrying", "error": detail})


def _ms(dt: datetime) -> int:
    return int(dt.timestamp() * 1000)


class DeliveryThread(PollingThread):
    """The delivery loop beside the worker (`nurtura serve`, `nurtura worker`)."""

    join_timeout = 60.0

    def __init__(self, url: str, clock: Clock, settings: config.Settings | None = None,
                 wake: Callable[[], None] | None = None, poll: float = 1.0) -> None:
        super().__init__("nurtura-delivery", poll)
        self.store = Store(url, upgrade=False)
        self.deliverer = Deliverer(self.store, clock, settings, wake)

    def batch(self) -> int:
        return self.deliverer.run_once()

    def stop(self) -> None:
        self.deliverer.stopping = True
        super().stop()

    def close(self) -> None:
        self.deliverer.close()
        self.store.close()
