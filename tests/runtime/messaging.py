"""A small world for delivery tests: a store with templates and an enabled process, the
worker (sends counted at delivery) and a deliverer pointed at the test's SMTP server, all on
one simulated clock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from nurtura.channels.config import Settings
from nurtura.channels.templates import Template
from nurtura.clock import SimClock
from nurtura.engine.state import Event
from nurtura.model.validate import load_process
from nurtura.runtime.delivery import Deliverer, send_at_delivery
from nurtura.runtime.worker import Worker
from nurtura.store import templates as store_templates
from nurtura.store.schema import deliveries, events, outbox
from nurtura.store.sql import Store

T0 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
OPEN: list[Deliverer] = []  # closed after each test (tests/runtime/conftest.py)


def deliverer(store: Store, clock: SimClock, conf: Settings) -> Deliverer:
    d = Deliverer(store, clock, conf)
    OPEN.append(d)
    return d

HELLO = Template(
    "hello", subject="Hello {{ contact.fields.first_name | default: 'there' }}",
    html='<p>Hi {{ contact.fields.first_name }},</p><p><a href="https://example.com/offer">'
         'See the offer</a></p><p><a href="{{ unsubscribe_url }}">Unsubscribe</a></p>',
    text="Hi {{ contact.fields.first_name }},\n\nhttps://example.com/offer\n\n"
         "Unsubscribe: {{ unsubscribe_url }}\n")


def one_send(template: str = "hello", name: str = "P", do: str = "send_email",
             tz: str = "UTC") -> Any:
    return load_process({"nurtura": 1, "name": name, "reentry": "always", "timezone": tz,
                         "nodes": {
                             "t": {"type": "trigger", "event": "go", "next": "m"},
                             "m": {"type": "action", "do": do, "template": template,
                                   "next": "e"},
                             "e": {"type": "end"}}})


@dataclass
class World:
    store: Store
    clock: SimClock
    worker: Worker
    deliverer: Deliverer
    n: int = 0

    def event(self, name: str, cid: str, at: datetime | None = None, **props: Any) -> None:
        self.n += 1
        self.store.ingest([Event(name, cid, at or self.clock.now(), f"t{self.n}", props)])

    def contact(self, cid: str, **traits: Any) -> None:
        self.event("identify", cid, **traits)

    def work(self) -> None:
        self.worker.drain(self.clock.now())

    def deliver(self) -> int:
        return self.deliverer.drain(self.clock.now())

    def step(self, to: datetime | timedelta) -> None:
        self.clock.jump(to if isinstance(to, datetime) else self.clock.now() + to)

    def rows(self) -> list[dict[str, Any]]:
        with self.store.engine.connect() as conn:
            q = select(outbox).order_by(outbox.c.created_at, outbox.c.contact_id, outbox.c.key)
            return [dict(r._mapping) for r in conn.execute(q)]

    def delivery_rows(self) -> list[dict[str, Any]]:
        with self.store.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(select(deliveries))]

    def events(self, name: str) -> list[dict[str, Any]]:
        with self.store.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(
                select(events).where(events.c.name == name).order_by(events.c.id))]

    def node_stats(self, node: str = "m", name: str = "P") -> dict[str, int]:
        info = self.store.process_info(name)
        result: dict[str, int] = self.store.stats(info.id)["nodes"].get(node, {})
        return result


def settings(smtp_port: int, **kw: Any) -> Settings:
    base: dict[str, Any] = {"smtp_host": "127.0.0.1", "smtp_port": smtp_port,
                            "smtp_tls": "none", "from_addr": "Shop <news@shop.test>",
                            "base_url": "http://127.0.0.1:9", "secret": "test-secret"}
    base.update(kw)
    return Settings(**base)


def make_world(store: Store, conf: Settings, *processes: Any,
               templates: tuple[Template, ...] = (HELLO,)) -> World:
    clock = SimClock(T0)
    for t in templates:
        store_templates.put(store, t, T0)
    for p in processes or (one_send(),):
        store.save_process(p, T0)
        store.set_enabled(p.name, True, T0)
    worker = Worker(send_at_delivery(store), clock)
    return World(store, clock, worker, deliverer(store, clock, conf))
