"""`StoreThread`: the one door from async code to the store, and the single writer.

Every call runs on ONE dedicated thread (datasette's ``execute_write_fn`` model):
``await store.call(Store.claim, delivery_id, now)`` runs ``Store.claim(store, delivery_id,
now)`` there and returns its typed result; ``await store.run(fn, *args)`` runs a function
that finds the store itself (an inbound handler with its context). There is no attribute
pass-through. An exclusive `StoreThread` (the default) binds the store to its thread, so any
other thread that touches the connection gets `WrongThread` at once (RELIABILITY.md I1: one
job's COMMIT or ROLLBACK can never end another job's transaction).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any, Concatenate, ParamSpec, TypeVar

from certbot.sources import SourceState
from certbot.store.facade import Store

P = ParamSpec("P")
T = TypeVar("T")


class StoreThread:
    """Runs every store call on one dedicated thread: the single writer (RELIABILITY.md)."""

    exclusive = True

    def __init__(self, store: Store):
        self.store = store
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="certbot-store")
        if self.exclusive:
            self._pool.submit(store.bind_owner).result()
        self.writer: int | None = self._pool.submit(threading.get_ident).result()

    async def call(
        self, fn: Callable[Concatenate[Store, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """``fn(store, *args, **kwargs)`` on the writer thread.

        A `Store` method (``Store.claim``) is looked up on the instance, so an override there
        (a test's injected fault) is what runs.
        """
        store = self.store
        name = getattr(fn, "__name__", "")
        if getattr(type(store), name, None) is fn:
            method: Callable[P, T] = getattr(store, name)
            return await self.run(method, *args, **kwargs)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, lambda: fn(store, *args, **kwargs))

    async def run(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """``fn(*args, **kwargs)`` on the writer thread (``fn`` reaches the store itself)."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, lambda: fn(*args, **kwargs))

    # Typed shortcuts for the reads the CLI, the demo and tests make most.

    async def feed_state(self, feed_id: str) -> SourceState:
        return await self.call(Store.feed_state, feed_id)

    async def deliveries(
        self, *, status: str | None = None, limit: int = 500
    ) -> list[dict[str, Any]]:
        return await self.call(Store.deliveries, status=status, limit=limit)

    async def status_counts(self) -> dict[str, int]:
        return await self.call(Store.status_counts)

    async def list_cases(self, limit: int = 100) -> list[dict[str, Any]]:
        return await self.call(Store.list_cases, limit)

    async def audit_rows(self, limit: int = 200) -> list[dict[str, Any]]:
        return await self.call(Store.audit_rows, limit)

    async def add_delivery(self, d: dict[str, Any], *, now: datetime) -> int:
        return await self.call(Store.add_delivery, d, now=now)

    def close(self) -> None:
        self._pool.submit(self.store.close).result()
        self._pool.shutdown(wait=True)


class AsyncStore(StoreThread):
    """A `StoreThread` that does not bind the store to its thread: for tests that also read
    the synchronous store between calls. The service uses `StoreThread`."""

    exclusive = False
