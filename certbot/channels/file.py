"""File channel: one JSON object per delivered alert, appended to a JSON Lines file.

The target's ``address`` is the file path (relative paths are resolved against the config
directory). ``render`` is pure: ``Payload.body`` is the list of records to append, one per
alert; a digest becomes one record per item, each with ``"digest": true``, the digest's
delivery id as ``digest_id`` and the item's own ``delivery_id``. Each record carries the
plain-text rendering of ``templates/console/<lang>/alert.txt`` under ``text``.

``deliver`` stamps ``delivered_at`` and appends all records with one write, a flush and an
``fsync``, under one asyncio lock per file (several targets may share a file), creating parent
directories. With ``ctx.state["file_echo"]`` true it also prints the text to stdout (the demo).
"""

from __future__ import annotations

import asyncio
import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from certbot.channels import Channel, ChannelContext, Payload, Sent
from certbot.channels._clean import clean_notification, tidy
from certbot.errors import DeliveryError

if TYPE_CHECKING:
    from certbot.config import TargetConfig
    from certbot.model import Notification

MATCH_KEYS = ("item", "rule", "confidence", "source", "entry", "detail")


class FileChannel(Channel):
    kind = "file"

    def __init__(self, ctx: ChannelContext):
        super().__init__(ctx)
        self._locks: dict[Path, asyncio.Lock] = {}

    def render(self, n: Notification, target: TargetConfig) -> Payload:
        safe = clean_notification(n)
        if safe.kind == "digest":
            records = [
                {**self._record(item), "digest": True, "digest_id": safe.delivery_id}
                for item in safe.items
            ]
        else:
            records = [self._record(safe)]
        text = "\n".join(r["text"] for r in records)
        return Payload(channel="file", body=records, text=text, meta={"delivery_id": n.delivery_id})

    def _record(self, n: Notification) -> dict[str, Any]:
        text = tidy(self.ctx.renderer.render("console", "alert.txt", n))
        return {
            "delivery_id": n.delivery_id,
            "kind": n.kind,
            "advisory_id": n.case_id,
            "revision": n.revision,
            "subscriber": n.subscriber_id,
            "subscriber_name": n.subscriber_name,
            "target": n.target_id,
            "language": n.language,
            "priority": n.priority.name if n.priority is not None else None,
            "tlp": n.tlp.label,
            "title": n.title,
            "cves": list(n.cves),
            "deadline": n.deadline.isoformat() if n.deadline else None,
            "matched": [{k: m.get(k, "") for k in MATCH_KEYS} for m in n.matched],
            "reasons": list(n.reasons),
            "actions": list(n.actions),
            "changes": list(n.changes),
            "links": list(n.links),
            "summary": n.summary,
            "digest": False,
            "text": text,
        }

    async def deliver(self, payload: Payload, target: TargetConfig) -> Sent:
        if not target.address:
            raise DeliveryError("file target has no address (path)", retryable=False)
        path = self.ctx.config.resolve_path(target.address)
        stamp = datetime.now(UTC).isoformat()
        lines = [
            json.dumps({**record, "delivered_at": stamp}, ensure_ascii=False) + "\n"
            for record in payload.body
        ]
        data = "".join(lines).encode("utf-8")
        lock = self._locks.setdefault(path, asyncio.Lock())
        async with lock:
            try:
                await asyncio.to_thread(_append, path, data)
            except OSError as exc:
                # ENOSPC and friends may clear up; a bad path will end dead after retries.
                raise DeliveryError(
                    f"cannot append to {path.name}: {exc.strerror or type(exc).__name__}",
                    retryable=True,
                ) from None
        if self.ctx.state.get("file_echo"):
            print(payload.text, flush=True)
        return Sent(
            external_id=payload.meta.get("delivery_id"),
            detail={"path": str(path), "lines": len(lines)},
        )


def _append(path: Path, data: bytes) -> None:
    """One write of whole lines with O_APPEND, then flush and fsync."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "ab") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
