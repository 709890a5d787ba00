"""The data the engine moves: contacts, events, orders, runs, and the Step it returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

ACTIVE, COMPLETED, EXITED, FAILED = "active", "completed", "exited", "failed"


@dataclass(slots=True)
class Event:
    """Something that happened to a contact; `message_id` makes it idempotent."""

    name: str
    contact_id: str
    timestamp: datetime
    message_id: str
    properties: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Order:
    order_id: str
    status: str  # new | paid | cancelled
    amount: float = 0.0
    product: str | None = None
    pay_url: str | None = None
    created_at: datetime | None = None
    paid_at: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "order_id": self.order_id, "status": self.status, "amount": self.amount,
            "product": self.product, "pay_url": self.pay_url,
        }


@dataclass(slots=True)
class Contact:
    """A person and everything filters read: the contact card of the seeds."""

    id: str
    created_at: datetime
    email: str | None = None
    phone: str | None = None
    timezone: str | None = None
    context_timezone: str | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    tags: set[str] = field(default_factory=set)
    lists: set[str] = field(default_factory=set)
    subscribed: dict[str, bool] = field(default_factory=lambda: {"email": True, "sms": True})
    bounced: bool = False
    score: int = 0
    owner: str | None = None
    stages: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    rfm: str | None = None
    orders: dict[str, Order] = field(default_factory=dict)
    entered: set[int] = field(default_factory=set)  # `reentry: once` processes entered
    is_new: bool = False

    @property
    def total_paid(self) -> float:
        return sum(o.amount for o in self.orders.values() if o.status == "paid")


@dataclass(slots=True)
class Run:
    """One contact's pass through one process; a waiting run is a few hundred bytes."""

    id: str
    process_id: int
    contact_id: str
    node: str
    started_at: datetime
    node_since: datetime
    status: str = ACTIVE
    wake_at: datetime | None = None
    vars: dict[str, Any] = field(default_factory=dict)
    seq: int = 0
    reason: str | None = None  # outcome when completed, why when exited or failed
    ended_at: datetime | None = None
    is_new: bool = False


@dataclass(slots=True)
class OutboxItem:
    """A message or call to deliver later; `key` makes delivery idempotent."""

    key: str
    run_id: str
    contact_id: str
    process_id: int
    node: str
    channel: str  # email | sms | webhook
    created_at: datetime
    payload: dict[str, Any]


@dataclass(slots=True)
class HistoryEntry:
    run_id: str
    at: datetime
    entries: list[dict[str, Any]]


@dataclass(slots=True)
class ActionLine:
    """One action performed, as `nurtura simulate` prints it."""

    at: datetime
    contact: str
    process: str
    node: str
    action: str
    params: dict[str, Any]


@dataclass(slots=True)
class Step:
    """What handling one input changed: persisted by the store in one transaction."""

    runs: dict[str, Run] = field(default_factory=dict)
    contact_changed: bool = False
    orders_changed: set[str] = field(default_factory=set)
    outbox: list[OutboxItem] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    history: list[HistoryEntry] = field(default_factory=list)
    actions: list[ActionLine] = field(default_factory=list)
    stats: dict[tuple[int, str, str], int] = field(default_factory=dict)

    def count(self, process_id: int, node: str, key: str, n: int = 1) -> None:
        k = (process_id, node, key)
        self.stats[k] = self.stats.get(k, 0) + n

    def merge(self, other: Step) -> None:
        self.runs.update(other.runs)
        self.contact_changed |= other.contact_changed
        self.orders_changed |= other.orders_changed
        self.outbox += other.outbox
        self.events += other.events
        self.history += other.history
        self.actions += other.actions
        for k, v in other.stats.items():
            self.stats[k] = self.stats.get(k, 0) + v
