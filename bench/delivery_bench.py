"""Render + deliver N emails from the outbox to a local aiosmtpd (in its own process), over
one reused SMTP connection, and compare with a plain smtplib loop sending the same prepared
messages to the same server in the same run.

    .venv/bin/python bench/delivery_bench.py [--n 10000] [--db sqlite|postgresql]

Prints messages/s for both and the ratio (target: delivery ≥ 50% of the plain loop). The
work alternates in rounds (Nurtura delivers a batch, then the plain loop sends the same
prepared messages), so both meet the same machine load.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import smtplib
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from nurtura import library
from nurtura.channels.config import Settings
from nurtura.channels.email import Outcome, SmtpSender
from nurtura.channels.templates import from_json
from nurtura.clock import SimClock
from nurtura.engine.state import Contact, Order, OutboxItem, Step
from nurtura.model.validate import load_process
from nurtura.runtime.delivery import Deliverer
from nurtura.store import templates as store_templates
from nurtura.store.sql import Batch, Store

T0 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
TEMPLATE = "invoice-objection-1"


def serve(port: int) -> None:
    """The SMTP server: counts messages and bytes; prints them as JSON on SIGTERM."""
    from aiosmtpd.controller import Controller

    class Counter:
        n = 0
        size = 0

        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            Counter.n += 1
            Counter.size += len(envelope.content)
            return "250 OK"

    controller = Controller(Counter(), hostname="127.0.0.1", port=port)
    controller.start()
    print("ready", flush=True)

    def stop(*_: Any) -> None:
        controller.stop()
        print(json.dumps({"messages": Counter.n, "bytes": Counter.size}), flush=True)
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    asyncio.run(asyncio.sleep(10**6))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def fill(store: Store, n: int) -> None:
    """n contacts with an unpaid order and n queued emails, as the worker would leave them."""
    process = load_process(library.raw("unpaid-invoice.json"), library.template_names())
    pid, _ = store.save_process(process, T0)
    store_templates.put(store, from_json(TEMPLATE, library.templates()[TEMPLATE]), T0)
    people = []
    for i in range(n):
        c = Contact(f"c{i:06d}", T0, email=f"c{i:06d}@example.com",
                    fields={"first_name": f"Name{i}"})
        c.orders["o1"] = Order("o1", "new", 19900, "Course A", f"https://pay.example.com/{i}",
                               T0)
        people.append(c)
    store.put_contacts(people)
    step = Step()
    for c in people:
        step.outbox.append(OutboxItem(f"r{c.id}:objection_1:3", f"r{c.id[1:]}"[:16], c.id,
                                      pid, "objection_1", "email", T0,
                                      {"template": TEMPLATE, "to": c.email}))
    store.apply(Batch({}, set(), {}, {}, {}), step, [], [])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--db", default="sqlite")
    parser.add_argument("--round", type=int, default=500, help="messages per round")
    parser.add_argument("--group", type=int, default=10, help="NURTURA_DELIVERY_GROUP")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)
        return
    port = free_port()
    server = subprocess.Popen([sys.executable, __file__, "--serve", str(port)],
                              stdout=subprocess.PIPE, text=True)
    assert server.stdout is not None and server.stdout.readline().strip() == "ready"
    with contextlib.ExitStack() as stack:
        if args.db == "postgresql":
            from tests.pg import fresh_database

            url = stack.enter_context(fresh_database())
        else:
            url = f"sqlite:///{stack.enter_context(tempfile.TemporaryDirectory())}/bench.db"
        run(args, url, port, server)


def run(args: argparse.Namespace, url: str, port: int, server: subprocess.Popen[str]) -> None:
    store = Store(url)
    fill(store, args.n)
    settings = Settings(smtp_host="127.0.0.1", smtp_port=port, smtp_tls="none",
                        from_addr="School <hello@school.test>",
                        base_url="https://nurtura.example.com", secret="bench",
                        batch=args.round, group=args.group)
    deliverer = Deliverer(store, SimClock(T0), settings)
    prepared: list[bytes] = []
    send = deliverer.smtp.send

    def keep(sender: str, to: str, data: bytes) -> Outcome:
        prepared.append(data)
        return send(sender, to, data)

    deliverer.smtp.send = keep  # type: ignore[method-assign]
    plain = smtplib.SMTP("127.0.0.1", port)
    ours = SmtpSender(settings)
    # Rounds of `--round` messages, each delivered by Nurtura (claim, render, send, record)
    # and then sent again, prepared, by the plain loop and by Nurtura's sender alone: the
    # three see the same machine load, which on a shared 2-core box moves a lot.
    delivery_s = plain_s = sender_s = 0.0
    sent = 0
    while True:
        before = len(prepared)
        started = time.perf_counter()
        handled = deliverer.run_once(T0)
        delivery_s += time.perf_counter() - started
        if not handled:
            break
        sent += handled
        batch = prepared[before:]
        started = time.perf_counter()
        for i, data in enumerate(batch):
            plain.sendmail("hello@school.test", [f"p{i:06d}@example.com"], data)
        plain_s += time.perf_counter() - started
        started = time.perf_counter()
        for i, data in enumerate(batch):
            ours.send("hello@school.test", f"s{i:06d}@example.com", data)
        sender_s += time.perf_counter() - started
    deliverer.close()
    plain.quit()
    ours.close()

    server.send_signal(signal.SIGTERM)
    out, _ = server.communicate(timeout=30)
    counted = json.loads(out.strip().splitlines()[-1])
    statuses = {r["status"] for r in store.outbox_items()}
    store.close()
    n = len(prepared)
    result = {
        "db": args.db, "group": args.group, "messages": n, "handled": sent,
        "outbox": sorted(statuses),
        "server_received": counted["messages"], "avg_message_bytes": counted["bytes"] // max(
            1, counted["messages"]),
        "delivery_msgs_per_s": round(n / delivery_s),
        "plain_smtplib_msgs_per_s": round(n / plain_s),
        "nurtura_sender_only_msgs_per_s": round(n / sender_s),
        "delivery_vs_plain": round((n / delivery_s) / (n / plain_s), 2),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
