"""Group commit for the dispatcher (issue 16.1): the claims and the finished sends of many
concurrent sends are written by the store's one writer thread in ONE transaction per batch.

A send submits an operation (a function of the `Store`) and awaits its result. A batch is
flushed when it is full (``max_batch``), when every send holding a dispatch slot is waiting on
it (nothing more can join, so waiting longer only adds latency), and at the latest
``max_wait`` (10 ms) after its first operation. Each operation runs in its own savepoint inside
the batch's transaction: one that raises gets its exception and does not undo the others; a
failed COMMIT fails every operation of the batch. No operation is answered before its batch
has committed (``synchronous=FULL``), so a claim is durable before its send starts, and a
send's slot is held until its record is durable: a crash re-sends at most the sends that held
a slot (in flight, or sent and not yet recorded), each counted as ambiguous.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

from certbot.store import Store, StoreThread

T = TypeVar("T")
Op = Callable[[Store], Any]


class GroupCommit:
    """Batches store operations from concurrent sends into one writer-thread transaction."""

    def __init__(self, store: StoreThread, *, max_batch: int = 256, max_wait: float = 0.010):
        self.store = store
        self.max_batch = max_batch
        self.max_wait = max_wait
        self.active = 0  # sends holding a slot: the most that can be waiting here
        self.peak_active = 0  # the crash exposure seen: in flight + unrecorded at once
        self.batches = 0
        self.ops = 0
        self._queue: list[tuple[Op, asyncio.Future[Any]]] = []
        self._timer: asyncio.TimerHandle | None = None
        self._writes: set[asyncio.Task[None]] = set()

    def enter(self) -> None:
        """A send took a slot."""
        self.active += 1
        self.peak_active = max(self.peak_active, self.active)

    def leave(self) -> None:
        """A send gave its slot back: those still holding one may all be waiting now."""
        self.active -= 1
        if self._queue and len(self._queue) >= self.active:
            self._flush()

    async def submit(self, op: Callable[[Store], T]) -> T:
        """``op(store)`` in the next batch; returns once that batch has committed."""
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[T] = loop.create_future()
        self._queue.append((op, fut))
        if len(self._queue) >= min(self.max_batch, max(self.active, 1)):
            self._flush()
        elif self._timer is None:
            self._timer = loop.call_later(self.max_wait, self._flush)
        return await fut

    def _flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if not self._queue:
            return
        batch, self._queue = self._queue, []
        task = asyncio.ensure_future(self._write(batch))
        self._writes.add(task)
        task.add_done_callback(self._writes.discard)

    async def _write(self, batch: list[tuple[Op, asyncio.Future[Any]]]) -> None:
        self.batches += 1
        self.ops += len(batch)
        try:
            results = await self.store.run(_apply, self.store.store, [op for op, _ in batch])
        except BaseException as exc:  # the COMMIT (or the thread) failed: nothing is durable
            for _, fut in batch:
                if not fut.done():
                    fut.set_exception(exc)
            return
        for (_, fut), (ok, value) in zip(batch, results, strict=True):
            if fut.done():  # its sender was cancelled
                continue
            if ok:
                fut.set_result(value)
            else:
                fut.set_exception(value)


def _apply(store: Store, ops: list[Op]) -> list[tuple[bool, Any]]:
    """On the writer thread: every operation in one transaction, each in a savepoint."""
    out: list[tuple[bool, Any]] = []
    with store.tx():
        for op in ops:
            try:
                with store.tx():
                    out.append((True, op(store)))
            except Exception as exc:
                out.append((False, exc))
    return out
