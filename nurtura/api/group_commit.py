"""Group commit for ingestion: the events of requests that arrive together are written in
one transaction, off the event loop; each request answers after its events are committed,
so an answer still means "durable"."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

from nurtura.engine.state import Event

Write = Callable[[Sequence[Event]], int]


class GroupCommit:
    def __init__(self, write: Write, max_events: int = 5000) -> None:
        self.write = write
        self.max_events = max_events
        self._pending: list[tuple[list[Event], asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def submit(self, events: list[Event]) -> None:
        """Returns once `events` are committed; raises what the write raised."""
        if not events:
            return
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()
        self._pending.append((events, done))
        if self._writer is None or self._writer.done():
            self._writer = loop.create_task(self._drain())
        await done

    async def _drain(self) -> None:
        loop = asyncio.get_running_loop()
        while self._pending:
            group: list[tuple[list[Event], asyncio.Future[None]]] = []
            size = 0
            while self._pending and (not group or size + len(self._pending[0][0])
                                     <= self.max_events):
                item = self._pending.pop(0)
                group.append(item)
                size += len(item[0])
            events = [e for evs, _ in group for e in evs]
            try:
                await loop.run_in_executor(None, self.write, events)
            except Exception as exc:
                for _, fut in group:
                    if not fut.done():
                        fut.set_exception(exc)
                continue
            for _, fut in group:
                if not fut.done():
                    fut.set_result(None)
